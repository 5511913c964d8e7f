module github.com/sshstack/sshstack/conformance

go 1.26
