package connection

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestWriteToPipeDirect: WriteTo into a pipe (non-blocking, as os.Pipe
// makes it) takes data straight from the packets while it waits, and
// falls back to its buffer when the pipe is full, in order: 8 MiB arrive
// intact through a reader that stalls at first and then reads in odd
// sizes, and WriteTo counts every byte.
func TestWriteToPipeDirect(t *testing.T) {
	var direct atomic.Int64
	sinkHook = func(n int) { direct.Add(int64(n)) }
	t.Cleanup(func() { sinkHook = nil })
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, "test", nil, nil, nil)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := cb.WriteTo(pw)
		pw.Close()
		done <- result{n, err}
	}()
	want := make([]byte, 8<<20)
	for i := range want {
		want[i] = byte(i * 7 / 5)
	}
	go func() {
		for off := 0; off < len(want); {
			k := min(len(want)-off, 1+off%70000)
			if _, err := ca.Write(want[off : off+k]); err != nil {
				t.Error(err)
				return
			}
			off += k
		}
		ca.CloseWrite()
	}()
	time.Sleep(50 * time.Millisecond) // the pipe fills: writes fall back to the buffer
	var got bytes.Buffer
	buf := make([]byte, 12345)
	for {
		n, err := pr.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	r := <-done
	if r.err != nil || r.n != int64(len(want)) {
		t.Fatalf("WriteTo: %d, %v; want %d, nil", r.n, r.err, len(want))
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("pipe got %d bytes, not what was sent", got.Len())
	}
	if direct.Load() == 0 {
		t.Error("no data went to the pipe directly")
	}
	t.Logf("%d of %d bytes written directly", direct.Load(), len(want))
}

// TestWriteToPipeBroken: a pipe whose reader is gone makes WriteTo
// return EPIPE, whichever goroutine wrote; the Conn goes on.
func TestWriteToPipeBroken(t *testing.T) {
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, "test", nil, nil, nil)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	pr.Close()
	done := make(chan error, 1)
	go func() {
		_, err := cb.WriteTo(pw)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // WriteTo waits with its sink lent
	if _, err := ca.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EPIPE) {
			t.Errorf("WriteTo: %v, want EPIPE", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("WriteTo did not return")
	}
	c2a, c2b := openPair(t, a, b, "test", nil, nil, nil)
	go c2a.Write([]byte("x"))
	p := make([]byte, 1)
	if _, err := c2b.Read(p); err != nil || p[0] != 'x' {
		t.Errorf("a second channel: %q, %v", p, err)
	}
}

// TestSinkKinds: WriteTo lends the Run goroutine only descriptors whose
// writes never wait for a reader.
func TestSinkKinds(t *testing.T) {
	pr, pw, err := os.Pipe() // non-blocking
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	reg, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	// A pipe in blocking mode: the write end of one whose descriptor
	// os.NewFile did not make non-blocking.
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	blockingR, blockingW := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
	defer blockingR.Close()
	defer blockingW.Close()
	for _, tc := range []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"os.Pipe", pw, true},
		{"regular file", reg, true},
		{"/dev/null", null, true},
		{"blocking pipe", blockingW, false},
		{"bytes.Buffer", &bytes.Buffer{}, false},
	} {
		if got := newSink(tc.w) != nil; got != tc.want {
			t.Errorf("%s: sink %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSinkWriteAllocs: a direct write to a sink allocates nothing (it is
// made for every data packet that arrives while WriteTo waits), and a
// full pipe takes what fits and reports no error.
func TestSinkWriteAllocs(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	s := newSink(pw)
	if s == nil {
		t.Fatal("no sink for an os.Pipe")
	}
	p := make([]byte, 4096)
	drain := make([]byte, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		if n, err := s.tryWrite(p); n != len(p) || err != nil {
			t.Fatalf("tryWrite = %d, %v", n, err)
		}
		io.ReadFull(pr, drain)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per write, want 0", allocs)
	}
	total := 0
	for {
		n, err := s.tryWrite(p)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < len(p) {
			break
		}
	}
	if total == 0 {
		t.Error("a pipe took nothing")
	}
}
