package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// Session errors callers test for with errors.Is.
var (
	// ErrExitMissing means the remote command ended without reporting an
	// exit status or signal (RFC 4254, Section 6.10 makes them optional).
	ErrExitMissing = errors.New("client: remote command exited without exit status or signal")
	// ErrStarted is returned by a second Start, Shell or Run on one
	// Session, and by settings made after Start.
	ErrStarted = errors.New("client: session already started")
	// ErrNotStarted is returned by Wait before Start.
	ErrNotStarted = errors.New("client: session not started")
	// ErrStdinBlocked is returned (wrapped) by Close when the copy from
	// Session.Stdin is blocked in a Read that cannot be interrupted (see
	// Session.Stdin): its goroutine ends when that Read returns.
	ErrStdinBlocked = errors.New("client: stdin copy blocked in a Read that cannot be interrupted")
)

// An ExitError reports a remote command that ended with a non-zero exit
// status or on a signal (RFC 4254, Section 6.10). Find it with errors.As.
type ExitError struct {
	Status     int    // the exit status; -1 when it ended on a signal
	Signal     string // signal name without "SIG", e.g. "TERM"; "" if none
	CoreDumped bool
	Message    string // the signal's error message, sanitised
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		s := fmt.Sprintf("client: remote command killed by signal %s", e.Signal)
		if e.Message != "" {
			s += ": " + e.Message
		}
		return s
	}
	return fmt.Sprintf("client: remote command exited with status %d", e.Status)
}

// ExitCode returns the status as a shell reports it: the exit status, or
// 128 plus the signal number for a known signal (else 255, as ssh(1)).
func (e *ExitError) ExitCode() int {
	if e.Signal == "" {
		return e.Status
	}
	if n, ok := signalNumbers[e.Signal]; ok {
		return 128 + n
	}
	return 255
}

var signalNumbers = map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "ABRT": 6, "FPE": 8,
	"KILL": 9, "SEGV": 11, "PIPE": 13, "ALRM": 14, "TERM": 15, "USR1": 10, "USR2": 12}

// A Session is a "session" channel (RFC 4254, Section 6) that runs one
// command, shell or subsystem. Set Stdin, Stdout and Stderr (or use the
// Pipe methods) before Start; nil Stdout and Stderr discard, nil Stdin
// sends EOF at once.
//
// The copies of the three streams run in goroutines of the Session, from
// Start until Wait or Close, which wait for them. Stdin is read until its
// EOF or until the command ends: Wait and Close then interrupt a Read in
// progress with SetReadDeadline when Stdin has it (a net.Conn, or an
// *os.File the runtime polls: pipes, sockets), wait for the copy, and
// reset the deadline. A Read that cannot be interrupted (a terminal's
// os.Stdin, most io.Readers) cannot be waited for without blocking until
// the next input: Wait returns without it, the copy ends when that Read
// returns (what it read goes nowhere once the channel is closed), and
// Close reports ErrStdinBlocked until then. Use
// StdinPipe to keep such a reader in a goroutine of your own.
// Client.Close ends the copies of the Sessions not waited for or closed
// the same way.
type Session struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	c  *Client
	ch *connection.Channel

	mu       sync.Mutex
	started  bool // guarded by mu
	stdinSet bool // StdinPipe called; guarded by mu
	outSet   bool // StdoutPipe called; guarded by mu
	errSet   bool // StderrPipe called; guarded by mu

	copies  sync.WaitGroup // stdout and stderr copiers
	copyMu  sync.Mutex
	copyErr error // first copy error; guarded by copyMu

	stdin     sync.WaitGroup // the Stdin copier
	stdinDone chan struct{}  // closed when the Stdin copier returns; nil without one; guarded by mu
	stopOnce  sync.Once      // the interruption of the Stdin copier
}

// NewSession opens a session channel (RFC 4254, Section 6.1; paramiko's
// open_session). If the Config asks for agent or X11 forwarding, it is
// requested on the channel.
func (c *Client) NewSession(ctx context.Context) (*Session, error) {
	s, err := c.NewSessionNoForwarding(ctx)
	if err != nil {
		return nil, err
	}
	ch := s.ch
	if c.cfg.ForwardAgent {
		if err := ch.RequestAgentForwarding(ctx); err != nil {
			c.log.Debug("agent forwarding refused", "err", err)
		}
	}
	if c.cfg.ForwardX11 != nil {
		if err := c.cfg.ForwardX11.Request(ctx, s); err != nil {
			c.log.Debug("X11 forwarding not requested or refused", "err", err)
		}
	}
	return s, nil
}

// NewSessionNoForwarding opens a session channel without the agent and
// X11 forwarding requests Config asks NewSession for, for a caller that
// decides them per session: a connection-sharing master asks for them
// only on the sessions of mux clients that want them (package
// client/mux). The agent channels are still served as Config says.
func (c *Client) NewSessionNoForwarding(ctx context.Context) (*Session, error) {
	ch, err := c.conn.OpenSession(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("client: opening session: %w", err)
	}
	return &Session{c: c, ch: ch}, nil
}

// Client returns the Client the session belongs to.
func (s *Session) Client() *Client { return s.c }

// Channel returns the session's channel.
func (s *Session) Channel() *connection.Channel { return s.ch }

// Close closes the channel (RFC 4254, Section 5.3) and ends the Session's
// goroutines: it waits for the output copies (a Stdout or Stderr that
// blocks in Write holds Close, as it holds Wait) and, when Stdin can be
// interrupted, for its copy (see Session). It returns what failed:
// errors.Join of the channel's Close error (a channel closed already is
// no failure) and ErrStdinBlocked; nil if nothing did.
func (s *Session) Close() error {
	err := s.ch.Close()
	if alreadyClosed(err) || errors.Is(err, connection.ErrChannelClosed) {
		err = nil
	}
	stdinErr := s.stopStdin()
	s.copies.Wait()
	if err = errors.Join(err, stdinErr); err != nil {
		return fmt.Errorf("client: closing session: %w", err)
	}
	return nil
}

// RequestPty asks for a pseudo-terminal (RFC 4254, Section 6.2) of the
// given TERM and size, with terminal modes (Section 8).
func (s *Session) RequestPty(ctx context.Context, term string, rows, cols int, modes []wire.TerminalMode) error {
	return s.ch.RequestPty(ctx, wire.PtyRequest{Term: term, Rows: uint32(rows), Columns: uint32(cols)}, modes)
}

// WindowChange reports a new terminal size (RFC 4254, Section 6.7).
func (s *Session) WindowChange(ctx context.Context, rows, cols int) error {
	return s.ch.WindowChange(ctx, wire.WindowChange{Rows: uint32(rows), Columns: uint32(cols)})
}

// Setenv asks the server to set an environment variable (RFC 4254,
// Section 6.4). Servers accept only names they allow (sshd's AcceptEnv);
// a refusal is connection.ErrRequestDenied.
func (s *Session) Setenv(ctx context.Context, name, value string) error {
	return s.ch.Setenv(ctx, name, value)
}

// Signal delivers a signal, named without "SIG" (RFC 4254, Section 6.9).
func (s *Session) Signal(ctx context.Context, name string) error {
	return s.ch.Signal(ctx, name)
}

// SendBreak sends "break" of ms milliseconds (RFC 4335, Section 3), as
// ssh's ~B escape does; a server without a terminal for the session
// refuses it (connection.ErrRequestDenied), as sshd does.
func (s *Session) SendBreak(ctx context.Context, ms uint32) error {
	return s.ch.Break(ctx, ms)
}

// RequestAgentForwarding asks for agent forwarding on this session
// (OpenSSH PROTOCOL.agent); the Client serves the agent channels when
// Config.ForwardAgent is set or EnableAgentForwarding was called.
func (s *Session) RequestAgentForwarding(ctx context.Context) error {
	return s.ch.RequestAgentForwarding(ctx)
}

// StdinPipe returns a writer connected to the remote stdin; closing it
// sends EOF.
func (s *Session) StdinPipe() (io.WriteCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil, ErrStarted
	}
	s.stdinSet = true
	return stdinWriter{s.ch}, nil
}

type stdinWriter struct{ ch *connection.Channel }

func (w stdinWriter) Write(p []byte) (int, error) { return w.ch.Write(p) }
func (w stdinWriter) Close() error                { return w.ch.CloseWrite() }

// StdoutPipe returns a reader of the remote stdout. The caller must read
// it, or the channel's window fills and the command stalls.
func (s *Session) StdoutPipe() (io.Reader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil, ErrStarted
	}
	s.outSet = true
	return s.ch, nil
}

// StderrPipe returns a reader of the remote stderr (extended data type 1).
func (s *Session) StderrPipe() (io.Reader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil, ErrStarted
	}
	s.errSet = true
	return s.ch.Stderr(), nil
}

// Start runs cmd with "exec" (RFC 4254, Section 6.5) and starts copying
// the streams; Wait waits for it.
func (s *Session) Start(ctx context.Context, cmd string) error {
	return s.start(ctx, func() error { return s.ch.Exec(ctx, cmd) })
}

// Shell starts the user's login shell ("shell", RFC 4254, Section 6.5).
func (s *Session) Shell(ctx context.Context) error {
	return s.start(ctx, func() error { return s.ch.Shell(ctx) })
}

// Subsystem starts a subsystem such as "sftp" (RFC 4254, Section 6.5).
func (s *Session) Subsystem(ctx context.Context, name string) error {
	return s.start(ctx, func() error { return s.ch.Subsystem(ctx, name) })
}

func (s *Session) start(ctx context.Context, req func() error) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrStarted
	}
	s.started = true
	s.mu.Unlock()
	if err := req(); err != nil && !s.ranUnanswered(err) {
		if ctx.Err() != nil {
			s.ch.Close()
		}
		return fmt.Errorf("client: starting remote command: %w", err)
	}
	if !s.outSet {
		s.copy(s.Stdout, s.ch)
	}
	if !s.errSet {
		s.copy(s.Stderr, s.ch.Stderr())
	}
	if !s.stdinSet {
		if s.Stdin == nil {
			s.ch.CloseWrite()
		} else {
			done := make(chan struct{})
			s.mu.Lock()
			s.stdinDone = done
			s.mu.Unlock()
			s.c.trackStdin(s, false)
			s.stdin.Go(func() {
				defer close(done)
				defer s.c.trackStdin(s, true)
				_, err := io.Copy(s.ch, s.Stdin)
				if err == nil {
					s.ch.CloseWrite()
				}
			})
		}
	}
	return nil
}

// ranUnanswered reports whether the start request failed only because
// the server closed the channel before answering it, after reporting how
// the command ended (exit-status or exit-signal). A server that runs the
// command on its own thread can do that (paramiko's ServerInterface
// answers the request after its handler returns). OpenSSH's ssh drops
// the pending answer and reports the exit status; so does Wait.
func (s *Session) ranUnanswered(err error) bool {
	if !errors.Is(err, connection.ErrChannelClosed) {
		return false
	}
	_, status := s.ch.ExitStatus()
	_, signal := s.ch.ExitSignal()
	return status || signal
}

// A deadliner is a Stdin whose Read stopStdin can interrupt.
type deadliner interface {
	SetReadDeadline(t time.Time) error
}

// stopStdin ends the Stdin copy: the first time, it interrupts a Read
// in progress when Stdin allows it, waits for the copier and resets
// Stdin's deadline. It returns ErrStdinBlocked while the copier is still
// blocked in a Read it could not interrupt.
func (s *Session) stopStdin() error {
	s.mu.Lock()
	done := s.stdinDone
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	s.stopOnce.Do(func() {
		select {
		case <-done:
			return
		default:
		}
		if d, ok := s.Stdin.(deadliner); ok && d.SetReadDeadline(time.Unix(1, 0)) == nil {
			s.stdin.Wait()
			d.SetReadDeadline(time.Time{})
		}
	})
	select {
	case <-done:
		s.stdin.Wait()
		return nil
	default:
		return ErrStdinBlocked
	}
}

func (s *Session) copy(w io.Writer, r io.Reader) {
	if w == nil {
		w = io.Discard
	}
	s.copies.Go(func() {
		if _, err := io.Copy(w, r); err != nil && !errors.Is(err, connection.ErrChannelClosed) {
			s.copyMu.Lock()
			if s.copyErr == nil {
				s.copyErr = err
			}
			s.copyMu.Unlock()
		}
	})
}

// Wait waits for the remote command to end and for its output to be
// copied. It returns nil for exit status 0, an *ExitError for another
// status or a signal, ErrExitMissing when the server reported neither,
// or the connection's error. If ctx ends first, the channel is closed and
// ctx's error returned.
func (s *Session) Wait(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	if err := s.ch.Wait(ctx); err != nil {
		s.ch.Close()
		s.stopStdin()
		s.copies.Wait()
		return err
	}
	// The command is over: its input is of no more use.
	s.stopStdin()
	s.copies.Wait()
	s.copyMu.Lock()
	copyErr := s.copyErr
	s.copyMu.Unlock()
	if sig, ok := s.ch.ExitSignal(); ok {
		return &ExitError{Status: -1, Signal: sig.Signal, CoreDumped: sig.CoreDumped, Message: wire.Sanitize(sig.Message)}
	}
	if st, ok := s.ch.ExitStatus(); ok {
		if st != 0 {
			return &ExitError{Status: int(st)}
		}
		return copyErr
	}
	if copyErr != nil {
		return copyErr
	}
	return ErrExitMissing
}

// Run runs cmd and waits for it (Start, then Wait).
func (s *Session) Run(ctx context.Context, cmd string) error {
	if err := s.Start(ctx, cmd); err != nil {
		return err
	}
	return s.Wait(ctx)
}

// Output runs cmd and returns its stdout.
func (s *Session) Output(ctx context.Context, cmd string) ([]byte, error) {
	if s.Stdout != nil {
		return nil, errors.New("client: Stdout already set")
	}
	var b bytes.Buffer
	s.Stdout = &b
	err := s.Run(ctx, cmd)
	return b.Bytes(), err
}

// CombinedOutput runs cmd and returns its stdout and stderr together.
func (s *Session) CombinedOutput(ctx context.Context, cmd string) ([]byte, error) {
	if s.Stdout != nil || s.Stderr != nil {
		return nil, errors.New("client: Stdout or Stderr already set")
	}
	var b syncBuffer
	s.Stdout, s.Stderr = &b, &b
	err := s.Run(ctx, cmd)
	return b.Bytes(), err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Bytes()
}
