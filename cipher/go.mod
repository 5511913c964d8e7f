module github.com/sshstack/sshstack/cipher

go 1.26
