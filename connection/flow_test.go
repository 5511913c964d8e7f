package connection

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// TestFlowControl: a fast writer and a slow reader. The reader's
// buffered bytes never exceed the window (RFC 4254, Section 5.2), the
// writer blocks instead of buffering, and every byte arrives in order.
// Requirement: 4254-5.2-window-no-overflow
func TestFlowControl(t *testing.T) {
	const window, maxPacket = 64 << 10, 8 << 10
	cfg := &Config{Window: window, MaxPacket: maxPacket}
	a, b := pair(t, cfg, cfg)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	payload := make([]byte, 4<<20)
	rand.Read(payload)
	errc := make(chan error, 1)
	go func() {
		_, err := ca.Write(payload)
		if err == nil {
			err = ca.CloseWrite()
		}
		errc <- err
	}()
	var got bytes.Buffer
	buf := make([]byte, 1000)
	maxBuffered := 0
	for {
		maxBuffered = max(maxBuffered, cb.Buffered())
		n, err := cb.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), payload) {
		t.Fatal("data corrupted")
	}
	if maxBuffered > window {
		t.Errorf("reader buffered %d bytes, window %d", maxBuffered, window)
	}
	cb.mu.Lock()
	capacity := len(cb.out.buf.b)
	cb.mu.Unlock()
	if capacity > window {
		t.Errorf("receive buffer grew to %d bytes, window %d", capacity, window)
	}
}

// TestWriterBlocksOnWindow: with a reader that never reads, a writer
// sends exactly the window and then blocks until ctx ends.
func TestWriterBlocksOnWindow(t *testing.T) {
	const window = 64 << 10
	a, b := pair(t, nil, &Config{Window: window, MaxPacket: 16 << 10})
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	n, err := ca.WriteContext(ctx, make([]byte, 1<<20))
	if !errors.Is(err, context.DeadlineExceeded) || n != window {
		t.Fatalf("WriteContext = %d, %v; want %d, deadline exceeded", n, err, window)
	}
	waitFor(t, func() bool { return cb.Buffered() == window })
	// Reading half the window lets the writer go on.
	if _, err := io.ReadFull(cb, make([]byte, window/2)); err != nil {
		t.Fatal(err)
	}
	if n, err := ca.WriteContext(testCtx(t), make([]byte, window/2)); err != nil || n != window/2 {
		t.Fatalf("after adjust: %d, %v", n, err)
	}
}

// TestSharedWindowStderr: data and stderr share one window; two writers
// on the two streams both complete against one reader of each.
func TestSharedWindowStderr(t *testing.T) {
	cfg := &Config{Window: 16 << 10, MaxPacket: 4 << 10}
	a, b := pair(t, cfg, cfg)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	out := bytes.Repeat([]byte("o"), 1<<20)
	errOut := bytes.Repeat([]byte("e"), 1<<20)
	var wg sync.WaitGroup
	wg.Go(func() { ca.Write(out) })
	wg.Go(func() { ca.Stderr().Write(errOut) })
	var gotOut, gotErr []byte
	var rg sync.WaitGroup
	rg.Go(func() { gotOut, _ = io.ReadAll(io.LimitReader(cb, int64(len(out)))) })
	rg.Go(func() { gotErr, _ = io.ReadAll(io.LimitReader(cb.Stderr(), int64(len(errOut)))) })
	wg.Wait()
	rg.Wait()
	if !bytes.Equal(gotOut, out) || !bytes.Equal(gotErr, errOut) {
		t.Fatalf("got %d/%d bytes", len(gotOut), len(gotErr))
	}
}

// TestCancel ends every blocking call with its ctx and checks the Conn
// is still usable afterwards.
func TestCancel(t *testing.T) {
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	a, b := pair(t, nil, &Config{Window: 1 << 10, MaxPacket: 1 << 10})
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, func(*Channel, *Request) bool {
		return true
	})
	buf := make([]byte, 10)
	calls := map[string]func(ctx context.Context) error{
		"Accept": func(ctx context.Context) error { _, err := a.Accept(ctx); return err },
		"Read":   func(ctx context.Context) error { _, err := ca.ReadContext(ctx, buf); return err },
		"Stderr.Read": func(ctx context.Context) error {
			_, err := ca.Stderr().ReadContext(ctx, buf)
			return err
		},
		"Write": func(ctx context.Context) error { _, err := ca.WriteContext(ctx, make([]byte, 4<<10)); return err },
		"Stderr.Write": func(ctx context.Context) error {
			_, err := ca.Stderr().WriteContext(ctx, make([]byte, 4<<10))
			return err
		},
		"Wait": func(ctx context.Context) error { return ca.Wait(ctx) },
		"Run": func(ctx context.Context) error {
			ta, _ := pipeEnds()
			return New(ta, nil).Run(ctx)
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(short()); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s = %v, want deadline exceeded", name, err)
			}
		})
	}
	// Requests and opens need a peer that does not answer: a raw one.
	c, p := rawPair(t, nil)
	ch := openFromPeer(t, c, p, 1<<20, 1<<15, nil)
	// Each call is cancelled once the peer has seen its packet, so the
	// test does not depend on timing.
	cancelled := func(call func(ctx context.Context) error, sent wire.MsgNum) []byte {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- call(ctx) }()
		b := p.expect(sent)
		cancel()
		wantErr(t, sent.String(), <-errc, context.Canceled)
		return b
	}
	t.Run("Channel.SendRequest", func(t *testing.T) {
		cancelled(func(ctx context.Context) error {
			_, err := ch.SendRequest(ctx, "exec", true, nil)
			return err
		}, wire.MsgChannelRequest)
		// The late reply is consumed, not given to the next request.
		p.send(&wire.ChannelSuccess{Recipient: ch.LocalID()})
		go func() {
			if b := p.recv(); wire.MsgNum(b[0]) == wire.MsgChannelRequest {
				p.send(&wire.ChannelFailure{Recipient: ch.LocalID()})
			}
		}()
		ok, err := ch.SendRequest(testCtx(t), "exec", true, nil)
		if err != nil || ok {
			t.Fatalf("next request: %v, %v; want the failure meant for it", ok, err)
		}
	})
	t.Run("Conn.SendRequest", func(t *testing.T) {
		cancelled(func(ctx context.Context) error {
			_, _, err := c.SendRequest(ctx, "x", true, nil)
			return err
		}, wire.MsgGlobalRequest)
		p.send(&wire.RequestSuccess{})
		go func() {
			if b := p.recv(); wire.MsgNum(b[0]) == wire.MsgGlobalRequest {
				p.send(&wire.RequestFailure{})
			}
		}()
		ok, _, err := c.SendRequest(testCtx(t), "x", true, nil)
		if err != nil || ok {
			t.Fatalf("next request: %v, %v", ok, err)
		}
	})
	t.Run("Open", func(t *testing.T) {
		b := cancelled(func(ctx context.Context) error {
			_, err := c.OpenSession(ctx, nil)
			return err
		}, wire.MsgChannelOpen)
		m, err := wire.ParseChannelOpen(b)
		if err != nil {
			t.Fatal(err)
		}
		// A confirmation after we gave up is answered with CLOSE.
		p.send(&wire.ChannelOpenConfirmation{Recipient: m.Sender, Sender: 9, InitialWindow: 1, MaxPacket: 1})
		cl, err := wire.ParseChannelClose(p.expect(wire.MsgChannelClose))
		if err != nil || cl.Recipient != 9 {
			t.Fatalf("CLOSE %+v %v", cl, err)
		}
		p.send(&wire.ChannelClose{Recipient: m.Sender})
	})
	// Still usable (cb's window is full of the cancelled writes).
	echo(t, cb, ca, []byte("alive"))
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseUnblocks: Conn.Close wakes every blocked call, returns after
// Run has returned, and is idempotent.
func TestCloseUnblocks(t *testing.T) {
	a, b := pair(t, nil, &Config{Window: 1 << 10, MaxPacket: 1 << 10})
	ca, _ := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	// b's side of a second channel stays pending: never accepted.
	c2, p := rawPair(t, nil)
	ch2 := openFromPeer(t, c2, p, 0, 1<<15, nil)
	calls := []func() error{
		func() error { _, err := ca.Read(make([]byte, 1)); return err },
		func() error { _, err := ca.Stderr().Read(make([]byte, 1)); return err },
		func() error { _, err := ca.Write(make([]byte, 1<<20)); return err },
		func() error { return ca.Wait(context.Background()) },
		func() error { _, err := a.Accept(context.Background()); return err },
	}
	// Blocked on a raw peer that never answers.
	calls2 := []func() error{
		func() error { _, err := c2.OpenSession(context.Background(), nil); return err },
		func() error { _, _, err := c2.SendRequest(context.Background(), "x", true, nil); return err },
		func() error { _, err := ch2.Write([]byte("x")); return err }, // window 0
		func() error { _, err := ch2.SendRequest(context.Background(), "x", true, nil); return err },
	}
	errc := make(chan error, len(calls)+len(calls2))
	for _, f := range append(calls, calls2...) {
		go func() { errc <- f() }()
	}
	time.Sleep(20 * time.Millisecond) // let them block; the test passes either way
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	for range len(calls) + len(calls2) {
		select {
		case err := <-errc:
			if err == nil {
				t.Error("blocked call returned nil after Close")
			}
		case <-time.After(testTimeout):
			t.Fatal("a call stayed blocked after Close")
		}
	}
	wantErr(t, "Run", a.result(t), ErrClosed)
	a.Close()
	c2.Close()
	if _, err := a.OpenSession(context.Background(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Open after Close: %v", err)
	}
	// Closing a Conn that never ran.
	ta, _ := pipeEnds()
	c3 := New(ta, nil)
	c3.Close()
	wantErr(t, "Run after Close", c3.Run(context.Background()), ErrClosed)
}

// TestChannelCloseUnblocks: a local Close wakes every call blocked on the
// channel with ErrChannelClosed, while Wait goes on until the peer's
// CLOSE.
func TestChannelCloseUnblocks(t *testing.T) {
	c, p := rawPair(t, nil)
	ch := openFromPeer(t, c, p, 0, 1<<15, nil) // window 0: writes block
	calls := []func() error{
		func() error { _, err := ch.Read(make([]byte, 1)); return err },
		func() error { _, err := ch.Stderr().Read(make([]byte, 1)); return err },
		func() error { _, err := ch.Write([]byte("x")); return err },
		func() error { _, err := ch.Stderr().Write([]byte("x")); return err },
		func() error { _, err := ch.SendRequest(context.Background(), "x", true, nil); return err },
	}
	errc := make(chan error, len(calls))
	for _, f := range calls {
		go func() { errc <- f() }()
	}
	p.expect(wire.MsgChannelRequest)
	time.Sleep(10 * time.Millisecond) // let them block; the test passes either way
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	for range calls {
		wantErr(t, "blocked call", <-errc, ErrChannelClosed)
	}
	p.expect(wire.MsgChannelClose)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	wantErr(t, "Wait before the peer's CLOSE", ch.Wait(ctx), context.DeadlineExceeded)
	p.send(&wire.ChannelClose{Recipient: ch.LocalID()})
	if err := ch.Wait(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestPerChannelWindow: ChannelConfig overrides the Conn's window and
// maximum packet size for one channel, on either side; the buffered
// bytes respect each channel's own window.
func TestPerChannelWindow(t *testing.T) {
	a, b := pair(t, nil, nil)
	ctx := testCtx(t)
	got := make(chan *Channel, 1)
	go func() {
		nc, err := b.Accept(ctx)
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		ch, err := nc.AcceptChannel(&ChannelConfig{Window: 8 << 10, MaxPacket: 1 << 10})
		if err != nil {
			t.Error(err)
		}
		got <- ch
	}()
	ca, err := a.OpenChannel(ctx, wire.ChannelTypeSession, nil, &ChannelConfig{Window: 16 << 10, MaxPacket: 2 << 10})
	if err != nil {
		t.Fatal(err)
	}
	cb := <-got
	if cb == nil {
		t.FailNow()
	}
	for _, tc := range []struct {
		from, to *Channel
		window   int
	}{{ca, cb, 8 << 10}, {cb, ca, 16 << 10}} {
		wctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		n, err := tc.from.WriteContext(wctx, make([]byte, 1<<20))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || n != tc.window {
			t.Errorf("wrote %d, %v; want the window %d", n, err, tc.window)
		}
		waitFor(t, func() bool { return tc.to.Buffered() == tc.window })
	}
	// b accepts at most 1 KiB per packet, a sends at most 2 KiB.
	cb.mu.Lock()
	sendB := cb.sendMax
	cb.mu.Unlock()
	ca.mu.Lock()
	sendA := ca.sendMax
	ca.mu.Unlock()
	if sendA != 1<<10 || sendB != 1<<10 {
		t.Errorf("send sizes %d, %d; want 1024, 1024", sendA, sendB)
	}
}
