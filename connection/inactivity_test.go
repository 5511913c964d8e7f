package connection

import (
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// TestInactivityTimeout: a channel with an inactivity timeout is closed
// once no data has passed for the interval, with onIdle called first;
// data either way keeps it open; a timeout of 0 removes it; and a
// channel closed otherwise stops its timer.
func TestInactivityTimeout(t *testing.T) {
	const limit = 300 * time.Millisecond
	t.Run("idle closes", func(t *testing.T) {
		a, b := pair(t, nil, nil)
		ca, cb := openPair(t, a, b, "test", nil, nil, nil)
		var fired atomic.Bool
		cb.SetInactivityTimeout(limit, func() { fired.Store(true) })
		if err := ca.Wait(testCtx(t)); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if !fired.Load() {
			t.Error("onIdle did not run")
		}
		if _, err := cb.Write([]byte("x")); err == nil {
			t.Error("Write after the inactivity close succeeded")
		}
	})
	for _, dir := range []string{"received", "sent"} {
		t.Run("busy stays open, data "+dir, func(t *testing.T) {
			a, b := pair(t, nil, nil)
			ca, cb := openPair(t, a, b, "test", nil, nil, nil)
			var fired atomic.Bool
			cb.SetInactivityTimeout(limit, func() { fired.Store(true) })
			src, dst := ca, cb
			if dir == "sent" {
				src, dst = cb, ca
			}
			go io.Copy(io.Discard, dst)
			for range 3 * int(limit/(20*time.Millisecond)) {
				if _, err := src.Write([]byte("tick")); err != nil {
					t.Fatalf("Write: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if fired.Load() || cb.State() != StateOpen {
				t.Fatalf("busy channel closed (state %v)", cb.State())
			}
			// Idle from now on: it closes.
			if err := ca.Wait(testCtx(t)); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if !fired.Load() {
				t.Error("onIdle did not run")
			}
		})
	}
	t.Run("zero removes", func(t *testing.T) {
		a, b := pair(t, nil, nil)
		ca, cb := openPair(t, a, b, "test", nil, nil, nil)
		cb.SetInactivityTimeout(limit, func() { t.Error("removed timeout fired") })
		cb.SetInactivityTimeout(0, nil)
		time.Sleep(2 * limit)
		if cb.State() != StateOpen {
			t.Errorf("state %v, want open", cb.State())
		}
		ca.Close()
		cb.Close()
	})
	t.Run("closed stops the timer", func(t *testing.T) {
		a, b := pair(t, nil, nil)
		ca, cb := openPair(t, a, b, "test", nil, nil, nil)
		cb.SetInactivityTimeout(limit, func() { t.Error("timer of a closed channel fired") })
		ca.Close()
		if err := cb.Wait(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		cb.idle.mu.Lock()
		pending := cb.idle.t != nil
		cb.idle.mu.Unlock()
		if pending {
			t.Error("timer still pending after close")
		}
		time.Sleep(2 * limit)
	})
}

// BenchmarkWriteInactivity compares Write with and without an
// inactivity timeout (the data path's extra cost is one clock read).
func BenchmarkWriteInactivity(b *testing.B) {
	for _, d := range []time.Duration{0, time.Hour} {
		b.Run(d.String(), func(b *testing.B) {
			x, y := pair(b, nil, nil)
			cx, cy := openPair(b, x, y, "test", nil, nil, nil)
			cx.SetInactivityTimeout(d, nil)
			go io.Copy(io.Discard, cy)
			buf := make([]byte, 1024)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				if _, err := cx.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
			cx.Close()
			cy.Close()
		})
	}
}
