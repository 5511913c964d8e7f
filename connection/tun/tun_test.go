package tun_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/connection/tun"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeDev is a device whose packets the test feeds and collects.
type fakeDev struct {
	in   chan []byte // packets the "kernel" sends
	out  chan []byte // packets written to the "kernel"
	once sync.Once
	done chan struct{}
}

func newFakeDev() *fakeDev {
	return &fakeDev{in: make(chan []byte, 16), out: make(chan []byte, 16), done: make(chan struct{})}
}

func (d *fakeDev) Read(p []byte) (int, error) {
	select {
	case b := <-d.in:
		return copy(p, b), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}

func (d *fakeDev) Write(p []byte) (int, error) {
	select {
	case d.out <- bytes.Clone(p):
		return len(p), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}

func (d *fakeDev) Close() error { d.once.Do(func() { close(d.done) }); return nil }

// tunPair runs two Conns and opens a tun channel from a to b.
func tunPair(t *testing.T, mode uint32) (ca, cb *connection.Channel) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ta, tb := wiretest.Pipe()
	a, b := connection.New(ta, nil), connection.New(tb, nil)
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(context.Background()) })
	wg.Go(func() { b.Run(context.Background()) })
	t.Cleanup(func() { a.Close(); b.Close(); wg.Wait() })
	got := make(chan *connection.Channel, 1)
	go func() {
		nc, err := b.Accept(ctx)
		if err != nil {
			got <- nil
			return
		}
		ch, _ := nc.AcceptChannel(&connection.ChannelConfig{Datagram: true})
		got <- ch
	}()
	ca, err := a.OpenTun(ctx, wire.TunOpen{Mode: mode, Unit: wire.TunUnitAny})
	if err != nil {
		t.Fatal(err)
	}
	if cb = <-got; cb == nil {
		t.Fatal("accept failed")
	}
	return ca, cb
}

func ipv4(n int) []byte {
	p := make([]byte, n)
	p[0] = 0x45
	p[n-1] = 0xaa
	return p
}

func ipv6(n int) []byte {
	p := make([]byte, n)
	p[0] = 0x60
	p[n-1] = 0xbb
	return p
}

// TestRelayPointToPoint: packets from the device go out as one message
// each behind OpenSSH's address family header (OpenBSD numbers), and
// messages from the peer reach the device without it; short and
// unknown-family messages are dropped, not fatal.
func TestRelayPointToPoint(t *testing.T) {
	ca, cb := tunPair(t, wire.TunModePointToPoint)
	dev := newFakeDev()
	done := make(chan error, 1)
	go func() { done <- tun.Relay(context.Background(), cb, dev, wire.TunModePointToPoint, nil) }()

	dev.in <- ipv4(20)
	dev.in <- make([]byte, 19) // shorter than an IPv4 header: dropped
	dev.in <- ipv6(48)
	buf := make([]byte, 100)
	for _, want := range [][]byte{append([]byte{0, 0, 0, 2}, ipv4(20)...), append([]byte{0, 0, 0, 24}, ipv6(48)...)} {
		n, err := ca.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], want) {
			t.Fatalf("message %x, %v; want %x", buf[:n], err, want)
		}
	}
	for _, m := range [][]byte{{0, 0, 0, 2}, {0, 0, 0, 7, 0x45, 0, 0, 0}, append([]byte{0, 0, 0, 24}, ipv6(40)...)} {
		if _, err := ca.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case got := <-dev.out:
		if !bytes.Equal(got, ipv6(40)) {
			t.Errorf("device got %x, want %x", got, ipv6(40))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the device")
	}
	ca.Close() // the peer closes: Relay ends and closes the device
	if err := <-done; err != nil {
		t.Errorf("Relay: %v", err)
	}
	if _, err := dev.Read(buf); !errors.Is(err, os.ErrClosed) {
		t.Errorf("device not closed: %v", err)
	}
}

// TestRelayEthernet: frames pass unchanged both ways; ctx ends Relay.
func TestRelayEthernet(t *testing.T) {
	ca, cb := tunPair(t, wire.TunModeEthernet)
	dev := newFakeDev()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tun.Relay(ctx, cb, dev, wire.TunModeEthernet, nil) }()
	frame := []byte("\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x06arp")
	dev.in <- frame
	buf := make([]byte, 100)
	n, err := ca.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], frame) {
		t.Fatalf("frame %x, %v", buf[:n], err)
	}
	ca.Write(frame[:3])
	if got := <-dev.out; !bytes.Equal(got, frame[:3]) {
		t.Errorf("device got %x", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Relay: %v", err)
	}
}

// TestOpen opens real devices where this process may (root with
// /dev/net/tun) and checks OpenSSH's names and that Close removes them.
func TestOpen(t *testing.T) {
	if _, err := tun.Open(3, 0); !errors.Is(err, tun.ErrBadMode) {
		t.Errorf("mode 3: err = %v, want ErrBadMode", err)
	}
	if _, err := tun.Open(wire.TunModePointToPoint, tun.MaxUnit+2); err == nil {
		t.Error("unit past MaxUnit accepted")
	}
	for _, tt := range []struct {
		mode   uint32
		unit   uint32
		prefix string
	}{
		{wire.TunModePointToPoint, 7391, "tun7391"},
		{wire.TunModeEthernet, 7392, "tap7392"},
		{wire.TunModePointToPoint, wire.TunUnitAny, "tun"},
	} {
		d, err := tun.Open(tt.mode, tt.unit)
		if errors.Is(err, tun.ErrUnsupported) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			t.Skipf("no tun devices here: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		name := d.Name()
		if len(name) < len(tt.prefix) || name[:len(tt.prefix)] != tt.prefix {
			t.Errorf("name %q, want %s...", name, tt.prefix)
		}
		if _, err := os.Stat("/sys/class/net/" + name); err != nil {
			t.Errorf("interface missing while open: %v", err)
		}
		// A blocked Read returns at Close, with os.ErrClosed: the file is
		// in the runtime poller and was attached before it got there.
		read := make(chan error, 1)
		go func() {
			_, err := d.Read(make([]byte, 2048))
			read <- err
		}()
		d.Close()
		if err := <-read; !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read on %s: %v, want os.ErrClosed", name, err)
		}
		if _, err := os.Stat("/sys/class/net/" + name); err == nil {
			t.Errorf("interface %s still there after Close", name)
		}
	}
}

// BenchmarkRelay moves 1400-byte point-to-point packets from a device
// through Relay and a tun channel to the peer's Read, the path every
// packet of ssh -w takes.
func BenchmarkRelay(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ta, tb := wiretest.Pipe()
	a, c := connection.New(ta, nil), connection.New(tb, nil)
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(context.Background()) })
	wg.Go(func() { c.Run(context.Background()) })
	defer func() { a.Close(); c.Close(); wg.Wait() }()
	got := make(chan *connection.Channel, 1)
	go func() {
		nc, err := c.Accept(ctx)
		if err != nil {
			got <- nil
			return
		}
		ch, _ := nc.AcceptChannel(&connection.ChannelConfig{Datagram: true})
		got <- ch
	}()
	ca, err := a.OpenTun(ctx, wire.TunOpen{Mode: wire.TunModePointToPoint, Unit: wire.TunUnitAny})
	if err != nil {
		b.Fatal(err)
	}
	cb := <-got
	dev := newFakeDev()
	done := make(chan error, 1)
	go func() { done <- tun.Relay(ctx, cb, dev, wire.TunModePointToPoint, nil) }()
	pkt := ipv4(1400)
	buf := make([]byte, 2048)
	go func() {
		for i := 0; i < b.N; i++ {
			select {
			case dev.in <- pkt:
			case <-ctx.Done():
				return
			}
		}
	}()
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ca.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cancel()
	<-done
}
