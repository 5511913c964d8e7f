package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/server/forward"
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
	onClose []func()   // guarded by goMu; run by closed
	ended   bool       // guarded by goMu; closed has run

	fwd forward.Forwarder // port, stream-local and agent forwarding
	set ConnSettings      // Server.ForConn's; set by run before any channel, then read only
	log *slog.Logger      // Logger's; set before run

	tunMu    sync.Mutex
	tunNames []string // interfaces of the tun channels, for SSH_TUNNEL; guarded by tunMu
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

// Logger returns the connection's logger: the one in the policy that
// Server.Auth.ForUser returned for the user (sshd's LogLevel in Match),
// else the Server's (Server.Logger; one that discards when it is nil).
func (c *Conn) Logger() *slog.Logger { return c.log }

// OnClose registers f to run once the connection has ended, after its
// sessions, forwardings and Go functions, for per-login state such as a
// credential cache file. The functions run in the connection's
// goroutine in the order registered, also when it unwinds from a panic;
// once the connection has ended, OnClose runs f at once.
func (c *Conn) OnClose(f func()) {
	c.goMu.Lock()
	if !c.ended {
		c.onClose = append(c.onClose, f)
		c.goMu.Unlock()
		return
	}
	c.goMu.Unlock()
	f()
}

// closed runs the OnClose functions.
func (c *Conn) closed() {
	c.goMu.Lock()
	fs := c.onClose
	c.onClose, c.ended = nil, true
	c.goMu.Unlock()
	for _, f := range fs {
		f()
	}
}

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
	c.set = s.connSettings()
	if s.ForConn != nil {
		c.set = s.ForConn(c, c.set)
		if c.set.RekeyBytes != s.RekeyBytes || c.set.RekeyInterval != s.RekeyInterval {
			c.t.SetRekeyLimit(c.set.RekeyBytes, c.set.RekeyInterval)
		}
	}
	c.configureForwarding()
	cfg := &connection.Config{
		MaxSessions: c.set.MaxSessions,
		MaxChannels: s.MaxChannels,
		Logger:      c.log,
	}
	c.fwd.Configure(cfg)
	if s.GlobalRequest != nil {
		cfg.GlobalRequest = func(r *connection.GlobalRequest) (bool, []byte) { return s.GlobalRequest(c, r) }
	}
	cfg.ProveHostKeys = c.proveHostKeys
	// Channels are dispatched on a goroutine the mux starts per burst of
	// opens, and Run reads on this one: an idle connection costs one
	// goroutine plus one per session handler.
	var hookPanic error
	cfg.HandleChannel = func(nch *connection.NewChannel) {
		// A hook that panics here (PermitOpen, say) must still unwind
		// this connection's goroutine, whose defers remove the GSS-API
		// ccache: the panic is carried over and raised again below.
		defer func() {
			if v := recover(); v != nil {
				hookPanic = &carriedPanic{v: v, stack: debug.Stack()}
				cancel()
			}
		}()
		c.dispatch(ctx, nch)
	}
	c.mux = connection.New(c.t, cfg)
	c.fwd.Start(ctx, c.mux)
	if c.set.ClientAliveInterval > 0 {
		c.wg.Go(func() { c.keepalive(ctx) })
	}
	if c.set.UnusedConnectionTimeout > 0 {
		c.wg.Go(func() { c.closeUnused(ctx) })
	}
	runErr := c.mux.Run(ctx)
	if hookPanic != nil { // set before Run returned: Run joins HandleChannel
		panic(hookPanic)
	}
	cancel()
	c.mux.Close()
	if err := c.fwd.Close(); err != nil {
		c.log.Debug("closing the forwardings", "user", c.User(), "err", err)
	}
	c.goMu.Lock()
	c.joining = true
	c.goMu.Unlock()
	c.wg.Wait()
	return runErr
}

// A carriedPanic is a panic recovered on a goroutine of the mux and
// raised again on the connection's own; it prints as the original value
// followed by the stack where it happened.
type carriedPanic struct {
	v     any
	stack []byte
}

func (p *carriedPanic) Error() string {
	return fmt.Sprint(p.v) + "\n\n[recovered on the channel dispatcher; its stack:]\n" + string(p.stack)
}

// configureForwarding sets the connection's Forwarder's policies: the
// user's Permissions (no-port-forwarding, permitopen=, permitlisten=)
// first, then the Server's hooks.
func (c *Conn) configureForwarding() {
	s := c.srv
	perms := c.Permissions()
	c.fwd.GatewayPorts = c.set.GatewayPorts
	c.fwd.StreamLocalMode, c.fwd.StreamLocalBindUnlink = c.set.StreamLocalMode, c.set.StreamLocalBindUnlink
	c.fwd.Opened = func(ch *connection.Channel) { c.SetChannelTimeout(ch, sshdChannelType(ch.Type())) }
	c.fwd.PermitOpen = func(d wire.DirectTCPIP) bool {
		if !perms.NoPortForwarding && perms.AllowsOpen(d.Host, int(d.Port)) && s.PermitOpen != nil && s.PermitOpen(c, d.Host, d.Port) {
			return true
		}
		raddr, rport := addrPort(c.RemoteAddr())
		c.log.Info(fmt.Sprintf("refused local port forward: originator %s port %d, target %s port %d (user %s from %s port %d)",
			wire.Sanitize(d.OriginatorAddress), d.OriginatorPort, wire.Sanitize(d.Host), d.Port, c.User(), raddr, rport))
		return false
	}
	c.fwd.PermitListen = func(host string, port uint32) bool {
		return !perms.NoPortForwarding && perms.AllowsListen(host, int(port)) && s.PermitListen != nil && s.PermitListen(c, host, port)
	}
	c.fwd.PermitStreamLocal = func(path string) bool {
		return !perms.NoPortForwarding && s.PermitStreamLocal != nil && s.PermitStreamLocal(c, path)
	}
}

// logEnd logs why an authenticated connection ended, as sshd does before
// "Disconnected from user": the peer's DISCONNECT, the peer closing the
// socket, or a fatal error. Ends we chose (Shutdown, keepalive timeout,
// a DISCONNECT we sent) were logged where they were decided.
func (c *Conn) logEnd(err error) {
	raddr, rport := addrPort(c.RemoteAddr())
	lg := c.log
	if !logs(lg, slog.LevelInfo) {
		return
	}
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
	max := c.set.ClientAliveCountMax
	if max <= 0 {
		max = DefaultClientAliveCountMax
	}
	tk := time.NewTicker(c.set.ClientAliveInterval)
	defer tk.Stop()
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		kctx, kcancel := context.WithTimeout(ctx, c.set.ClientAliveInterval)
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
			c.log.Info(fmt.Sprintf("Timeout, client not responding from user %s %s port %d", c.User(), raddr, rport))
			c.t.Disconnect(wire.ByApplication, "client not responding")
			return
		}
	}
}

// closeUnused ends the connection once it has had no channel for
// UnusedConnectionTimeout, as sshd's server_loop2, which logs
// "terminating inactive connection from ..." and exits. The channel
// count is sampled every quarter of the timeout (at most every second),
// so the connection ends within that much after the deadline.
func (c *Conn) closeUnused(ctx context.Context) {
	d := c.set.UnusedConnectionTimeout
	tk := time.NewTicker(min(max(d/4, 10*time.Millisecond), time.Second))
	defer tk.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tk.C:
			if c.mux.Channels() > 0 {
				last = now
				continue
			}
			if now.Sub(last) < d {
				continue
			}
			raddr, rport := addrPort(c.RemoteAddr())
			c.log.Info(fmt.Sprintf("terminating inactive connection from user %s %s port %d", c.User(), raddr, rport))
			c.t.Disconnect(wire.ByApplication, "unused connection timeout")
			return
		}
	}
}

// dispatch routes a channel the client opens: sessions here, the
// forwarding channels to the Forwarder, the rest refused.
func (c *Conn) dispatch(ctx context.Context, nch *connection.NewChannel) {
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
		// The client may have started the session already (its
		// request can arrive before Accept returns): then start has
		// set the timeout for what it became.
		ss.mu.Lock()
		if !ss.started {
			c.SetChannelTimeout(ch, wire.ChannelTypeSession)
		}
		ss.mu.Unlock()
		c.wg.Add(1) // Done when the channel closes, at the latest with the mux
		ch.AfterClose(func() {
			defer c.wg.Done()
			scancel()
		})
	case wire.ChannelTypeDirectTCPIP, wire.ChannelTypeDirectStreamLocal:
		c.fwd.HandleChannel(nch)
	case wire.ChannelTypeTun:
		c.handleTun(ctx, nch)
	default:
		nch.Reject(wire.UnknownChannelType, "unsupported channel type")
	}
}
