module github.com/sshstack/sshstack/hostkey

go 1.26
