package connection

import (
	"bytes"
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// splitTransport is a transport that takes split writes (as
// kex.Transport does) and counts them.
type splitTransport struct {
	*wiretest.Transport
	splits atomic.Int32
}

func (t *splitTransport) WritePacketSplit(head, data []byte) error {
	t.splits.Add(1)
	return t.Transport.WritePacket(append(append([]byte(nil), head...), data...))
}

var _ wire.SplitWriter = (*splitTransport)(nil)

// TestChannelWriteSplit: channel data goes to a wire.SplitWriter as the
// message header and the caller's bytes, never joined by the channel;
// what arrives is the data written, data and stderr alike.
func TestChannelWriteSplit(t *testing.T) {
	ta, tb := wiretest.Pipe()
	st := &splitTransport{Transport: ta}
	a, b := start(t, New(st, nil)), start(t, New(tb, nil))
	ca, cb := openPair(t, a, b, "session", nil, nil, nil)
	want := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	go func() {
		ca.Write(want)
		ca.Stderr().Write([]byte("err"))
		ca.CloseWrite()
	}()
	got := make([]byte, len(want))
	if _, err := readFull(cb, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %v; data differs: %v", err, !bytes.Equal(got, want))
	}
	e := make([]byte, 3)
	if _, err := readFull(cb.Stderr(), e); err != nil || string(e) != "err" {
		t.Fatalf("stderr %q, %v", e, err)
	}
	if n := st.splits.Load(); n < 3 {
		t.Errorf("%d split writes for %d bytes of data and stderr", n, len(want)+3)
	}
}

func readFull(r interface{ Read([]byte) (int, error) }, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// batchTransport takes batched writes (as kex.Transport does) and
// records the size of each batch.
type batchTransport struct {
	splitTransport
	mu      sync.Mutex
	batches [][]int // the data length of each packet of each batch
}

func (t *batchTransport) WritePacketsSplit(heads, datas [][]byte) error {
	var sizes []int
	for i := range heads {
		sizes = append(sizes, len(datas[i]))
		if err := t.Transport.WritePacket(append(append([]byte(nil), heads[i]...), datas[i]...)); err != nil {
			return err
		}
	}
	t.mu.Lock()
	t.batches = append(t.batches, sizes)
	t.mu.Unlock()
	return nil
}

var _ wire.BatchWriter = (*batchTransport)(nil)

// TestChannelWriteBatches: a write of many packets' worth goes to a
// wire.BatchWriter as batches of at most maxBatchPackets packets of at
// most the peer's maximum packet size, each within the window the peer
// gave; stderr is batched too, and what arrives is what was written.
func TestChannelWriteBatches(t *testing.T) {
	ta, tb := wiretest.Pipe()
	bt := &batchTransport{splitTransport: splitTransport{Transport: ta}}
	const maxPacket = 16 << 10
	a := start(t, New(bt, nil))
	b := start(t, New(tb, &Config{MaxPacket: maxPacket}))
	ca, cb := openPair(t, a, b, "session", nil, nil, nil)
	want := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 625 KiB
	errc := make(chan error, 1)
	go func() {
		if _, err := ca.Write(want); err != nil {
			errc <- err
			return
		}
		_, err := ca.Stderr().Write(want[:100000])
		errc <- err
	}()
	got := make([]byte, len(want))
	if _, err := readFull(cb, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %v; data differs: %v", err, !bytes.Equal(got, want))
	}
	e := make([]byte, 100000)
	if _, err := readFull(cb.Stderr(), e); err != nil || !bytes.Equal(e, want[:100000]) {
		t.Fatalf("stderr: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	bt.mu.Lock()
	defer bt.mu.Unlock()
	total, full := 0, 0
	for _, sizes := range bt.batches {
		if len(sizes) > maxBatchPackets {
			t.Errorf("a batch of %d packets, want at most %d", len(sizes), maxBatchPackets)
		}
		if len(sizes) == maxBatchPackets {
			full++
		}
		for _, n := range sizes {
			if n > maxPacket {
				t.Errorf("a packet of %d data bytes, peer's maximum packet %d", n, maxPacket)
			}
			total += n
		}
	}
	if total != len(want)+100000 {
		t.Errorf("batches carried %d bytes, want %d", total, len(want)+100000)
	}
	if full == 0 {
		t.Errorf("no full batch among %v", bt.batches)
	}
}

// scratchTransport takes in-place batches (as kex.Transport does), checks
// the room the channel leaves around the data, and scribbles where the
// contract lets it: over everything before each packet's data, and over
// the bytes after it, put back before returning.
type scratchTransport struct {
	batchTransport
	t       *testing.T
	batches atomic.Int32
}

func (t *scratchTransport) WritePacketsScratch(heads [][]byte, buf []byte, offs []int) error {
	t.batches.Add(1)
	if offs[0] < wire.ScratchRoom || len(buf)-offs[len(offs)-1] < wire.ScratchRoom {
		t.t.Errorf("room %d before and %d after the data, want %d", offs[0], len(buf)-offs[len(offs)-1], wire.ScratchRoom)
	}
	for i := range heads {
		end := offs[i+1]
		tail := append([]byte(nil), buf[end:min(end+wire.ScratchRoom, len(buf))]...)
		clear(buf[end:min(end+wire.ScratchRoom, len(buf))])
		err := t.Transport.WritePacket(append(append([]byte(nil), heads[i]...), buf[offs[i]:end]...))
		copy(buf[end:], tail)
		clear(buf[:offs[i]])
		if err != nil {
			return err
		}
	}
	return nil
}

var _ wire.ScratchWriter = (*scratchTransport)(nil)

// TestReadFromScratch: ReadFrom hands what it reads to a
// wire.ScratchWriter in its own buffer, with wire.ScratchRoom around the
// data, window by window and packet by packet within the peer's maximum
// packet; a transport that scribbles around each packet's data as the
// contract allows changes nothing that arrives. Write still copies.
func TestReadFromScratch(t *testing.T) {
	ta, tb := wiretest.Pipe()
	st := &scratchTransport{batchTransport: batchTransport{splitTransport: splitTransport{Transport: ta}}, t: t}
	a := start(t, New(st, nil))
	b := start(t, New(tb, &Config{MaxPacket: 16 << 10}))
	ca, cb := openPair(t, a, b, "session", nil, nil, nil)
	want := make([]byte, 3<<20+12345)
	for i := range want {
		want[i] = byte(i * 31 >> 3)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := ca.ReadFrom(bytes.NewReader(want))
		errc <- err
	}()
	got := make([]byte, len(want))
	if _, err := readFull(cb, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %v; data differs: %v", err, !bytes.Equal(got, want))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if st.batches.Load() == 0 {
		t.Error("ReadFrom did not use WritePacketsScratch")
	}
	n := st.batches.Load()
	go ca.Write(want[:100000])
	if _, err := readFull(cb, got[:100000]); err != nil || !bytes.Equal(got[:100000], want[:100000]) {
		t.Fatalf("Write: %v", err)
	}
	if st.batches.Load() != n {
		t.Error("Write used WritePacketsScratch on the caller's bytes")
	}
}

// TestExitAndClose: ExitAndClose hands a wire.BatchWriter "exit-status",
// CHANNEL_EOF and CHANNEL_CLOSE in one batch, and the peer sees the
// status, the end of the data and the close; on a channel closed already
// it sends nothing. Without EOF (already sent) the batch is two packets.
func TestExitAndClose(t *testing.T) {
	for _, eofFirst := range []bool{false, true} {
		ta, tb := wiretest.Pipe()
		bt := &batchTransport{splitTransport: splitTransport{Transport: ta}}
		a, b := start(t, New(bt, nil)), start(t, New(tb, nil))
		ca, cb := openPair(t, a, b, "session", nil, nil, nil)
		want := 2
		if eofFirst {
			if err := ca.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			want = 1
		}
		bt.mu.Lock()
		before := len(bt.batches)
		bt.mu.Unlock()
		if err := ca.ExitAndClose(42); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := cb.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("eofFirst %v: read %v, want io.EOF", eofFirst, err)
		}
		cb.Close()
		if err := cb.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if st, ok := cb.ExitStatus(); !ok || st != 42 {
			t.Errorf("eofFirst %v: exit status %d, %v; want 42", eofFirst, st, ok)
		}
		bt.mu.Lock()
		got := bt.batches[before:]
		bt.mu.Unlock()
		if len(got) != 1 || len(got[0]) != want+1 {
			t.Errorf("eofFirst %v: batches %v, want one of %d packets", eofFirst, got, want+1)
		}
		if err := ca.ExitAndClose(1); err != nil {
			t.Errorf("ExitAndClose on a closed channel: %v", err)
		}
		bt.mu.Lock()
		if n := len(bt.batches); n != before+1 {
			t.Errorf("eofFirst %v: %d batches after a second ExitAndClose, want %d", eofFirst, n, before+1)
		}
		bt.mu.Unlock()
	}
}
