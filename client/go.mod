module github.com/sshstack/sshstack/client

go 1.26
