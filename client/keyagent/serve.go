package keyagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// MaxConns is the default cap on concurrent client connections.
const MaxConns = 1024

// ErrPeer means a connection's peer is not allowed to use the agent.
var ErrPeer = errors.New("keyagent: peer not allowed")

// A Server serves a Keyring to agent clients.
type Server struct {
	Keyring *Keyring

	// CheckPeer decides whether a client may use the agent; nil means
	// CheckPeerUID, ssh-agent's rule (root or this process's user).
	CheckPeer func(net.Conn) error

	// MaxConns caps the connections served at once; zero means
	// MaxConns. Connections past the cap are closed at once.
	MaxConns int

	// Logger receives connection errors; nil discards them.
	Logger *slog.Logger

	wg sync.WaitGroup
	mu sync.Mutex
	n  int // connections being served; guarded by mu
}

// Serve accepts clients on l until ctx is done or l fails, serving each
// in its own goroutine, and returns after every one of them has ended.
// It closes l. After ctx is done it returns ctx's error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer s.wg.Wait()
	defer cancel()
	max := s.MaxConns
	if max <= 0 {
		max = MaxConns
	}
	check := s.CheckPeer
	if check == nil {
		check = CheckPeerUID
	}
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("keyagent: accepting: %w", err)
		}
		if err := check(c); err != nil {
			s.log("refusing client", "err", err)
			c.Close()
			continue
		}
		s.mu.Lock()
		full := s.n >= max
		if !full {
			s.n++
		}
		s.mu.Unlock()
		if full {
			s.log("refusing client: too many connections")
			c.Close()
			continue
		}
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				s.n--
				s.mu.Unlock()
			}()
			if err := s.ServeConn(ctx, c); err != nil {
				s.log("client", "err", err)
			}
		})
	}
}

func (s *Server) log(msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Debug(msg, args...)
	}
}

// ServeConn serves one client on c until the client hangs up, sends a
// malformed frame, or ctx is done, and closes c. A clean hang-up
// returns nil; a frame of zero or more than MaxMessage bytes returns an
// error wrapping ErrEmptyMessage or ErrMessageTooLarge. A request that
// frames correctly but does not parse is answered SSH_AGENT_FAILURE and
// the connection goes on, as in ssh-agent.
func (s *Server) ServeConn(ctx context.Context, c io.ReadWriteCloser) error {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	ca := &connAgent{Keyring: s.Keyring, ctx: ctx}
	err := agent.ServeAgent(ca, &frameConn{rw: c, hook: ca.handleSmartcard})
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}

// A connAgent is the Keyring as one connection sees it: with that
// connection's session bindings, and with confirmation prompts and
// unlock delays bounded by the server's context. Only the connection's
// serving goroutine uses it.
type connAgent struct {
	*Keyring
	ctx   context.Context
	binds bindings
}

var _ agent.ExtendedAgent = (*connAgent)(nil)

func (a *connAgent) Sign(key ssh.PublicKey, data []byte) (*ssh.Signature, error) {
	return a.sign(a.ctx, key, data, 0)
}

func (a *connAgent) SignWithFlags(key ssh.PublicKey, data []byte, flags agent.SignatureFlags) (*ssh.Signature, error) {
	return a.sign(a.ctx, key, data, flags)
}

func (a *connAgent) Unlock(passphrase []byte) error { return a.unlock(a.ctx, passphrase) }

// Extension answers session-bind@openssh.com; any other extension is
// unsupported (SSH_AGENT_FAILURE, draft-miller-ssh-agent, Section 4.7).
func (a *connAgent) Extension(name string, contents []byte) ([]byte, error) {
	if name != SessionBindExtension {
		return nil, agent.ErrExtensionUnsupported
	}
	a.mu.Lock()
	locked := a.locked
	a.mu.Unlock()
	if locked {
		return nil, ErrLocked
	}
	m, err := ParseSessionBind(contents)
	if err != nil {
		return nil, err
	}
	if err := a.binds.bind(m); err != nil {
		a.debug("session bind refused", "err", err)
		return nil, err
	}
	a.debug("session bound", "forwarding", m.Forwarding)
	return nil, nil
}
