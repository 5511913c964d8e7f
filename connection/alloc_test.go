package connection

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// chanTransport is a Transport double that does not allocate: ReadPacket
// returns the payloads sent on in (which the test reuses), WritePacket
// counts and discards.
type chanTransport struct {
	in      chan []byte
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	written int // guarded by mu
}

func newChanTransport() *chanTransport {
	return &chanTransport{in: make(chan []byte), done: make(chan struct{})}
}

func (t *chanTransport) ReadPacket() ([]byte, error) {
	select {
	case p := <-t.in:
		return p, nil
	case <-t.done:
		return nil, net.ErrClosed
	}
}

func (t *chanTransport) WritePacket(p []byte) error {
	select {
	case <-t.done:
		return net.ErrClosed
	default:
	}
	t.mu.Lock()
	t.written++
	t.mu.Unlock()
	return nil
}

func (t *chanTransport) SessionID() []byte { return nil }
func (t *chanTransport) Close() error      { t.once.Do(func() { close(t.done) }); return nil }

var _ wire.Transport = (*chanTransport)(nil)

// runDouble runs a Conn over a chanTransport and returns a channel the
// peer opened with the given window.
func runDouble(t testing.TB, window uint32) (*chanTransport, *Channel) {
	tr := newChanTransport()
	c := New(tr, &Config{Window: 1 << 20})
	go c.Run(context.Background())
	t.Cleanup(func() { c.Close() })
	tr.in <- (&wire.ChannelOpen{Type: "session", Sender: 5, InitialWindow: window, MaxPacket: 32 << 10}).Append(nil)
	nc, err := c.Accept(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := nc.Accept(nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr, ch
}

// TestZeroAllocsReceive: one CHANNEL_DATA packet through the Run loop
// (ReadPacket, parse, window check, buffer) and the Read that drains it,
// including the WINDOW_ADJUST sent every half window, allocates nothing
// in steady state.
func TestZeroAllocsReceive(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	tr, ch := runDouble(t, 1<<20)
	pkt := (&wire.ChannelData{Recipient: ch.LocalID(), Data: make([]byte, 32<<10)}).Append(nil)
	buf := make([]byte, 32<<10)
	n := testing.AllocsPerRun(1000, func() {
		tr.in <- pkt
		if _, err := io.ReadFull(ch, buf); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("receive path: %v allocs per CHANNEL_DATA, want 0", n)
	}
	tr.mu.Lock()
	adjusts := tr.written
	tr.mu.Unlock()
	if adjusts < 2 {
		t.Errorf("only %d packets written: WINDOW_ADJUST not exercised", adjusts)
	}
}

// TestZeroAllocsSend: Write of one maximum-size packet allocates nothing
// in steady state.
func TestZeroAllocsSend(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	_, ch := runDouble(t, 1<<32-1)
	buf := make([]byte, 32<<10)
	n := testing.AllocsPerRun(1000, func() {
		if _, err := ch.Write(buf); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("send path: %v allocs per CHANNEL_DATA, want 0", n)
	}
	n = testing.AllocsPerRun(1000, func() {
		if _, err := ch.Stderr().Write(buf[:1000]); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("stderr send path: %v allocs per packet, want 0", n)
	}
}

// BenchmarkReceive measures the receive path over the allocation-free
// double: Run loop, window check, buffer, Read.
func BenchmarkReceive(b *testing.B) {
	tr, ch := runDouble(b, 1<<20)
	pkt := (&wire.ChannelData{Recipient: ch.LocalID(), Data: make([]byte, 32<<10)}).Append(nil)
	buf := make([]byte, 32<<10)
	b.SetBytes(32 << 10)
	b.ReportAllocs()
	for b.Loop() {
		tr.in <- pkt
		if _, err := io.ReadFull(ch, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend measures the send path over the allocation-free double.
func BenchmarkSend(b *testing.B) {
	tr, ch := runDouble(b, 1<<31)
	buf := make([]byte, 32<<10)
	adjust := (&wire.ChannelWindowAdjust{Recipient: ch.LocalID(), Bytes: 1 << 30}).Append(nil)
	b.SetBytes(32 << 10)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ch.Write(buf); err != nil {
			b.Fatal(err)
		}
		if i++; i%(1<<15) == 0 { // 1 GiB sent: give it back
			tr.in <- adjust
		}
	}
}

// BenchmarkBulk measures bulk transfer through 1 and 8 channels between
// two Conns over an in-memory wiretest pair (which copies each packet),
// with the default window and maximum packet. MB/s is the total over all
// channels.
func BenchmarkBulk(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(map[int]string{1: "1ch", 8: "8ch"}[n], func(b *testing.B) {
			a, c := pair(b, nil, nil)
			chans := make([][2]*Channel, n)
			for i := range chans {
				ca, cb := openPair(b, a, c, wire.ChannelTypeSession, nil, nil, nil)
				chans[i] = [2]*Channel{ca, cb}
			}
			const chunk = 32 << 10
			buf := make([]byte, chunk)
			b.SetBytes(int64(chunk * n))
			b.ReportAllocs()
			var wg sync.WaitGroup
			iters := b.N
			b.ResetTimer()
			for _, p := range chans {
				wg.Go(func() {
					for range iters {
						if _, err := p[0].Write(buf); err != nil {
							b.Error(err)
							return
						}
					}
					p[0].CloseWrite()
				})
				wg.Go(func() {
					if _, err := io.Copy(io.Discard, p[1]); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// BenchmarkChannelData measures one channel's data path between two
// Conns over an in-memory wiretest pair, with the default window and
// maximum packet: 32 KiB Writes on one end, 32 KiB Reads on the other.
// "open-to-accept" sends from the end that opened the channel (a
// client's session stdin), "accept-to-open" from the other (its stdout),
// "both" in both directions at once (MB/s is the sum).
func BenchmarkChannelData(b *testing.B) {
	const chunk = 32 << 10
	for _, dir := range []string{"open-to-accept", "accept-to-open", "both"} {
		b.Run(dir, func(b *testing.B) {
			a, c := pair(b, nil, nil)
			opener, acceptor := openPair(b, a, c, wire.ChannelTypeSession, nil, nil, nil)
			flows := map[string][][2]*Channel{
				"open-to-accept": {{opener, acceptor}},
				"accept-to-open": {{acceptor, opener}},
				"both":           {{opener, acceptor}, {acceptor, opener}},
			}[dir]
			b.SetBytes(int64(chunk * len(flows)))
			b.ReportAllocs()
			iters := b.N
			var wg sync.WaitGroup
			b.ResetTimer()
			for _, f := range flows {
				wg.Go(func() {
					buf := make([]byte, chunk)
					for range iters {
						if _, err := f[0].Write(buf); err != nil {
							b.Error(err)
							return
						}
					}
					f[0].CloseWrite()
				})
				wg.Go(func() {
					buf := make([]byte, chunk)
					for {
						_, err := f[1].Read(buf)
						if err == io.EOF {
							return
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
