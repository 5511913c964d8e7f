package kex

import (
	"bytes"
	"crypto/rand"
	"testing"
)

// TestMLKEMImplementationsAgree runs ML-KEM-768 between this module's
// implementation and crypto/mlkem, each side either: a client on one
// and a server on the other must reach the same secret, whichever the
// CPU gives each peer.
func TestMLKEMImplementationsAgree(t *testing.T) {
	impls := map[string]hybrid{"internal": mlkem768Fast, "crypto/mlkem": mlkem768Std}
	for kname, k := range impls {
		for ename, e := range impls {
			for i := 0; i < 20; i++ {
				pk, decap, err := k.keygen(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				ct, secret, err := e.encap(rand.Reader, pk)
				if err != nil {
					t.Fatalf("keys from %s, encapsulation by %s: %v", kname, ename, err)
				}
				got, err := decap(ct)
				if err != nil {
					t.Fatalf("keys from %s, encapsulation by %s: decapsulation: %v", kname, ename, err)
				}
				if !bytes.Equal(got, secret) {
					t.Fatalf("keys from %s, encapsulation by %s: secrets differ", kname, ename)
				}
			}
		}
	}
}
