package wiretest_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPipeOrderAndCopy(t *testing.T) {
	a, b := wiretest.Pipe()
	defer a.Close()
	msg := (&wire.ChannelData{Recipient: 1, Data: []byte("x")}).Append(nil)
	for i := 0; i < 3; i++ {
		msg[len(msg)-1] = byte('0' + i)
		if err := a.WritePacket(msg); err != nil {
			t.Fatal(err)
		}
	}
	msg[len(msg)-1] = 'z' // the pipe must have copied
	for i := 0; i < 3; i++ {
		p, err := b.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		m, err := wire.ParseChannelData(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := string(rune('0' + i)); string(m.Data) != want {
			t.Errorf("payload %d = %q, want %q", i, m.Data, want)
		}
	}
	// The other direction is independent.
	if err := b.WritePacket([]byte{byte(wire.MsgIgnore), 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if p, err := a.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgIgnore {
		t.Fatalf("a.ReadPacket = %x, %v", p, err)
	}
}

// TestPipeFullBlocks: a write to a full queue blocks until Close, and
// returns net.ErrClosed; it can never succeed since nobody reads.
func TestPipeFullBlocks(t *testing.T) {
	a, b := wiretest.PipeSize(4)
	for i := 0; i < 4; i++ {
		if err := a.WritePacket([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	errc := make(chan error)
	go func() { errc <- a.WritePacket([]byte{9}) }()
	b.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("blocked write: err = %v, want net.ErrClosed", err)
	}
}

// TestPipeFullThenRead: a write to a full queue completes once the peer
// reads.
func TestPipeFullThenRead(t *testing.T) {
	a, b := wiretest.PipeSize(1)
	defer a.Close()
	if err := a.WritePacket([]byte{1}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() { errc <- a.WritePacket([]byte{2}) }()
	for want := byte(1); want <= 2; want++ {
		p, err := b.ReadPacket()
		if err != nil || p[0] != want {
			t.Fatalf("ReadPacket = %x, %v; want %d", p, err, want)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestPipeCloseUnblocksRead(t *testing.T) {
	for _, closer := range []string{"reader", "writer"} {
		t.Run(closer, func(t *testing.T) {
			a, b := wiretest.Pipe()
			errc := make(chan error)
			go func() {
				_, err := b.ReadPacket()
				errc <- err
			}()
			if closer == "reader" {
				b.Close()
			} else {
				a.Close()
			}
			if err := <-errc; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("err = %v, want net.ErrClosed", err)
			}
		})
	}
}

// TestPipeDrainAfterPeerClose: what the peer wrote before closing is
// still read (a DISCONNECT followed by Close arrives), then ErrClosed.
func TestPipeDrainAfterPeerClose(t *testing.T) {
	a, b := wiretest.Pipe()
	disc := (&wire.Disconnect{Reason: wire.ByApplication}).Append(nil)
	if err := a.WritePacket(disc); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if p, err := b.ReadPacket(); err != nil || !bytes.Equal(p, disc) {
		t.Fatalf("ReadPacket = %x, %v", p, err)
	}
	if _, err := b.ReadPacket(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after drain: %v", err)
	}
	if err := b.WritePacket(disc); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write to closed pipe: %v", err)
	}
	if _, err := a.ReadPacket(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read on closed end: %v", err)
	}
	if err := a.WritePacket(disc); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write on closed end: %v", err)
	}
}

// TestPipeOwnCloseDropsQueue: after closing its own end, a reader gets
// ErrClosed even if payloads are queued.
func TestPipeOwnCloseDropsQueue(t *testing.T) {
	a, b := wiretest.Pipe()
	if err := a.WritePacket([]byte{1}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := b.ReadPacket(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("err = %v, want net.ErrClosed", err)
	}
}

func TestPipeSessionID(t *testing.T) {
	a, b := wiretest.Pipe()
	defer a.Close()
	if a.SessionID() != nil {
		t.Error("SessionID before SetSessionID is not nil")
	}
	id := []byte{1, 2, 3}
	a.SetSessionID(id)
	b.SetSessionID(id)
	id[0] = 9
	if !bytes.Equal(a.SessionID(), []byte{1, 2, 3}) || !bytes.Equal(b.SessionID(), []byte{1, 2, 3}) {
		t.Errorf("SessionID = %x, %x", a.SessionID(), b.SessionID())
	}
}

// TestPipeConcurrent runs both directions at once under -race.
func TestPipeConcurrent(t *testing.T) {
	const n = 2000
	a, b := wiretest.PipeSize(8)
	var wg sync.WaitGroup
	for _, ends := range [][2]*wiretest.Transport{{a, b}, {b, a}} {
		w, r := ends[0], ends[1]
		wg.Go(func() {
			for i := 0; i < n; i++ {
				if err := w.WritePacket([]byte(fmt.Sprint(i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := 0; i < n; i++ {
				p, err := r.ReadPacket()
				if err != nil {
					t.Error(err)
					return
				}
				if string(p) != fmt.Sprint(i) {
					t.Errorf("got %q, want %d", p, i)
					return
				}
			}
		})
	}
	wg.Wait()
	a.Close()
}

func BenchmarkPipe(b *testing.B) {
	x, y := wiretest.Pipe()
	defer x.Close()
	p := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if err := x.WritePacket(p); err != nil {
			b.Fatal(err)
		}
		if _, err := y.ReadPacket(); err != nil {
			b.Fatal(err)
		}
	}
}
