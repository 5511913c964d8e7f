package connection

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// TestStressBothWays opens channels from both sides at once, each running
// an echo exchange with requests and stderr, and closes them in different
// orders; every id is freed at the end. It looks for races and deadlocks
// (run it under -race).
func TestStressBothWays(t *testing.T) {
	cfg := &Config{Window: 32 << 10, MaxPacket: 4 << 10, MaxSessions: -1}
	a, b := pair(t, cfg, cfg)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	serve := func(c *running) {
		for {
			nc, err := c.Accept(ctx)
			if err != nil {
				return
			}
			ch, err := nc.Accept(func(*Channel, *Request) bool { return true })
			if err != nil {
				t.Error(err)
				return
			}
			wg.Go(func() { // echo data on stdout and stderr, then close
				io.Copy(ch.Stderr(), io.TeeReader(ch, ch))
				ch.SendExitStatus(ctx, 0)
				ch.Close()
			})
		}
	}
	var sg sync.WaitGroup
	sg.Go(func() { serve(a) })
	sg.Go(func() { serve(b) })
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	var cg sync.WaitGroup
	for i := range 40 {
		from := a
		if i%2 == 1 {
			from = b
		}
		cg.Go(func() {
			ch, err := from.OpenSession(ctx, nil)
			if err != nil {
				t.Error(err)
				return
			}
			if err := ch.Exec(ctx, "echo"); err != nil {
				t.Error(err)
				return
			}
			var out, errOut []byte
			var rg sync.WaitGroup
			rg.Go(func() { out, _ = io.ReadAll(ch) })
			rg.Go(func() { errOut, _ = io.ReadAll(ch.Stderr()) })
			if _, err := ch.Write(payload); err != nil {
				t.Error(err)
			}
			ch.CloseWrite()
			rg.Wait()
			if !bytes.Equal(out, payload) || !bytes.Equal(errOut, payload) {
				t.Errorf("channel %d: got %d/%d bytes", i, len(out), len(errOut))
			}
			if err := ch.Wait(ctx); err != nil {
				t.Error(err)
			}
			if s, ok := ch.ExitStatus(); !ok || s != 0 {
				t.Errorf("exit status %d %v", s, ok)
			}
			ch.Close()
		})
	}
	cg.Wait()
	wg.Wait()
	waitFor(t, func() bool { return a.channels() == 0 && b.channels() == 0 })
	a.Close()
	b.Close()
	sg.Wait()
}

// TestRunContext ends Run through its ctx: every waiter gets ctx's error.
func TestRunContext(t *testing.T) {
	ta, tb := pipeEnds()
	defer tb.Close()
	c := New(ta, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	acc := make(chan error, 1)
	go func() { _, err := c.Accept(context.Background()); acc <- err }()
	cancel()
	wantErr(t, "Run", <-done, context.Canceled)
	wantErr(t, "Accept", <-acc, context.Canceled)
	wantErr(t, "Err", c.Err(), context.Canceled)
	c.Close()
	if _, err := tb.ReadPacket(); err == nil {
		t.Error("transport not closed")
	}
	_ = wire.MsgChannelData
}
