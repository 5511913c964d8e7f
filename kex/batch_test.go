package kex_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// batchOf returns n CHANNEL_DATA packets of size bytes as heads and
// datas for WritePacketsSplit, and the whole payloads they stand for.
func batchOf(first, n, size int) (heads, datas, whole [][]byte) {
	for i := first; i < first+n; i++ {
		p := channelData(i, size)
		heads, datas, whole = append(heads, p[:9]), append(datas, p[9:]), append(whole, p)
	}
	return heads, datas, whole
}

// TestWritePacketsSplitOneWrite: a batch of eight 32 KiB channel packets
// reaches the network in one write (where WritePacketSplit makes eight)
// and arrives whole and in order.
func TestWritePacketsSplitOneWrite(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s, cc, _ := countedPair(t, ccfg, scfg)
	defer c.Close()
	defer s.Close()

	heads, datas, whole := batchOf(0, 8, 32<<10)
	before := cc.writes.Load()
	errc := make(chan error, 1)
	go func() { errc <- c.WritePacketsSplit(heads, datas) }()
	for i, want := range whole {
		p, err := s.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(p, want) {
			t.Fatalf("packet %d differs", i)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := cc.writes.Load() - before; n != 1 {
		t.Errorf("a batch of 8 packets took %d writes, want 1", n)
	}
}

// TestWritePacketsSplitAcrossRekey: batches that use up the keys start a
// key exchange among their packets; the rest of the batch waits for it
// (queued, then sent under the new keys) and every packet arrives in
// order, while the receiver's side answers the exchange.
func TestWritePacketsSplitAcrossRekey(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.RekeyBytes = 100 << 10  // about every third 32 KiB packet
	var exchanges countingWriter // the key log gets one write per exchange
	ccfg.KeyLog = &exchanges
	c, s := pair(t, ccfg, scfg)
	defer c.Close()
	defer s.Close()
	const batches = 12
	errc := make(chan error, 1)
	go func() {
		for i := range batches {
			heads, datas, _ := batchOf(8*i, 8, 32<<10)
			if err := c.WritePacketsSplit(heads, datas); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range 8 * batches {
		p, err := s.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(p, channelData(i, 32<<10)) {
			t.Fatalf("packet %d differs", i)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// The initial exchange and at least two rekeys among the batches
	// (more are not asked for while one runs: writes queue meanwhile).
	if got := exchanges.n(); got < 3 {
		t.Errorf("the key log saw %d key exchanges for %d MiB at a 100 KiB limit, want at least 3", got, 8*batches*32>>10)
	}
}

// countingWriter counts its writes.
type countingWriter struct {
	mu     sync.Mutex
	writes int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	return len(b), nil
}

func (w *countingWriter) n() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// TestWritePacketsSplitRefusesKex: a batch may carry no key exchange
// message, and heads and datas must pair up.
func TestWritePacketsSplitRefusesKex(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	defer c.Close()
	defer s.Close()
	if err := c.WritePacketsSplit([][]byte{{byte(wire.MsgKexInit)}}, [][]byte{nil}); err == nil {
		t.Error("a KEXINIT in a batch was written")
	}
	if err := c.WritePacketsSplit([][]byte{{byte(wire.MsgIgnore)}}, nil); err == nil {
		t.Error("a batch with no data slices was written")
	}
}

// BenchmarkWritePacketsSplit measures a batch of eight 32 KiB channel
// packets against the same eight written one by one, over loopback TCP,
// where the batch saves seven system calls and wake-ups; neither
// allocates.
func BenchmarkWritePacketsSplit(b *testing.B) {
	for _, batched := range []bool{false, true} {
		name := map[bool]string{false: "one-by-one", true: "batch"}[batched]
		b.Run(name, func(b *testing.B) {
			ccfg, scfg := configs(b, kex.Curve25519SHA256)
			c, s := tcpPair(b, ccfg, scfg)
			defer c.Close()
			defer s.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, err := s.ReadPacket(); err != nil {
						return
					}
				}
			}()
			heads, datas, _ := batchOf(0, 8, 32<<10)
			b.SetBytes(8 * 32 << 10)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if batched {
					err = c.WritePacketsSplit(heads, datas)
				} else {
					for i := range heads {
						if err = c.WritePacketSplit(heads[i], datas[i]); err != nil {
							break
						}
					}
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			c.Close()
			<-done
		})
	}
}

// tcpPair is pair over a loopback TCP connection.
func tcpPair(tb testing.TB, ccfg, scfg *kex.Config) (c, s *kex.Transport) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() {
		nc, err := l.Accept()
		if err != nil {
			serr = err
			return
		}
		s, serr = kex.ServerHandshake(ctx, packet.NewConn(nc, &packet.Config{Server: true}), scfg)
	})
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		tb.Fatalf("client: %v; server: %v", cerr, serr)
	}
	return c, s
}

// scratchOf lays n CHANNEL_DATA packets of size bytes out for
// WritePacketsScratch: their data one after another in a buffer with
// wire.ScratchRoom bytes before and after.
func scratchOf(first, n, size int) (heads [][]byte, buf []byte, offs []int) {
	buf = make([]byte, wire.ScratchRoom, wire.ScratchRoom+n*(size-9)+wire.ScratchRoom)
	offs = []int{wire.ScratchRoom}
	for i := first; i < first+n; i++ {
		p := channelData(i, size)
		heads = append(heads, p[:9])
		buf = append(buf, p[9:]...)
		offs = append(offs, len(buf))
	}
	return heads, buf[:cap(buf)], offs
}

// TestWritePacketsScratch: batches written from one buffer each, under
// aes128-gcm (sealed where the data lies) and chacha20-poly1305
// (copied), in one write when no exchange intervenes, and across rekeys
// that cut batches short (the rest queued, copied); every packet arrives
// whole and in order, and the room after the last slice is as it was.
func TestWritePacketsScratch(t *testing.T) {
	for _, ciph := range []string{"aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"} {
		for _, rekey := range []uint64{0, 100 << 10} {
			ccfg, scfg := configs(t, kex.Curve25519SHA256)
			ccfg.Ciphers, scfg.Ciphers = []string{ciph}, []string{ciph}
			if rekey > 0 {
				ccfg.RekeyBytes = rekey
			}
			c, s, cc, _ := countedPair(t, ccfg, scfg)
			const batches = 6
			errc := make(chan error, 1)
			go func() {
				for i := range batches {
					heads, buf, offs := scratchOf(8*i, 8, 32<<10)
					before := cc.writes.Load()
					if err := c.WritePacketsScratch(heads, buf, offs); err != nil {
						errc <- err
						return
					}
					if n := cc.writes.Load() - before; rekey == 0 && n != 1 {
						t.Errorf("%s: a batch of 8 took %d writes, want 1", ciph, n)
					}
					if rest := buf[offs[8]:]; len(rest) < wire.ScratchRoom || !bytes.Equal(rest, make([]byte, len(rest))) {
						t.Errorf("%s rekey %d: the room after the last slice changed", ciph, rekey)
					}
				}
				errc <- nil
			}()
			for i := range 8 * batches {
				p, err := s.ReadPacket()
				if err != nil {
					t.Fatalf("%s, rekey %d: packet %d: %v", ciph, rekey, i, err)
				}
				if !bytes.Equal(p, channelData(i, 32<<10)) {
					t.Fatalf("%s, rekey %d: packet %d differs", ciph, rekey, i)
				}
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			c.Close()
			s.Close()
		}
	}
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	defer c.Close()
	defer s.Close()
	if err := c.WritePacketsScratch([][]byte{{byte(wire.MsgIgnore)}}, make([]byte, 10), []int{5, 11}); err == nil {
		t.Error("a slice past the buffer was written")
	}
}
