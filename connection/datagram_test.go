package connection

import (
	"errors"
	"io"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// tunPair opens a tun@openssh.com channel from a to b, both ends
// datagram channels as OpenSSH makes them.
func tunPair(t *testing.T) (ca, cb *Channel) {
	t.Helper()
	a, b := pair(t, nil, nil)
	ctx := testCtx(t)
	got := make(chan *Channel, 1)
	go func() {
		nc, err := b.Accept(ctx)
		if err != nil {
			got <- nil
			return
		}
		if to, err := nc.TunOpen(); err != nil || to.Mode != wire.TunModeEthernet || to.Unit != 7 {
			t.Errorf("TunOpen = %+v, %v", to, err)
		}
		ch, _ := nc.AcceptChannel(&ChannelConfig{Datagram: true, MaxPacket: 100})
		got <- ch
	}()
	ca, err := a.OpenTun(ctx, wire.TunOpen{Mode: wire.TunModeEthernet, Unit: 7})
	if err != nil {
		t.Fatal(err)
	}
	if cb = <-got; cb == nil {
		t.Fatal("accept failed")
	}
	return ca, cb
}

// TestDatagram: each Write is one CHANNEL_DATA and each Read returns one,
// as OpenSSH's datagram channels (tun@openssh.com) need.
func TestDatagram(t *testing.T) {
	ca, cb := tunPair(t)
	for _, m := range []string{"first", "second packet", "3"} {
		if _, err := ca.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	// A Write larger than the peer's maximum packet cannot be one message.
	if _, err := ca.Write(make([]byte, 101)); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("Write of 101 bytes: err = %v, want ErrMessageTooLarge", err)
	}
	buf := make([]byte, 128)
	for _, want := range []string{"first", "second packet"} {
		n, err := cb.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("Read = %q, %v; want %q", buf[:n], err, want)
		}
	}
	// A short buffer takes the head of one message and drops its tail.
	if _, err := ca.Write([]byte("tail-dropped")); err != nil {
		t.Fatal(err)
	}
	n, err := cb.Read(buf)
	if err != nil || string(buf[:n]) != "3" {
		t.Fatalf("Read = %q, %v; want \"3\"", buf[:n], err)
	}
	n, err = cb.Read(buf[:4])
	if !errors.Is(err, io.ErrShortBuffer) || string(buf[:n]) != "tail" {
		t.Fatalf("short Read = %q, %v; want \"tail\", ErrShortBuffer", buf[:n], err)
	}
	if _, err := ca.Write([]byte("next")); err != nil {
		t.Fatal(err)
	}
	n, err = cb.Read(buf)
	if err != nil || string(buf[:n]) != "next" {
		t.Fatalf("after short Read = %q, %v; want \"next\"", buf[:n], err)
	}
	// The other way too, and the window counts whole messages: 2 MiB of
	// 100-byte datagrams pass without a stall.
	go func() {
		p := make([]byte, 100)
		for i := 0; i < 30000; i++ {
			p[0] = byte(i)
			if _, err := cb.Write(p); err != nil {
				t.Errorf("Write %d: %v", i, err)
				return
			}
		}
	}()
	for i := 0; i < 30000; i++ {
		n, err := ca.Read(buf)
		if err != nil || n != 100 || buf[0] != byte(i) {
			t.Fatalf("datagram %d: %d bytes [%d], %v", i, n, buf[0], err)
		}
	}
}
