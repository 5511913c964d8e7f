package server

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// Kinds of session, the request that started it (RFC 4254, Section 6.5).
const (
	KindShell     = wire.RequestShell
	KindExec      = wire.RequestExec
	KindSubsystem = wire.RequestSubsystem
)

// MaxPendingSignals caps the "signal" requests a session keeps while no
// signal handler is set; more are dropped.
const MaxPendingSignals = 16

// A Pty is the pseudo-terminal a client asked for with "pty-req" (RFC
// 4254, Section 6.2).
type Pty struct {
	Term   string
	Window wire.WindowChange // the latest size, updated by "window-change"
	Modes  []wire.TerminalMode
}

// A Session is a "session" channel (RFC 4254, Section 6) whose client
// asked for a shell, a command or a subsystem. It is an io.ReadWriter
// over the channel's data; Stderr writes extended data. Its methods are
// safe for concurrent use.
type Session struct {
	c      *Conn
	ch     *connection.Channel // set by the first request, before the handler starts
	ctx    context.Context
	cancel context.CancelFunc

	mu           sync.Mutex
	started      bool                    // guarded by mu
	kind         string                  // guarded by mu
	command      string                  // guarded by mu
	rawCommand   string                  // guarded by mu
	subsystem    string                  // guarded by mu
	env          []string                // guarded by mu
	pty          *Pty                    // guarded by mu
	agent        string                  // guarded by mu
	x11          *wire.X11Request        // guarded by mu
	values       map[any]any             // the hooks' per-session state (SetValue); guarded by mu
	onWindow     func(wire.WindowChange) // guarded by mu
	onBreak      func(ms uint32) bool    // guarded by mu
	pendingBreak *uint32                 // a break that came before onBreak was set; guarded by mu
	onSignal     func(string)            // guarded by mu
	pendingSigs  []string                // guarded by mu
	exited       bool                    // guarded by mu
}

// Conn returns the connection the session belongs to.
func (s *Session) Conn() *Conn { return s.c }

// Context returns a context that ends when the session's channel or the
// connection closes: the ctx its handler gets. Hooks that keep something
// open for the session (package server/x11's display) close it then.
func (s *Session) Context() context.Context { return s.ctx }

// SetValue stores value under key for the life of the session, for the
// hooks that serve a session from outside this package (package
// server/x11 keeps the session's display so); Value reads it back. As
// with context.WithValue, key should be of an unexported type of the
// package that sets it, so that packages cannot collide.
func (s *Session) SetValue(key, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[any]any{}
	}
	s.values[key] = value
}

// Value returns the value SetValue stored under key, or nil.
func (s *Session) Value(key any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key]
}

// User returns the authenticated user.
func (s *Session) User() string { return s.c.User() }

// Channel returns the underlying channel.
func (s *Session) Channel() *connection.Channel { return s.ch }

// Read reads the client's input (CHANNEL_DATA); io.EOF after its EOF.
func (s *Session) Read(p []byte) (int, error) { return s.ch.Read(p) }

// Write sends output as CHANNEL_DATA.
func (s *Session) Write(p []byte) (int, error) { return s.ch.Write(p) }

// WriteTo writes the session's stdin data to w until EOF, straight from
// the channel's buffer (io.WriterTo; see connection.Channel.WriteTo).
func (s *Session) WriteTo(w io.Writer) (int64, error) { return s.ch.WriteTo(w) }

// ReadFrom sends what it reads from r as the session's stdout until r's
// EOF (io.ReaderFrom; see connection.Channel.ReadFrom).
func (s *Session) ReadFrom(r io.Reader) (int64, error) { return s.ch.ReadFrom(r) }

// Stderr returns the extended data stream of type 1 (RFC 4254, Section
// 5.2).
func (s *Session) Stderr() io.ReadWriter { return s.ch.Stderr() }

// CloseWrite sends CHANNEL_EOF.
func (s *Session) CloseWrite() error { return s.ch.CloseWrite() }

// Kind returns KindShell, KindExec or KindSubsystem.
func (s *Session) Kind() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kind
}

// Command returns the command to run: the forced command if the
// Permissions carry one, else the client's "exec" command; empty for a
// shell.
func (s *Session) Command() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.command
}

// RawCommand returns what the client asked for ("exec" command or
// subsystem name) when a forced command replaced it
// (SSH_ORIGINAL_COMMAND), else "".
func (s *Session) RawCommand() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rawCommand
}

// Subsystem returns the subsystem name of a KindSubsystem session.
func (s *Session) Subsystem() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subsystem
}

// Environ returns the environment the client set with "env" requests
// that AcceptEnv kept, after the Permissions' environment= entries that
// Server.PermitUserEnvironment allows (none by default), as NAME=value,
// and last, when the client delegated a GSS-API credential,
// KRB5CCNAME=FILE:<ccache> (Conn.GSSCredentialCache).
func (s *Session) Environ() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if permit := s.c.srv.PermitUserEnvironment; permit != nil {
		for _, kv := range s.c.Permissions().Environment {
			if name, _, _ := strings.Cut(kv, "="); permit(name) {
				out = append(out, kv)
			}
		}
	}
	out = append(out, s.env...)
	if cc := s.c.ccache; cc != "" {
		out = append(out, "KRB5CCNAME=FILE:"+cc)
	}
	if names := s.c.tunnels(); names != "" {
		out = append(out, "SSH_TUNNEL="+names)
	}
	return out
}

// Pty returns the terminal the client asked for, if any, with its
// current size.
func (s *Session) Pty() (Pty, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pty == nil {
		return Pty{}, false
	}
	return *s.pty, true
}

// AgentSocket returns the path of the forwarded agent socket, or "" if
// the client did not ask for agent forwarding or it was refused.
func (s *Session) AgentSocket() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.agent
}

// X11 returns the client's accepted "x11-req", if any.
func (s *Session) X11() (wire.X11Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x11 == nil {
		return wire.X11Request{}, false
	}
	return *s.x11, true
}

// NotifyWindowChange sets f to receive "window-change" requests (RFC
// 4254, Section 6.7). f runs on the connection's reader and must not
// block.
func (s *Session) NotifyWindowChange(f func(wire.WindowChange)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onWindow = f
}

// NotifyBreak sets f to receive "break" requests (RFC 4335) with their
// length in milliseconds; f's result is the reply. f runs on the
// connection's reader goroutine and must not block. Until f is set, a
// break on a session with a pty is answered with success and kept (the
// last one), then handed to f here, on the caller's goroutine, as sshd
// breaks its pty from pty-req on; a break on a session without a pty and
// without f is refused, as sshd refuses it.
func (s *Session) NotifyBreak(f func(ms uint32) bool) {
	s.mu.Lock()
	s.onBreak = f
	pending := s.pendingBreak
	if f != nil {
		s.pendingBreak = nil
	}
	s.mu.Unlock()
	if f != nil && pending != nil {
		f(*pending)
	}
}

// NotifySignal sets f to receive "signal" requests (RFC 4254, Section
// 6.9) by name without "SIG"; signals that came before are delivered
// first. f runs on the connection's reader (or here, for earlier ones)
// and must not block.
func (s *Session) NotifySignal(f func(name string)) {
	s.mu.Lock()
	pending := s.pendingSigs
	s.pendingSigs = nil
	s.onSignal = f
	s.mu.Unlock()
	for _, sig := range pending {
		f(sig)
	}
}

// Exit sends "exit-status" (RFC 4254, Section 6.10) once; later calls and
// ExitSignal after it do nothing.
func (s *Session) Exit(status uint32) error {
	if !s.markExited() {
		return nil
	}
	return s.ch.SendExitStatus(s.ctx, status)
}

// ExitAndClose is Exit followed by the end of the channel (EOF and
// CLOSE), in one network write: for a handler whose command has exited
// and whose output is all sent. If Exit or ExitSignal came first it only
// closes. The handler may still return as usual afterwards.
func (s *Session) ExitAndClose(status uint32) error {
	if !s.markExited() {
		return s.ch.CloseWriteAndClose()
	}
	return s.ch.ExitAndClose(status)
}

// ExitSignal sends "exit-signal" (RFC 4254, Section 6.10) once, for a
// command killed by signal (name without "SIG").
func (s *Session) ExitSignal(signal string, coreDumped bool, message string) error {
	if !s.markExited() {
		return nil
	}
	return s.ch.SendExitSignal(s.ctx, wire.ExitSignal{Signal: signal, CoreDumped: coreDumped, Message: message})
}

func (s *Session) markExited() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return false
	}
	s.exited = true
	return true
}

// handleRequest answers the channel requests of a session. It runs on
// the connection's reader goroutine.
func (s *Session) handleRequest(ch *connection.Channel, req *connection.Request) bool {
	srv := s.c.srv
	perms := s.c.Permissions()
	if s.ch == nil {
		s.ch = ch // only this goroutine writes it, before any handler starts
	}
	switch req.Type {
	case wire.RequestPtyReq:
		p, modes, err := req.PtyRequest()
		if err != nil || perms.NoPTY {
			return false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.started {
			return false
		}
		s.pty = &Pty{Term: p.Term, Window: wire.WindowChange{Columns: p.Columns, Rows: p.Rows, WidthPixels: p.WidthPixels, HeightPixels: p.HeightPixels}, Modes: modes}
		return true
	case wire.RequestEnv:
		e, err := req.Env()
		if err != nil || (s.c.set.AcceptEnv != nil && !s.c.set.AcceptEnv(e.Name, e.Value)) {
			return false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.started {
			return false
		}
		s.env = append(s.env, e.Name+"="+e.Value)
		return true
	case wire.RequestWindowChange:
		w, err := req.WindowChange()
		if err != nil {
			return false
		}
		s.mu.Lock()
		if s.pty != nil {
			s.pty.Window = w
		}
		f := s.onWindow
		s.mu.Unlock()
		if f != nil {
			f(w)
		}
		return true
	case wire.RequestSignal:
		sig, err := req.Signal()
		if err != nil {
			return false
		}
		s.mu.Lock()
		f := s.onSignal
		if f == nil && len(s.pendingSigs) < MaxPendingSignals {
			s.pendingSigs = append(s.pendingSigs, sig.Signal)
		}
		s.mu.Unlock()
		if f != nil {
			f(sig.Signal)
		}
		return true
	case wire.RequestAuthAgent:
		if perms.NoAgentForwarding || srv.AgentForwarding == nil || !srv.AgentForwarding(s.c) {
			return false
		}
		var chown func(dir, sock string)
		if srv.AgentSocketOwner != nil {
			chown = func(dir, sock string) {
				if uid, gid, ok := srv.AgentSocketOwner(s.c); ok {
					os.Chown(dir, uid, gid)
					os.Chown(sock, uid, gid)
				}
			}
		}
		path, err := s.c.fwd.AgentSocket(chown)
		if err != nil {
			return false
		}
		s.mu.Lock()
		s.agent = path
		s.mu.Unlock()
		return true
	case wire.RequestX11Req:
		x, err := req.X11Request()
		if err != nil || perms.NoX11Forwarding || srv.X11Request == nil {
			return false
		}
		// As sshd: only before the shell or command, and only once.
		s.mu.Lock()
		refuse := s.started || s.x11 != nil
		s.mu.Unlock()
		if refuse || !srv.X11Request(s, x) {
			return false
		}
		s.mu.Lock()
		s.x11 = &x
		s.mu.Unlock()
		return true
	case wire.RequestBreak:
		b, err := req.Break()
		if err != nil {
			return false
		}
		s.mu.Lock()
		f := s.onBreak
		if f == nil && s.pty != nil {
			// The handler has not set f yet (it runs once the shell
			// or command starts): keep the break for it, and answer
			// as sshd, whose pty exists from pty-req on.
			s.pendingBreak = &b.Length
		}
		held := s.pendingBreak != nil
		s.mu.Unlock()
		if f == nil {
			return held
		}
		return f(b.Length)
	case wire.RequestShell, wire.RequestExec, wire.RequestSubsystem:
		return s.start(req)
	}
	return false
}

// start begins the session's handler for "shell", "exec" or "subsystem".
func (s *Session) start(req *connection.Request) bool {
	srv := s.c.srv
	force := s.c.Permissions().ForceCommand
	h := srv.Handler
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return false
	}
	s.kind = req.Type
	label := "session:shell" // sshd's channel type for ChannelTimeout, by what the client asked
	switch req.Type {
	case wire.RequestExec:
		e, err := req.Exec()
		if err != nil {
			s.mu.Unlock()
			return false
		}
		s.command = e.Command
		label = "session:command"
	case wire.RequestSubsystem:
		sub, err := req.Subsystem()
		if err != nil {
			s.mu.Unlock()
			return false
		}
		s.subsystem = sub.Name
		label = "session:subsystem:" + sub.Name
		if force == "" {
			h = srv.Subsystems[sub.Name]
		}
	}
	if force != "" {
		// A forced command replaces whatever the client asked for, as
		// sshd's ForceCommand and command= do.
		s.rawCommand = s.command
		if s.kind == KindSubsystem {
			s.rawCommand = s.subsystem
		}
		s.command = force
		s.kind = KindExec
		h = srv.Handler
	}
	if h == nil {
		s.mu.Unlock()
		return false
	}
	s.started = true
	// Under s.mu, so that dispatch's "session" label cannot come after.
	s.c.SetChannelTimeout(s.ch, label)
	s.mu.Unlock()
	// Answer before the handler sends anything: its output, exit status
	// or CLOSE must follow the reply (RFC 4254, Section 5.4).
	req.Reply(true)
	s.c.wg.Go(func() {
		defer s.cancel()
		h(s.ctx, s)
		s.ch.CloseWriteAndClose()
	})
	return true
}
