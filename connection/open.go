package connection

import (
	"context"
	"fmt"
	"slices"

	"github.com/sshstack/sshstack/wire"
)

// A NewChannel is a channel the peer asked to open (RFC 4254,
// Section 5.1), returned by Conn.Accept. Call Accept or Reject exactly
// once; until then it holds a channel id.
type NewChannel struct {
	ch *Channel
}

// Type returns the channel type, e.g. wire.ChannelTypeDirectTCPIP.
func (nc *NewChannel) Type() string { return nc.ch.typ }

// ExtraData returns the type-specific data of the open; the caller must
// not modify it. The typed accessors below decode it.
func (nc *NewChannel) ExtraData() []byte { return nc.ch.extra }

// DirectTCPIP decodes the data of a "direct-tcpip" open (RFC 4254,
// Section 7.2).
func (nc *NewChannel) DirectTCPIP() (wire.DirectTCPIP, error) {
	return wire.ParseDirectTCPIP(nc.ch.extra)
}

// ForwardedTCPIP decodes the data of a "forwarded-tcpip" open (RFC 4254,
// Section 7.2).
func (nc *NewChannel) ForwardedTCPIP() (wire.ForwardedTCPIP, error) {
	return wire.ParseForwardedTCPIP(nc.ch.extra)
}

// X11 decodes the data of an "x11" open (RFC 4254, Section 6.3.2).
func (nc *NewChannel) X11() (wire.X11Open, error) { return wire.ParseX11Open(nc.ch.extra) }

// TunOpen decodes the data of a "tun@openssh.com" open (OpenSSH
// PROTOCOL, Section 2.3). Accept such a channel with AcceptChannel and
// ChannelConfig.Datagram.
func (nc *NewChannel) TunOpen() (wire.TunOpen, error) { return wire.ParseTunOpen(nc.ch.extra) }

// DirectStreamLocal decodes the data of a
// "direct-streamlocal@openssh.com" open (OpenSSH PROTOCOL, Section 2.4).
func (nc *NewChannel) DirectStreamLocal() (wire.DirectStreamLocal, error) {
	return wire.ParseDirectStreamLocal(nc.ch.extra)
}

// ForwardedStreamLocal decodes the data of a
// "forwarded-streamlocal@openssh.com" open (OpenSSH PROTOCOL, Section 2.4).
func (nc *NewChannel) ForwardedStreamLocal() (wire.ForwardedStreamLocal, error) {
	return wire.ParseForwardedStreamLocal(nc.ch.extra)
}

// A ChannelConfig sets one channel's receive window, maximum packet size
// and request handler, overriding the Conn's Config.
type ChannelConfig struct {
	Window    uint32         // 0 takes Config.Window
	MaxPacket uint32         // 0 takes Config.MaxPacket; at most MaxPacketLimit
	Requests  RequestHandler // may be nil
	// Datagram keeps the boundaries of CHANNEL_DATA messages, as
	// OpenSSH's datagram channels do (tun@openssh.com): each Read
	// returns the data of one message (io.ErrShortBuffer, with the
	// message's tail dropped, when p is too small) and each Write sends
	// p as one message, waiting for a window that takes all of it, or
	// fails with ErrMessageTooLarge when p is larger than the peer's
	// maximum packet. WriteTo and ReadFrom stay byte streams. Stderr is
	// unaffected.
	Datagram bool
}

// apply sets cc's window and maximum packet size on ch, which is not yet
// visible to the peer.
func (ch *Channel) apply(cc *ChannelConfig) {
	if cc == nil {
		cc = &ChannelConfig{}
	}
	if cc.Window != 0 {
		ch.localWin, ch.recvWin = cc.Window, cc.Window
		ch.out.buf.limit, ch.ext.buf.limit = int(cc.Window), int(cc.Window)
	}
	if cc.MaxPacket != 0 {
		ch.localMax = min(cc.MaxPacket, MaxPacketLimit)
		if ch.peerMax != 0 { // incoming: the peer's limit is known
			ch.sendMax = min(ch.peerMax, ch.localMax)
		}
	}
	ch.handler = cc.Requests
	ch.datagram = cc.Datagram
}

// Accept confirms the open with CHANNEL_OPEN_CONFIRMATION and returns the
// channel. h answers the peer's channel requests; it may be nil.
func (nc *NewChannel) Accept(h RequestHandler) (*Channel, error) {
	return nc.AcceptChannel(&ChannelConfig{Requests: h})
}

// AcceptChannel is Accept with a per-channel window and maximum packet
// size.
func (nc *NewChannel) AcceptChannel(cc *ChannelConfig) (*Channel, error) {
	ch := nc.ch
	c := ch.c
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ch.mu.Lock()
	if ch.state != StatePending {
		st, err := ch.state, ch.err
		ch.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("connection: accepting a channel in state %v: %w", st, ErrInvalidArgument)
	}
	ch.apply(cc)
	ch.state = StateOpen
	m := wire.ChannelOpenConfirmation{
		Recipient:     ch.remoteID,
		Sender:        ch.localID,
		InitialWindow: ch.localWin,
		MaxPacket:     ch.localMax,
	}
	ch.mu.Unlock()
	if err := c.writeLocked(m.Append(c.wbuf[:0])); err != nil {
		return nil, err
	}
	return ch, nil
}

// Reject refuses the open with CHANNEL_OPEN_FAILURE (RFC 4254,
// Section 5.1) and frees its id.
func (nc *NewChannel) Reject(reason wire.OpenFailureReason, message string) error {
	ch := nc.ch
	c := ch.c
	c.writeMu.Lock()
	ch.mu.Lock()
	if ch.state != StatePending {
		st, err := ch.state, ch.err
		ch.mu.Unlock()
		c.writeMu.Unlock()
		if err != nil {
			return err
		}
		return fmt.Errorf("connection: rejecting a channel in state %v: %w", st, ErrInvalidArgument)
	}
	ch.state = StateClosed
	ch.markClosed()
	m := wire.ChannelOpenFailure{Recipient: ch.remoteID, Reason: reason, Description: message}
	ch.mu.Unlock()
	err := c.writeLocked(m.Append(c.wbuf[:0]))
	c.writeMu.Unlock()
	c.free(ch)
	return err
}

// Open opens a channel of type typ with type-specific data extra
// (RFC 4254, Section 5.1) and waits for the peer's answer. A refusal is an
// *OpenError. h answers the peer's requests on the channel; it may be nil.
// If ctx ends first Open returns its error, and a confirmation that comes
// later is answered with CHANNEL_CLOSE.
func (c *Conn) Open(ctx context.Context, typ string, extra []byte, h RequestHandler) (*Channel, error) {
	return c.OpenChannel(ctx, typ, extra, &ChannelConfig{Requests: h})
}

// OpenChannel is Open with a per-channel window and maximum packet size.
func (c *Conn) OpenChannel(ctx context.Context, typ string, extra []byte, cc *ChannelConfig) (*Channel, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := c.newChannel(typ, slices.Clone(extra))
	ch.state = StateOpening
	ch.apply(cc)
	ch.openDone = make(chan struct{})
	// Holding writeMu while allocating orders a reused id's OPEN after
	// the CLOSE of its previous owner.
	c.writeMu.Lock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		c.writeMu.Unlock()
		return nil, err
	}
	if !c.allocate(ch) {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return nil, ErrTooManyChannels
	}
	c.mu.Unlock()
	m := wire.ChannelOpen{
		Type:          typ,
		Sender:        ch.localID,
		InitialWindow: ch.localWin,
		MaxPacket:     ch.localMax,
		Extra:         extra,
	}
	err := c.writeLocked(m.Append(c.wbuf[:0]))
	c.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case <-ch.openDone:
	case <-ctx.Done():
		ch.mu.Lock()
		if ch.state == StateOpening {
			ch.abandoned = true
			ch.mu.Unlock()
			return nil, ctx.Err()
		}
		ch.mu.Unlock()
		<-ch.openDone // answered meanwhile: closed right after the state change
	}
	ch.mu.Lock()
	err = ch.openErr
	ch.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// OpenSession opens a "session" channel (RFC 4254, Section 6.1).
func (c *Conn) OpenSession(ctx context.Context, h RequestHandler) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeSession, nil, h)
}

// OpenDirectTCPIP opens a "direct-tcpip" channel (RFC 4254, Section 7.2):
// a client asks the server to connect to d.Host:d.Port.
func (c *Conn) OpenDirectTCPIP(ctx context.Context, d wire.DirectTCPIP) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeDirectTCPIP, d.Append(nil), nil)
}

// OpenForwardedTCPIP opens a "forwarded-tcpip" channel (RFC 4254,
// Section 7.2): a server reports a connection to a forwarded port.
func (c *Conn) OpenForwardedTCPIP(ctx context.Context, f wire.ForwardedTCPIP) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeForwardedTCPIP, f.Append(nil), nil)
}

// OpenDirectStreamLocal opens a "direct-streamlocal@openssh.com" channel
// (OpenSSH PROTOCOL, Section 2.4).
func (c *Conn) OpenDirectStreamLocal(ctx context.Context, d wire.DirectStreamLocal) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeDirectStreamLocal, d.Append(nil), nil)
}

// OpenForwardedStreamLocal opens a "forwarded-streamlocal@openssh.com"
// channel (OpenSSH PROTOCOL, Section 2.4).
func (c *Conn) OpenForwardedStreamLocal(ctx context.Context, f wire.ForwardedStreamLocal) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeForwardedStreamLocal, f.Append(nil), nil)
}

// OpenX11 opens an "x11" channel (RFC 4254, Section 6.3.2).
func (c *Conn) OpenX11(ctx context.Context, x wire.X11Open) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeX11, x.Append(nil), nil)
}

// TunWindow and TunMaxPacket are the window and maximum packet size of
// OpenSSH's tun channels (CHAN_TCP_WINDOW_DEFAULT, CHAN_TCP_PACKET_DEFAULT).
const (
	TunWindow    = 64 * 32 << 10
	TunMaxPacket = 32 << 10
)

// OpenTun opens a "tun@openssh.com" channel (OpenSSH PROTOCOL,
// Section 2.3; ssh -w): a datagram channel (ChannelConfig.Datagram), one
// packet or frame per message, with OpenSSH's window.
func (c *Conn) OpenTun(ctx context.Context, t wire.TunOpen) (*Channel, error) {
	return c.OpenChannel(ctx, wire.ChannelTypeTun, t.Append(nil), &ChannelConfig{Window: TunWindow, MaxPacket: TunMaxPacket, Datagram: true})
}

// OpenAuthAgent opens an "auth-agent@openssh.com" channel (OpenSSH
// PROTOCOL.agent).
func (c *Conn) OpenAuthAgent(ctx context.Context) (*Channel, error) {
	return c.Open(ctx, wire.ChannelTypeAuthAgent, nil, nil)
}

// checkOpenData decodes the type-specific data of the channel types we
// know, so that a malformed open is refused before it reaches Accept.
func checkOpenData(typ string, b []byte) error {
	var err error
	switch typ {
	case wire.ChannelTypeSession, wire.ChannelTypeAuthAgent:
		if len(b) != 0 {
			err = wire.ErrTrailingData
		}
	case wire.ChannelTypeDirectTCPIP:
		_, err = wire.ParseDirectTCPIP(b)
	case wire.ChannelTypeForwardedTCPIP:
		_, err = wire.ParseForwardedTCPIP(b)
	case wire.ChannelTypeX11:
		_, err = wire.ParseX11Open(b)
	case wire.ChannelTypeDirectStreamLocal:
		_, err = wire.ParseDirectStreamLocal(b)
	case wire.ChannelTypeForwardedStreamLocal:
		_, err = wire.ParseForwardedStreamLocal(b)
	case wire.ChannelTypeTun:
		_, err = wire.ParseTunOpen(b)
	}
	return err
}

// handleOpen handles CHANNEL_OPEN: refuse it, or queue it for Accept.
func (c *Conn) handleOpen(m wire.ChannelOpen) error {
	reason, msg := c.admit(m)
	if reason != 0 {
		return c.send(&wire.ChannelOpenFailure{Recipient: m.Sender, Reason: reason, Description: msg})
	}
	return nil
}

// admit queues the open m, or returns why it is refused.
func (c *Conn) admit(m wire.ChannelOpen) (wire.OpenFailureReason, string) {
	if c.cfg.ChannelTypes != nil && !slices.Contains(c.cfg.ChannelTypes, m.Type) {
		return wire.UnknownChannelType, "unknown channel type"
	}
	if m.MaxPacket == 0 {
		return wire.ConnectFailed, "maximum packet size 0"
	}
	if err := checkOpenData(m.Type, m.Extra); err != nil {
		return wire.ConnectFailed, "malformed channel open data"
	}
	session := m.Type == wire.ChannelTypeSession
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return wire.ConnectFailed, "connection closing"
	}
	nSessions, noSessions := c.nSessions, c.noSessions
	c.mu.Unlock()
	if session {
		switch {
		case noSessions:
			return wire.AdministrativelyProhibited, "no-more-sessions"
		case c.cfg.MaxSessions >= 0 && nSessions >= c.cfg.MaxSessions:
			return wire.ResourceShortage, "too many sessions"
		case c.cfg.AllowSession != nil && !c.cfg.AllowSession(nSessions):
			return wire.ResourceShortage, "session refused"
		}
	}
	ch := c.newChannel(m.Type, slices.Clone(m.Extra))
	ch.state = StatePending
	ch.remoteID = m.Sender
	ch.remoteWin = m.InitialWindow
	ch.peerMax = m.MaxPacket
	ch.sendMax = min(m.MaxPacket, c.cfg.MaxPacket)
	ch.incomingSession = session
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return wire.ConnectFailed, "connection closing"
	}
	if len(c.acceptQ) >= MaxPendingOpens || !c.allocate(ch) {
		return wire.ResourceShortage, "too many channels"
	}
	if session {
		c.nSessions++
	}
	c.acceptQ = append(c.acceptQ, &NewChannel{ch: ch})
	signal(c.acceptSig)
	if h := c.cfg.HandleChannel; h != nil && !c.handling {
		c.handling = true
		c.handleWG.Add(1)
		go c.handleOpens(h)
	}
	return 0, ""
}

// handleOpens passes the queued opens to h until the queue is empty.
func (c *Conn) handleOpens(h func(*NewChannel)) {
	defer c.handleWG.Done()
	for {
		c.mu.Lock()
		if len(c.acceptQ) == 0 || c.err != nil {
			c.handling = false
			c.mu.Unlock()
			return
		}
		nc := c.acceptQ[0]
		c.acceptQ[0] = nil
		c.acceptQ = c.acceptQ[1:]
		c.mu.Unlock()
		h(nc)
	}
}

// handleOpenConfirmation handles CHANNEL_OPEN_CONFIRMATION; only a
// channel in state Opening expects one (docs/security.md#c3).
func (c *Conn) handleOpenConfirmation(m wire.ChannelOpenConfirmation) error {
	ch, err := c.lookup(wire.MsgChannelOpenConfirmation, m.Recipient)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	if ch.state != StateOpening {
		st := ch.state
		ch.mu.Unlock()
		return unexpected(wire.MsgChannelOpenConfirmation, st)
	}
	if m.MaxPacket == 0 {
		ch.mu.Unlock()
		return fmt.Errorf("connection: CHANNEL_OPEN_CONFIRMATION with maximum packet size 0: %w", wire.ErrInvalid)
	}
	ch.remoteID = m.Sender
	ch.remoteWin = m.InitialWindow
	ch.peerMax = m.MaxPacket
	ch.sendMax = min(m.MaxPacket, ch.localMax)
	ch.state = StateOpen
	close(ch.openDone)
	if !ch.abandoned {
		ch.mu.Unlock()
		return nil
	}
	// Open gave up: close it at once.
	ch.state = StateCloseSent
	ch.localClosed = true
	ch.markDead()
	ch.mu.Unlock()
	cl := wire.ChannelClose{Recipient: m.Sender}
	return c.enqueue(ctlPacket{b: cl.Append(nil), ch: ch, close: true})
}

// handleOpenFailure handles CHANNEL_OPEN_FAILURE for a channel in state
// Opening.
func (c *Conn) handleOpenFailure(m wire.ChannelOpenFailure) error {
	ch, err := c.lookup(wire.MsgChannelOpenFailure, m.Recipient)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	if ch.state != StateOpening {
		st := ch.state
		ch.mu.Unlock()
		return unexpected(wire.MsgChannelOpenFailure, st)
	}
	ch.openErr = &OpenError{Reason: m.Reason, Message: m.Description}
	ch.state = StateClosed
	ch.markClosed()
	ch.mu.Unlock()
	c.free(ch) // before Open returns, so the id counts are settled
	close(ch.openDone)
	return nil
}
