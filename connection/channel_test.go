package connection

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// TestChannelTypes opens every channel type of RFC 4254 and OpenSSH
// PROTOCOL with its typed helper, checks the typed accessor on the
// accepting side, and moves data both ways.
// Requirement: protocol-2.4-streamlocal
func TestChannelTypes(t *testing.T) {
	dt := wire.DirectTCPIP{Host: "example.com", Port: 22, OriginatorAddress: "10.0.0.1", OriginatorPort: 5555}
	ft := wire.ForwardedTCPIP{Address: "0.0.0.0", Port: 8080, OriginatorAddress: "10.0.0.2", OriginatorPort: 4444}
	x := wire.X11Open{OriginatorAddress: "127.0.0.1", OriginatorPort: 6010}
	ds := wire.DirectStreamLocal{SocketPath: "/tmp/s.sock"}
	fs := wire.ForwardedStreamLocal{SocketPath: "/tmp/f.sock"}
	tests := []struct {
		name  string
		open  func(ctx context.Context, c *Conn) (*Channel, error)
		check func(nc *NewChannel) (any, any, error)
	}{
		{wire.ChannelTypeSession,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenSession(ctx, nil) },
			func(nc *NewChannel) (any, any, error) { return 0, len(nc.ExtraData()), nil }},
		{wire.ChannelTypeDirectTCPIP,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenDirectTCPIP(ctx, dt) },
			func(nc *NewChannel) (any, any, error) { v, err := nc.DirectTCPIP(); return dt, v, err }},
		{wire.ChannelTypeForwardedTCPIP,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenForwardedTCPIP(ctx, ft) },
			func(nc *NewChannel) (any, any, error) { v, err := nc.ForwardedTCPIP(); return ft, v, err }},
		{wire.ChannelTypeX11,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenX11(ctx, x) },
			func(nc *NewChannel) (any, any, error) { v, err := nc.X11(); return x, v, err }},
		{wire.ChannelTypeDirectStreamLocal,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenDirectStreamLocal(ctx, ds) },
			func(nc *NewChannel) (any, any, error) { v, err := nc.DirectStreamLocal(); return ds, v, err }},
		{wire.ChannelTypeForwardedStreamLocal,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenForwardedStreamLocal(ctx, fs) },
			func(nc *NewChannel) (any, any, error) { v, err := nc.ForwardedStreamLocal(); return fs, v, err }},
		{wire.ChannelTypeAuthAgent,
			func(ctx context.Context, c *Conn) (*Channel, error) { return c.OpenAuthAgent(ctx) },
			func(nc *NewChannel) (any, any, error) { return 0, len(nc.ExtraData()), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := pair(t, nil, nil)
			ctx := testCtx(t)
			accepted := make(chan *Channel, 1)
			go func() {
				defer close(accepted)
				nc, err := b.Accept(ctx)
				if err != nil {
					t.Errorf("Accept: %v", err)
					return
				}
				if nc.Type() != tt.name {
					t.Errorf("Type = %q, want %q", nc.Type(), tt.name)
				}
				want, got, err := tt.check(nc)
				if err != nil {
					t.Errorf("typed accessor: %v", err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("open data (-want +got):\n%s", diff)
				}
				ch, err := nc.Accept(nil)
				if err != nil {
					t.Errorf("NewChannel.Accept: %v", err)
					return
				}
				accepted <- ch
			}()
			ca, err := tt.open(ctx, a.Conn)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			cb := <-accepted
			if cb == nil {
				t.FailNow()
			}
			if ca.Type() != tt.name || ca.State() != StateOpen || cb.State() != StateOpen {
				t.Fatalf("type %q state %v/%v", ca.Type(), ca.State(), cb.State())
			}
			echo(t, ca, cb, []byte("ping "+tt.name))
			echo(t, cb, ca, []byte("pong "+tt.name))
			if err := ca.Close(); err != nil {
				t.Fatal(err)
			}
			if err := cb.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ca.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// echo writes msg on from and reads it on to.
func echo(t *testing.T, from, to *Channel, msg []byte) {
	t.Helper()
	if _, err := from.Write(msg); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(to, got); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("read %q, want %q", got, msg)
	}
}

// TestOpenFailureReasons rejects opens with each reason code of RFC 4254,
// Section 5.1 and expects an *OpenError carrying it.
func TestOpenFailureReasons(t *testing.T) {
	a, b := pair(t, nil, nil)
	ctx := testCtx(t)
	for _, reason := range []wire.OpenFailureReason{wire.AdministrativelyProhibited, wire.ConnectFailed, wire.UnknownChannelType, wire.ResourceShortage} {
		t.Run(reason.String(), func(t *testing.T) {
			go func() {
				nc, err := b.Accept(ctx)
				if err != nil {
					t.Errorf("Accept: %v", err)
					return
				}
				if err := nc.Reject(reason, "no \x1b[31m thanks"); err != nil {
					t.Errorf("Reject: %v", err)
				}
			}()
			_, err := a.Open(ctx, "custom@example.com", []byte("data"), nil)
			var oe *OpenError
			if !errors.As(err, &oe) {
				t.Fatalf("Open: %v, want *OpenError", err)
			}
			if oe.Reason != reason || oe.Message != "no \x1b[31m thanks" {
				t.Errorf("OpenError %+v", oe)
			}
			if bytes.ContainsRune([]byte(oe.Error()), 0x1b) {
				t.Errorf("Error() not sanitised: %q", oe.Error())
			}
		})
	}
	waitFor(t, func() bool { return a.channels() == 0 && b.channels() == 0 })
}

// TestChannelTypesFilter refuses types not in Config.ChannelTypes with
// UNKNOWN_CHANNEL_TYPE before they reach Accept, and malformed open data
// of a known type with CONNECT_FAILED.
func TestChannelTypesFilter(t *testing.T) {
	a, _ := pair(t, nil, &Config{ChannelTypes: []string{wire.ChannelTypeSession, wire.ChannelTypeDirectTCPIP}})
	ctx := testCtx(t)
	var oe *OpenError
	_, err := a.Open(ctx, wire.ChannelTypeX11, (&wire.X11Open{}).Append(nil), nil)
	if !errors.As(err, &oe) || oe.Reason != wire.UnknownChannelType {
		t.Errorf("x11: %v, want UNKNOWN_CHANNEL_TYPE", err)
	}
	_, err = a.Open(ctx, wire.ChannelTypeDirectTCPIP, []byte{0, 0, 0, 9, 'x'}, nil)
	if !errors.As(err, &oe) || oe.Reason != wire.ConnectFailed {
		t.Errorf("malformed direct-tcpip: %v, want CONNECT_FAILED", err)
	}
}

// TestStderr sends extended data type 1 both ways, interleaved with data.
func TestStderr(t *testing.T) {
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	if _, err := cb.Stderr().Write([]byte("err1")); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Write([]byte("out1")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := io.ReadFull(ca, buf[:4])
	if err != nil || string(buf[:n]) != "out1" {
		t.Fatalf("stdout %q %v", buf[:n], err)
	}
	n, err = io.ReadFull(ca.Stderr(), buf[:4])
	if err != nil || string(buf[:n]) != "err1" {
		t.Fatalf("stderr %q %v", buf[:n], err)
	}
	if _, err := ca.Stderr().Write([]byte("up")); err != nil {
		t.Fatal(err)
	}
	n, err = io.ReadFull(cb.Stderr(), buf[:2])
	if err != nil || string(buf[:n]) != "up" {
		t.Fatalf("stderr up %q %v", buf[:n], err)
	}
}

// TestHalfCloseExitStatus is the usual end of an exec session: the
// server sends output, EOF, exit-status, CLOSE; the client reads to EOF
// and finds the status; the client's own writes go on after the server's
// EOF until it half-closes.
// Requirement: 4254-5.3-eof, 4254-6.10-exit-status
func TestHalfCloseExitStatus(t *testing.T) {
	a, b := pair(t, nil, nil)
	ctx := testCtx(t)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	if _, err := cb.Write([]byte("result")); err != nil {
		t.Fatal(err)
	}
	if err := cb.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := cb.CloseWrite(); err != nil {
		t.Fatalf("second CloseWrite: %v", err)
	}
	if _, err := cb.Write([]byte("x")); !errors.Is(err, ErrEOFSent) {
		t.Fatalf("Write after CloseWrite: %v", err)
	}
	got, err := io.ReadAll(ca)
	if err != nil || string(got) != "result" {
		t.Fatalf("ReadAll %q %v", got, err)
	}
	// The other direction still works after the peer's EOF.
	echo(t, ca, cb, []byte("still open"))
	if err := ca.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(cb); err != nil {
		t.Fatal(err)
	}
	waitState(t, cb, StateEOFBoth)
	if err := cb.SendExitStatus(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := cb.SendExitSignal(ctx, wire.ExitSignal{Signal: wire.SignalTERM, Message: "bye"}); err != nil {
		t.Fatal(err)
	}
	if err := cb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if s, ok := ca.ExitStatus(); !ok || s != 3 {
		t.Errorf("ExitStatus = %d, %v", s, ok)
	}
	if s, ok := ca.ExitSignal(); !ok || s.Signal != wire.SignalTERM || s.Message != "bye" {
		t.Errorf("ExitSignal = %+v, %v", s, ok)
	}
	if err := cb.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if ca.State() != StateClosed || cb.State() != StateClosed {
		t.Errorf("states %v %v", ca.State(), cb.State())
	}
	if err := cb.SendExitStatus(ctx, 1); !errors.Is(err, ErrChannelClosed) {
		t.Errorf("exit-status after close: %v", err)
	}
}

// TestChannelsCount: Channels counts a channel from its open until both
// sides have closed it.
func TestChannelsCount(t *testing.T) {
	a, b := pair(t, nil, nil)
	if n := a.Channels(); n != 0 {
		t.Fatalf("Channels before any open = %d", n)
	}
	ca, cb := openPair(t, a, b, "session", nil, nil, nil)
	if a.Channels() != 1 || b.Channels() != 1 {
		t.Fatalf("Channels after an open = %d, %d, want 1, 1", a.Channels(), b.Channels())
	}
	ca.Close()
	cb.Close()
	waitFor(t, func() bool { return a.Channels() == 0 && b.Channels() == 0 })
}
