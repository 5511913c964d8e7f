package packet_test

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// TestConcurrentWriters checks that writes from several goroutines are
// serialised whole (run under -race), with the counters consistent.
func TestConcurrentWriters(t *testing.T) {
	c, s := packettest.NewPair(t, cipher.AES128GCM, "")
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				p := bytes.Repeat([]byte{byte(w)}, 1+i*7%3000)
				p[0] = 94
				if err := c.WritePacket(p); err != nil {
					t.Error(err)
					return
				}
				_ = c.WriteCounters()
			}
		})
	}
	for i := range writers * each {
		p, err := s.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if len(p) > 1 && bytes.Count(p[1:], p[1:2]) != len(p)-1 {
			t.Fatalf("packet %d interleaved", i)
		}
	}
	wg.Wait()
	if c.WriteCounters().Packets != writers*each || s.ReadCounters() != c.WriteCounters() {
		t.Errorf("counters %+v %+v", c.WriteCounters(), s.ReadCounters())
	}
}

// TestCloseUnblocksRead checks that Close from another goroutine ends a
// blocked ReadPacket with an error wrapping net.ErrClosed.
func TestCloseUnblocksRead(t *testing.T) {
	c, _ := packettest.NewPair(t, cipher.ChaCha20Poly1305, "")
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadPacket()
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadPacket after Close: %v", err)
	}
	if err := c.WritePacket([]byte{2}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("WritePacket after Close: %v", err)
	}
}

// TestHostileLengthMemory measures the heap allocated by a new Conn that
// reads a 100 MB length claim (docs/security.md#p1, #r3): at most 64 KiB.
// Requirement: 4253-6.1-length-check
func TestHostileLengthMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation sizes need a build without -race")
	}
	for _, s := range oneSuitePerMode() {
		k := mustKeys(t, s, "memory")
		input := newRawSealer(t, k).seal(validBody(k, []byte{94}), 100<<20)
		if s.cipher == cipher.ChaCha20Poly1305 {
			input = chachaLength(t, k, 100<<20)
		}
		a, b := packettest.Pipe()
		b.Write(input)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := packet.NewConn(a, nil)
		if err := c.SetReadKeys(k); err != nil {
			t.Fatal(err)
		}
		_, err := c.ReadPacket()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, packet.ErrLength) {
			t.Fatalf("%v: %v", s, err)
		}
		n := after.TotalAlloc - before.TotalAlloc
		t.Logf("%v: %d bytes allocated", s, n)
		if n > 64<<10 {
			t.Errorf("%v: %d bytes allocated for a rejected 100 MB claim", s, n)
		}
		c.Close()
		b.Close()
	}
}

// TestReaderNeverWaitsForWriter blocks a write on a synchronous net.Pipe
// whose peer does not read, then switches read keys and enables delayed
// compression from the reading side: neither may wait for the write.
func TestReaderNeverWaitsForWriter(t *testing.T) {
	a, b := net.Pipe()
	c := packet.NewConn(a, nil)
	writing := make(chan error, 1)
	go func() { writing <- c.WritePacket(make([]byte, 1000)) }()
	time.Sleep(10 * time.Millisecond) // the write is now blocked in net.Pipe
	done := make(chan error, 1)
	go func() {
		k := mustKeys(t, suite{cipher.AES128GCM, ""}, "x")
		k.Compression = packet.CompressionDelayed
		err := c.SetReadKeys(k)
		c.EnableDelayedCompression()
		c.ResetReadSeq()
		_ = c.ReadSeq()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading side waited for the blocked write")
	}
	c.Close()
	b.Close()
	if err := <-writing; err == nil {
		t.Fatal("blocked write succeeded after Close")
	}
}
