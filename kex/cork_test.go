package kex_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// writeCountingConn counts the network writes.
type writeCountingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *writeCountingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestServerReplyCoalesced: the server's key exchange reply, NEWKEYS and
// EXT_INFO (when the client asks for it) leave in one write, so a
// handshake costs the server three writes (version, KEXINIT, the rest)
// instead of up to five, and the client one wake-up for them.
func TestServerReplyCoalesced(t *testing.T) {
	for _, m := range []string{kex.Curve25519SHA256, kex.MLKEM768X25519SHA256} {
		t.Run(m, func(t *testing.T) {
			ccfg, scfg := configs(t, m)
			a, b := packettest.Pipe()
			sc := &writeCountingConn{Conn: b}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var s *kex.Transport
			var serr error
			var wg sync.WaitGroup
			wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(sc, &packet.Config{Server: true}), scfg) })
			c, cerr := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
			wg.Wait()
			if cerr != nil || serr != nil {
				t.Fatalf("client: %v; server: %v", cerr, serr)
			}
			defer c.Close()
			defer s.Close()
			if n := sc.writes.Load(); n != 3 {
				t.Errorf("server wrote %d times, want 3 (version, KEXINIT, reply+NEWKEYS[+EXT_INFO])", n)
			}
		})
	}
}
