package keyagent

import (
	"context"
	"crypto/ed25519"
	"net"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh/agent"
)

// BenchmarkSign is a signature through the agent protocol over net.Pipe;
// BenchmarkSignDirect is the same Ed25519 signature without the agent,
// the baseline to compare it with.
func BenchmarkSign(b *testing.B) {
	tk := newKeys(b)
	k := newKeyring(b, nil)
	ag := pipe(b, k)
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ed}); err != nil {
		b.Fatal(err)
	}
	pub := pubOf(b, tk.ed)
	data := make([]byte, 128)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ag.Sign(pub, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignUnhooked is BenchmarkSign served without the frame hook
// that answers the smartcard and security-key messages, the baseline
// for what the hook costs every request.
func BenchmarkSignUnhooked(b *testing.B) {
	tk := newKeys(b)
	k := newKeyring(b, nil)
	c, s := net.Pipe()
	var wg sync.WaitGroup
	wg.Go(func() { agent.ServeAgent(&connAgent{Keyring: k, ctx: context.Background()}, &frameConn{rw: s}) })
	b.Cleanup(func() {
		c.Close()
		s.Close()
		wg.Wait()
	})
	ag := agent.NewClient(c)
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ed}); err != nil {
		b.Fatal(err)
	}
	pub := pubOf(b, tk.ed)
	data := make([]byte, 128)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ag.Sign(pub, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignDirect(b *testing.B) {
	tk := newKeys(b)
	data := make([]byte, 128)
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(tk.ed, data)
	}
}

// BenchmarkReadFrame reads 1 KiB frames with a reused buffer.
func BenchmarkReadFrame(b *testing.B) {
	f := frame(make([]byte, 1024))
	r := &repeatReader{b: f}
	var buf []byte
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = readFrame(r, buf); err != nil {
			b.Fatal(err)
		}
	}
}

type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}
