package kex_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// countingConn counts the bytes written to a net.Conn.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// TestDelayedCompression negotiates zlib@openssh.com (OpenSSH PROTOCOL,
// Section 1.2), passes USERAUTH_SUCCESS through both Transports, whose
// readers read ahead of the layer above, and checks that compressible
// data is compressed in both directions from then on, across a rekey.
// Requirement: protocol-1.2-delayed
func TestDelayedCompression(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.Compression = []string{packet.CompressionDelayed, packet.CompressionZlib, packet.CompressionNone}
	scfg.Compression = []string{packet.CompressionDelayed, packet.CompressionNone}
	a, b := packettest.Pipe()
	ca, cb := &countingConn{Conn: a}, &countingConn{Conn: b}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var s *kex.Transport
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(cb, &packet.Config{Server: true}), scfg) })
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(ca, nil), ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		t.Fatalf("client: %v; server: %v", cerr, serr)
	}
	defer c.Close()
	defer s.Close()
	if got := c.Algorithms().ClientToServer.Compression; got != packet.CompressionDelayed {
		t.Fatalf("negotiated compression %q, want %q", got, packet.CompressionDelayed)
	}

	payload := append([]byte{byte(wire.MsgChannelData)}, bytes.Repeat([]byte("compress me "), 2000)...)
	// send writes payload from w, reads it at r and returns the wire bytes
	// that took.
	send := func(w, r *kex.Transport, wc *countingConn) int64 {
		t.Helper()
		before := wc.n.Load()
		if err := w.WritePacket(payload); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadPacket()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		return wc.n.Load() - before
	}
	if n := send(c, s, ca); n < int64(len(payload)) {
		t.Fatalf("compressed before authentication: %d wire bytes", n)
	}
	if err := s.WritePacket([]byte{byte(wire.MsgUserauthSuccess)}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
		t.Fatalf("client read %v, %v", p, err)
	}
	for i := range 2 {
		if n := send(c, s, ca); n > int64(len(payload))/10 {
			t.Errorf("round %d: client to server not compressed: %d wire bytes for %d", i, n, len(payload))
		}
		if n := send(s, c, cb); n > int64(len(payload))/10 {
			t.Errorf("round %d: server to client not compressed: %d wire bytes for %d", i, n, len(payload))
		}
		if i == 0 {
			// A rekey restarts the streams, compressed at once now.
			errc := make(chan error, 1)
			go func() { _, err := s.ReadPacket(); errc <- err }()
			if err := c.Rekey(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.WritePacket(payload); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
	}
}
