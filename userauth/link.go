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
		if len(p) == 0 {
			return nil, protocolError(p, wire.ContextNone, "any")
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgIgnore, wire.MsgDebug, wire.MsgUnimplemented:
			continue
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
}

// write encodes and sends m.
func (l *link) write(m wire.Message) error {
	l.buf = m.Append(l.buf[:0])
	if err := l.t.WritePacket(l.buf); err != nil {
		return fmt.Errorf("userauth: writing %v: %w", m.Num(), err)
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
