package connection

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// helperGoroutines counts the goroutines running one of the Conn's
// helpers: the control-queue writer and the HandleChannel dispatcher.
func helperGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "connection.(*Conn).writer(") || strings.Contains(g, "connection.(*Conn).handleOpens(") {
			n++
		}
	}
	return n
}

// TestIdleConnKeepsNoHelperGoroutine: once the opens are handled and the
// replies written, an idle Conn has only its Run goroutine: the writer of
// the control queue and the HandleChannel dispatcher start when there is
// work and end with it. Opens reach HandleChannel in the order sent.
func TestIdleConnKeepsNoHelperGoroutine(t *testing.T) {
	got := make(chan *Channel, 3)
	a, _ := pair(t, nil, &Config{HandleChannel: func(nc *NewChannel) {
		ch, err := nc.Accept(func(*Channel, *Request) bool { return true })
		if err != nil {
			t.Error(err)
			return
		}
		got <- ch
	}})
	ctx := testCtx(t)
	for i := range 3 {
		ch, err := a.Open(ctx, "test", []byte{byte(i)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The reply comes from the far side's control queue.
		if ok, err := ch.SendRequest(ctx, "x", true, nil); err != nil || !ok {
			t.Fatalf("request: %v %v", ok, err)
		}
	}
	for i := range 3 {
		if ch := <-got; ch.ExtraData()[0] != byte(i) {
			t.Errorf("open %d reached the handler as %d", i, ch.ExtraData()[0])
		}
	}
	deadline := time.Now().Add(testTimeout)
	for helperGoroutines() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d helper goroutines left on an idle Conn", helperGoroutines())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAfterClose: f starts once the channel is closed both ways (at once
// when it already is), and stop keeps it from starting.
func TestAfterClose(t *testing.T) {
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, "test", nil, nil, nil)
	ran := make(chan struct{})
	cb.AfterClose(func() { close(ran) })
	stopped := cb.AfterClose(func() { t.Error("stopped func ran") })
	if !stopped() {
		t.Error("stop before close: false, want true")
	}
	select {
	case <-ran:
		t.Fatal("ran before the close")
	case <-time.After(20 * time.Millisecond):
	}
	ctx := testCtx(t)
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-ctx.Done():
		t.Fatal("f did not run after the close")
	}
	late := make(chan struct{})
	if cb.AfterClose(func() { close(late) })() {
		t.Error("stop after close: true, want false")
	}
	<-late
}
