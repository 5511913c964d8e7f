package userauth

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sshstack/sshstack/wire"
)

// A link is the engine's view of a wire.Transport: it skips the
// transport-generic messages every phase allows, turns DISCONNECT into a
// *wire.DisconnectError and makes reads honour a context. It is owned by
// the single goroutine that runs the authentication.
type link struct {
	t   wire.Transport
	log *slog.Logger
	buf []byte // encoding scratch, reused

	// held is a packet that waits to leave with the next write (decision
	// 0043): a client's SERVICE_REQUEST until its first
	// USERAUTH_REQUEST, a server's SERVICE_ACCEPT until its first
	// answer. It goes out alone before any read that may wait on the
	// network, so nobody waits for it.
	held    []byte
	heldNum wire.MsgNum
	// accept is the service whose SERVICE_ACCEPT a client's next read
	// takes first, and acceptErr what taking it (or sending the held
	// request) failed with.
	accept    string
	acceptErr error
}

// A bufferedReader can return the next payload for the layers above
// without waiting on the network, when it has already arrived
// (kex.Transport.ReadBuffered); ok is false when it has not.
type bufferedReader interface {
	ReadBuffered() (p []byte, ok bool, err error)
}

func newLink(t wire.Transport, log *slog.Logger) *link {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &link{t: t, log: log}
}

// read returns the next payload other than IGNORE, DEBUG and
// UNIMPLEMENTED (RFC 4253, Sections 11.2-11.4). The payload is valid until
// the next read. A DISCONNECT from the peer is returned as a
// *wire.DisconnectError with Remote set. If ctx is done before a payload
// arrives, read closes the transport, since a blocked ReadPacket cannot be
// abandoned otherwise, and returns an error wrapping ctx's error.
func (l *link) read(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		l.t.Close()
		return nil, fmt.Errorf("userauth: %w", err)
	}
	if l.accept != "" {
		if err := l.settle(ctx); err != nil {
			return nil, err
		}
	}
	if l.held != nil {
		// What has arrived already may be read first; then the held
		// packet goes, before a read that may wait.
		if br, ok := l.t.(bufferedReader); ok {
			for {
				p, ok, err := br.ReadBuffered()
				if err != nil {
					return nil, fmt.Errorf("userauth: reading packet: %w", err)
				}
				if !ok {
					break
				}
				if p, err = l.take(ctx, p); p != nil || err != nil {
					return p, err
				}
			}
		}
		if err := l.send(); err != nil {
			return nil, fmt.Errorf("userauth: writing %v: %w", l.heldNum, err)
		}
	}
	stop := context.AfterFunc(ctx, func() { l.t.Close() })
	defer stop()
	for {
		p, err := l.t.ReadPacket()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("userauth: %w", ctx.Err())
			}
			return nil, fmt.Errorf("userauth: reading packet: %w", err)
		}
		if p, err = l.take(ctx, p); p != nil || err != nil {
			return p, err
		}
	}
}

// take returns p unless it is one of the messages read skips (then nil,
// nil) or a DISCONNECT (then its error).
func (l *link) take(ctx context.Context, p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, protocolError(p, wire.ContextNone, "any")
	}
	switch wire.MsgNum(p[0]) {
	case wire.MsgIgnore, wire.MsgDebug, wire.MsgUnimplemented:
		return nil, nil
	case wire.MsgDisconnect:
		d, err := wire.ParseDisconnect(p)
		if err != nil {
			return nil, fmt.Errorf("userauth: %w", err)
		}
		return nil, &wire.DisconnectError{Reason: d.Reason, Message: d.Description, Remote: true}
	}
	if l.log.Enabled(ctx, slog.LevelDebug) {
		l.log.DebugContext(ctx, "userauth: received", "msg", wire.Describe(p, wire.ContextNone))
	}
	return p, nil
}

// write encodes and sends m, after the held packet if there is one.
func (l *link) write(m wire.Message) error {
	l.buf = m.Append(l.buf[:0])
	if err := l.send(l.buf); err != nil {
		return fmt.Errorf("userauth: writing %v: %w", m.Num(), err)
	}
	return nil
}

// send writes the held packet, if any, and ps, in one network write
// where the transport batches (wire.BatchWriter).
func (l *link) send(ps ...[]byte) error {
	if l.held != nil {
		ps = append([][]byte{l.held}, ps...)
		l.held = nil
	}
	if bw, ok := l.t.(wire.BatchWriter); ok && len(ps) > 1 {
		return bw.WritePacketsSplit(ps, make([][]byte, len(ps)))
	}
	for _, p := range ps {
		if err := l.t.WritePacket(p); err != nil {
			return err
		}
	}
	return nil
}

// hold makes m wait for the next write, or for the next read that may
// wait on the network, whichever comes first.
func (l *link) hold(m wire.Message) {
	l.held, l.heldNum = m.Append(nil), m.Num()
}

// settle sends a client's held SERVICE_REQUEST, if it still waits, and
// takes the SERVICE_ACCEPT, if it is still due, before anything else is
// read.
func (l *link) settle(ctx context.Context) error {
	service := l.accept
	l.accept = ""
	if l.held != nil {
		if err := l.send(); err != nil {
			l.acceptErr = fmt.Errorf("userauth: writing %v: %w", l.heldNum, err)
			return l.acceptErr
		}
	}
	if service != "" {
		if _, err := awaitAccept(ctx, l, service); err != nil {
			l.acceptErr = err
			return err
		}
	}
	return nil
}

// disconnect sends SSH_MSG_DISCONNECT (RFC 4253, Section 11.1) and
// returns the *wire.DisconnectError that describes it, joined with cause
// when cause is not nil. The transport is left to the caller to close.
func (l *link) disconnect(reason wire.DisconnectReason, msg string, cause error) error {
	_ = l.write(&wire.Disconnect{Reason: reason, Description: msg})
	d := &wire.DisconnectError{Reason: reason, Message: msg}
	if cause != nil {
		return fmt.Errorf("%w: %w", cause, d)
	}
	return d
}
