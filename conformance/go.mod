module github.com/sshstack/sshstack/conformance

go 1.26

replace (
	github.com/sshstack/sshstack/cipher => ../cipher
	github.com/sshstack/sshstack/client => ../client
	github.com/sshstack/sshstack/connection => ../connection
	github.com/sshstack/sshstack/gssapi => ../gssapi
	github.com/sshstack/sshstack/hostkey => ../hostkey
	github.com/sshstack/sshstack/kex => ../kex
	github.com/sshstack/sshstack/packet => ../packet
	github.com/sshstack/sshstack/server => ../server
	github.com/sshstack/sshstack/userauth => ../userauth
	github.com/sshstack/sshstack/wire => ../wire
)

require go.uber.org/goleak v1.3.0
