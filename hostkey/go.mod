module github.com/sshstack/sshstack/hostkey

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/sshstack/sshstack/sshconfig v0.0.0
	github.com/sshstack/sshstack/wire v0.0.0
	golang.org/x/crypto v0.58.0
)

require golang.org/x/sys v0.49.0

replace (
	github.com/sshstack/sshstack/sshconfig => ../sshconfig
	github.com/sshstack/sshstack/wire => ../wire
)
