package kex_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// unrecognized are message numbers no layer implements (RFC 4250,
// Section 4.1: unassigned in each layer's range, reserved for client
// protocols, local extensions other than PING/PONG).
var unrecognized = []wire.MsgNum{8, 9, 19, 22, 29, 54, 59, 83, 89, 101, 127, 128, 150, 191, 194, 255}

// readUnimplemented reads packets until UNIMPLEMENTED and returns its
// sequence number; anything but EXT_INFO before it fails the test.
func (r *rawPeer) readUnimplemented() uint32 {
	r.t.Helper()
	for {
		p, err := r.read()
		if err != nil {
			r.t.Fatalf("no UNIMPLEMENTED: %v", err)
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgExtInfo:
			continue
		case wire.MsgUnimplemented:
			m, err := wire.ParseUnimplemented(p)
			if err != nil {
				r.t.Fatal(err)
			}
			return m.SeqNum
		}
		r.t.Fatalf("got %v, want UNIMPLEMENTED", wire.MsgNum(p[0]))
	}
}

// TestUnrecognizedAfterKex: after the initial exchange, a message number
// no layer implements is answered with UNIMPLEMENTED carrying its
// sequence number, is not delivered, and the connection goes on
// (RFC 4253, Section 11.4; docs/security.md#p8).
// Requirement: 4253-11.4-unimplemented
// Requirement: 4253-11.4-ignored
func TestUnrecognizedAfterKex(t *testing.T) {
	r, o := establishedServer(t)
	got := reading(t, o.tr)
	for _, n := range unrecognized {
		seq := r.pc.WriteSeq()
		r.send([]byte{byte(n), 1, 2, 3})
		if got := r.readUnimplemented(); got != seq {
			t.Errorf("%v: UNIMPLEMENTED for seq %d, want %d", n, got, seq)
		}
	}
	r.send((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil))
	p, err := next(t, got)
	if err != nil || wire.MsgNum(p[0]) != wire.MsgServiceRequest {
		t.Fatalf("after the unrecognized messages: %x %v, want SERVICE_REQUEST", p, err)
	}
}

// TestClientUnrecognized: the client role answers the same way, before
// and after USERAUTH_SUCCESS.
// Requirement: 4253-11.4-unimplemented
// Requirement: 4253-11.4-ignored
func TestClientUnrecognized(t *testing.T) {
	r, o := rawServerKex(t)
	if o.err != nil {
		t.Fatal(o.err)
	}
	got := reading(t, o.tr)
	for _, n := range unrecognized {
		seq := r.pc.WriteSeq()
		r.send([]byte{byte(n)})
		if got := r.readUnimplemented(); got != seq {
			t.Errorf("%v: UNIMPLEMENTED for seq %d, want %d", n, got, seq)
		}
	}
	r.send((&wire.UserauthSuccess{}).Append(nil))
	if p, err := next(t, got); err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
		t.Fatalf("%x %v, want USERAUTH_SUCCESS", p, err)
	}
	seq := r.pc.WriteSeq()
	r.send([]byte{150})
	if got := r.readUnimplemented(); got != seq {
		t.Errorf("after auth: UNIMPLEMENTED for seq %d, want %d", got, seq)
	}
}

// TestUnrecognizedDuringNonStrictKex: a non-strict peer's unrecognized
// message between KEXINIT and the method messages is answered too, and
// the exchange completes.
// Requirement: 4253-11.4-unimplemented
func TestUnrecognizedDuringNonStrictKex(t *testing.T) {
	r, ch := startServer(t, serverCfg(t))
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.ExtInfoClient}, false))
	r.readInit()
	r.send([]byte{150})
	if got := r.readUnimplemented(); got != 1 {
		t.Errorf("UNIMPLEMENTED for seq %d, want 1", got)
	}
	r.exchange(kex.Curve25519SHA256)
	if o := wait(t, ch); o.err != nil {
		t.Fatal(o.err)
	}
}

// TestStrictKexUnrecognizedDuringKex: under strict kex the initial
// exchange admits nothing but kex messages, unrecognized ones included
// (docs/security.md#k1).
// Requirement: protocol-1.10-only-kex
func TestStrictKexUnrecognizedDuringKex(t *testing.T) {
	r, ch := startServer(t, serverCfg(t))
	r.sendInit(r.initMsg(strictClientKex, false))
	r.readInit()
	r.send([]byte{150})
	r.expectDisconnect(wire.ProtocolError)
	if o := wait(t, ch); o.err == nil {
		t.Fatal("server accepted an unrecognized message during strict kex")
	}
}

// TestKexMessageOutsideKexStaysFatal: a recognized number in the wrong
// state is a protocol error, not unimplemented.
func TestKexMessageOutsideKexStaysFatal(t *testing.T) {
	r, o := establishedServer(t)
	got := reading(t, o.tr)
	r.send([]byte{byte(wire.MsgKexECDHInit), 0, 0, 0, 0})
	r.expectDisconnect(wire.ProtocolError)
	if _, err := next(t, got); !errors.Is(err, kex.ErrUnexpectedMessage) {
		t.Fatalf("ReadPacket: %v, want ErrUnexpectedMessage", err)
	}
}

// pingPair is pair, keeping the packet Conns so that a test can mark
// user authentication done on them.
func pingPair(t *testing.T) (c, s *kex.Transport, cpc, spc *packet.Conn) {
	t.Helper()
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	a, b := packettest.Pipe()
	cpc, spc = packet.NewConn(a, nil), packet.NewConn(b, &packet.Config{Server: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, spc, scfg) })
	c, cerr := kex.ClientHandshake(ctx, cpc, ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		t.Fatalf("client: %v; server: %v", cerr, serr)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s, cpc, spc
}

// TestPing: after user authentication the client's PING is answered with
// a PONG echoing its data (OpenSSH PROTOCOL, "transport: ping
// facility"); before it Ping refuses to send; a server facing a client
// that did not advertise ping@openssh.com refuses too.
// Requirement: protocol-1.9-ping
func TestPing(t *testing.T) {
	c, s, cpc, spc := pingPair(t)
	fromS := reading(t, c) // PONGs and EXT_INFO are read by ReadPacket
	fromC := reading(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The server's EXT_INFO arrives before anything the client reads.
	for range 100 {
		if len(c.PeerExtensions()) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Ping(ctx, []byte("early")); !errors.Is(err, kex.ErrPingBeforeAuth) {
		t.Fatalf("Ping before auth: %v, want ErrPingBeforeAuth", err)
	}
	if err := s.Ping(ctx, nil); !errors.Is(err, kex.ErrPingUnsupported) {
		t.Fatalf("server Ping to a client without ping@openssh.com: %v, want ErrPingUnsupported", err)
	}
	cpc.EnableDelayedCompression() // user authentication done
	spc.EnableDelayedCompression()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := c.Ping(ctx, fmt.Appendf(nil, "ping %d", i)); err != nil {
				t.Errorf("Ping %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	// The connection still carries data both ways.
	if err := c.WritePacket(channelData(1, 10)); err != nil {
		t.Fatal(err)
	}
	if p, err := next(t, fromC); err != nil || wire.MsgNum(p[0]) != wire.MsgChannelData {
		t.Fatalf("after pings: %x %v", p, err)
	}
	if err := s.WritePacket(channelData(2, 10)); err != nil {
		t.Fatal(err)
	}
	if p, err := next(t, fromS); err != nil || wire.MsgNum(p[0]) != wire.MsgChannelData {
		t.Fatalf("after pings: %x %v", p, err)
	}
}

// TestPingCancelled: a Ping whose context ends returns its error.
func TestPingCancelled(t *testing.T) {
	c, _, cpc, _ := pingPair(t)
	reading(t, c) // for the server's EXT_INFO
	for range 100 {
		if len(c.PeerExtensions()) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cpc.EnableDelayedCompression() // the server is not authenticated: it drops PING
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for kex.PendingPings(c) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel() // the PING is out and will never be answered
	}()
	if err := c.Ping(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping: %v, want context.Canceled", err)
	}
	if n := kex.PendingPings(c); n != 0 {
		t.Fatalf("%d Pings still waiting after cancellation", n)
	}
}
