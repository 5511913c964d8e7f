// Package xsshtest runs golang.org/x/crypto/ssh servers as in-process
// peers for the tests of other packages and modules: Start serves one on
// a loopback TCP listener with a free port, ServeConn serves one
// connection the test already has (one end of an in-memory pipe, say).
// It replaces the copies of "listen, accept, NewServerConn, serve the
// channels, close everything in Cleanup" that tests of client, client/x11
// and conformance had.
//
// It depends only on x/crypto/ssh, so that any module whose tests dial
// a server can import it; it lives in the server module because every
// module whose tests start a server on loopback (server, client,
// conformance) already requires that one.
package xsshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HandshakeTimeout bounds the key exchange and authentication of each
// connection a Server or ServeConn serves.
const HandshakeTimeout = 30 * time.Second

// A Handler serves one authenticated connection: the global requests and
// channel opens of the peer. It returns when it is done with the
// connection, which is then closed; it must return once the connection
// ends (chans is closed then). Goroutines it starts must end when the
// connection does.
type Handler func(conn *ssh.ServerConn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request)

// Options configure a Server.
type Options struct {
	// Config is the server's configuration; nil means one that lets
	// every client in without authentication (NoClientAuth). HostKey is
	// added to it.
	Config *ssh.ServerConfig
	// HostKey is the server's host key; nil means a new Ed25519 key.
	HostKey ssh.Signer
	// Handle serves each connection; nil means RejectAll.
	Handle Handler
	// Wrap, if set, wraps each accepted connection before the handshake
	// (to drop or count the server's writes, say).
	Wrap func(net.Conn) net.Conn
	// Deadline, if positive, is how long each connection may last at
	// most (net.Conn.SetDeadline); it also bounds the handshake.
	Deadline time.Duration
}

// A Server is an x/crypto/ssh server serving on a loopback listener.
type Server struct {
	Addr    string     // "127.0.0.1:port"
	Port    int        // the port of Addr
	HostKey ssh.Signer // the server's host key

	l         net.Listener
	opt       Options
	wg        sync.WaitGroup // the accept loop and one per connection
	mu        sync.Mutex
	conns     map[net.Conn]struct{} // live connections, guarded by mu
	closed    bool                  // guarded by mu
	closeOnce sync.Once
}

// Start serves opt.Config on a new listener on 127.0.0.1 with a free
// port. When the test ends (or at Close) it closes the listener and
// every live connection and waits for their goroutines.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	if opt.HostKey == nil {
		opt.HostKey = NewHostKey(tb)
	}
	if opt.Config == nil {
		opt.Config = &ssh.ServerConfig{NoClientAuth: true}
	}
	opt.Config.AddHostKey(opt.HostKey)
	if opt.Handle == nil {
		opt.Handle = RejectAll
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("xsshtest: %v", err)
	}
	s := &Server{Addr: l.Addr().String(), Port: l.Addr().(*net.TCPAddr).Port, HostKey: opt.HostKey,
		l: l, opt: opt, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) accept() {
	for {
		nc, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
			}()
			c := nc
			if s.opt.Wrap != nil {
				c = s.opt.Wrap(nc)
			}
			if s.opt.Deadline > 0 {
				nc.SetDeadline(time.Now().Add(s.opt.Deadline))
			}
			serve(c, s.opt.Config, s.opt.Handle, s.opt.Deadline <= 0)
		})
	}
}

// Close stops the server: it closes the listener and every live
// connection and waits for the goroutines serving them. It is
// idempotent; Start arranges it for the end of the test.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.l.Close()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.CloseConns()
		s.wg.Wait()
	})
}

// CloseConns closes every live connection, as a server that hangs up
// would; the server goes on accepting new ones.
func (s *Server) CloseConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// KnownHosts writes a known_hosts file in a temporary directory of the
// test that trusts the server's host key at its address (in the
// "[127.0.0.1]:port" form OpenSSH uses) and returns its path.
func (s *Server) KnownHosts(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey.PublicKey()) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		tb.Fatalf("xsshtest: %v", err)
	}
	return path
}

// ServeConn serves the single connection nc with cfg (which must hold a
// host key) and h (nil means RejectAll) and closes nc when h returns. It
// returns the handshake's error, or nil. The handshake is bounded by
// HandshakeTimeout.
func ServeConn(nc net.Conn, cfg *ssh.ServerConfig, h Handler) error {
	if h == nil {
		h = RejectAll
	}
	return serve(nc, cfg, h, true)
}

func serve(nc net.Conn, cfg *ssh.ServerConfig, h Handler, bound bool) error {
	defer nc.Close()
	if bound {
		nc.SetDeadline(time.Now().Add(HandshakeTimeout))
	}
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return fmt.Errorf("xsshtest: handshake: %w", err)
	}
	if bound {
		nc.SetDeadline(time.Time{})
	}
	defer conn.Close()
	h(conn, chans, reqs)
	return nil
}

// RejectAll is a Handler that refuses every global request and channel
// and returns when the client closes the connection.
func RejectAll(conn *ssh.ServerConn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nch := range chans {
		nch.Reject(ssh.Prohibited, "xsshtest: no channels")
	}
}

// A ChannelHandler answers one channel open request of the client: it
// accepts or rejects nch, and serves the channel if it accepts it.
type ChannelHandler func(conn *ssh.ServerConn, nch ssh.NewChannel)

// Channels returns a Handler that runs, in a goroutine of its own, the
// ChannelHandler for each channel type the client opens, and rejects
// other types (UnknownChannelType). Global requests are refused, except
// keepalive@openssh.com, which is answered with success as OpenSSH's
// sshd does. The Handler returns when the connection and every
// ChannelHandler have ended.
func Channels(handlers map[string]ChannelHandler) Handler {
	return func(conn *ssh.ServerConn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() {
			for r := range reqs {
				r.Reply(r.Type == "keepalive@openssh.com", nil)
			}
		})
		for nch := range chans {
			h, ok := handlers[nch.ChannelType()]
			if !ok {
				nch.Reject(ssh.UnknownChannelType, "xsshtest: no "+nch.ChannelType()+" channels")
				continue
			}
			wg.Go(func() { h(conn, nch) })
		}
	}
}

// Session returns a ChannelHandler that accepts the channel and runs
// serve, which owns the channel and its requests and should close the
// channel when done.
func Session(serve func(conn *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request)) ChannelHandler {
	return func(conn *ssh.ServerConn, nch ssh.NewChannel) {
		ch, reqs, err := nch.Accept()
		if err != nil {
			return
		}
		serve(conn, ch, reqs)
	}
}

// Sessions returns a Handler that serves "session" channels with serve
// (see Session) and nothing else (see Channels).
func Sessions(serve func(conn *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request)) Handler {
	return Channels(map[string]ChannelHandler{"session": Session(serve)})
}

// ExitZero is a Handler whose sessions accept "exec" of any command and
// exit with status 0 at once, without reading the input; other session
// requests are refused.
var ExitZero = exitZero(false)

// DrainExitZero is ExitZero, except that the session reads and discards
// its input until EOF before it exits.
var DrainExitZero = exitZero(true)

func exitZero(drain bool) Handler {
	return Sessions(func(_ *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
		defer ch.Close()
		for r := range reqs {
			r.Reply(r.Type == "exec", nil)
			if r.Type == "exec" {
				if drain {
					io.Copy(io.Discard, ch)
				}
				ExitStatus(ch, 0)
				return
			}
		}
	})
}

// ExitStatus sends an "exit-status" request with status on ch (RFC 4254,
// Section 6.10).
func ExitStatus(ch ssh.Channel, status uint32) error {
	_, err := ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
	return err
}

// NewHostKey returns a new Ed25519 signer.
func NewHostKey(tb testing.TB) ssh.Signer {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatalf("xsshtest: %v", err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatalf("xsshtest: %v", err)
	}
	return s
}

// Dial connects an x/crypto/ssh client to addr with cfg (with Timeout
// set to HandshakeTimeout unless it has one) and closes it when the test
// ends. Errors wrap the net.Dial or x/crypto handshake error.
func Dial(tb testing.TB, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	tb.Helper()
	c := *cfg
	if c.Timeout == 0 {
		c.Timeout = HandshakeTimeout
	}
	nc, err := net.DialTimeout("tcp", addr, c.Timeout)
	if err != nil {
		return nil, fmt.Errorf("xsshtest: %w", err)
	}
	nc.SetDeadline(time.Now().Add(c.Timeout))
	conn, chans, reqs, err := ssh.NewClientConn(nc, addr, &c)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("xsshtest: handshake: %w", err)
	}
	nc.SetDeadline(time.Time{})
	client := ssh.NewClient(conn, chans, reqs)
	tb.Cleanup(func() { client.Close() })
	return client, nil
}
