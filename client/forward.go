package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// maxQueued bounds the server-opened channels waiting in one listener's
// (or AcceptChannel's) queue; more are refused with RESOURCE_SHORTAGE.
const maxQueued = 64

// forwards routes server-opened channels (RFC 4254, Section 7.2; OpenSSH
// PROTOCOL, Sections 2.4 and PROTOCOL.agent) to their listeners.
type forwards struct {
	mu    sync.Mutex
	tcp   map[uint32]*Listener // by bound port; guarded by mu
	unix  map[string]*Listener // by socket path; guarded by mu
	agent string               // agent socket to serve, "" for none; guarded by mu
	other *Listener            // channels of other types for AcceptChannel; guarded by mu
	// handlers answer channels by type (HandleChannelType); guarded by mu
	handlers map[string]ChannelHandler
	closed   bool // guarded by mu
	// pending counts the Listen calls for port 0 still waiting for the
	// server's reply; settled is closed and replaced when it drops to
	// zero. The server may forward a connection the moment it replies,
	// before Listen learns the port, so route waits for them.
	pending int           // guarded by mu
	settled chan struct{} // guarded by mu
}

func (f *forwards) init() {
	f.tcp = map[uint32]*Listener{}
	f.unix = map[string]*Listener{}
	f.other = newListener(nil, nil)
	f.handlers = map[string]ChannelHandler{}
	f.settled = make(chan struct{})
}

// lookup returns the listener that get finds, waiting while a Listen
// for port 0 is in flight: its reply, which the server sent before the
// open being routed, may be about to register the listener sought.
func (f *forwards) lookup(ctx context.Context, get func() *Listener) *Listener {
	for {
		f.mu.Lock()
		l := get()
		if l != nil || f.pending == 0 {
			f.mu.Unlock()
			return l
		}
		settled := f.settled
		f.mu.Unlock()
		select {
		case <-settled:
		case <-ctx.Done():
			return nil
		}
	}
}

// register adds l under key in m unless the Client is closed; it
// returns a func that removes it again.
func register[K comparable](f *forwards, m map[K]*Listener, key K, l *Listener) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	m[key] = l
	return func() {
		f.mu.Lock()
		if m[key] == l {
			delete(m, key)
		}
		f.mu.Unlock()
	}, nil
}

func (f *forwards) closeAll() {
	f.mu.Lock()
	f.closed = true
	ls := []*Listener{f.other}
	for _, l := range f.tcp {
		ls = append(ls, l)
	}
	for _, l := range f.unix {
		ls = append(ls, l)
	}
	f.mu.Unlock()
	for _, l := range ls {
		l.shut()
	}
}

// dispatch accepts the channels the server opens and routes them.
func (c *Client) dispatch() {
	for {
		nc, err := c.conn.Accept(c.ctx)
		if err != nil {
			return
		}
		c.route(nc)
	}
}

func (c *Client) route(nc *connection.NewChannel) {
	f := &c.fwd
	f.mu.Lock()
	h := f.handlers[nc.Type()]
	f.mu.Unlock()
	if h != nil {
		c.wg.Go(func() { h.HandleChannel(c.ctx, nc) })
		return
	}
	var l *Listener
	switch nc.Type() {
	case wire.ChannelTypeForwardedTCPIP:
		d, err := nc.ForwardedTCPIP()
		if err != nil {
			nc.Reject(wire.ConnectFailed, "malformed forwarded-tcpip")
			return
		}
		l = f.lookup(c.ctx, func() *Listener { return f.tcp[d.Port] })
	case wire.ChannelTypeForwardedStreamLocal:
		d, err := nc.ForwardedStreamLocal()
		if err != nil {
			nc.Reject(wire.ConnectFailed, "malformed forwarded-streamlocal")
			return
		}
		l = f.lookup(c.ctx, func() *Listener { return f.unix[d.SocketPath] })
	case wire.ChannelTypeAuthAgent:
		f.mu.Lock()
		sock := f.agent
		f.mu.Unlock()
		if sock == "" {
			nc.Reject(wire.AdministrativelyProhibited, "agent forwarding not enabled")
			return
		}
		ch, err := nc.Accept(nil)
		if err != nil {
			return
		}
		c.wg.Go(func() { c.serveAgent(ch, sock) })
		return
	case wire.ChannelTypeX11:
		// No X11 forwarding was requested (package client/x11 handles
		// the x11 channels once it is): a server that opens x11
		// channels uninvited gets nowhere near the X server.
		c.log.Warn("Warning: ssh server tried X11 forwarding.")
		c.log.Warn("Warning: this is probably a break-in attempt by a malicious server.")
		nc.Reject(wire.AdministrativelyProhibited, "X11 forwarding not requested")
		return
	default:
		f.mu.Lock()
		l = f.other
		f.mu.Unlock()
	}
	if l == nil || !l.offer(nc) {
		nc.Reject(wire.AdministrativelyProhibited, "no listener")
	}
}

// A ChannelHandler answers the server-opened channels of one type for a
// Client (package client/x11 is one, for "x11" channels).
type ChannelHandler interface {
	// HandleChannel accepts or rejects nc and serves it. It runs in a
	// goroutine of the Client, which Close waits for; ctx ends when the
	// Client closes.
	HandleChannel(ctx context.Context, nc *connection.NewChannel)
}

// HandleChannelType makes h answer the channels of type typ the server
// opens, unless a handler for typ is registered already, and returns
// the handler in force: h, or the one registered before. Only the types
// a Client accepts reach a handler (x11, forwarded-tcpip,
// forwarded-streamlocal@openssh.com, auth-agent@openssh.com); a handler
// takes the channels of its type from Listen's listeners and agent
// forwarding.
func (c *Client) HandleChannelType(typ string, h ChannelHandler) ChannelHandler {
	c.fwd.mu.Lock()
	defer c.fwd.mu.Unlock()
	if old, ok := c.fwd.handlers[typ]; ok {
		return old
	}
	c.fwd.handlers[typ] = h
	return h
}

// serveAgent connects one forwarded agent channel to the local agent.
func (c *Client) serveAgent(ch *connection.Channel, sock string) {
	defer ch.Close()
	var d net.Dialer
	ac, err := d.DialContext(c.ctx, "unix", sock)
	if err != nil {
		c.log.Debug("agent forwarding: connecting to the agent", "err", err)
		return
	}
	defer ac.Close()
	stop := context.AfterFunc(c.ctx, func() { ac.Close() })
	defer stop()
	connection.Proxy(c.ctx, ch, ac)
}

// EnableAgentForwarding makes the Client answer the server's
// "auth-agent@openssh.com" channels with the agent at socket
// ($SSH_AUTH_SOCK when empty). Request forwarding per session with
// Session.RequestAgentForwarding, or set Config.ForwardAgent.
func (c *Client) EnableAgentForwarding(socket string) error {
	if socket == "" {
		socket = os.Getenv("SSH_AUTH_SOCK")
	}
	if socket == "" {
		return errors.New("client: agent forwarding: SSH_AUTH_SOCK not set")
	}
	c.fwd.mu.Lock()
	c.fwd.agent = socket
	c.fwd.mu.Unlock()
	return nil
}

// AcceptChannel waits for a channel the server opened that no listener,
// agent forwarding or X11 forwarding claims (paramiko's accept). The
// caller must Accept or Reject it.
func (c *Client) AcceptChannel(ctx context.Context) (*connection.NewChannel, error) {
	c.fwd.mu.Lock()
	l := c.fwd.other
	c.fwd.mu.Unlock()
	return l.next(ctx)
}

// Dial opens a connection from the server to addr (RFC 4254, Section
// 7.2 "direct-tcpip" for "tcp", "tcp4" and "tcp6"; OpenSSH's
// "direct-streamlocal@openssh.com" for "unix", addr being the socket
// path). The net.Conn's deadlines work as for a TCP connection.
func (c *Client) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var ch *connection.Channel
	var err error
	var remote net.Addr
	switch network {
	case "tcp", "tcp4", "tcp6":
		host, portStr, serr := net.SplitHostPort(addr)
		if serr != nil {
			return nil, fmt.Errorf("client: dial %s: %w", addr, serr)
		}
		port, perr := strconv.ParseUint(portStr, 10, 16)
		if perr != nil {
			return nil, fmt.Errorf("client: dial %s: bad port", addr)
		}
		ch, err = c.conn.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: host, Port: uint32(port), OriginatorAddress: "127.0.0.1", OriginatorPort: 0})
		remote = tcpAddr(host, int(port))
	case "unix":
		ch, err = c.conn.OpenDirectStreamLocal(ctx, wire.DirectStreamLocal{SocketPath: addr})
		remote = &net.UnixAddr{Name: addr, Net: "unix"}
	default:
		return nil, fmt.Errorf("client: dial: network %q not supported", network)
	}
	if err != nil {
		return nil, fmt.Errorf("client: dial %s %s through %s: %w", network, addr, c.addr, err)
	}
	return newChanConn(ch, c.nc.LocalAddr(), remote), nil
}

// DialContext is Dial; it lets a Client serve as a dialer for
// http.Transport and proxies.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return c.Dial(ctx, network, addr)
}

// DialClient connects to the SSH server at addr through c (a jump host,
// as ssh -J): the TCP connection is a direct-tcpip channel of c, and the
// new Client runs its own key exchange and authentication inside it.
// Closing the new Client does not close c.
func (c *Client) DialClient(ctx context.Context, addr string, cfg *Config) (*Client, error) {
	addr = withDefaultPort(addr)
	nc, err := c.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewClientConn(ctx, nc, addr, cfg)
}

func tcpAddr(host string, port int) net.Addr {
	if ip := net.ParseIP(host); ip != nil {
		return &net.TCPAddr{IP: ip, Port: port}
	}
	return &hostAddr{net.JoinHostPort(host, strconv.Itoa(port))}
}

type hostAddr struct{ s string }

func (a *hostAddr) Network() string { return "tcp" }
func (a *hostAddr) String() string  { return a.s }

// Listen asks the server to listen on addr and returns a listener of the
// connections it forwards: "tcp" sends "tcpip-forward" (RFC 4254,
// Section 7.1), where port 0 lets the server choose (Addr reports it);
// "unix" sends "streamlocal-forward@openssh.com" for a socket path
// (paramiko's request_port_forward). Closing the listener cancels the
// forwarding (cancel_port_forward).
func (c *Client) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		host, portStr, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("client: listen %s: %w", addr, err)
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("client: listen %s: bad port", addr)
		}
		if port != 0 {
			// Registered before the request, as ssh does: the server
			// may forward a connection right behind its reply.
			l, err := c.listenFixed(ctx, host, uint32(port))
			if err != nil {
				return nil, err
			}
			return l, nil
		}
		f := &c.fwd
		f.mu.Lock()
		f.pending++
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			if f.pending--; f.pending == 0 {
				close(f.settled)
				f.settled = make(chan struct{})
			}
			f.mu.Unlock()
		}()
		bound, err := c.conn.ForwardTCPIP(ctx, host, 0)
		if err != nil {
			return nil, fmt.Errorf("client: remote listen on %s: %w", addr, err)
		}
		l := c.tcpListener(host, bound)
		if l.unregister, err = register(f, f.tcp, bound, l); err != nil {
			return nil, err
		}
		return l, nil
	case "unix":
		l := newListener(&net.UnixAddr{Name: addr, Net: "unix"}, func() error {
			ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
			defer cancel()
			return c.conn.CancelForwardStreamLocal(ctx, addr)
		})
		var err error
		if l.unregister, err = register(&c.fwd, c.fwd.unix, addr, l); err != nil {
			return nil, err
		}
		if err := c.conn.ForwardStreamLocal(ctx, addr); err != nil {
			l.unregister()
			return nil, fmt.Errorf("client: remote listen on %s: %w", addr, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("client: listen: network %q not supported", network)
}

// listenFixed asks the server to listen on host:port, a port other
// than 0, with the listener in place before the request is sent.
func (c *Client) listenFixed(ctx context.Context, host string, port uint32) (*Listener, error) {
	l := c.tcpListener(host, port)
	var err error
	if l.unregister, err = register(&c.fwd, c.fwd.tcp, port, l); err != nil {
		return nil, err
	}
	if _, err := c.conn.ForwardTCPIP(ctx, host, port); err != nil {
		l.unregister()
		return nil, fmt.Errorf("client: remote listen on %s: %w", net.JoinHostPort(host, strconv.Itoa(int(port))), err)
	}
	return l, nil
}

func (c *Client) tcpListener(host string, port uint32) *Listener {
	return newListener(tcpAddr(host, int(port)), func() error {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		defer cancel()
		return c.conn.CancelForwardTCPIP(ctx, host, port)
	})
}

// A Listener receives the connections the server forwards for one
// Listen. It implements net.Listener; AcceptContext takes a ctx.
type Listener struct {
	addr       net.Addr
	cancel     func() error // cancels the forwarding at the server
	unregister func()

	mu     sync.Mutex
	queue  []*connection.NewChannel // guarded by mu
	ready  chan struct{}            // closed and replaced when queue grows; guarded by mu
	closed bool                     // guarded by mu
	once   sync.Once
}

var _ net.Listener = (*Listener)(nil)

func newListener(addr net.Addr, cancel func() error) *Listener {
	return &Listener{addr: addr, cancel: cancel, ready: make(chan struct{})}
}

// offer queues nc; false if the listener is closed or full.
func (l *Listener) offer(nc *connection.NewChannel) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || len(l.queue) >= maxQueued {
		return false
	}
	l.queue = append(l.queue, nc)
	close(l.ready)
	l.ready = make(chan struct{})
	return true
}

func (l *Listener) next(ctx context.Context) (*connection.NewChannel, error) {
	for {
		l.mu.Lock()
		if len(l.queue) > 0 {
			nc := l.queue[0]
			l.queue = l.queue[1:]
			l.mu.Unlock()
			return nc, nil
		}
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		ready := l.ready
		l.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Accept waits for the next forwarded connection.
func (l *Listener) Accept() (net.Conn, error) { return l.AcceptContext(context.Background()) }

// AcceptChannel waits for the next channel the server forwarded to the
// listener and returns it unanswered, for a caller that relays the
// channel itself (a connection-sharing master passing it on to a mux
// client); the caller must Accept or Reject it.
func (l *Listener) AcceptChannel(ctx context.Context) (*connection.NewChannel, error) {
	return l.next(ctx)
}

// AcceptContext waits for the next forwarded connection or for ctx.
func (l *Listener) AcceptContext(ctx context.Context) (net.Conn, error) {
	nc, err := l.next(ctx)
	if err != nil {
		return nil, err
	}
	var remote net.Addr = l.addr
	if d, err := nc.ForwardedTCPIP(); err == nil {
		remote = tcpAddr(d.OriginatorAddress, int(d.OriginatorPort))
	}
	ch, err := nc.Accept(nil)
	if err != nil {
		return nil, err
	}
	return newChanConn(ch, l.addr, remote), nil
}

// shut closes the listener without telling the server.
func (l *Listener) shut() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	q := l.queue
	l.queue = nil
	close(l.ready)
	l.ready = make(chan struct{})
	l.mu.Unlock()
	for _, nc := range q {
		nc.Reject(wire.ConnectFailed, "listener closed")
	}
}

// Close cancels the forwarding at the server and ends Accept.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		l.shut()
		if l.unregister != nil {
			l.unregister()
		}
		if l.cancel != nil {
			err = l.cancel()
		}
	})
	return err
}

// Addr returns the address the server listens on, with the port it chose.
func (l *Listener) Addr() net.Addr { return l.addr }

// chanConn is a channel as a net.Conn.
type chanConn struct {
	ch            *connection.Channel
	local, remote net.Addr

	mu   sync.Mutex
	r, w deadline // guarded by mu
}

// A deadline is a ctx that ends at the deadline, or with errReplaced
// when a new deadline is set.
type deadline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

var errReplaced = errors.New("client: deadline replaced")

func newDeadline(t time.Time) deadline {
	if t.IsZero() {
		ctx, cancel := context.WithCancelCause(context.Background())
		return deadline{ctx, cancel}
	}
	ctx, cancel := context.WithDeadlineCause(context.Background(), t, os.ErrDeadlineExceeded)
	ctx, cancel2 := context.WithCancelCause(ctx)
	return deadline{ctx, func(err error) { cancel2(err); cancel() }}
}

func newChanConn(ch *connection.Channel, local, remote net.Addr) *chanConn {
	return &chanConn{ch: ch, local: local, remote: remote, r: newDeadline(time.Time{}), w: newDeadline(time.Time{})}
}

func (cc *chanConn) current(read bool) context.Context {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if read {
		return cc.r.ctx
	}
	return cc.w.ctx
}

// io runs op under the current deadline, again if the deadline was
// replaced before anything moved.
func (cc *chanConn) io(read bool, op func(ctx context.Context) (int, error)) (int, error) {
	for {
		ctx := cc.current(read)
		n, err := op(ctx)
		if err == nil || ctx.Err() == nil {
			return n, err
		}
		if context.Cause(ctx) == errReplaced && n == 0 {
			continue
		}
		return n, os.ErrDeadlineExceeded
	}
}

func (cc *chanConn) Read(p []byte) (int, error) {
	return cc.io(true, func(ctx context.Context) (int, error) { return cc.ch.ReadContext(ctx, p) })
}

func (cc *chanConn) Write(p []byte) (int, error) {
	written := 0
	return cc.io(false, func(ctx context.Context) (int, error) {
		n, err := cc.ch.WriteContext(ctx, p[written:])
		written += n
		return written, err
	})
}

func (cc *chanConn) Close() error {
	cc.mu.Lock()
	cc.r.cancel(net.ErrClosed)
	cc.w.cancel(net.ErrClosed)
	cc.mu.Unlock()
	return cc.ch.Close()
}

func (cc *chanConn) CloseWrite() error    { return cc.ch.CloseWrite() }
func (cc *chanConn) LocalAddr() net.Addr  { return cc.local }
func (cc *chanConn) RemoteAddr() net.Addr { return cc.remote }

func (cc *chanConn) SetDeadline(t time.Time) error {
	cc.SetReadDeadline(t)
	return cc.SetWriteDeadline(t)
}

func (cc *chanConn) SetReadDeadline(t time.Time) error {
	cc.mu.Lock()
	old := cc.r
	cc.r = newDeadline(t)
	cc.mu.Unlock()
	old.cancel(errReplaced)
	return nil
}

func (cc *chanConn) SetWriteDeadline(t time.Time) error {
	cc.mu.Lock()
	old := cc.w
	cc.w = newDeadline(t)
	cc.mu.Unlock()
	old.cancel(errReplaced)
	return nil
}
