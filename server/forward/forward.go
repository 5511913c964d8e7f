// Package forward serves the forwardings of one server-side SSH
// connection on a connection.Conn: direct-tcpip channels (RFC 4254,
// Section 7.2, ssh -L: the server dials), tcpip-forward and
// cancel-tcpip-forward (Section 7.1, ssh -R: the server listens), the
// stream-local forms of both (OpenSSH PROTOCOL, Section 2.4), and agent
// forwarding's socket (OpenSSH PROTOCOL.agent), each connection to which
// becomes an auth-agent@openssh.com channel to the client.
//
// A Forwarder holds no policy of its own beyond its Permit hooks: package
// server wires one into each connection with the Server's policies and
// the user's Permissions, and a server built from the layers without
// package server can use it alone (see the Example). Every goroutine a
// Forwarder starts is its own: Close ends and waits for them.
package forward

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// DialTimeout bounds the server's dial for a direct-tcpip or
// direct-streamlocal channel.
const DialTimeout = 10 * time.Second

// Errors of the global request hooks; the client sees REQUEST_FAILURE.
var (
	// ErrRefused means a Permit hook said no, or is nil.
	ErrRefused = errors.New("forward: forwarding refused")
	// ErrExists means the address or path is forwarded already.
	ErrExists = errors.New("forward: forwarding exists")
	// ErrNotForwarded means a cancel named no forwarding of this
	// connection.
	ErrNotForwarded = errors.New("forward: no such forwarding")
	// ErrClosed means the Forwarder is closed or was not started.
	ErrClosed = errors.New("forward: closed")
)

// A Forwarder serves the forwardings of one connection. Set its fields,
// install its global request hooks with Configure before connection.New,
// call Start with the connection.Conn before its Run, hand it the
// direct-tcpip and direct-streamlocal channels (HandleChannel), and
// Close it when the connection ends. Its methods are safe for concurrent
// use.
type Forwarder struct {
	// PermitOpen decides a direct-tcpip channel (its target Host:Port,
	// from its originator); nil refuses them all.
	PermitOpen func(d wire.DirectTCPIP) bool
	// PermitListen decides a tcpip-forward request for host:port (port
	// 0: any); nil refuses them all.
	PermitListen func(host string, port uint32) bool
	// PermitStreamLocal decides Unix-socket forwarding both ways; nil
	// refuses it.
	PermitStreamLocal func(path string) bool
	// StreamLocalMode is the permission bits of the Unix sockets that
	// streamlocal-forward@openssh.com binds (ssh -R /path:...); zero
	// means 0600, OpenSSH's default StreamLocalBindMask 0177. With
	// os.ModeSocket set the permission bits are taken as they are, none
	// included (os.ModeSocket alone is mode 0000, StreamLocalBindMask
	// 0777). The socket is created with them, never looser.
	StreamLocalMode os.FileMode
	// StreamLocalBindUnlink removes an existing socket file at the path
	// before binding (OpenSSH StreamLocalBindUnlink yes); a file that is
	// not a socket is kept, and the bind fails.
	StreamLocalBindUnlink bool
	// GatewayPorts lets remote forwardings listen on the address the
	// client names instead of loopback (OpenSSH GatewayPorts yes).
	GatewayPorts bool
	// Opened, if set, is called with each channel the Forwarder accepts
	// or opens, before it copies data on it (for example to set an
	// inactivity timeout); it must not block.
	Opened func(ch *connection.Channel)

	ctx    context.Context    // ends with the connection or Close; set by Start
	cancel context.CancelFunc // ends ctx; set by Start
	mux    *connection.Conn   // set by Start
	wg     sync.WaitGroup     // every goroutine of the Forwarder

	mu        sync.Mutex
	started   bool                    // guarded by mu
	closed    bool                    // guarded by mu
	listeners map[string]net.Listener // "host:port" or socket path; guarded by mu
	agentDir  string                  // guarded by mu
	agentSock string                  // guarded by mu
}

// Configure installs f's hooks for tcpip-forward, cancel-tcpip-forward,
// streamlocal-forward@openssh.com and cancel-streamlocal-forward@openssh.com
// in cfg.
func (f *Forwarder) Configure(cfg *connection.Config) {
	cfg.TCPIPForward = f.tcpipForward
	cfg.CancelTCPIPForward = func(r wire.TCPIPForward) error {
		return f.cancelForward(net.JoinHostPort(r.BindAddress, strconv.Itoa(int(r.BindPort))))
	}
	cfg.StreamLocalForward = f.streamLocalForward
	cfg.CancelStreamLocalForward = f.cancelForward
}

// Start gives f the connection it serves, once, before mux.Run; the
// forwarded connections end when ctx ends or Close is called. Start
// starts no goroutine.
func (f *Forwarder) Start(ctx context.Context, mux *connection.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started {
		return
	}
	f.ctx, f.cancel = context.WithCancel(ctx)
	f.mux, f.started = mux, true
	f.listeners = map[string]net.Listener{}
}

// context returns the ctx of Start, and false when f is closed or not
// started.
func (f *Forwarder) context() (context.Context, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctx, f.started && !f.closed
}

// goOwned runs fn in a goroutine of f unless f is closed or not started.
func (f *Forwarder) goOwned(fn func()) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || !f.started {
		return false
	}
	f.wg.Go(fn)
	return true
}

// HandleChannel serves nch if it is a direct-tcpip or direct-streamlocal
// channel, and reports whether it was: it rejects the channel when the
// Permit hook refuses it or the dial fails, and otherwise copies between
// the channel and the connection it dialed in a goroutine of f. The
// dial and the copy run in that goroutine; HandleChannel does not block.
func (f *Forwarder) HandleChannel(nch *connection.NewChannel) bool {
	var network, addr string
	switch nch.Type() {
	case wire.ChannelTypeDirectTCPIP:
		d, err := nch.DirectTCPIP()
		if err != nil {
			nch.Reject(wire.ConnectFailed, "bad request")
			return true
		}
		if f.PermitOpen == nil || !f.PermitOpen(d) {
			nch.Reject(wire.AdministrativelyProhibited, "port forwarding refused")
			return true
		}
		network, addr = "tcp", net.JoinHostPort(d.Host, strconv.Itoa(int(d.Port)))
	case wire.ChannelTypeDirectStreamLocal:
		d, err := nch.DirectStreamLocal()
		if err != nil || f.PermitStreamLocal == nil || !f.PermitStreamLocal(d.SocketPath) {
			nch.Reject(wire.AdministrativelyProhibited, "stream local forwarding refused")
			return true
		}
		network, addr = "unix", d.SocketPath
	default:
		return false
	}
	ok := f.goOwned(func() {
		dctx, cancel := context.WithTimeout(f.ctx, DialTimeout)
		defer cancel()
		nc, err := (&net.Dialer{}).DialContext(dctx, network, addr)
		if err != nil {
			nch.Reject(wire.ConnectFailed, "connect failed")
			return
		}
		ch, err := nch.Accept(nil)
		if err != nil {
			nc.Close()
			return
		}
		f.opened(ch)
		connection.Proxy(f.ctx, ch, nc)
	})
	if !ok {
		nch.Reject(wire.ConnectFailed, "connection closing")
	}
	return true
}

// listenAddr picks the address a remote forwarding binds, as sshd does:
// loopback unless GatewayPorts.
func (f *Forwarder) listenAddr(bind string) string {
	if !f.GatewayPorts {
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

// tcpipForward answers "tcpip-forward": it listens and opens a
// forwarded-tcpip channel for each connection.
func (f *Forwarder) tcpipForward(r wire.TCPIPForward) (uint32, error) {
	if r.BindPort > 65535 || f.PermitListen == nil || !f.PermitListen(r.BindAddress, r.BindPort) {
		return 0, ErrRefused
	}
	key := net.JoinHostPort(r.BindAddress, strconv.Itoa(int(r.BindPort)))
	f.mu.Lock()
	_, dup := f.listeners[key]
	f.mu.Unlock()
	if dup {
		return 0, ErrExists
	}
	ctx, ok := f.context()
	if !ok {
		return 0, ErrClosed
	}
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", net.JoinHostPort(f.listenAddr(r.BindAddress), strconv.Itoa(int(r.BindPort))))
	if err != nil {
		return 0, fmt.Errorf("forward: %w", err)
	}
	port := uint32(l.Addr().(*net.TCPAddr).Port)
	if r.BindPort == 0 {
		key = net.JoinHostPort(r.BindAddress, strconv.Itoa(int(port)))
	}
	err = f.serve(key, l, func(nc net.Conn) (*connection.Channel, error) {
		var oa string
		var op int
		if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
			oa, op = a.IP.String(), a.Port
		}
		return f.mux.OpenForwardedTCPIP(f.ctx, wire.ForwardedTCPIP{
			Address: r.BindAddress, Port: port, OriginatorAddress: oa, OriginatorPort: uint32(op)})
	})
	if err != nil {
		return 0, err
	}
	return port, nil
}

// streamLocalForward answers "streamlocal-forward@openssh.com".
func (f *Forwarder) streamLocalForward(path string) error {
	if f.PermitStreamLocal == nil || !f.PermitStreamLocal(path) {
		return ErrRefused
	}
	ctx, ok := f.context()
	if !ok {
		return ErrClosed
	}
	l, err := f.listenStreamLocal(ctx, path)
	if err != nil {
		return err
	}
	return f.serve(path, l, func(net.Conn) (*connection.Channel, error) {
		return f.mux.OpenForwardedStreamLocal(f.ctx, wire.ForwardedStreamLocal{SocketPath: path})
	})
}

// listenStreamLocal binds path for streamlocal-forward, as sshd's
// unix_listener under umask(StreamLocalBindMask): an existing socket
// file removed first with StreamLocalBindUnlink, the socket's mode
// StreamLocalMode.
func (f *Forwarder) listenStreamLocal(ctx context.Context, path string) (net.Listener, error) {
	mode := f.StreamLocalMode.Perm()
	if mode == 0 && f.StreamLocalMode&os.ModeSocket == 0 {
		mode = 0o600
	}
	if f.StreamLocalBindUnlink {
		if st, err := os.Stat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("forward: unlinking the old socket: %w", err)
			}
		}
	}
	l, err := (&net.ListenConfig{Control: controlMode(uint32(mode))}).Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	// The process umask may have taken bits the mode gives: set it
	// exactly, as sshd's umask(mask) does.
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("forward: %w", err)
	}
	return l, nil
}

// serve registers l under key and accepts on it in a goroutine of f,
// opening a channel with open for each connection and copying both
// ways in another. It closes l when it cannot.
func (f *Forwarder) serve(key string, l net.Listener, open func(net.Conn) (*connection.Channel, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		l.Close()
		return ErrClosed
	}
	if _, dup := f.listeners[key]; dup {
		l.Close()
		return ErrExists
	}
	f.listeners[key] = l
	f.wg.Go(func() {
		defer l.Close()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			ok := f.goOwned(func() {
				ch, err := open(nc)
				if err != nil {
					nc.Close()
					return
				}
				f.opened(ch)
				connection.Proxy(f.ctx, ch, nc)
			})
			if !ok {
				nc.Close()
				return
			}
		}
	})
	return nil
}

func (f *Forwarder) opened(ch *connection.Channel) {
	if f.Opened != nil {
		f.Opened(ch)
	}
}

// cancelForward answers the cancel requests: it closes the listener under key.
func (f *Forwarder) cancelForward(key string) error {
	f.mu.Lock()
	l, ok := f.listeners[key]
	delete(f.listeners, key)
	f.mu.Unlock()
	if !ok {
		return ErrNotForwarded
	}
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("forward: %w", err)
	}
	return nil
}

// AgentSocket starts agent forwarding for the connection, once, and
// returns the path of its socket: a Unix socket in a new mode 0700
// directory under os.TempDir, named as sshd names it
// (ssh-XXXX/agent.PID), whose connections become
// auth-agent@openssh.com channels to the client. chown, if not nil, is
// called with the directory and the socket before any connection is
// accepted (to give them to the user when the server runs as root).
// Close removes both.
func (f *Forwarder) AgentSocket(chown func(dir, sock string)) (string, error) {
	f.mu.Lock()
	sock := f.agentSock
	f.mu.Unlock()
	if sock != "" {
		return sock, nil
	}
	ctx, ok := f.context()
	if !ok {
		return "", ErrClosed
	}
	dir, err := os.MkdirTemp("", "ssh-")
	if err != nil {
		return "", fmt.Errorf("forward: %w", err)
	}
	path := filepath.Join(dir, "agent."+strconv.Itoa(os.Getpid()))
	l, err := (&net.ListenConfig{}).Listen(ctx, "unix", path)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("forward: %w", err)
	}
	if chown != nil {
		chown(dir, path)
	}
	f.mu.Lock()
	if f.agentSock != "" { // another request won
		sock := f.agentSock
		f.mu.Unlock()
		l.Close()
		os.RemoveAll(dir)
		return sock, nil
	}
	f.agentDir, f.agentSock = dir, path
	f.mu.Unlock()
	if err := f.serve(path, l, func(net.Conn) (*connection.Channel, error) { return f.mux.OpenAuthAgent(f.ctx) }); err != nil {
		return "", err
	}
	return path, nil
}

// Close closes every listener, ends the forwarded connections, waits for
// f's goroutines and removes the agent socket's directory. It returns
// what failed (errors.Join of the listeners' Close errors and the
// removal's), nil if nothing did; later calls return nil.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	if f.cancel != nil {
		f.cancel()
	}
	var errs []error
	for k, l := range f.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		delete(f.listeners, k)
	}
	dir := f.agentDir
	f.mu.Unlock()
	f.wg.Wait()
	if dir != "" {
		errs = append(errs, os.RemoveAll(dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("forward: closing: %w", err)
	}
	return nil
}
