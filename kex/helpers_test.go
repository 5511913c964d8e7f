package kex

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// memConn is one end of an in-memory message pipe for method tests.
type memConn struct {
	in  <-chan []byte
	out chan<- []byte
}

func memPipe() (a, b *memConn) {
	ab := make(chan []byte, 8)
	ba := make(chan []byte, 8)
	return &memConn{in: ba, out: ab}, &memConn{in: ab, out: ba}
}

func (c *memConn) ReadPacket(ctx context.Context) ([]byte, error) {
	select {
	case p, ok := <-c.in:
		if !ok {
			return nil, io.EOF
		}
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *memConn) WritePacket(ctx context.Context, p []byte) error {
	select {
	case c.out <- append([]byte(nil), p...):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scriptConn replays fixed packets and records what is written.
type scriptConn struct {
	replies [][]byte
	written [][]byte
}

func (c *scriptConn) ReadPacket(context.Context) ([]byte, error) {
	if len(c.replies) == 0 {
		return nil, io.EOF
	}
	p := c.replies[0]
	c.replies = c.replies[1:]
	return p, nil
}

func (c *scriptConn) WritePacket(_ context.Context, p []byte) error {
	c.written = append(c.written, append([]byte(nil), p...))
	return nil
}

// testHostKey is a minimal ssh-ed25519 host key (RFC 8709).
type testHostKey struct {
	priv ed25519.PrivateKey
	blob []byte
}

func newTestHostKey(t testing.TB) *testHostKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blob := wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), []byte(pub))
	return &testHostKey{priv: priv, blob: blob}
}

func (k *testHostKey) PublicKey() []byte { return k.blob }

func (k *testHostKey) Sign(_ io.Reader, alg string, data []byte) ([]byte, error) {
	if alg != "ssh-ed25519" {
		return nil, errors.New("test: wrong algorithm")
	}
	return wire.AppendString(wire.AppendString(nil, alg), ed25519.Sign(k.priv, data)), nil
}

var errBadSignature = errors.New("test: bad signature")

// VerifyHostKey checks an ssh-ed25519 blob and signature.
func (k *testHostKey) VerifyHostKey(alg string, blob, data, sig []byte) error {
	r := wire.NewReader(blob)
	if r.Text() != "ssh-ed25519" {
		return errBadSignature
	}
	pub := r.StringBytes()
	r2 := wire.NewReader(sig)
	if r2.Text() != alg {
		return errBadSignature
	}
	s := r2.StringBytes()
	if r.Err() != nil || r2.Err() != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, data, s) {
		return errBadSignature
	}
	return nil
}

func testParams(hk *testHostKey) (client, server *Params) {
	ci := (&wire.KexInit{KexAlgorithms: []string{"x"}}).Append(nil)
	si := (&wire.KexInit{KexAlgorithms: []string{"y"}}).Append(nil)
	base := Params{
		ClientVersion:    []byte("SSH-2.0-test_client"),
		ServerVersion:    []byte("SSH-2.0-test_server"),
		ClientKexInit:    ci,
		ServerKexInit:    si,
		HostKeyAlgorithm: "ssh-ed25519",
	}
	c, s := base, base
	c.Role, c.Verifier = Client, hk
	s.Role, s.HostKey = Server, hk
	return &c, &s
}

// runPair runs m on both sides over a memPipe.
func runPair(t testing.TB, m Method, hk *testHostKey) (cr, sr *Result, cerr, serr error) {
	ctx := context.Background()
	a, b := memPipe()
	cp, sp := testParams(hk)
	var wg sync.WaitGroup
	wg.Go(func() {
		if sr, serr = m.Run(ctx, b, sp); serr != nil {
			close(b.out) // unblock the client
		}
	})
	cr, cerr = m.Run(ctx, a, cp)
	if cerr != nil {
		close(a.out) // unblock the server
	}
	wg.Wait()
	return cr, sr, cerr, serr
}
