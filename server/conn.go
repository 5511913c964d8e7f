package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// A Conn is one authenticated connection, as the handlers and policies
// see it. Its methods are safe for concurrent use.
type Conn struct {
	srv    *Server
	t      *kex.Transport
	nc     net.Conn
	result *userauth.Result
	ccache string // delegated GSS-API credential cache, or ""
	mux    *connection.Conn
	ctx    context.Context // ends with the connection
	wg     sync.WaitGroup  // every goroutine of this connection

	goMu    sync.Mutex // orders Go's Add before run's final Wait
	joining bool       // run is waiting for wg: Go refuses; guarded by goMu

	mu       sync.Mutex
	forwards map[string]net.Listener // "host:port" or socket path; guarded by mu
	agentDir string                  // guarded by mu
	agentSk  string                  // guarded by mu
}

// User returns the authenticated user name.
func (c *Conn) User() string { return c.result.User }

// Permissions returns the restrictions merged over every factor of the
// authentication (never nil).
func (c *Conn) Permissions() *userauth.Permissions { return c.result.Permissions }

// AuthResult returns the whole outcome of user authentication.
func (c *Conn) AuthResult() *userauth.Result { return c.result }

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the address the client connected to.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// SessionID returns the session identifier (RFC 4253, Section 7.2).
func (c *Conn) SessionID() []byte { return c.t.SessionID() }

// ClientVersion returns the client's identification string.
func (c *Conn) ClientVersion() string { return c.t.RemoteVersion() }

// Algorithms returns the algorithms of the last key exchange.
func (c *Conn) Algorithms() kex.Algorithms { return c.t.Algorithms() }

// Mux returns the channel multiplexer, for hooks that open channels of
// their own (x11, say).
func (c *Conn) Mux() *connection.Conn { return c.mux }

// GSSCredentialCache returns the path of the ccache that holds the
// credential the client delegated in GSS-API authentication, or "".
// Session.Environ names it in KRB5CCNAME. The server removes it when the
// connection ends unless GSSKeepCredentials is set.
func (c *Conn) GSSCredentialCache() string { return c.ccache }

// Context returns a context that ends with the connection.
func (c *Conn) Context() context.Context { return c.ctx }

// Logger returns the Server's logger (Server.Logger; one that discards
// when it is nil).
func (c *Conn) Logger() *slog.Logger { return c.srv.log() }

// Go runs f in a goroutine of the connection, for the hooks that serve
// it from outside this package (package server/x11's listeners and
// copies): the connection waits for f before it ends, and so Serve,
// Shutdown and Close do; f must return once Context ends. Go reports
// false, and does not run f, once the connection is ending.
func (c *Conn) Go(f func()) bool {
	c.goMu.Lock()
	defer c.goMu.Unlock()
	if c.joining {
		return false
	}
	c.wg.Go(f)
	return true
}

func (c *Conn) run(parent context.Context) error {
	s := c.srv
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	c.ctx = ctx
	c.forwards = map[string]net.Listener{}
	cfg := &connection.Config{
		MaxSessions: s.MaxSessions,
		MaxChannels: s.MaxChannels,
		TCPIPForward: func(f wire.TCPIPForward) (uint32, error) {
			return c.tcpipForward(f)
		},
		CancelTCPIPForward: func(f wire.TCPIPForward) error {
			return c.cancelForward(net.JoinHostPort(f.BindAddress, strconv.Itoa(int(f.BindPort))))
		},
		StreamLocalForward:       c.streamLocalForward,
		CancelStreamLocalForward: c.cancelForward,
		Logger:                   s.Logger,
	}
	if s.GlobalRequest != nil {
		cfg.GlobalRequest = func(r *connection.GlobalRequest) (bool, []byte) { return s.GlobalRequest(c, r) }
	}
	cfg.ProveHostKeys = c.proveHostKeys
	c.mux = connection.New(c.t, cfg)
	var runErr error
	c.wg.Go(func() {
		runErr = c.mux.Run(ctx)
		cancel()
	})
	c.notifyHostKeys(ctx)
	if s.ClientAliveInterval > 0 {
		c.wg.Go(func() { c.keepalive(ctx) })
	}
	for {
		nch, err := c.mux.Accept(ctx)
		if err != nil {
			break
		}
		c.dispatch(ctx, nch)
	}
	cancel()
	c.mu.Lock()
	for k, l := range c.forwards {
		l.Close()
		delete(c.forwards, k)
	}
	c.mu.Unlock()
	c.mux.Close()
	c.goMu.Lock()
	c.joining = true
	c.goMu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	if c.agentDir != "" {
		os.RemoveAll(c.agentDir)
	}
	c.mu.Unlock()
	return runErr
}

// logEnd logs why an authenticated connection ended, as sshd does before
// "Disconnected from user": the peer's DISCONNECT, the peer closing the
// socket, or a fatal error. Ends we chose (Shutdown, keepalive timeout,
// a DISCONNECT we sent) were logged where they were decided.
func (c *Conn) logEnd(err error) {
	raddr, rport := addrPort(c.RemoteAddr())
	lg := c.srv.log()
	var de *wire.DisconnectError
	switch {
	case err == nil, errors.Is(err, connection.ErrClosed), errors.Is(err, context.Canceled):
	case errors.As(err, &de) && !de.Remote:
	case errors.As(err, &de):
		lg.Info(fmt.Sprintf("Received disconnect from %s port %d:%d: %s", raddr, rport, de.Reason, wire.Sanitize(de.Message)))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		lg.Info(fmt.Sprintf("Connection closed by %s port %d", raddr, rport))
	default:
		lg.Info(fmt.Sprintf("ssh_dispatch_run_fatal: Connection from user %s %s port %d: %v", c.User(), raddr, rport, err), "err", err)
	}
}

// keepalive sends keepalive@openssh.com every ClientAliveInterval and
// ends the connection after ClientAliveCountMax unanswered ones.
func (c *Conn) keepalive(ctx context.Context) {
	s := c.srv
	max := s.ClientAliveCountMax
	if max <= 0 {
		max = DefaultClientAliveCountMax
	}
	tk := time.NewTicker(s.ClientAliveInterval)
	defer tk.Stop()
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		kctx, kcancel := context.WithTimeout(ctx, s.ClientAliveInterval)
		err := c.mux.Keepalive(kctx)
		kcancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			missed = 0
			continue
		}
		missed++
		if missed >= max {
			raddr, rport := addrPort(c.RemoteAddr())
			s.log().Info(fmt.Sprintf("Timeout, client not responding from user %s %s port %d", c.User(), raddr, rport))
			c.t.Disconnect(wire.ByApplication, "client not responding")
			return
		}
	}
}

func (c *Conn) dispatch(ctx context.Context, nch *connection.NewChannel) {
	s := c.srv
	perms := c.Permissions()
	switch nch.Type() {
	case wire.ChannelTypeSession:
		sctx, scancel := context.WithCancel(ctx)
		// ss.ch is set by the first request: it may arrive before Accept
		// returns here.
		ss := &Session{c: c, ctx: sctx, cancel: scancel}
		ch, err := nch.Accept(ss.handleRequest)
		if err != nil {
			scancel()
			return
		}
		c.wg.Go(func() {
			ch.Wait(sctx)
			scancel()
		})
	case wire.ChannelTypeDirectTCPIP:
		d, err := nch.DirectTCPIP()
		if err != nil {
			nch.Reject(wire.ConnectFailed, "bad request")
			return
		}
		if perms.NoPortForwarding || !perms.AllowsOpen(d.Host, int(d.Port)) || s.PermitOpen == nil || !s.PermitOpen(c, d.Host, d.Port) {
			raddr, rport := addrPort(c.RemoteAddr())
			s.log().Info(fmt.Sprintf("refused local port forward: originator %s port %d, target %s port %d (user %s from %s port %d)",
				wire.Sanitize(d.OriginatorAddress), d.OriginatorPort, wire.Sanitize(d.Host), d.Port, c.User(), raddr, rport))
			nch.Reject(wire.AdministrativelyProhibited, "port forwarding refused")
			return
		}
		c.wg.Go(func() {
			dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
			defer dcancel()
			tc, err := (&net.Dialer{}).DialContext(dctx, "tcp", net.JoinHostPort(d.Host, strconv.Itoa(int(d.Port))))
			if err != nil {
				nch.Reject(wire.ConnectFailed, "connect failed")
				return
			}
			ch, err := nch.Accept(nil)
			if err != nil {
				tc.Close()
				return
			}
			connection.Proxy(ctx, ch, tc)
		})
	case wire.ChannelTypeDirectStreamLocal:
		d, err := nch.DirectStreamLocal()
		if err != nil || perms.NoPortForwarding || s.PermitStreamLocal == nil || !s.PermitStreamLocal(c, d.SocketPath) {
			nch.Reject(wire.AdministrativelyProhibited, "stream local forwarding refused")
			return
		}
		c.wg.Go(func() {
			dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
			defer dcancel()
			uc, err := (&net.Dialer{}).DialContext(dctx, "unix", d.SocketPath)
			if err != nil {
				nch.Reject(wire.ConnectFailed, "connect failed")
				return
			}
			ch, err := nch.Accept(nil)
			if err != nil {
				uc.Close()
				return
			}
			connection.Proxy(ctx, ch, uc)
		})
	default:
		nch.Reject(wire.UnknownChannelType, "unsupported channel type")
	}
}

// listenAddr picks the address a remote forwarding binds, as sshd does:
// loopback unless GatewayPorts.
func (c *Conn) listenAddr(bind string) string {
	if !c.srv.GatewayPorts {
		return "127.0.0.1"
	}
	switch bind {
	case "", "*", "0.0.0.0":
		return ""
	case "localhost":
		return "127.0.0.1"
	}
	return bind
}

func (c *Conn) tcpipForward(f wire.TCPIPForward) (uint32, error) {
	s := c.srv
	perms := c.Permissions()
	if f.BindPort > 65535 || perms.NoPortForwarding || !perms.AllowsListen(f.BindAddress, int(f.BindPort)) ||
		s.PermitListen == nil || !s.PermitListen(c, f.BindAddress, f.BindPort) {
		return 0, errors.New("server: remote forwarding refused")
	}
	key := net.JoinHostPort(f.BindAddress, strconv.Itoa(int(f.BindPort)))
	c.mu.Lock()
	_, dup := c.forwards[key]
	c.mu.Unlock()
	if dup {
		return 0, errors.New("server: forwarding exists")
	}
	l, err := (&net.ListenConfig{}).Listen(c.ctx, "tcp", net.JoinHostPort(c.listenAddr(f.BindAddress), strconv.Itoa(int(f.BindPort))))
	if err != nil {
		return 0, err
	}
	port := uint32(l.Addr().(*net.TCPAddr).Port)
	if f.BindPort == 0 {
		key = net.JoinHostPort(f.BindAddress, strconv.Itoa(int(port)))
	}
	c.mu.Lock()
	c.forwards[key] = l
	c.mu.Unlock()
	c.wg.Go(func() {
		defer l.Close()
		for {
			tc, err := l.Accept()
			if err != nil {
				return
			}
			c.wg.Go(func() {
				oa, op := addrPort(tc.RemoteAddr())
				ch, err := c.mux.OpenForwardedTCPIP(c.ctx, wire.ForwardedTCPIP{
					Address: f.BindAddress, Port: port, OriginatorAddress: oa, OriginatorPort: uint32(op)})
				if err != nil {
					tc.Close()
					return
				}
				connection.Proxy(c.ctx, ch, tc)
			})
		}
	})
	return port, nil
}

func (c *Conn) streamLocalForward(path string) error {
	s := c.srv
	if c.Permissions().NoPortForwarding || s.PermitStreamLocal == nil || !s.PermitStreamLocal(c, path) {
		return errors.New("server: stream local forwarding refused")
	}
	l, err := (&net.ListenConfig{}).Listen(c.ctx, "unix", path)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if _, dup := c.forwards[path]; dup {
		c.mu.Unlock()
		l.Close()
		return errors.New("server: forwarding exists")
	}
	c.forwards[path] = l
	c.mu.Unlock()
	c.wg.Go(func() {
		defer l.Close()
		for {
			uc, err := l.Accept()
			if err != nil {
				return
			}
			c.wg.Go(func() {
				ch, err := c.mux.OpenForwardedStreamLocal(c.ctx, wire.ForwardedStreamLocal{SocketPath: path})
				if err != nil {
					uc.Close()
					return
				}
				connection.Proxy(c.ctx, ch, uc)
			})
		}
	})
	return nil
}

func (c *Conn) cancelForward(key string) error {
	c.mu.Lock()
	l, ok := c.forwards[key]
	delete(c.forwards, key)
	c.mu.Unlock()
	if !ok {
		return errors.New("server: no such forwarding")
	}
	return l.Close()
}

// agentSocket starts agent forwarding for the connection (once) and
// returns the socket path (OpenSSH PROTOCOL.agent).
func (c *Conn) agentSocket() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.agentSk != "" {
		return c.agentSk, nil
	}
	dir, err := os.MkdirTemp("", "ssh-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "agent."+strconv.Itoa(os.Getpid()))
	l, err := (&net.ListenConfig{}).Listen(c.ctx, "unix", path)
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	if c.srv.AgentSocketOwner != nil {
		if uid, gid, ok := c.srv.AgentSocketOwner(c); ok {
			os.Chown(dir, uid, gid)
			os.Chown(path, uid, gid)
		}
	}
	c.agentDir, c.agentSk = dir, path
	c.forwards[path] = l
	c.wg.Go(func() {
		defer l.Close()
		for {
			uc, err := l.Accept()
			if err != nil {
				return
			}
			c.wg.Go(func() {
				ch, err := c.mux.OpenAuthAgent(c.ctx)
				if err != nil {
					uc.Close()
					return
				}
				connection.Proxy(c.ctx, ch, uc)
			})
		}
	})
	return path, nil
}
