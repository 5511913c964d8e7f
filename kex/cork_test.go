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

// writeCountingConn counts the network writes and keeps the first.
type writeCountingConn struct {
	net.Conn
	writes atomic.Int32
	mu     sync.Mutex
	first  []byte
}

func (c *writeCountingConn) Write(b []byte) (int, error) {
	if c.writes.Add(1) == 1 {
		c.mu.Lock()
		c.first = append([]byte(nil), b...)
		c.mu.Unlock()
	}
	return c.Conn.Write(b)
}

// countedPair runs both handshakes over an in-memory pipe whose ends
// count their writes.
func countedPair(t *testing.T, ccfg, scfg *kex.Config) (c, s *kex.Transport, cc, sc *writeCountingConn) {
	t.Helper()
	a, b := packettest.Pipe()
	cc, sc = &writeCountingConn{Conn: a}, &writeCountingConn{Conn: b}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(sc, &packet.Config{Server: true}), scfg) })
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(cc, nil), ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		t.Fatalf("client: %v; server: %v", cerr, serr)
	}
	return c, s, cc, sc
}

// TestHandshakeWritesCoalesced: the client's KEXINIT leaves in the same
// write as its identification string, and the server's key exchange
// reply, NEWKEYS and EXT_INFO (when the client asks for it) in one
// write, so a handshake costs the server three writes (version, KEXINIT,
// the rest) instead of up to five, and the client three (version and
// KEXINIT, its key exchange message, NEWKEYS) instead of four.
func TestHandshakeWritesCoalesced(t *testing.T) {
	for _, m := range []string{kex.Curve25519SHA256, kex.MLKEM768X25519SHA256} {
		t.Run(m, func(t *testing.T) {
			ccfg, scfg := configs(t, m)
			c, s, cc, sc := countedPair(t, ccfg, scfg)
			defer c.Close()
			defer s.Close()
			if n := sc.writes.Load(); n != 3 {
				t.Errorf("server wrote %d times, want 3 (version, KEXINIT, reply+NEWKEYS[+EXT_INFO])", n)
			}
			if n := cc.writes.Load(); n != 3 {
				t.Errorf("client wrote %d times, want 3 (version+KEXINIT, its kex message, NEWKEYS)", n)
			}
			line := packet.DefaultVersion + "\r\n"
			if !bytes.HasPrefix(cc.first, []byte(line)) || len(cc.first) <= len(line) {
				t.Errorf("client's first write %q..., want the identification string and KEXINIT", cc.first[:min(len(cc.first), 40)])
			}
			if string(sc.first) != line {
				t.Errorf("server's first write %q..., want the identification string alone", sc.first[:min(len(sc.first), 40)])
			}
		})
	}
}

// TestFirstPayloadWithNewKeys: Config.FirstPayload leaves in the client's
// NEWKEYS write and is the first packet the server reads after the
// handshake.
func TestFirstPayloadWithNewKeys(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	first := []byte{byte(wire.MsgIgnore), 0, 0, 0, 1, 'x'}
	ccfg.FirstPayload = first
	c, s, cc, _ := countedPair(t, ccfg, scfg)
	defer c.Close()
	defer s.Close()
	if n := cc.writes.Load(); n != 3 {
		t.Errorf("client wrote %d times, want 3 (version+KEXINIT, its kex message, NEWKEYS+FirstPayload)", n)
	}
	if err := c.WritePacket(channelData(1, 10)); err != nil {
		t.Fatal(err)
	}
	p, err := s.ReadPacket()
	if err != nil || !bytes.Equal(p, channelData(1, 10)) {
		t.Fatalf("server read %x, %v; want the channel data after the IGNORE it drops", p, err)
	}
}

// TestReadBuffered: ReadBuffered returns what an earlier read already
// pulled in, handling this layer's own packets on the way (the IGNORE),
// and says so, without waiting, once nothing whole is left; the next
// packet then needs ReadPacket.
func TestReadBuffered(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	defer c.Close()
	defer s.Close()
	accept := (&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil)
	ignore := (&wire.Ignore{Data: []byte("x")}).Append(nil)
	if err := s.WritePacketsSplit([][]byte{accept, ignore, channelData(1, 10)}, [][]byte{nil, nil, nil}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.ReadPacket(); err != nil || !bytes.Equal(p, accept) {
		t.Fatalf("ReadPacket: %x, %v", p, err)
	}
	p, ok, err := c.ReadBuffered()
	if err != nil || !ok || !bytes.Equal(p, channelData(1, 10)) {
		t.Fatalf("ReadBuffered: %x, %v, %v; want the channel data after the IGNORE", p, ok, err)
	}
	if p, ok, err := c.ReadBuffered(); ok || err != nil {
		t.Fatalf("ReadBuffered with nothing buffered: %x, %v, %v", p, ok, err)
	}
	if err := s.WritePacket(channelData(2, 10)); err != nil {
		t.Fatal(err)
	}
	if p, err := c.ReadPacket(); err != nil || !bytes.Equal(p, channelData(2, 10)) {
		t.Fatalf("ReadPacket after: %x, %v", p, err)
	}
}
