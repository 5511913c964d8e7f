package connection

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait in these tests, so a bug shows as a
// failure instead of a hung test binary.
const testTimeout = 10 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// running is a Conn whose Run goroutine the test owns.
type running struct {
	*Conn
	runErr chan error
}

// start runs c and closes it when the test ends.
func start(t testing.TB, c *Conn) *running {
	r := &running{Conn: c, runErr: make(chan error, 1)}
	go func() { r.runErr <- c.Run(context.Background()) }()
	t.Cleanup(func() { c.Close() })
	return r
}

// result waits for Run to return and gives its error.
func (r *running) result(t testing.TB) error {
	t.Helper()
	select {
	case err := <-r.runErr:
		r.runErr <- err
		return err
	case <-time.After(testTimeout):
		t.Fatal("Run did not return")
		return nil
	}
}

// pair returns two running Conns joined by an in-memory transport.
func pair(t testing.TB, ca, cb *Config) (a, b *running) {
	ta, tb := wiretest.Pipe()
	return start(t, New(ta, ca)), start(t, New(tb, cb))
}

// openPair opens a channel of typ from a to b and returns both ends.
func openPair(t testing.TB, a, b *running, typ string, extra []byte, ha, hb RequestHandler) (ca, cb *Channel) {
	t.Helper()
	ctx := testCtx(t)
	type res struct {
		ch  *Channel
		err error
	}
	got := make(chan res, 1)
	go func() {
		nc, err := b.Accept(ctx)
		if err != nil {
			got <- res{nil, err}
			return
		}
		ch, err := nc.Accept(hb)
		got <- res{ch, err}
	}()
	ca, err := a.Open(ctx, typ, extra, ha)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("Accept: %v", r.err)
	}
	return ca, r.ch
}

// A peer is the far end of a transport, driven by hand to send what a
// real implementation would not.
type peer struct {
	t  testing.TB
	tr *wiretest.Transport
}

// rawPair returns a running Conn and a hand-driven peer.
func rawPair(t testing.TB, cfg *Config) (*running, *peer) {
	ta, tb := wiretest.Pipe()
	c := start(t, New(ta, cfg))
	t.Cleanup(func() { tb.Close() })
	return c, &peer{t: t, tr: tb}
}

func (p *peer) send(m wire.Message) {
	p.t.Helper()
	p.sendRaw(m.Append(nil))
}

func (p *peer) sendRaw(b []byte) {
	p.t.Helper()
	if err := p.tr.WritePacket(b); err != nil {
		p.t.Fatalf("peer write: %v", err)
	}
}

// recv returns the next packet from the Conn, or fails the test.
func (p *peer) recv() []byte {
	p.t.Helper()
	type res struct {
		b   []byte
		err error
	}
	got := make(chan res, 1)
	go func() {
		b, err := p.tr.ReadPacket()
		got <- res{b, err}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			p.t.Fatalf("peer read: %v", r.err)
		}
		return r.b
	case <-time.After(testTimeout):
		p.tr.Close()
		p.t.Fatal("peer read: timeout")
		return nil
	}
}

// expect reads the next packet and checks its number.
func (p *peer) expect(num wire.MsgNum) []byte {
	p.t.Helper()
	b := p.recv()
	if len(b) == 0 || wire.MsgNum(b[0]) != num {
		p.t.Fatalf("peer got %v, want %v", wire.Describe(b, wire.ContextNone), num)
	}
	return b
}

// expectDisconnect reads until DISCONNECT or the end of the transport.
func (p *peer) expectDisconnect() {
	p.t.Helper()
	for {
		b, err := p.tr.ReadPacket()
		if err != nil {
			p.t.Errorf("transport ended without DISCONNECT: %v", err)
			return
		}
		if len(b) > 0 && wire.MsgNum(b[0]) == wire.MsgDisconnect {
			m, err := wire.ParseDisconnect(b)
			if err != nil || m.Reason != wire.ProtocolError {
				p.t.Errorf("DISCONNECT %+v, %v; want PROTOCOL_ERROR", m, err)
			}
			return
		}
	}
}

const peerID = 77 // the peer's channel number in raw tests

// openFromPeer makes the peer open a session channel with window and
// maxPacket, accepts it with h, and returns it with our id.
func openFromPeer(t testing.TB, c *running, p *peer, window, maxPacket uint32, h RequestHandler) *Channel {
	t.Helper()
	return openTypeFromPeer(t, c, p, wire.ChannelTypeSession, nil, window, maxPacket, h)
}

func openTypeFromPeer(t testing.TB, c *running, p *peer, typ string, extra []byte, window, maxPacket uint32, h RequestHandler) *Channel {
	t.Helper()
	p.send(&wire.ChannelOpen{Type: typ, Sender: peerID, InitialWindow: window, MaxPacket: maxPacket, Extra: extra})
	nc, err := c.Accept(testCtx(t))
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	ch, err := nc.Accept(h)
	if err != nil {
		t.Fatalf("NewChannel.Accept: %v", err)
	}
	m, err := wire.ParseChannelOpenConfirmation(p.expect(wire.MsgChannelOpenConfirmation))
	if err != nil || m.Recipient != peerID || m.Sender != ch.LocalID() {
		t.Fatalf("confirmation %+v, %v", m, err)
	}
	return ch
}

// openToPeer opens a channel from the Conn to the peer, which confirms
// with window and maxPacket.
func openToPeer(t testing.TB, c *running, p *peer, window, maxPacket uint32, h RequestHandler) *Channel {
	t.Helper()
	got := make(chan *Channel, 1)
	go func() {
		ch, err := c.Open(testCtx(t), wire.ChannelTypeSession, nil, h)
		if err != nil {
			t.Errorf("Open: %v", err)
		}
		got <- ch
	}()
	m, err := wire.ParseChannelOpen(p.expect(wire.MsgChannelOpen))
	if err != nil {
		t.Fatal(err)
	}
	p.send(&wire.ChannelOpenConfirmation{Recipient: m.Sender, Sender: peerID, InitialWindow: window, MaxPacket: maxPacket})
	ch := <-got
	if ch == nil {
		t.FailNow()
	}
	return ch
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got %v, want %v", what, err, target)
	}
}

// waitState polls ch's state until it is want; state changes happen on
// the Run goroutine.
func waitState(t testing.TB, ch *Channel, want State) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for ch.State() != want {
		if time.Now().After(deadline) {
			t.Fatalf("state %v, want %v", ch.State(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// pipeEnds returns a fresh transport pair without Conns.
func pipeEnds() (*wiretest.Transport, *wiretest.Transport) { return wiretest.Pipe() }
