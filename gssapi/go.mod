module github.com/sshstack/sshstack/gssapi

go 1.26
