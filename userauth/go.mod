module github.com/sshstack/sshstack/userauth

go 1.26
