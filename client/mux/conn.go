package mux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

// A StatusError is a master's MUX_S_PERMISSION_DENIED or MUX_S_FAILURE.
type StatusError struct {
	Denied bool // MUX_S_PERMISSION_DENIED
	Reason string
}

func (e *StatusError) Error() string {
	if e.Denied {
		return "mux: master refused the request: " + e.Reason
	}
	return "mux: request failed: " + e.Reason
}

// ErrUnexpectedReply is a master's reply of the wrong type or request id.
var ErrUnexpectedReply = errors.New("mux: unexpected reply from master")

// ErrNoExitStatus is returned by Session when the master closed the
// connection without an exit message (the remote command ended on a
// signal, or the master went away); ssh then exits 255.
var ErrNoExitStatus = errors.New("mux: master closed the session without an exit status")

// A Conn is a mux client's connection to a master's control socket
// (ours or OpenSSH's). Its methods are not safe for concurrent use: the
// protocol is one request at a time.
type Conn struct {
	p   packetConn
	rid uint32
}

// Dial connects to the control socket at path and exchanges hellos.
func Dial(ctx context.Context, path string) (*Conn, error) {
	uc, err := dialPath(ctx, path)
	if err != nil {
		return nil, err
	}
	c := &Conn{p: packetConn{c: uc}}
	if err := c.hello(ctx); err != nil {
		uc.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.p.c.Close() }

func (c *Conn) hello(ctx context.Context) error {
	if err := c.p.write(&Hello{Version: Version}); err != nil {
		return fmt.Errorf("mux: sending hello: %w", err)
	}
	m, err := withCtx(ctx, c.p.c, c.p.read)
	if err != nil {
		return fmt.Errorf("mux: reading hello: %w", err)
	}
	h, ok := m.(*Hello)
	if !ok {
		return fmt.Errorf("%w: 0x%08x instead of MUX_MSG_HELLO", ErrUnexpectedReply, m.Type())
	}
	if h.Version != Version {
		return fmt.Errorf("mux: unsupported multiplexing protocol version %d (expected %d)", h.Version, Version)
	}
	return nil
}

// roundTrip sends m and reads the reply, which must carry the request
// id; a status reply is returned as a *StatusError.
func (c *Conn) roundTrip(ctx context.Context, m Message) (Message, error) {
	rid := c.rid
	if err := c.p.write(m); err != nil {
		return nil, err
	}
	return c.reply(ctx, rid)
}

func (c *Conn) reply(ctx context.Context, rid uint32) (Message, error) {
	r, err := withCtx(ctx, c.p.c, c.p.read)
	if err != nil {
		return nil, err
	}
	c.rid++
	var got uint32
	switch r := r.(type) {
	case *Status:
		if r.ReqID == rid {
			return nil, &StatusError{Denied: r.Kind == MsgPermDenied, Reason: r.Reason}
		}
		got = r.ReqID
	case *Request:
		got = r.ReqID
	case *Alive:
		got = r.ReqID
	case *SessionOpened:
		got = r.ReqID
	case *RemotePort:
		got = r.ReqID
	default:
		return nil, fmt.Errorf("%w: 0x%08x", ErrUnexpectedReply, r.Type())
	}
	if got != rid {
		return nil, fmt.Errorf("%w: out of sequence reply: my id %d theirs %d", ErrUnexpectedReply, rid, got)
	}
	return r, nil
}

// Check is an alive check (ssh -O check); it returns the master's pid.
func (c *Conn) Check(ctx context.Context) (int, error) {
	r, err := c.roundTrip(ctx, &Request{Kind: MsgAliveCheck, ReqID: c.rid})
	if err != nil {
		return 0, err
	}
	a, ok := r.(*Alive)
	if !ok {
		return 0, fmt.Errorf("%w: 0x%08x to an alive check", ErrUnexpectedReply, r.Type())
	}
	return int(a.PID), nil
}

func (c *Conn) simple(ctx context.Context, kind uint32) error {
	r, err := c.roundTrip(ctx, &Request{Kind: kind, ReqID: c.rid})
	if err != nil {
		return err
	}
	if r.Type() != MsgOK {
		return fmt.Errorf("%w: 0x%08x", ErrUnexpectedReply, r.Type())
	}
	return nil
}

// Terminate asks the master to exit (ssh -O exit). A master that exits
// before its reply arrives is success too, as for ssh.
func (c *Conn) Terminate(ctx context.Context) error {
	err := c.simple(ctx, MsgTerminate)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// StopListening asks the master to close its control socket (ssh -O
// stop).
func (c *Conn) StopListening(ctx context.Context) error { return c.simple(ctx, MsgStopListening) }

// Forward asks the master to open f (ssh -O forward); f.Close and
// f.ReqID are set by the call. For a remote forward of port 0 it
// returns the port the server allocated.
func (c *Conn) Forward(ctx context.Context, f Fwd) (int, error) {
	f.Close, f.ReqID = false, c.rid
	r, err := c.roundTrip(ctx, &f)
	if err != nil {
		return 0, err
	}
	switch r := r.(type) {
	case *RemotePort:
		return int(r.Port), nil
	case *Request:
		if r.Kind == MsgOK {
			return 0, nil
		}
	}
	return 0, fmt.Errorf("%w: 0x%08x to a forward request", ErrUnexpectedReply, r.Type())
}

// CancelForward asks the master to close f (ssh -O cancel).
func (c *Conn) CancelForward(ctx context.Context, f Fwd) error {
	f.Close, f.ReqID = true, c.rid
	r, err := c.roundTrip(ctx, &f)
	if err != nil {
		return err
	}
	if r.Type() != MsgOK {
		return fmt.Errorf("%w: 0x%08x to a cancel request", ErrUnexpectedReply, r.Type())
	}
	return nil
}

// sendFiles passes the descriptors of files, one message each.
func (c *Conn) sendFiles(files ...*os.File) error {
	for _, f := range files {
		rc, err := f.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = sendFD(c.p.c, int(fd)) }); err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("mux: sending descriptors: %w", serr)
		}
	}
	return nil
}

// SessionHooks are told of a session's progress. Each may be nil.
type SessionHooks struct {
	// Opened is called when the master has opened the session, before
	// the wait for its end (a terminal goes raw here).
	Opened func()
	// TTYAllocFailed is called on MUX_S_TTY_ALLOC_FAIL.
	TTYAllocFailed func()
}

// Session runs a session on the master with the given descriptors as
// its standard input, output and error (ssh -S SOCK host cmd): it sends
// the request and the descriptors, then waits for the exit message and
// for the master to close the connection. It returns the remote exit
// status, or ErrNoExitStatus, a *StatusError or the connection's error.
// Cancelling ctx closes the connection, which makes the master close
// the session.
func (c *Conn) Session(ctx context.Context, req NewSession, stdin, stdout, stderr *os.File, hooks SessionHooks) (int, error) {
	req.ReqID = c.rid
	rid := c.rid
	if err := c.p.write(&req); err != nil {
		return 0, err
	}
	if err := c.sendFiles(stdin, stdout, stderr); err != nil {
		return 0, err
	}
	r, err := c.reply(ctx, rid)
	if err != nil {
		return 0, err
	}
	so, ok := r.(*SessionOpened)
	if !ok {
		return 0, fmt.Errorf("%w: 0x%08x to a session request", ErrUnexpectedReply, r.Type())
	}
	if hooks.Opened != nil {
		hooks.Opened()
	}
	stop := context.AfterFunc(ctx, func() { c.p.c.Close() })
	defer stop()
	code, seen := 0, false
	for {
		m, err := c.p.read()
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
				if seen {
					return code, nil
				}
				return 0, ErrNoExitStatus
			}
			return 0, err
		}
		switch m := m.(type) {
		case *TTYAllocFail:
			if m.SessionID != so.SessionID {
				return 0, fmt.Errorf("%w: tty alloc fail on unknown session %d", ErrUnexpectedReply, m.SessionID)
			}
			if hooks.TTYAllocFailed != nil {
				hooks.TTYAllocFailed()
			}
		case *Exit:
			if m.SessionID != so.SessionID || seen {
				return 0, fmt.Errorf("%w: exit message for session %d", ErrUnexpectedReply, m.SessionID)
			}
			code, seen = int(m.Value), true
		default:
			return 0, fmt.Errorf("%w: 0x%08x during a session", ErrUnexpectedReply, m.Type())
		}
	}
}

// StdioForward connects stdin and stdout to host:port through the
// master (ssh -W with -S); it returns when the master closes the
// connection. A port of PortStreamLocal makes host a socket path.
func (c *Conn) StdioForward(ctx context.Context, host string, port uint32, stdin, stdout *os.File) error {
	rid := c.rid
	if err := c.p.write(&NewStdioFwd{ReqID: rid, Host: host, Port: port}); err != nil {
		return err
	}
	if err := c.sendFiles(stdin, stdout); err != nil {
		return err
	}
	r, err := c.reply(ctx, rid)
	if err != nil {
		return err
	}
	if _, ok := r.(*SessionOpened); !ok {
		return fmt.Errorf("%w: 0x%08x to a stdio forward", ErrUnexpectedReply, r.Type())
	}
	stop := context.AfterFunc(ctx, func() { c.p.c.Close() })
	defer stop()
	_, err = c.p.read()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}
