package kex

import (
	"bytes"
	"io"
	"testing"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// BenchmarkExchange runs one full exchange per iteration, client and
// server in the same process over an in-memory pipe, including the
// ed25519 host key signature and its verification. CPU time and
// allocations cover both sides.
func BenchmarkExchange(b *testing.B) {
	hk := newTestHostKey(b)
	for _, name := range Methods() {
		m, _ := Lookup(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, cerr, serr := runPair(b, m, hk); cerr != nil || serr != nil {
					b.Fatal(cerr, serr)
				}
			}
		})
	}
}
