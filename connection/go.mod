module github.com/sshstack/sshstack/connection

go 1.26
