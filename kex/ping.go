package kex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sshstack/sshstack/wire"
)

var (
	// ErrPingUnsupported is returned by Ping when the peer has not
	// advertised ping@openssh.com in its SSH_MSG_EXT_INFO.
	ErrPingUnsupported = errors.New("kex: peer does not support ping@openssh.com")

	// ErrPingBeforeAuth is returned by Ping before user authentication
	// has succeeded: OpenSSH does not answer a PING then
	// (CVE-2025-26466), and neither do we.
	ErrPingBeforeAuth = errors.New("kex: ping before user authentication")

	// ErrPingDropped is returned by Ping when the peer answered a later
	// PING but not this one. OpenSSH drops a PING that arrives during a
	// key exchange instead of queueing its PONG; the caller may retry.
	ErrPingDropped = errors.New("kex: ping dropped by the peer")
)

// A pingWaiter is one Ping call waiting for its PONG.
type pingWaiter struct {
	data []byte
	done chan error // buffered; receives nil or ErrPingDropped once
}

// Ping sends SSH_MSG_PING carrying data and waits for the SSH_MSG_PONG
// that echoes it (OpenSSH PROTOCOL, "transport: ping facility"). It
// needs the peer to have advertised ping@openssh.com and user
// authentication to have succeeded; otherwise it returns
// ErrPingUnsupported or ErrPingBeforeAuth without sending anything.
// Replies come in order, so a PONG for a later PING means the peer
// dropped this one (ErrPingDropped). If ctx is done first, Ping returns
// ctx's error and forgets the PING; its PONG, if it comes, is ignored.
func (t *Transport) Ping(ctx context.Context, data []byte) error {
	if !slices.ContainsFunc(t.PeerExtensions(), func(e wire.Extension) bool { return e.Name == wire.ExtPing }) {
		return ErrPingUnsupported
	}
	if !t.pc.Authenticated() {
		return ErrPingBeforeAuth
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &pingWaiter{data: bytes.Clone(data), done: make(chan error, 1)}
	t.pingSend.Lock()
	t.pingMu.Lock()
	t.pings = append(t.pings, w)
	t.pingMu.Unlock()
	err := t.WritePacket((&wire.Ping{Data: data}).Append(nil))
	t.pingSend.Unlock()
	if err != nil {
		return err
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		t.pingMu.Lock()
		if i := slices.Index(t.pings, w); i >= 0 {
			t.pings = slices.Delete(t.pings, i, i+1)
		}
		t.pingMu.Unlock()
		return ctx.Err()
	case <-t.ctx.Done():
		return t.errOr(ErrClosed)
	}
}

// answerPing answers the peer's PING with a PONG carrying the same
// data, except before user authentication and during a key exchange,
// where it is dropped as OpenSSH does since 9.9p2 (CVE-2025-26466,
// docs/security.md#r5): nothing is queued on the peer's behalf.
func (t *Transport) answerPing(p []byte) error {
	m, err := wire.ParsePing(p)
	if err != nil {
		return fmt.Errorf("kex: %w", err)
	}
	if !t.pc.Authenticated() {
		return nil
	}
	return t.writeOwed((&wire.Pong{Data: m.Data}).Append(nil), false)
}

// gotPong wakes the Ping waiting for p's data and, with ErrPingDropped,
// the older ones the peer skipped. An unsolicited PONG is ignored.
func (t *Transport) gotPong(p []byte) error {
	m, err := wire.ParsePong(p)
	if err != nil {
		return fmt.Errorf("kex: %w", err)
	}
	t.pingMu.Lock()
	defer t.pingMu.Unlock()
	i := slices.IndexFunc(t.pings, func(w *pingWaiter) bool { return bytes.Equal(w.data, m.Data) })
	if i < 0 {
		return nil
	}
	for _, w := range t.pings[:i] {
		w.done <- ErrPingDropped
	}
	t.pings[i].done <- nil
	t.pings = slices.Delete(t.pings, 0, i+1)
	return nil
}

// answerUnrecognized sends SSH_MSG_UNIMPLEMENTED for the packet just
// read (RFC 4253, Section 11.4), carrying its sequence number.
func (t *Transport) answerUnrecognized() error {
	u := wire.Unimplemented{SeqNum: t.pc.ReadSeq() - 1}
	return t.writeOwed(u.Append(nil), true)
}

// writeOwed sends a message the reader owes the peer. It goes to the
// packet layer ahead of writes queued by a key exchange: duringKex says
// whether it may be sent between our KEXINIT and our NEWKEYS (RFC 4253,
// Section 7.1 allows transport generic messages there); if not, it is
// dropped while a key exchange runs. The reader never waits for a write
// in progress, which the peer may be holding up until we read: the
// answer then waits, up to maxOwed of them, for that write to end
// (Transport.unlockW sends it).
func (t *Transport) writeOwed(payload []byte, duringKex bool) error {
	t.mu.Lock()
	switch {
	case t.err != nil:
		defer t.mu.Unlock()
		return t.err
	case !duringKex && t.phase.running():
		t.mu.Unlock()
		return nil
	case len(t.owed) >= maxOwed:
		t.mu.Unlock()
		return fmt.Errorf("%w: %d answers owed to the peer while our writes are blocked", ErrHeldTooMuch, maxOwed)
	}
	t.owed = append(t.owed, owedAnswer{payload: payload, duringKex: duringKex})
	t.mu.Unlock()
	if t.wmu.TryLock() {
		t.unlockW()
	}
	return t.errOr(nil)
}
