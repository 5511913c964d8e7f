module github.com/sshstack/sshstack/kex

go 1.26
