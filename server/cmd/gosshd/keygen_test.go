package main

import (
	"crypto/rand"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

func genKeyFile(t *testing.T) []byte {
	t.Helper()
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := hostkey.MarshalPrivateKey(k.Crypto(), "test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pem
}
