package packet_test

import (
	"bytes"
	"net"
	"sync/atomic"
	"testing"

	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// writeCounter counts the writes that reach the network.
type writeCounter struct {
	net.Conn
	n atomic.Int32
}

func (w *writeCounter) Write(b []byte) (int, error) {
	w.n.Add(1)
	return w.Conn.Write(b)
}

// TestCork: packets written while corked are sealed in order and leave
// in one network write at Flush, which ends the cork; the peer reads each
// of them. Without the cork every packet is one write.
func TestCork(t *testing.T) {
	a, b := packettest.Pipe()
	wc := &writeCounter{Conn: a}
	c, peer := packet.NewConn(wc, nil), packet.NewConn(b, nil)
	t.Cleanup(func() { c.Close(); peer.Close() })
	payloads := [][]byte{{50, 1}, {51, 2, 2}, {52, 3, 3, 3}}
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		c.Cork()
		for _, p := range payloads {
			if err := c.WritePacket(p); err != nil {
				t.Error(err)
			}
		}
		if n := wc.n.Load(); n != 0 {
			t.Errorf("%d writes while corked", n)
		}
		if err := c.Flush(); err != nil {
			t.Error(err)
		}
		if n := wc.n.Load(); n != 1 {
			t.Errorf("%d writes for three corked packets, want 1", n)
		}
		c.WritePacket([]byte{53}) // uncorked: written at once
		if n := wc.n.Load(); n != 2 {
			t.Errorf("%d writes after Flush and one more packet, want 2", n)
		}
	}()
	for i, want := range append(payloads, []byte{53}) {
		got, err := peer.ReadPacket()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("packet %d: %v, %v; want %v", i, got, err, want)
		}
	}
}

// TestWritePacketSplit: a payload written as head and data reads back as
// one payload under every cipher suite, with compression (where it is
// joined first) and without.
func TestWritePacketSplit(t *testing.T) {
	for _, s := range allSuites() {
		t.Run(s.String(), func(t *testing.T) {
			c, srv := packettest.NewPair(t, s.cipher, s.mac)
			for _, n := range []int{0, 1, 100, 32 << 10} {
				head := []byte{94, 0, 0, 0, 7, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
				data := bytes.Repeat([]byte{byte(n)}, n)
				if err := c.WritePacketSplit(head, data); err != nil {
					t.Fatal(err)
				}
				got, err := srv.ReadPacket()
				if err != nil || !bytes.Equal(got, append(append([]byte(nil), head...), data...)) {
					t.Fatalf("%d bytes of data: read %d bytes, %v", n, len(got), err)
				}
			}
		})
	}
}
