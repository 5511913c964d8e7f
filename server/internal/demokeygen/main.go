// Command demokeygen writes a fresh Ed25519 key pair for make demo, so
// that the demo needs no ssh-keygen: the private key in OpenSSH format at
// the given path and the public key at path.pub.
package main

import (
	"crypto/rand"
	"fmt"
	"os"

	"github.com/sshstack/sshstack/hostkey"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: demokeygen path comment")
		os.Exit(2)
	}
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err == nil {
		var pem []byte
		if pem, err = hostkey.MarshalPrivateKey(k.Crypto(), os.Args[2], nil, nil); err == nil {
			err = os.WriteFile(os.Args[1], pem, 0o600)
		}
	}
	if err == nil {
		err = os.WriteFile(os.Args[1]+".pub", hostkey.MarshalAuthorizedKey(k.PublicKey(), os.Args[2]), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demokeygen:", err)
		os.Exit(1)
	}
}
