module github.com/sshstack/sshstack/packet

go 1.26
