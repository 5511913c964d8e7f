module github.com/sshstack/sshstack/sshconfig

go 1.26.0
