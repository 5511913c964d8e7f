package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// BenchmarkVerify verifies an Ed25519 signature of a 1 MiB message; the
// hash dominates, as for git's commit verification.
func BenchmarkVerify(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 1<<20)
	s, err := Sign(rand.Reader, genKey(b, hostkey.ED25519, 0), "git", "", bytes.NewReader(msg))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Verify("git", bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHA512 is BenchmarkVerify's baseline: the hash of the same
// message alone.
func BenchmarkSHA512(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 1<<20)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		sha512.Sum512(msg)
	}
}
