package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/forward"
)

// forward specs: [bind_address:]port:host:hostport, or socket paths.
func splitForward(spec string) (listen, target string, err error) {
	parts := splitColons(spec)
	switch len(parts) {
	case 2: // port:unixpath? or path:path
		return parts[0], parts[1], nil
	case 3:
		return parts[0], net.JoinHostPort(parts[1], parts[2]), nil
	case 4:
		return net.JoinHostPort(parts[0], parts[1]), net.JoinHostPort(parts[2], parts[3]), nil
	}
	return "", "", fmt.Errorf("bad forwarding specification '%s'", spec)
}

// splitColons splits on ':' outside [brackets]; "a b" (config form) too.
func splitColons(s string) []string {
	s = strings.Join(strings.Fields(s), ":")
	var out []string
	var cur strings.Builder
	depth := 0
	for _, ch := range s {
		switch {
		case ch == '[':
			depth++
		case ch == ']':
			depth--
		case ch == ':' && depth == 0:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		if ch != '[' && ch != ']' {
			cur.WriteRune(ch)
		}
	}
	return append(out, cur.String())
}

func isPath(s string) bool { return strings.Contains(s, "/") }

// listenAddr is where a local or dynamic forward's listen spec listens:
// a Unix socket path, a port on 127.0.0.1, or [bind:]port with "*" for
// every address.
func listenAddr(spec string) (network, addr string, err error) {
	if isPath(spec) {
		return "unix", spec, nil
	}
	if _, err := strconv.Atoi(spec); err == nil {
		if gatewayPorts {
			return "tcp", net.JoinHostPort("", spec), nil
		}
		return "tcp", net.JoinHostPort("127.0.0.1", spec), nil
	}
	h, p, err := net.SplitHostPort(spec)
	if err != nil {
		return "", "", err
	}
	if h == "" || h == "localhost" {
		h = "127.0.0.1"
	} else if h == "*" {
		h = ""
	}
	return "tcp", net.JoinHostPort(h, p), nil
}

// gatewayPorts is GatewayPorts: a local or dynamic forward without a
// bind address listens on every address, not only on loopback. connect
// sets it before the first forward.
var gatewayPorts bool

// streamLocalBind is StreamLocalBindMask and StreamLocalBindUnlink for
// the Unix sockets of local and dynamic forwards; connect sets it.
var streamLocalBind = struct {
	mask   int
	unlink bool
}{mask: 0o177}

// listen listens for a local or dynamic forward: a Unix socket is
// created under StreamLocalBindMask, after removing a stale one with
// StreamLocalBindUnlink.
func listen(network, addr string) (net.Listener, error) {
	if network != "unix" {
		return net.Listen(network, addr)
	}
	if streamLocalBind.unlink {
		os.Remove(addr)
	}
	old := syscall.Umask(streamLocalBind.mask)
	defer syscall.Umask(old)
	return net.Listen(network, addr)
}

// remoteListenAddr is where a remote forward's listen spec asks the
// server to listen.
func remoteListenAddr(listen string) (network, addr string) {
	if isPath(listen) {
		return "unix", listen
	}
	if _, err := strconv.Atoi(listen); err == nil {
		return "tcp", net.JoinHostPort("localhost", listen)
	}
	return "tcp", listen
}

// forwardSet remembers the forwards by kind ("L", "R", "D") and listen
// address, so that the "~C" command line can cancel them.
type forwardSet struct {
	mu sync.Mutex
	m  map[string]io.Closer
}

func (f *forwardSet) add(kind, network, addr string, c io.Closer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]io.Closer{}
	}
	f.m[kind+" "+network+" "+addr] = c
}

// cancel closes the forward of kind listening where spec says.
func (f *forwardSet) cancel(kind, spec string) error {
	network, addr := remoteListenAddr(spec)
	if kind != "R" {
		var err error
		if network, addr, err = listenAddr(spec); err != nil {
			return err
		}
	}
	f.mu.Lock()
	c, ok := f.m[kind+" "+network+" "+addr]
	delete(f.m, kind+" "+network+" "+addr)
	f.mu.Unlock()
	if !ok {
		return errUnknownForward
	}
	return c.Close()
}

var errUnknownForward = errors.New("unknown port forwarding")

func startLocalForward(ctx context.Context, wg *sync.WaitGroup, c *client.Client, spec string, lg *logger, fs *forwardSet) error {
	lspec, target, err := splitForward(spec)
	if err != nil {
		return err
	}
	lnet, laddr, err := listenAddr(lspec)
	if err != nil {
		return err
	}
	l, err := listen(lnet, laddr)
	if err != nil {
		return fmt.Errorf("bind [%s]: %v", lspec, err)
	}
	fs.add("L", lnet, laddr, l)
	network := "tcp"
	if isPath(target) {
		network = "unix"
	}
	lg.debug(1, "Local connections to %s forwarded to remote address %s", l.Addr(), target)
	wg.Go(func() { forward.Local(ctx, c, l, network, target) })
	return nil
}

func startRemoteForward(ctx context.Context, wg *sync.WaitGroup, c *client.Client, spec string, lg *logger, fs *forwardSet) error {
	if f, err := parseForwardSpec("R", spec); err == nil && f.dynamic {
		return startRemoteSOCKS(ctx, wg, c, f, lg, fs)
	}
	listen, target, err := splitForward(spec)
	if err != nil {
		return err
	}
	network, addr := remoteListenAddr(listen)
	rl, err := c.Listen(ctx, network, addr)
	if err != nil {
		return err
	}
	fs.add("R", network, addr, rl)
	tnet := "tcp"
	if isPath(target) {
		tnet = "unix"
	}
	if ta, ok := rl.Addr().(*net.TCPAddr); ok && strings.HasSuffix(addr, ":0") {
		lg.info("Allocated port %d for remote forward to %s", ta.Port, target)
	}
	lg.debug(1, "Remote connections from %s forwarded to local address %s", rl.Addr(), target)
	wg.Go(func() { forward.Remote(ctx, c, rl, tnet, target) })
	return nil
}

// permitRemoteOpen is PermitRemoteOpen: where the SOCKS proxy of a
// dynamic -R may connect. nil is "any"; an empty list is "none". connect
// sets it.
var permitRemoteOpen []string

// remoteOpenAllowed reports whether PermitRemoteOpen lets a dynamic -R
// connect to host:port: an entry matches when its host is "*" or the
// same name or address, and its port "*" or the same port, as ssh's
// open_match.
func remoteOpenAllowed(allowed []string, target string) bool {
	if allowed == nil {
		return true
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return false
	}
	for _, a := range allowed {
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if (h == "*" || strings.EqualFold(h, host)) && (p == "*" || p == port) {
			return true
		}
	}
	return false
}

// parsePermitRemoteOpen reads PermitRemoteOpen: "any", "none" or
// host:port entries.
func parsePermitRemoteOpen(s string) []string {
	switch s {
	case "", "any":
		return nil
	case "none":
		return []string{}
	}
	var out []string
	for _, f := range strings.Fields(s) {
		if f == "any" {
			return nil
		}
		out = append(out, strings.Join(splitColonsKeep(f), ":"))
	}
	return out
}

// splitColonsKeep turns "[::1]:22" into a form net.SplitHostPort reads.
func splitColonsKeep(s string) []string {
	parts := splitColons(s)
	if len(parts) == 2 && strings.Contains(parts[0], ":") {
		return []string{"[" + parts[0] + "]", parts[1]}
	}
	return parts
}

// startRemoteSOCKS is the dynamic form of -R: the server listens, and
// each connection to it speaks SOCKS to gossh, which connects from here
// where PermitRemoteOpen allows (ssh's remote dynamic forwarding).
func startRemoteSOCKS(ctx context.Context, wg *sync.WaitGroup, c *client.Client, f forwardSpec, lg *logger, fs *forwardSet) error {
	network, addr := remoteListenAddr(f.listenString())
	if f.lpath == "" && f.lhost != "" {
		network, addr = "tcp", net.JoinHostPort(f.lhost, f.lport)
	}
	rl, err := c.Listen(ctx, network, addr)
	if err != nil {
		return err
	}
	fs.add("R", network, addr, rl)
	allowed := permitRemoteOpen
	var d net.Dialer
	dial := func(ctx context.Context, network, target string) (net.Conn, error) {
		if !remoteOpenAllowed(allowed, target) {
			lg.errorf("Received request to connect to %s, but the request was denied.", target)
			return nil, fmt.Errorf("PermitRemoteOpen refuses %s", target)
		}
		return d.DialContext(ctx, network, target)
	}
	if ta, ok := rl.Addr().(*net.TCPAddr); ok && strings.HasSuffix(addr, ":0") {
		lg.info("Allocated port %d for remote forward to socks", ta.Port)
	}
	lg.debug(1, "Remote connections from %s forwarded to local SOCKS", rl.Addr())
	wg.Go(func() { forward.SOCKSDial(ctx, rl, lg.slog(), dial) })
	return nil
}
