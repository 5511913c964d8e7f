module github.com/sshstack/sshstack/kex

go 1.26.0

require (
	filippo.io/edwards25519 v1.2.0
	github.com/google/go-cmp v0.7.0
	github.com/sshstack/sshstack/cipher v0.0.0
	github.com/sshstack/sshstack/hostkey v0.0.0
	github.com/sshstack/sshstack/packet v0.0.0
	github.com/sshstack/sshstack/wire v0.0.0
	go.uber.org/goleak v1.3.0
	golang.org/x/crypto v0.58.0
	golang.org/x/sys v0.49.0
)

require github.com/sshstack/sshstack/sshconfig v0.0.0 // indirect

replace (
	github.com/sshstack/sshstack/cipher => ../cipher
	github.com/sshstack/sshstack/hostkey => ../hostkey
	github.com/sshstack/sshstack/packet => ../packet
	github.com/sshstack/sshstack/sshconfig => ../sshconfig
	github.com/sshstack/sshstack/wire => ../wire
)
