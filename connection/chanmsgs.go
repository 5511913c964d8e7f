package connection

import (
	"fmt"
	"math"

	"github.com/sshstack/sshstack/wire"
)

// Handlers of the channel messages of RFC 4254, Sections 5.2-5.4. Each
// runs on the Run goroutine; a non-nil error is fatal to the Conn.

// handleData handles CHANNEL_DATA and CHANNEL_EXTENDED_DATA. It checks
// the size against our maximum packet and the window before buffering
// (docs/security.md#c1), debits the window for extended data of an unknown
// type and drops it (docs/security.md#c6), and drops data that races with our CLOSE.
// sinkHook, set by tests, sees the bytes of each direct write to a sink.
var sinkHook func(n int)

func (c *Conn) handleData(num wire.MsgNum, id uint32, ext bool, code uint32, data []byte) error {
	ch, err := c.lookup(num, id)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	if !ch.state.canReceive() {
		st := ch.state
		ch.mu.Unlock()
		if st == StateCloseSent {
			return nil
		}
		return unexpected(num, st)
	}
	n := len(data)
	if uint64(n) > uint64(ch.localMax) {
		ch.mu.Unlock()
		return fmt.Errorf("connection: %v of %d bytes on channel %d, maximum %d: %w", num, n, id, ch.localMax, ErrPacketTooLarge)
	}
	if uint64(n) > uint64(ch.recvWin) {
		win := ch.recvWin
		ch.mu.Unlock()
		return fmt.Errorf("connection: %v of %d bytes on channel %d, window %d: %w", num, n, id, win, ErrWindowExceeded)
	}
	ch.recvWin -= uint32(n)
	ch.touchActive()
	if ext && code != wire.ExtendedDataStderr {
		// Debited and dropped (docs/security.md#c6): count it as read.
		ch.adjust += uint32(n)
		var p ctlPacket
		if ch.adjustDue() {
			p = ctlPacket{b: ch.takeAdjust(nil), ch: ch}
		}
		ch.mu.Unlock()
		if p.b != nil {
			return c.enqueue(p)
		}
		return nil
	}
	s := &ch.out
	if ext {
		s = &ch.ext
	}
	var adj ctlPacket
	if s.sink != nil && s.buf.len() == 0 && !ch.datagram {
		// A WriteTo is waiting on a non-blocking descriptor: hand the
		// data over without copying it (sink_linux.go).
		n, err := s.sink.tryWrite(data)
		if sinkHook != nil {
			sinkHook(n)
		}
		data = data[n:]
		s.sunk += int64(n)
		ch.adjust += uint32(n)
		if err != nil {
			s.sink, s.sinkErr = nil, err
		}
		if ch.adjustDue() {
			adj = ctlPacket{b: ch.takeAdjust(nil), ch: ch}
		}
		if err == nil && len(data) == 0 {
			ch.mu.Unlock()
			if adj.b != nil {
				return c.enqueue(adj)
			}
			return nil
		}
	}
	if ch.datagram && !ext {
		if n == 0 {
			ch.mu.Unlock()
			return nil
		}
		s.msgs = append(s.msgs, n)
	}
	s.buf.write(data)
	ch.mu.Unlock()
	signal(s.sig)
	if adj.b != nil {
		return c.enqueue(adj)
	}
	return nil
}

// handleWindowAdjust handles CHANNEL_WINDOW_ADJUST; a window past
// 2^32-1 is an error, never a wrap (docs/security.md#c2).
func (c *Conn) handleWindowAdjust(m wire.ChannelWindowAdjust) error {
	const num = wire.MsgChannelWindowAdjust
	ch, err := c.lookup(num, m.Recipient)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	st := ch.state
	switch {
	case st.open():
		sum := uint64(ch.remoteWin) + uint64(m.Bytes)
		if sum > math.MaxUint32 {
			ch.mu.Unlock()
			return fmt.Errorf("connection: channel %d window %d + %d: %w", m.Recipient, sum-uint64(m.Bytes), m.Bytes, ErrWindowOverflow)
		}
		ch.remoteWin = uint32(sum)
		ch.mu.Unlock()
		signal(ch.wSig)
		return nil
	case st == StateCloseSent:
		ch.mu.Unlock()
		return nil
	}
	ch.mu.Unlock()
	return unexpected(num, st)
}

// handleEOF handles CHANNEL_EOF (RFC 4254, Section 5.3).
func (c *Conn) handleEOF(id uint32) error {
	const num = wire.MsgChannelEOF
	ch, err := c.lookup(num, id)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	switch st := ch.state; st {
	case StateOpen:
		ch.state = StateEOFReceived
	case StateEOFSent:
		ch.state = StateEOFBoth
	case StateCloseSent:
		ch.mu.Unlock()
		return nil
	default:
		ch.mu.Unlock()
		return unexpected(num, st)
	}
	ch.eofRecv = true
	ch.mu.Unlock()
	signal(ch.out.sig)
	signal(ch.ext.sig)
	return nil
}

// handleClose handles CHANNEL_CLOSE (RFC 4254, Section 5.3): answer with
// our own CLOSE unless we sent it, and free the id.
func (c *Conn) handleClose(id uint32) error {
	const num = wire.MsgChannelClose
	ch, err := c.lookup(num, id)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	st := ch.state
	if !st.open() && st != StateCloseSent {
		ch.mu.Unlock()
		return unexpected(num, st)
	}
	ch.state = StateClosed
	ch.closeRecv = true
	ch.replies = nil
	ch.markClosed()
	rid := ch.remoteID
	ch.mu.Unlock()
	c.free(ch)
	if st != StateCloseSent {
		m := wire.ChannelClose{Recipient: rid}
		return c.enqueue(ctlPacket{b: m.Append(nil), ch: ch, close: true})
	}
	return nil
}

// handleReply handles CHANNEL_SUCCESS and CHANNEL_FAILURE: the answer to
// the oldest request of ours that wants one.
func (c *Conn) handleReply(num wire.MsgNum, id uint32, ok bool) error {
	ch, err := c.lookup(num, id)
	if err != nil {
		if c.freed(id) {
			// A reply that overtook nothing: the peer answered a request
			// after its own CLOSE, and the channel is gone. OpenSSH logs
			// and goes on (paramiko's threaded servers do this); so do we
			// (docs/deviations.md). An id never allocated stays fatal
			// (docs/security.md#c3).
			c.log.Debug("connection: reply for a closed channel ignored", "msg", num, "channel", id)
			return nil
		}
		return err
	}
	ch.mu.Lock()
	st := ch.state
	if !st.open() && st != StateCloseSent {
		ch.mu.Unlock()
		return unexpected(num, st)
	}
	if len(ch.replies) == 0 {
		ch.mu.Unlock()
		if st == StateCloseSent {
			return nil
		}
		return fmt.Errorf("connection: %v on channel %d: %w", num, id, ErrUnexpectedReply)
	}
	w := ch.replies[0]
	ch.replies[0] = nil
	ch.replies = ch.replies[1:]
	ch.mu.Unlock()
	w.ok = ok
	close(w.done)
	return nil
}

// handleRequest handles CHANNEL_REQUEST: check the request-specific data,
// let the channel's handler decide, and reply in order.
func (c *Conn) handleRequest(m wire.ChannelRequest) error {
	const num = wire.MsgChannelRequest
	ch, err := c.lookup(num, m.Recipient)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	st := ch.state
	h := ch.handler
	ch.mu.Unlock()
	if st == StateCloseSent {
		return nil
	}
	if !st.open() {
		return unexpected(num, st)
	}
	req := &Request{Type: m.Type, WantReply: m.WantReply, Payload: m.Extra, ch: ch}
	ok := ch.checkRequest(req)
	if ok {
		switch {
		case h != nil:
			ok = h(ch, req)
		default:
			ok = req.Type == wire.RequestExitStatus || req.Type == wire.RequestExitSignal
		}
	}
	return req.Reply(ok)
}

// Reply answers the request with CHANNEL_SUCCESS (ok) or CHANNEL_FAILURE
// (RFC 4254, Section 5.4) at once, if the peer wants a reply and none was
// sent yet; the handler's result is then ignored. Call it only from the
// RequestHandler, before starting work that sends on the channel (output,
// EOF, exit-status, CLOSE), so that the reply goes out first: otherwise
// the reply, sent when the handler returns, may follow that work, and is
// dropped altogether if the work already closed the channel. Reply
// queues the packet for the Conn's writer and returns at once.
func (r *Request) Reply(ok bool) error {
	if !r.WantReply || r.replied || r.ch == nil {
		return nil
	}
	r.replied = true
	ch := r.ch
	ch.mu.Lock()
	open := ch.state.open()
	rid := ch.remoteID
	ch.mu.Unlock()
	if !open { // closed meanwhile: nothing may follow our CLOSE
		return nil
	}
	b := make([]byte, 0, 5)
	if ok {
		b = append(b, byte(wire.MsgChannelSuccess))
	} else {
		b = append(b, byte(wire.MsgChannelFailure))
	}
	// Queued: the writer drops it if our CLOSE goes out first.
	return ch.c.enqueue(ctlPacket{b: wire.AppendUint32(b, rid), ch: ch})
}
