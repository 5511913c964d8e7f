package connection

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// recorder is a RequestHandler that decodes each request with its typed
// accessor and keeps the result.
type recorder struct {
	mu     sync.Mutex
	got    []any
	answer bool
}

func (r *recorder) handle(ch *Channel, req *Request) bool {
	var v any
	var err error
	switch req.Type {
	case wire.RequestPtyReq:
		var p wire.PtyRequest
		var modes []wire.TerminalMode
		p, modes, err = req.PtyRequest()
		p.Modes = nil
		v = []any{p, modes}
	case wire.RequestX11Req:
		v, err = req.X11Request()
	case wire.RequestEnv:
		v, err = req.Env()
	case wire.RequestExec:
		v, err = req.Exec()
	case wire.RequestSubsystem:
		v, err = req.Subsystem()
	case wire.RequestWindowChange:
		v, err = req.WindowChange()
	case wire.RequestXonXoff:
		v, err = req.XonXoff()
	case wire.RequestSignal:
		v, err = req.Signal()
	case wire.RequestExitStatus:
		v, err = req.ExitStatus()
	case wire.RequestExitSignal:
		v, err = req.ExitSignal()
	case wire.RequestBreak:
		v, err = req.Break()
	default:
		v = req.Type + ":" + string(req.Payload)
	}
	if err != nil {
		v = err
	}
	r.mu.Lock()
	r.got = append(r.got, v)
	r.mu.Unlock()
	return r.answer
}

func (r *recorder) last() any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		return nil
	}
	return r.got[len(r.got)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// TestSessionRequests sends every session request of RFC 4254, Section 6,
// RFC 4335 and OpenSSH PROTOCOL with its typed helper and checks what the
// handler decoded, for a handler that accepts and one that refuses.
// Requirement: 4254-6.5-want-reply
func TestSessionRequests(t *testing.T) {
	modes := []wire.TerminalMode{{Opcode: wire.VINTR, Value: 3}, {Opcode: wire.ECHO, Value: 1}, {Opcode: wire.TTY_OP_ISPEED, Value: 38400}}
	pty := wire.PtyRequest{Term: "xterm-256color", Columns: 80, Rows: 24, WidthPixels: 640, HeightPixels: 480}
	x11 := wire.X11Request{SingleConnection: true, AuthProtocol: "MIT-MAGIC-COOKIE-1", AuthCookie: "0123456789abcdef0123456789ABCDEF", Screen: 0}
	wc := wire.WindowChange{Columns: 132, Rows: 50}
	es := wire.ExitSignal{Signal: wire.SignalSEGV, CoreDumped: true, Message: "boom", Language: "en"}
	tests := []struct {
		name      string
		wantReply bool
		send      func(ctx context.Context, ch *Channel) error
		want      any
	}{
		{"pty-req", true, func(ctx context.Context, ch *Channel) error { return ch.RequestPty(ctx, pty, modes) }, []any{pty, modes}},
		{"x11-req", true, func(ctx context.Context, ch *Channel) error { return ch.RequestX11(ctx, x11) }, x11},
		{"env", true, func(ctx context.Context, ch *Channel) error { return ch.Setenv(ctx, "LANG", "C.UTF-8") }, wire.EnvRequest{Name: "LANG", Value: "C.UTF-8"}},
		{"shell", true, func(ctx context.Context, ch *Channel) error { return ch.Shell(ctx) }, "shell:"},
		{"exec", true, func(ctx context.Context, ch *Channel) error { return ch.Exec(ctx, "ls -l") }, wire.ExecRequest{Command: "ls -l"}},
		{"subsystem", true, func(ctx context.Context, ch *Channel) error { return ch.Subsystem(ctx, "sftp") }, wire.SubsystemRequest{Name: "sftp"}},
		{"window-change", false, func(ctx context.Context, ch *Channel) error { return ch.WindowChange(ctx, wc) }, wc},
		{"xon-xoff", false, func(ctx context.Context, ch *Channel) error { return ch.XonXoff(ctx, true) }, wire.XonXoff{ClientCanDo: true}},
		{"signal", false, func(ctx context.Context, ch *Channel) error { return ch.Signal(ctx, wire.SignalINT) }, wire.SignalRequest{Signal: "INT"}},
		{"exit-status", false, func(ctx context.Context, ch *Channel) error { return ch.SendExitStatus(ctx, 127) }, wire.ExitStatus{Status: 127}},
		{"exit-signal", false, func(ctx context.Context, ch *Channel) error { return ch.SendExitSignal(ctx, es) }, es},
		{"break", true, func(ctx context.Context, ch *Channel) error { return ch.Break(ctx, 500) }, wire.BreakRequest{Length: 500}},
		{"auth-agent-req", true, func(ctx context.Context, ch *Channel) error { return ch.RequestAgentForwarding(ctx) }, wire.RequestAuthAgent + ":"},
		{"custom", true, func(ctx context.Context, ch *Channel) error {
			return ch.call(ctx, "custom@example.com", []byte("body"))
		}, "custom@example.com:body"},
	}
	for _, answer := range []bool{true, false} {
		rec := &recorder{answer: answer}
		a, b := pair(t, nil, nil)
		ca, _ := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, rec.handle)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := testCtx(t)
				n := rec.count()
				err := tt.send(ctx, ca)
				switch {
				case !tt.wantReply && err != nil:
					t.Fatalf("send: %v", err)
				case tt.wantReply && answer && err != nil:
					t.Fatalf("send: %v", err)
				case tt.wantReply && !answer && !errors.Is(err, ErrRequestDenied):
					t.Fatalf("send: %v, want ErrRequestDenied", err)
				}
				// Requests without a reply: wait until the handler ran.
				waitFor(t, func() bool { return rec.count() > n })
				if diff := cmp.Diff(tt.want, rec.last()); diff != "" {
					t.Errorf("handler got (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestMalformedSessionRequests is docs/security.md#c5: malformed or oversized
// request data is refused without reaching the handler, and the channel
// stays usable.
func TestMalformedSessionRequests(t *testing.T) {
	pty := func(term string, cols, rows uint32, modes []byte) []byte {
		p := wire.PtyRequest{Term: term, Columns: cols, Rows: rows, Modes: modes}
		return p.Append(nil)
	}
	x11 := func(cookie string) []byte {
		x := wire.X11Request{AuthProtocol: "MIT-MAGIC-COOKIE-1", AuthCookie: cookie}
		return x.Append(nil)
	}
	env := func(name, value string) []byte {
		e := wire.EnvRequest{Name: name, Value: value}
		return e.Append(nil)
	}
	manyModes := make([]byte, 0, 10000*5)
	for range 10000 {
		manyModes = append(manyModes, wire.ECHO, 0, 0, 0, 1)
	}
	tests := []struct {
		name, typ string
		payload   []byte
	}{
		{"pty TERM 200 KiB", wire.RequestPtyReq, pty(string(make([]byte, 200<<10)), 80, 24, nil)},
		{"pty width 2^32-1", wire.RequestPtyReq, pty("vt100", 1<<32-1, 24, nil)},
		{"pty height 2^32-1", wire.RequestPtyReq, pty("vt100", 80, 1<<32-1, nil)},
		{"pty modes cut mid-opcode", wire.RequestPtyReq, pty("vt100", 80, 24, []byte{wire.ECHO, 0, 0})},
		{"pty 10k modes", wire.RequestPtyReq, pty("vt100", 80, 24, manyModes)},
		{"pty trailing bytes", wire.RequestPtyReq, append(pty("vt100", 80, 24, nil), 0)},
		{"pty truncated", wire.RequestPtyReq, pty("vt100", 80, 24, nil)[:10]},
		{"x11 garbage cookie", wire.RequestX11Req, x11("not hex!")},
		{"x11 odd cookie", wire.RequestX11Req, x11("abc")},
		{"x11 empty cookie", wire.RequestX11Req, x11("")},
		{"env empty name", wire.RequestEnv, env("", "v")},
		{"env name with =", wire.RequestEnv, env("A=B", "v")},
		{"env NUL in value", wire.RequestEnv, env("A", "v\x00w")},
		{"exec truncated", wire.RequestExec, []byte{0, 0, 0, 9, 'l', 's'}},
		{"subsystem empty", wire.RequestSubsystem, (&wire.SubsystemRequest{}).Append(nil)},
		{"window-change huge", wire.RequestWindowChange, (&wire.WindowChange{Columns: 1 << 31}).Append(nil)},
		{"shell with data", wire.RequestShell, []byte{1}},
		{"break short", wire.RequestBreak, []byte{0, 1}},
		{"exit-status short", wire.RequestExitStatus, []byte{0}},
	}
	rec := &recorder{answer: true}
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, rec.handle)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := ca.SendRequest(testCtx(t), tt.typ, true, tt.payload)
			if err != nil || ok {
				t.Fatalf("SendRequest = %v, %v; want refused", ok, err)
			}
			if n := rec.count(); n != 0 {
				t.Fatalf("handler called %d times", n)
			}
			echo(t, ca, cb, []byte("still usable"))
		})
	}
	// pty modes: parsing stops at opcodes 160-255 (RFC 4254, Section 8).
	ok, err := ca.SendRequest(testCtx(t), wire.RequestPtyReq, true, pty("vt100", 0, 0, []byte{wire.ECHO, 0, 0, 0, 1, 200, 1, 2}))
	if err != nil || !ok {
		t.Fatalf("pty with opcode 200: %v, %v", ok, err)
	}
	if diff := cmp.Diff([]any{wire.PtyRequest{Term: "vt100"}, []wire.TerminalMode{{Opcode: wire.ECHO, Value: 1}}}, rec.last()); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
}

// TestEnvCap is docs/security.md#c5 "env with 100k vars": past
// MaxEnvPerChannel the requests are refused.
func TestEnvCap(t *testing.T) {
	rec := &recorder{answer: true}
	a, b := pair(t, nil, nil)
	ca, _ := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, rec.handle)
	ctx := testCtx(t)
	for i := range MaxEnvPerChannel + 10 {
		err := ca.Setenv(ctx, "V", "x")
		if (i < MaxEnvPerChannel) != (err == nil) {
			t.Fatalf("env %d: %v", i, err)
		}
	}
	if rec.count() != MaxEnvPerChannel {
		t.Errorf("handler saw %d env requests", rec.count())
	}
}

// TestRequestRepliesInOrder checks that replies are matched to requests in
// order (RFC 4254, Section 5.4), with many requests in flight from
// several goroutines.
// Requirement: 4254-4-channel-reply-order
func TestRequestRepliesInOrder(t *testing.T) {
	a, b := pair(t, nil, nil)
	h := func(ch *Channel, req *Request) bool { return req.Payload[0]%2 == 0 }
	ca, _ := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, h)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				v := byte(g*200 + i)
				ok, err := ca.SendRequest(ctx, "parity@example.com", true, []byte{v})
				if err != nil || ok != (v%2 == 0) {
					t.Errorf("request %d: %v, %v", v, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestReplyBeforeWork: a handler that replies with req.Reply before
// handing the work to a goroutine gets its reply out before that work's
// CLOSE, and its return value is then ignored.
func TestReplyBeforeWork(t *testing.T) {
	c, p := rawPair(t, nil)
	ch := openFromPeer(t, c, p, 1<<20, 1<<15, func(ch *Channel, req *Request) bool {
		if err := req.Reply(true); err != nil {
			t.Error(err)
		}
		req.Reply(false) // no second reply
		go func() {
			ch.Write([]byte("out"))
			ch.Close()
		}()
		return false
	})
	p.send(&wire.ChannelRequest{Recipient: ch.LocalID(), Type: wire.RequestShell, WantReply: true})
	p.expect(wire.MsgChannelSuccess)
	p.expect(wire.MsgChannelData)
	p.expect(wire.MsgChannelClose)
	p.send(&wire.ChannelClose{Recipient: ch.LocalID()})
	p.send(&wire.GlobalRequest{Name: "sync", WantReply: true})
	p.expect(wire.MsgRequestFailure)
}
