package connection

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// slowWriter takes at most n bytes per Write, so WriteTo consumes the
// ring in small steps while the Run goroutine keeps appending to it.
type slowWriter struct {
	bytes.Buffer
	n, writes int
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.writes++
	if len(p) > w.n {
		// A short write without an error breaks io.Writer's
		// contract, but WriteTo must still consume exactly what was
		// taken and offer the rest again.
		w.Buffer.Write(p[:w.n])
		return w.n, nil
	}
	return w.Buffer.Write(p)
}

// TestCopyThroughWriteToReadFrom: io.Copy into a Channel goes through
// ReadFrom and out of one through WriteTo; the bytes arrive intact and in
// order across a small window whose ring wraps many times, and the
// receive buffer stays within the window.
func TestCopyThroughWriteToReadFrom(t *testing.T) {
	const window, maxPacket = 48 << 10, 8 << 10
	cfg := &Config{Window: window, MaxPacket: maxPacket}
	a, b := pair(t, cfg, cfg)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	payload := make([]byte, 3<<20+12345)
	rand.Read(payload)
	errc := make(chan error, 1)
	go func() {
		n, err := io.Copy(ca, io.MultiReader(bytes.NewReader(payload))) // ReadFrom
		if err == nil && n != int64(len(payload)) {
			err = errors.New("short ReadFrom")
		}
		if err == nil {
			err = ca.CloseWrite()
		}
		errc <- err
	}()
	var got bytes.Buffer
	n, err := io.Copy(&got, cb) // WriteTo
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n != int64(len(payload)) || !bytes.Equal(got.Bytes(), payload) {
		t.Fatalf("copied %d of %d bytes, equal %v", n, len(payload), bytes.Equal(got.Bytes(), payload))
	}
	cb.mu.Lock()
	capacity := len(cb.out.buf.b)
	cb.mu.Unlock()
	if capacity > window {
		t.Errorf("receive buffer grew to %d bytes, window %d", capacity, window)
	}
}

// TestWriteToPartialWrites: WriteTo consumes exactly what its writer
// took, so a writer taking a few bytes at a time still gets every byte
// once, and the window keeps being returned.
func TestWriteToPartialWrites(t *testing.T) {
	const window = 32 << 10
	cfg := &Config{Window: window, MaxPacket: 4 << 10}
	a, b := pair(t, cfg, cfg)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	payload := make([]byte, 300<<10)
	rand.Read(payload)
	go func() {
		ca.Write(payload)
		ca.CloseWrite()
	}()
	w := &slowWriter{n: 1000}
	n, err := cb.WriteTo(w)
	if err != nil || n != int64(len(payload)) || !bytes.Equal(w.Bytes(), payload) {
		t.Fatalf("WriteTo: %d of %d bytes, %v, equal %v", n, len(payload), err, bytes.Equal(w.Bytes(), payload))
	}
	if w.writes < len(payload)/1000 {
		t.Errorf("%d writes for %d bytes of at most 1000", w.writes, len(payload))
	}
}

// errWriter fails every write.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// TestWriteToErrors: a failing writer's error comes back; after Close,
// WriteTo returns ErrChannelClosed.
func TestWriteToErrors(t *testing.T) {
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	if _, err := ca.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := cb.WriteTo(errWriter{boom}); !errors.Is(err, boom) {
		t.Fatalf("WriteTo into a failing writer: %v", err)
	}
	cb.Close()
	if _, err := cb.WriteTo(io.Discard); !errors.Is(err, ErrChannelClosed) {
		t.Fatalf("WriteTo after Close: %v", err)
	}
}
