package connection

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/sshstack/sshstack/wire"
)

// A RequestHandler answers the channel requests (RFC 4254, Section 5.4)
// the peer sends on one channel. It runs on the Run goroutine, one request
// at a time in arrival order, so the replies go out in order. Run reads
// nothing while a handler runs, so a handler must return promptly and must
// not call a blocking method of this Conn or its channels (Read, Write,
// SendRequest, Open): start a goroutine for such work, after calling
// req.Reply so that the reply precedes what the work sends. Channel.Close
// and CloseWrite are fine. Its result
// is sent as CHANNEL_SUCCESS or CHANNEL_FAILURE when the peer wants a
// reply, unless the handler already called req.Reply. req.Payload is
// valid only during the call.
//
// The Conn checks the request-specific data of the request types it knows
// (Section 6 and RFC 4335) before calling the handler: malformed data,
// terminal modes, oversized dimensions or values, and more than
// MaxEnvPerChannel "env" requests are refused without calling it
// (docs/security.md#c5). "exit-status" and "exit-signal" are also recorded
// (ExitStatus, ExitSignal) before the handler runs; with a nil handler
// they are accepted and every other request is refused.
type RequestHandler func(ch *Channel, req *Request) bool

// A Request is an incoming channel request.
type Request struct {
	Type      string // e.g. wire.RequestExec
	WantReply bool
	Payload   []byte // request-specific data; aliases the packet

	ch      *Channel // owned by the Run goroutine
	replied bool     // owned by the Run goroutine
}

// A stream is one direction-pair of a channel's data: the normal data or
// the stderr extended data (RFC 4254, Section 5.2).
type stream struct {
	buf  ring          // guarded by the channel's mu
	msgs []int         // datagram channels: sizes of the buffered messages, oldest first; guarded by mu
	sig  chan struct{} // capacity 1: data, EOF or close arrived
	rsem chan struct{} // capacity 1: held by the one reader waiting
	wsem chan struct{} // capacity 1: held by the one writer sending

	// A WriteTo waiting with buf empty lends its sink to the Run
	// goroutine (sink_linux.go); guarded by the channel's mu.
	sink    *sink
	sunk    int64 // bytes the Run goroutine wrote to sink, for WriteTo's count
	sinkErr error // the sink's write error, for WriteTo to return
}

func newStream(limit uint32) stream {
	return stream{
		buf:  ring{limit: int(limit)},
		sig:  make(chan struct{}, 1),
		rsem: make(chan struct{}, 1),
		wsem: make(chan struct{}, 1),
	}
}

// A Channel is an open SSH channel (RFC 4254, Section 5). It is an
// io.ReadWriteCloser over the channel's data; Stderr gives the extended
// data of type 1. Read and Write have ReadContext and WriteContext
// variants that return when ctx ends. All methods are safe for
// concurrent use; concurrent Reads (or Writes) are served one at a time.
type Channel struct {
	c     *Conn
	typ   string
	extra []byte

	// Fixed before the peer learns our id (ChannelConfig), read-only after.
	localWin        uint32 // initial window we grant
	localMax        uint32 // largest data packet we accept
	incomingSession bool   // peer-opened "session": counts against MaxSessions
	datagram        bool   // one CHANNEL_DATA per Read and per Write (ChannelConfig.Datagram)

	localID uint32 // set by Conn.allocate under Conn.mu before the channel is visible

	mu            sync.Mutex
	state         State          // guarded by mu
	handler       RequestHandler // guarded by mu
	err           error          // guarded by mu; the Conn's error once it died
	openErr       error          // guarded by mu; why an open failed
	abandoned     bool           // guarded by mu; Open gave up waiting (ctx)
	localClosed   bool           // guarded by mu; Close was called
	eofRecv       bool           // guarded by mu
	closeRecv     bool           // guarded by mu
	remoteID      uint32         // guarded by mu; set at confirmation
	peerMax       uint32         // guarded by mu; the peer's maximum packet size
	sendMax       uint32         // guarded by mu; min(peer's max packet, ours)
	remoteWin     uint32         // guarded by mu; bytes we may send
	recvWin       uint32         // guarded by mu; bytes the peer may send
	adjust        uint32         // guarded by mu; read but not yet returned to the peer
	envCount      int            // guarded by mu
	exitStatus    uint32         // guarded by mu
	hasExitStatus bool           // guarded by mu
	exitSignal    wire.ExitSignal
	hasExitSignal bool           // guarded by mu
	replies       []*replyWaiter // guarded by mu; our requests, FIFO
	deadClosed    bool           // guarded by mu
	closedClosed  bool           // guarded by mu
	afterClose    []*afterClose  // guarded by mu; AfterClose funcs to start
	closeWritten  bool           // guarded by Conn.writeMu; our CLOSE was written

	out, ext stream
	stderr   Stderr
	idle     inactivity // SetInactivityTimeout; its own lock

	openDone chan struct{} // outgoing opens: closed when answered
	dead     chan struct{} // closed when no more local I/O is possible
	closed   chan struct{} // closed in state Closed (or when the Conn died)
	wSig     chan struct{} // capacity 1: window grew, EOF sent
}

func (c *Conn) newChannel(typ string, extra []byte) *Channel {
	ch := &Channel{
		c:        c,
		typ:      typ,
		extra:    extra,
		localWin: c.cfg.Window,
		localMax: c.cfg.MaxPacket,
		recvWin:  c.cfg.Window,
		out:      newStream(c.cfg.Window),
		ext:      newStream(c.cfg.Window),
		dead:     make(chan struct{}),
		closed:   make(chan struct{}),
		wSig:     make(chan struct{}, 1),
	}
	ch.stderr.ch = ch
	return ch
}

// Type returns the channel type, e.g. wire.ChannelTypeSession.
func (ch *Channel) Type() string { return ch.typ }

// ExtraData returns the type-specific data of the CHANNEL_OPEN; the
// caller must not modify it.
func (ch *Channel) ExtraData() []byte { return ch.extra }

// LocalID returns our channel number.
func (ch *Channel) LocalID() uint32 { return ch.localID }

// RemoteID returns the peer's channel number.
func (ch *Channel) RemoteID() uint32 {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.remoteID
}

// State returns the channel's current state.
func (ch *Channel) State() State {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.state
}

// Buffered returns the bytes received and not yet read, data and stderr
// together. It never exceeds the window (docs/security.md#c1).
func (ch *Channel) Buffered() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.out.buf.len() + ch.ext.buf.len()
}

// markDead and markClosed close the wake-up channels once; ch.mu held.
func (ch *Channel) markDead() {
	if !ch.deadClosed {
		ch.deadClosed = true
		close(ch.dead)
		ch.stopInactivity()
	}
}

func (ch *Channel) markClosed() {
	ch.markDead()
	if !ch.closedClosed {
		ch.closedClosed = true
		close(ch.closed)
		for _, a := range ch.afterClose {
			go a.f()
		}
		ch.afterClose = nil
	}
}

type afterClose struct{ f func() }

// AfterClose arranges for f to run in its own goroutine once the channel
// is closed, when Wait would return: at once if it is already. Like
// context.AfterFunc, it keeps no goroutine waiting meanwhile. stop
// unregisters f and reports whether it kept f from being started.
func (ch *Channel) AfterClose(f func()) (stop func() bool) {
	a := &afterClose{f: f}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.closedClosed {
		go f()
		return func() bool { return false }
	}
	ch.afterClose = append(ch.afterClose, a)
	return func() bool {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		for i, b := range ch.afterClose {
			if b == a {
				ch.afterClose = append(ch.afterClose[:i], ch.afterClose[i+1:]...)
				return true
			}
		}
		return false
	}
}

// connDied wakes every waiter of the channel after the Conn ended.
func (ch *Channel) connDied(err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.err == nil {
		ch.err = err
	}
	if ch.state == StateOpening {
		ch.openErr = err
		close(ch.openDone)
	}
	ch.state = StateClosed
	ch.replies = nil
	ch.markClosed()
}

// Read reads channel data (RFC 4254, Section 5.2). After the peer's EOF
// or CLOSE it returns what is buffered, then io.EOF. After Close it
// returns ErrChannelClosed; after the Conn died, its error.
func (ch *Channel) Read(p []byte) (int, error) { return ch.read(context.Background(), &ch.out, p) }

// ReadContext is Read that gives up with ctx's error when ctx ends.
func (ch *Channel) ReadContext(ctx context.Context, p []byte) (int, error) {
	return ch.read(ctx, &ch.out, p)
}

// Write sends p as CHANNEL_DATA, split at the peer's maximum packet size,
// blocking while the peer's window is exhausted (RFC 4254, Section 5.2).
// It returns ErrEOFSent after CloseWrite and ErrChannelClosed once the
// channel is closing.
func (ch *Channel) Write(p []byte) (int, error) {
	return ch.write(context.Background(), &ch.out, false, p)
}

// WriteContext is Write that gives up with ctx's error when ctx ends; the
// bytes already sent are counted in n.
func (ch *Channel) WriteContext(ctx context.Context, p []byte) (int, error) {
	return ch.write(ctx, &ch.out, false, p)
}

// Stderr returns the channel's extended data stream of type 1
// (RFC 4254, Section 5.2): reads return what the peer sent as stderr,
// writes send CHANNEL_EXTENDED_DATA. Both streams share one window, so a
// peer that sends stderr which is never read eventually stalls the data
// stream too.
func (ch *Channel) Stderr() *Stderr { return &ch.stderr }

// Stderr is the extended data stream of a Channel; see Channel.Stderr.
type Stderr struct{ ch *Channel }

// Read reads stderr data the peer sent (CHANNEL_EXTENDED_DATA of type 1),
// with the semantics of Channel.Read.
func (s *Stderr) Read(p []byte) (int, error) {
	return s.ch.read(context.Background(), &s.ch.ext, p)
}

// Write sends p as CHANNEL_EXTENDED_DATA of type 1, with the semantics
// of Channel.Write.
func (s *Stderr) Write(p []byte) (int, error) {
	return s.ch.write(context.Background(), &s.ch.ext, true, p)
}

// ReadContext is Read that gives up when ctx ends.
func (s *Stderr) ReadContext(ctx context.Context, p []byte) (int, error) {
	return s.ch.read(ctx, &s.ch.ext, p)
}

// WriteContext is Write that gives up when ctx ends.
func (s *Stderr) WriteContext(ctx context.Context, p []byte) (int, error) {
	return s.ch.write(ctx, &s.ch.ext, true, p)
}

var (
	_ io.ReadWriteCloser = (*Channel)(nil)
	_ io.ReadWriter      = (*Stderr)(nil)
	_ io.WriterTo        = (*Channel)(nil)
	_ io.ReaderFrom      = (*Channel)(nil)
	_ io.WriterTo        = (*Stderr)(nil)
)

func (ch *Channel) read(ctx context.Context, s *stream, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	select {
	case s.rsem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-s.rsem }()
	for {
		ch.mu.Lock()
		if ch.localClosed {
			ch.mu.Unlock()
			return 0, ErrChannelClosed
		}
		if s.buf.len() > 0 || len(s.msgs) > 0 {
			n, err := ch.take(s, p)
			due := ch.adjustDue()
			ch.mu.Unlock()
			if due {
				ch.sendAdjust()
			}
			return n, err
		}
		if ch.eofRecv || ch.closeRecv {
			ch.mu.Unlock()
			return 0, io.EOF
		}
		if ch.err != nil {
			err := ch.err
			ch.mu.Unlock()
			return 0, err
		}
		ch.mu.Unlock()
		select {
		case <-s.sig:
		case <-ch.dead:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// take moves buffered data into p and counts it for the window: on a
// datagram channel's data stream exactly one message, whose tail is
// dropped with io.ErrShortBuffer when p is too small; else what fits.
// ch.mu is held.
func (ch *Channel) take(s *stream, p []byte) (int, error) {
	if !ch.datagram || s != &ch.out {
		n := s.buf.read(p)
		ch.adjust += uint32(n)
		return n, nil
	}
	size := s.msgs[0]
	s.msgs = append(s.msgs[:0], s.msgs[1:]...)
	n := s.buf.read(p[:min(len(p), size)])
	ch.adjust += uint32(size)
	if n < size {
		s.buf.discard(size - n)
		return n, io.ErrShortBuffer
	}
	return n, nil
}

// maxWriteTo caps one write of WriteTo: large enough that a pipe or
// socket takes many packets per system call, small enough that window
// adjustments keep flowing while a slow writer drains.
const maxWriteTo = 256 << 10

// WriteTo writes the channel's data to w until the peer's EOF or CLOSE
// (io.WriterTo), straight from the channel's buffer in runs of up to
// 256 KiB, so io.Copy from a Channel copies nothing itself and needs far
// fewer writes than 32 KiB packets would. Errors are those of Read, and
// w's.
func (ch *Channel) WriteTo(w io.Writer) (int64, error) { return ch.writeTo(&ch.out, w) }

// WriteTo writes the stderr data to w, with the semantics of
// Channel.WriteTo.
func (s *Stderr) WriteTo(w io.Writer) (int64, error) { return s.ch.writeTo(&s.ch.ext, w) }

func (ch *Channel) writeTo(s *stream, w io.Writer) (total int64, err error) {
	s.rsem <- struct{}{}
	defer func() { <-s.rsem }()
	sk := newSink(w)
	if sk != nil {
		defer func() {
			ch.mu.Lock()
			s.sink = nil
			total += s.sunk
			s.sunk = 0
			ch.mu.Unlock()
		}()
	}
	for {
		ch.mu.Lock()
		s.sink = nil
		total += s.sunk
		s.sunk = 0
		if err := s.sinkErr; err != nil {
			s.sinkErr = nil
			ch.mu.Unlock()
			return total, err
		}
		if ch.localClosed {
			ch.mu.Unlock()
			return total, ErrChannelClosed
		}
		if b := s.buf.peek(maxWriteTo); len(b) > 0 {
			// b stays valid without the lock: we are the only reader
			// (rsem), and the Run goroutine only appends.
			ch.mu.Unlock()
			n, err := w.Write(b)
			ch.mu.Lock()
			if !ch.localClosed { // Close dropped the buffer meanwhile
				s.buf.discard(n)
				s.msgs = nil // WriteTo is a byte stream, datagram or not
				ch.adjust += uint32(n)
			}
			due := ch.adjustDue()
			ch.mu.Unlock()
			total += int64(n)
			if due {
				ch.sendAdjust()
			}
			if err != nil {
				return total, err
			}
			continue
		}
		if ch.eofRecv || ch.closeRecv {
			ch.mu.Unlock()
			return total, nil
		}
		if ch.err != nil {
			err := ch.err
			ch.mu.Unlock()
			return total, err
		}
		s.sink = sk
		ch.mu.Unlock()
		select {
		case <-s.sig:
		case <-ch.dead:
		}
	}
}

// The buffer of ReadFrom starts at one packet and grows to eight while
// reads fill it, so a bulk stream takes one read for eight packets and an
// interactive one keeps a small buffer.
const (
	minReadFrom = 32 << 10
	maxReadFrom = 256 << 10
)

// ReadFrom sends what it reads from r as channel data until r's EOF
// (io.ReaderFrom). Reads that fill its buffer double it, up to 256 KiB,
// so io.Copy into a Channel takes one read of r for several packets. The
// buffer is its own, so a transport that is a wire.ScratchWriter seals
// the data where it was read, without copying it first. It does not send
// EOF.
func (ch *Channel) ReadFrom(r io.Reader) (int64, error) {
	// Room around the data for the transport to put packets together
	// where the data lies (wire.ScratchWriter).
	const room = wire.ScratchRoom
	buf := make([]byte, room+minReadFrom+room)
	var total int64
	for {
		size := len(buf) - 2*room
		n, err := r.Read(buf[room : room+size])
		if n > 0 {
			m, werr := ch.writeFrom(context.Background(), &ch.out, false, buf[room:room+n], &scratch{buf: buf, off: room})
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if n == size && size < maxReadFrom {
			buf = make([]byte, room+2*size+room)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// adjustDue reports whether enough has been read to return window to the
// peer: half the window, as OpenSSH does. ch.mu held.
func (ch *Channel) adjustDue() bool {
	return ch.adjust > 0 && ch.adjust >= ch.localWin/2 && ch.state.canReceive()
}

// sendAdjust returns the read bytes to the peer's window with
// CHANNEL_WINDOW_ADJUST. The invariant recvWin + buffered + adjust =
// localWin keeps recvWin from passing the window.
func (ch *Channel) sendAdjust() {
	c := ch.c
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ch.mu.Lock()
	if ch.adjust == 0 || !ch.state.canReceive() {
		ch.mu.Unlock()
		return
	}
	b := ch.takeAdjust(c.wbuf[:0])
	ch.mu.Unlock()
	_ = c.writeLocked(b) // a write error ends the Conn; Run reports it
}

// takeAdjust moves the pending adjustment into the window and appends
// the CHANNEL_WINDOW_ADJUST that announces it to b; ch.mu held.
func (ch *Channel) takeAdjust(b []byte) []byte {
	n := ch.adjust
	ch.adjust = 0
	ch.recvWin += n
	b = append(b, byte(wire.MsgChannelWindowAdjust))
	b = wire.AppendUint32(b, ch.remoteID)
	return wire.AppendUint32(b, n)
}

// sendErr says why no data may be sent now, or nil. ch.mu held.
func (ch *Channel) sendErr() error {
	switch {
	case ch.err != nil:
		return ch.err
	case ch.state.canSend():
		return nil
	case ch.state == StateEOFSent || ch.state == StateEOFBoth:
		return ErrEOFSent
	}
	return ErrChannelClosed
}

// A scratch is where ReadFrom's data lies: p (write's argument) is
// buf[off:off+len(p)], with connection-owned room around it, so the
// transport may put packets together in place (wire.ScratchWriter).
type scratch struct {
	buf []byte
	off int
}

func (ch *Channel) write(ctx context.Context, s *stream, ext bool, p []byte) (int, error) {
	return ch.writeFrom(ctx, s, ext, p, nil)
}

// writeFrom is write of p, which lies in sc when sc is not nil.
func (ch *Channel) writeFrom(ctx context.Context, s *stream, ext bool, p []byte, sc *scratch) (int, error) {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-s.wsem }()
	c := ch.c
	total := 0
	for {
		c.writeMu.Lock()
		ch.mu.Lock()
		if err := ch.sendErr(); err != nil {
			ch.mu.Unlock()
			c.writeMu.Unlock()
			return total, err
		}
		if len(p) == 0 {
			ch.mu.Unlock()
			c.writeMu.Unlock()
			return total, nil
		}
		n := int(min(ch.remoteWin, ch.sendMax))
		n = min(n, len(p))
		if ch.datagram && !ext {
			if len(p) > int(ch.sendMax) {
				lim := ch.sendMax
				ch.mu.Unlock()
				c.writeMu.Unlock()
				return total, fmt.Errorf("connection: datagram of %d bytes, maximum packet %d: %w", len(p), lim, ErrMessageTooLarge)
			}
			if n < len(p) {
				n = 0 // wait for a window that takes all of it
			}
		}
		if n == 0 {
			ch.mu.Unlock()
			c.writeMu.Unlock()
			select {
			case <-ch.wSig:
			case <-ch.dead:
			case <-ctx.Done():
				return total, ctx.Err()
			}
			continue
		}
		bw, batch := c.t.(wire.BatchWriter)
		batch = batch && !ch.datagram && n < len(p) && n < int(ch.remoteWin)
		sw, inPlace := c.t.(wire.ScratchWriter)
		inPlace = inPlace && sc != nil && !ch.datagram
		if batch {
			// Several packets' worth is allowed and waiting: send up to
			// maxBatchPackets of them in one network write.
			n = min(len(p), int(ch.remoteWin), maxBatchPackets*int(ch.sendMax))
		}
		ch.remoteWin -= uint32(n)
		more := ch.remoteWin > 0
		rid := ch.remoteID
		sendMax := int(ch.sendMax)
		ch.mu.Unlock()
		if batch || inPlace {
			var err error
			if inPlace {
				err = c.writeScratchLocked(sw, ext, rid, sendMax, sc.buf, sc.off, n)
				sc.off += n
			} else {
				err = c.writeBatchLocked(bw, ext, rid, sendMax, p[:n])
			}
			c.writeMu.Unlock()
			ch.touchActive()
			if more {
				signal(ch.wSig)
			}
			if err != nil {
				return total, err
			}
			total += n
			p = p[n:]
			continue
		}
		b := c.wbuf[:0]
		if ext {
			b = append(b, byte(wire.MsgChannelExtendedData))
			b = wire.AppendUint32(b, rid)
			b = wire.AppendUint32(b, wire.ExtendedDataStderr)
		} else {
			b = append(b, byte(wire.MsgChannelData))
			b = wire.AppendUint32(b, rid)
		}
		var err error
		if sw, ok := c.t.(wire.SplitWriter); ok {
			// The header here, the data where it is: the transport
			// copies each once, into the packet it seals.
			err = c.writeSplitLocked(sw, wire.AppendUint32(b, uint32(n)), p[:n])
		} else {
			err = c.writeLocked(wire.AppendString(b, p[:n]))
		}
		c.writeMu.Unlock()
		ch.touchActive()
		if more {
			signal(ch.wSig) // pass the window on to the other stream's writer
		}
		if err != nil {
			return total, err
		}
		total += n
		p = p[n:]
	}
}

// CloseWrite sends CHANNEL_EOF (RFC 4254, Section 5.3): no more data
// will follow from us, while the peer may still send. It is idempotent;
// after Close it returns ErrChannelClosed.
func (ch *Channel) CloseWrite() error {
	c := ch.c
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ch.mu.Lock()
	switch ch.state {
	case StateOpen:
		ch.state = StateEOFSent
	case StateEOFReceived:
		ch.state = StateEOFBoth
	case StateEOFSent, StateEOFBoth:
		ch.mu.Unlock()
		return nil
	default:
		err := ch.err
		ch.mu.Unlock()
		if err != nil {
			return err
		}
		return ErrChannelClosed
	}
	rid := ch.remoteID
	ch.mu.Unlock()
	signal(ch.wSig)
	m := wire.ChannelEOF{Recipient: rid}
	return c.writeLocked(m.Append(c.wbuf[:0]))
}

// Close sends CHANNEL_CLOSE (RFC 4254, Section 5.3) unless it was already
// sent, and returns at once: it does not wait for the peer's CLOSE (use
// Wait). Every blocked Read, Write and request on the channel returns
// ErrChannelClosed; buffered data is dropped. Close is idempotent.
func (ch *Channel) Close() error { return ch.close(false, nil) }

// CloseWriteAndClose is CloseWrite followed by Close: CHANNEL_EOF,
// unless it was sent already, and CHANNEL_CLOSE, in one network write
// when the transport is a wire.BatchWriter. It is what a server does
// once a session's command is done (package server), and saves that
// connection a write and its peer a wake-up.
func (ch *Channel) CloseWriteAndClose() error { return ch.close(true, nil) }

// ExitAndClose sends "exit-status" (RFC 4254, Section 6.10), then what
// CloseWriteAndClose sends, all in one network write when the transport
// is a wire.BatchWriter: the end of a session whose command exited, in
// one write where SendExitStatus and CloseWriteAndClose take two and
// wake the client twice. On a channel already closed it sends nothing.
func (ch *Channel) ExitAndClose(status uint32) error { return ch.close(true, &status) }

// close is Close, sending CHANNEL_EOF first if withEOF and it is not
// sent yet, and before that "exit-status" if exit is not nil.
func (ch *Channel) close(withEOF bool, exit *uint32) error {
	c := ch.c
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ch.mu.Lock()
	ch.localClosed = true
	ch.out.buf = ring{limit: ch.out.buf.limit}
	ch.ext.buf = ring{limit: ch.ext.buf.limit}
	ch.out.msgs = nil
	if !ch.state.open() {
		ch.mu.Unlock()
		return nil
	}
	eof := withEOF && (ch.state == StateOpen || ch.state == StateEOFReceived)
	ch.state = StateCloseSent
	ch.markDead()
	rid := ch.remoteID
	ch.mu.Unlock()
	if eof {
		signal(ch.wSig)
	}
	// The messages go one after another into c.wbuf.
	msgs := c.closeMsgs[:0]
	b := c.wbuf[:0]
	if exit != nil {
		st := wire.ExitStatus{Status: *exit}
		m := wire.ChannelRequest{Recipient: rid, Type: wire.RequestExitStatus, Extra: st.Append(nil)}
		b = m.Append(b)
		msgs = append(msgs, b)
	}
	if eof {
		e := (&wire.ChannelEOF{Recipient: rid}).Append(b[len(b):])
		msgs = append(msgs, e)
		b = e
	}
	msgs = append(msgs, (&wire.ChannelClose{Recipient: rid}).Append(b[len(b):]))
	var err error
	if len(msgs) == 1 {
		err = c.writeLocked(msgs[0])
	} else {
		err = c.writeMsgsLocked(msgs)
	}
	clear(msgs) // they live in c.wbuf
	c.closeMsgs = msgs[:0]
	ch.closeWritten = true
	return err
}

// Wait blocks until the channel is closed in both directions (state
// Closed) and returns nil, or the Conn's error if the Conn died first,
// or ctx's error. After Wait returns nil, ExitStatus and ExitSignal report
// what the peer sent: RFC 4254, Section 6.10 has them sent before CLOSE.
func (ch *Channel) Wait(ctx context.Context) error {
	select {
	case <-ch.closed:
	case <-ctx.Done():
		return ctx.Err()
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.err
}

// ExitStatus returns the status of the peer's "exit-status" request
// (RFC 4254, Section 6.10), if one arrived.
func (ch *Channel) ExitStatus() (uint32, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.exitStatus, ch.hasExitStatus
}

// ExitSignal returns the peer's "exit-signal" request (RFC 4254,
// Section 6.10), if one arrived. Message is peer text: sanitise it before
// display.
func (ch *Channel) ExitSignal() (wire.ExitSignal, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.exitSignal, ch.hasExitSignal
}

// SendRequest sends a channel request (RFC 4254, Section 5.4) and, if
// wantReply, waits for the peer's answer; replies are matched to requests
// in order. ok is false when wantReply is false. It returns
// ErrChannelClosed if the channel closes first, and ctx's error if ctx
// ends first (the reply, when it comes, is then dropped).
func (ch *Channel) SendRequest(ctx context.Context, name string, wantReply bool, payload []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var w *replyWaiter
	if wantReply {
		w = &replyWaiter{done: make(chan struct{})}
	}
	c := ch.c
	c.writeMu.Lock()
	ch.mu.Lock()
	if !ch.state.open() {
		err := ch.err
		if err == nil {
			err = ErrChannelClosed
		}
		ch.mu.Unlock()
		c.writeMu.Unlock()
		return false, err
	}
	if w != nil {
		ch.replies = append(ch.replies, w)
	}
	rid := ch.remoteID
	ch.mu.Unlock()
	m := wire.ChannelRequest{Recipient: rid, Type: name, WantReply: wantReply, Extra: payload}
	err := c.writeLocked(m.Append(c.wbuf[:0]))
	c.writeMu.Unlock()
	if err != nil || w == nil {
		return false, err
	}
	select {
	case <-w.done:
		return w.ok, nil
	case <-ch.dead:
		select {
		case <-w.done:
			return w.ok, nil
		default:
		}
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if ch.err != nil {
			return false, ch.err
		}
		return false, ErrChannelClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
