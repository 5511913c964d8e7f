module github.com/sshstack/sshstack/conformance

go 1.26.0

replace (
	github.com/sshstack/sshstack/cipher => ../cipher
	github.com/sshstack/sshstack/client => ../client
	github.com/sshstack/sshstack/connection => ../connection
	github.com/sshstack/sshstack/gssapi => ../gssapi
	github.com/sshstack/sshstack/hostkey => ../hostkey
	github.com/sshstack/sshstack/kex => ../kex
	github.com/sshstack/sshstack/kex/gsskex => ../kex/gsskex
	github.com/sshstack/sshstack/packet => ../packet
	github.com/sshstack/sshstack/server => ../server
	github.com/sshstack/sshstack/userauth => ../userauth
	github.com/sshstack/sshstack/userauth/gssauth => ../userauth/gssauth
	github.com/sshstack/sshstack/wire => ../wire
)

require (
	github.com/google/go-cmp v0.7.0
	github.com/sshstack/sshstack/cipher v0.0.0
	github.com/sshstack/sshstack/client v0.0.0
	github.com/sshstack/sshstack/connection v0.0.0
	github.com/sshstack/sshstack/gssapi v0.0.0
	github.com/sshstack/sshstack/hostkey v0.0.0
	github.com/sshstack/sshstack/kex v0.0.0
	github.com/sshstack/sshstack/kex/gsskex v0.0.0
	github.com/sshstack/sshstack/packet v0.0.0
	github.com/sshstack/sshstack/server v0.0.0
	github.com/sshstack/sshstack/userauth v0.0.0
	github.com/sshstack/sshstack/userauth/gssauth v0.0.0
	github.com/sshstack/sshstack/wire v0.0.0
	go.uber.org/goleak v1.3.0
	golang.org/x/crypto v0.58.0
)

require golang.org/x/term v0.47.0 // indirect

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/hashicorp/go-uuid v1.0.3 // indirect
	github.com/jcmturner/aescts/v2 v2.0.0 // indirect
	github.com/jcmturner/dnsutils/v2 v2.0.0 // indirect
	github.com/jcmturner/gofork v1.7.6 // indirect
	github.com/jcmturner/gokrb5/v8 v8.4.4 // indirect
	github.com/jcmturner/rpc/v2 v2.0.3 // indirect
	github.com/kr/fs v0.1.0 // indirect
	github.com/pkg/sftp v1.13.12 // indirect
	github.com/sshstack/sshstack/sshconfig v0.0.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/sshstack/sshstack/sshconfig => ../sshconfig
