module github.com/sshstack/sshstack/server

go 1.26
