package connection

import (
	"context"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/wire"
)

// Limits on session request data (docs/security.md#c5). A request past them
// is refused before it reaches the RequestHandler.
const (
	// MaxTermLen caps the TERM value of "pty-req".
	MaxTermLen = 1024
	// MaxTerminalDim caps the character and pixel dimensions of
	// "pty-req" and "window-change".
	MaxTerminalDim = 65535
	// MaxEnvNameLen and MaxEnvValueLen cap an "env" request.
	MaxEnvNameLen  = 1024
	MaxEnvValueLen = 32 << 10
	// MaxX11CookieLen caps the hexadecimal cookie of "x11-req".
	MaxX11CookieLen = 1024
)

// checkRequest checks the data of the request types of RFC 4254,
// Section 6, RFC 4335 and OpenSSH PROTOCOL, and records exit-status and
// exit-signal. It reports whether the request may go to the handler.
// It runs on the Run goroutine.
func (ch *Channel) checkRequest(req *Request) bool {
	b := req.Payload
	switch req.Type {
	case wire.RequestPtyReq:
		_, _, err := req.PtyRequest()
		return err == nil
	case wire.RequestX11Req:
		_, err := req.X11Request()
		return err == nil
	case wire.RequestEnv:
		if _, err := req.Env(); err != nil {
			return false
		}
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if ch.envCount >= MaxEnvPerChannel {
			return false
		}
		ch.envCount++
	case wire.RequestExec:
		_, err := req.Exec()
		return err == nil
	case wire.RequestSubsystem:
		_, err := req.Subsystem()
		return err == nil
	case wire.RequestWindowChange:
		_, err := req.WindowChange()
		return err == nil
	case wire.RequestXonXoff:
		_, err := req.XonXoff()
		return err == nil
	case wire.RequestSignal:
		_, err := req.Signal()
		return err == nil
	case wire.RequestBreak:
		_, err := req.Break()
		return err == nil
	case wire.RequestExitStatus:
		s, err := req.ExitStatus()
		if err != nil {
			return false
		}
		ch.mu.Lock()
		ch.exitStatus, ch.hasExitStatus = s.Status, true
		ch.mu.Unlock()
	case wire.RequestExitSignal:
		s, err := req.ExitSignal()
		if err != nil {
			return false
		}
		ch.mu.Lock()
		ch.exitSignal, ch.hasExitSignal = s, true
		ch.mu.Unlock()
	case wire.RequestShell, wire.RequestAuthAgent, wire.RequestKeepalive, wire.RequestEOW:
		return len(b) == 0
	}
	return true
}

func dimsOK(cols, rows, w, h uint32) bool {
	return cols <= MaxTerminalDim && rows <= MaxTerminalDim && w <= MaxTerminalDim && h <= MaxTerminalDim
}

func invalid(what string) error {
	return fmt.Errorf("connection: %s: %w", what, wire.ErrInvalid)
}

// PtyRequest decodes a "pty-req" (RFC 4254, Sections 6.2 and 8) and its
// terminal modes, and checks them against MaxTermLen and MaxTerminalDim.
func (r *Request) PtyRequest() (wire.PtyRequest, []wire.TerminalMode, error) {
	p, err := wire.ParsePtyRequest(r.Payload)
	if err != nil {
		return p, nil, err
	}
	if len(p.Term) > MaxTermLen || !dimsOK(p.Columns, p.Rows, p.WidthPixels, p.HeightPixels) {
		return p, nil, invalid("pty-req dimensions or TERM")
	}
	modes, err := wire.ParseTerminalModes(p.Modes)
	return p, modes, err
}

// X11Request decodes an "x11-req" (RFC 4254, Section 6.3.1) and checks
// that the cookie is an even number of hexadecimal digits.
func (r *Request) X11Request() (wire.X11Request, error) {
	x, err := wire.ParseX11Request(r.Payload)
	if err != nil {
		return x, err
	}
	n := len(x.AuthCookie)
	if n == 0 || n%2 != 0 || n > MaxX11CookieLen || len(x.AuthProtocol) > 256 ||
		strings.Trim(x.AuthCookie, "0123456789abcdefABCDEF") != "" {
		return x, invalid("x11-req cookie")
	}
	return x, nil
}

// Env decodes an "env" request (RFC 4254, Section 6.4). The name must be
// non-empty and hold no '=' or NUL.
func (r *Request) Env() (wire.EnvRequest, error) {
	e, err := wire.ParseEnvRequest(r.Payload)
	if err != nil {
		return e, err
	}
	if e.Name == "" || len(e.Name) > MaxEnvNameLen || len(e.Value) > MaxEnvValueLen ||
		strings.ContainsAny(e.Name, "=\x00") || strings.IndexByte(e.Value, 0) >= 0 {
		return e, invalid("env name or value")
	}
	return e, nil
}

// Exec decodes an "exec" request (RFC 4254, Section 6.5).
func (r *Request) Exec() (wire.ExecRequest, error) { return wire.ParseExecRequest(r.Payload) }

// Subsystem decodes a "subsystem" request (RFC 4254, Section 6.5).
func (r *Request) Subsystem() (wire.SubsystemRequest, error) {
	s, err := wire.ParseSubsystemRequest(r.Payload)
	if err == nil && s.Name == "" {
		err = invalid("empty subsystem name")
	}
	return s, err
}

// WindowChange decodes a "window-change" request (RFC 4254, Section 6.7).
func (r *Request) WindowChange() (wire.WindowChange, error) {
	w, err := wire.ParseWindowChange(r.Payload)
	if err == nil && !dimsOK(w.Columns, w.Rows, w.WidthPixels, w.HeightPixels) {
		err = invalid("window-change dimensions")
	}
	return w, err
}

// XonXoff decodes a "xon-xoff" request (RFC 4254, Section 6.8).
func (r *Request) XonXoff() (wire.XonXoff, error) { return wire.ParseXonXoff(r.Payload) }

// Signal decodes a "signal" request (RFC 4254, Section 6.9).
func (r *Request) Signal() (wire.SignalRequest, error) {
	return wire.ParseSignalRequest(r.Payload)
}

// ExitStatus decodes an "exit-status" request (RFC 4254, Section 6.10).
func (r *Request) ExitStatus() (wire.ExitStatus, error) { return wire.ParseExitStatus(r.Payload) }

// ExitSignal decodes an "exit-signal" request (RFC 4254, Section 6.10).
func (r *Request) ExitSignal() (wire.ExitSignal, error) { return wire.ParseExitSignal(r.Payload) }

// Break decodes a "break" request (RFC 4335, Section 3).
func (r *Request) Break() (wire.BreakRequest, error) { return wire.ParseBreakRequest(r.Payload) }

// call sends a request that wants a reply and turns a refusal into
// ErrRequestDenied.
func (ch *Channel) call(ctx context.Context, name string, payload []byte) error {
	ok, err := ch.SendRequest(ctx, name, true, payload)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrRequestDenied, name)
	}
	return nil
}

// RequestPty sends "pty-req" (RFC 4254, Section 6.2) with the given
// terminal modes encoded per Section 8 (p.Modes is ignored).
func (ch *Channel) RequestPty(ctx context.Context, p wire.PtyRequest, modes []wire.TerminalMode) error {
	p.Modes = wire.AppendTerminalModes(nil, modes)
	return ch.call(ctx, wire.RequestPtyReq, p.Append(nil))
}

// RequestX11 sends "x11-req" (RFC 4254, Section 6.3.1).
func (ch *Channel) RequestX11(ctx context.Context, x wire.X11Request) error {
	return ch.call(ctx, wire.RequestX11Req, x.Append(nil))
}

// Setenv sends "env" (RFC 4254, Section 6.4).
func (ch *Channel) Setenv(ctx context.Context, name, value string) error {
	e := wire.EnvRequest{Name: name, Value: value}
	return ch.call(ctx, wire.RequestEnv, e.Append(nil))
}

// Shell sends "shell" (RFC 4254, Section 6.5).
func (ch *Channel) Shell(ctx context.Context) error { return ch.call(ctx, wire.RequestShell, nil) }

// Exec sends "exec" (RFC 4254, Section 6.5).
func (ch *Channel) Exec(ctx context.Context, command string) error {
	e := wire.ExecRequest{Command: command}
	return ch.call(ctx, wire.RequestExec, e.Append(nil))
}

// Subsystem sends "subsystem" (RFC 4254, Section 6.5), e.g. "sftp".
func (ch *Channel) Subsystem(ctx context.Context, name string) error {
	s := wire.SubsystemRequest{Name: name}
	return ch.call(ctx, wire.RequestSubsystem, s.Append(nil))
}

// WindowChange sends "window-change" (RFC 4254, Section 6.7), which
// wants no reply.
func (ch *Channel) WindowChange(ctx context.Context, w wire.WindowChange) error {
	_, err := ch.SendRequest(ctx, wire.RequestWindowChange, false, w.Append(nil))
	return err
}

// XonXoff sends "xon-xoff" (RFC 4254, Section 6.8), which wants no reply.
func (ch *Channel) XonXoff(ctx context.Context, clientCanDo bool) error {
	x := wire.XonXoff{ClientCanDo: clientCanDo}
	_, err := ch.SendRequest(ctx, wire.RequestXonXoff, false, x.Append(nil))
	return err
}

// Signal sends "signal" (RFC 4254, Section 6.9) with a signal name
// without "SIG", e.g. wire.SignalINT. It wants no reply.
func (ch *Channel) Signal(ctx context.Context, name string) error {
	s := wire.SignalRequest{Signal: name}
	_, err := ch.SendRequest(ctx, wire.RequestSignal, false, s.Append(nil))
	return err
}

// SendExitStatus sends "exit-status" (RFC 4254, Section 6.10). Send it
// before Close.
func (ch *Channel) SendExitStatus(ctx context.Context, status uint32) error {
	s := wire.ExitStatus{Status: status}
	_, err := ch.SendRequest(ctx, wire.RequestExitStatus, false, s.Append(nil))
	return err
}

// SendExitSignal sends "exit-signal" (RFC 4254, Section 6.10). Send it
// before Close.
func (ch *Channel) SendExitSignal(ctx context.Context, s wire.ExitSignal) error {
	_, err := ch.SendRequest(ctx, wire.RequestExitSignal, false, s.Append(nil))
	return err
}

// Break sends "break" (RFC 4335, Section 3) of ms milliseconds.
func (ch *Channel) Break(ctx context.Context, ms uint32) error {
	b := wire.BreakRequest{Length: ms}
	return ch.call(ctx, wire.RequestBreak, b.Append(nil))
}

// RequestAgentForwarding sends "auth-agent-req@openssh.com" (OpenSSH
// PROTOCOL.agent).
func (ch *Channel) RequestAgentForwarding(ctx context.Context) error {
	return ch.call(ctx, wire.RequestAuthAgent, nil)
}
