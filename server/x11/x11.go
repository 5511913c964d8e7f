// Package x11 is sshd's X11 display proxy for package server
// ("X11Forwarding yes"; RFC 4254, Section 6.3). The server itself only
// routes "x11-req" to its Server.X11Request hook; Forwarding.Request is
// that hook:
//
//	srv.X11Request = (&x11.Forwarding{}).Request
//
// and DisplayOf gives a session handler the display it opened.
package x11

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/wire"
)

// Display numbers, as sshd's.
const (
	// DefaultDisplayOffset is the first display number a Forwarding
	// tries (sshd's X11DisplayOffset default), so that the forwarded
	// displays stay clear of the local X server's :0.
	DefaultDisplayOffset = 10
	// MaxDisplays bounds the display numbers tried: display N listens
	// on TCP port 6000+N, and N stays below MaxDisplays (sshd's
	// MAX_DISPLAYS).
	MaxDisplays = 1000
	// BasePort is the TCP port of display 0.
	BasePort = 6000
)

// errNoDisplay means a Forwarding found no free display number from its
// offset up to MaxDisplays.
var errNoDisplay = errors.New("x11: no free X11 display")

// A Forwarding is the X11 display proxy sshd runs under "X11Forwarding
// yes" (RFC 4254, Section 6.3). Its Request method is a
// server.Server.X11Request hook:
//
//	srv.X11Request = (&x11.Forwarding{}).Request
//
// For an accepted "x11-req" it listens on TCP port 6000+N, N being the
// first display number from DisplayOffset up whose port is free: on
// 127.0.0.1 and, when the host has IPv6, ::1 (sshd's X11UseLocalhost
// yes), or on every address with AnyAddress. Each connection to the
// display becomes an "x11" channel to the client that names the
// connection's originator address and port (Section 6.3.2), and the
// bytes are copied both ways; the client checks and replaces the
// authentication cookie. The listeners close when the session ends, or
// after the first connection when the client asked for a single
// connection. Connections already forwarded last until either end closes
// them or the connection ends, as in sshd.
//
// DisplayOf gives the session handler the DISPLAY value and the
// cookie, which the handler stores in the user's Xauthority before it
// starts the command (sshd runs "xauth -q -" as the user).
//
// The zero value listens on loopback from display DefaultDisplayOffset
// up. A Forwarding holds no state and may serve any number of sessions
// at once.
type Forwarding struct {
	// DisplayOffset is the first display number tried (sshd's
	// X11DisplayOffset); 0 means DefaultDisplayOffset, and a negative
	// value starts at display 0.
	DisplayOffset int
	// AnyAddress listens on every address instead of loopback only
	// (sshd's X11UseLocalhost no, for old X clients that refuse a
	// display named "localhost"). DISPLAY then names Hostname.
	AnyAddress bool
	// Hostname names the host in DISPLAY under AnyAddress; "" means
	// os.Hostname.
	Hostname string
}

// A Display is the forwarded display of a session (DisplayOf).
type Display struct {
	// Number is the display number N: the display listens on TCP port
	// BasePort+N.
	Number int
	// Screen is the screen number the client asked for.
	Screen uint32
	// Display is the session's DISPLAY value, as sshd sets it:
	// "localhost:N.S" on loopback, "HOST:N.S" under AnyAddress.
	Display string
	// AuthDisplay is the display name under which the cookie goes in the
	// user's Xauthority: "unix:N.S" for a loopback display (xauth files
	// it under the local host name, which is what X clients look up for
	// "localhost:N"), else Display. sshd feeds "remove AuthDisplay" and
	// "add AuthDisplay AuthProtocol AuthCookie" to "xauth -q -".
	AuthDisplay string
	// AuthProtocol and AuthCookie come from the "x11-req": the protocol
	// ("MIT-MAGIC-COOKIE-1") and the hexadecimal cookie. OpenSSH clients
	// send a fake cookie and put the real one in place when the
	// connection comes back; the cookie is still a secret.
	AuthProtocol string
	AuthCookie   string
	// Addrs are the addresses the display listens on.
	Addrs []net.Addr
}

// displayKey is the server.Session.SetValue key of a session's *Display.
type displayKey struct{}

// DisplayOf returns the display a Forwarding opened for the session's
// accepted X11 forwarding, if it has one. It is set before the handler
// starts.
func DisplayOf(s *server.Session) (Display, bool) {
	p, _ := s.Value(displayKey{}).(*Display)
	if p == nil {
		return Display{}, false
	}
	d := *p
	d.Addrs = append([]net.Addr(nil), d.Addrs...)
	return d, true
}

// Request is a server.Server.X11Request hook: it opens a display for s
// and reports whether it could. The server calls it only for a
// well-formed "x11-req" (RFC 4254, Section 6.3.1) that the user's
// Permissions allow (no no-X11-forwarding), on a session that has
// neither started a shell or command nor a display yet. It runs on the
// connection's reader and does not block; the listeners and the copies
// run in goroutines of the connection (server.Conn.Go), which Serve
// waits for; they end with the session (the listeners) or the
// connection (the copies). A protocol
// name other than letters, digits and ".:/-_" is refused, as sshd
// refuses it (CVE-2016-3115: the name goes into the commands fed to
// xauth).
func (f *Forwarding) Request(s *server.Session, req wire.X11Request) bool {
	c := s.Conn()
	if !xauthSafe(req.AuthProtocol) || !xauthSafe(req.AuthCookie) {
		return false
	}
	ls, n, err := f.listen(s.Context())
	if err != nil {
		c.Logger().Error("Failed to allocate internet-domain X11 display socket.", "err", err)
		return false
	}
	host := "localhost"
	if f.AnyAddress {
		host = f.Hostname
		if host == "" {
			host, _ = os.Hostname()
		}
	}
	d := &Display{
		Number:       n,
		Screen:       req.Screen,
		Display:      fmt.Sprintf("%s:%d.%d", host, n, req.Screen),
		AuthProtocol: req.AuthProtocol,
		AuthCookie:   req.AuthCookie,
	}
	d.AuthDisplay = d.Display
	if !f.AnyAddress {
		d.AuthDisplay = fmt.Sprintf("unix:%d.%d", n, req.Screen)
	}
	for _, l := range ls {
		d.Addrs = append(d.Addrs, l.Addr())
	}
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			for _, l := range ls {
				l.Close()
			}
		})
	}
	// The listeners close when the session ends. Each goroutine is
	// the connection's; if it refuses them (it is ending), the display
	// closes at once.
	ctx := s.Context()
	if !c.Go(func() { <-ctx.Done(); closeAll() }) {
		closeAll()
		return false
	}
	for _, l := range ls {
		if !c.Go(func() { serve(c, l, req.SingleConnection, closeAll) }) {
			closeAll()
			return false
		}
	}
	s.SetValue(displayKey{}, d)
	c.Logger().Debug("x11 display", "display", d.Display, "user", c.User())
	return true
}

// serve accepts the connections to a display until its listener
// closes, and forwards each in a goroutine of the connection.
func serve(c *server.Conn, l net.Listener, single bool, closeAll func()) {
	for {
		xc, err := l.Accept()
		if err != nil {
			return
		}
		if single {
			closeAll()
		}
		if !c.Go(func() { forward(c, xc) }) {
			xc.Close()
			return
		}
	}
}

// xauthSafe reports whether v may go on an xauth command line: not
// empty, and only letters, digits and ".:/-_".
func xauthSafe(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".:/-_", r)
		if !ok {
			return false
		}
	}
	return true
}

// listen opens the listeners of the first free display.
func (f *Forwarding) listen(ctx context.Context) ([]net.Listener, int, error) {
	first := f.DisplayOffset
	switch {
	case first == 0:
		first = DefaultDisplayOffset
	case first < 0:
		first = 0
	}
	var lc net.ListenConfig
	for n := first; n < MaxDisplays; n++ {
		port := strconv.Itoa(BasePort + n)
		if f.AnyAddress {
			l, err := lc.Listen(ctx, "tcp", ":"+port)
			if err != nil {
				continue
			}
			return []net.Listener{l}, n, nil
		}
		l4, err := lc.Listen(ctx, "tcp4", "127.0.0.1:"+port)
		if err != nil {
			continue
		}
		l6, err := lc.Listen(ctx, "tcp6", "[::1]:"+port)
		switch {
		case err == nil:
			return []net.Listener{l4, l6}, n, nil
		case errors.Is(err, syscall.EADDRINUSE):
			// Another display owns the port on ::1: clients that try
			// ::1 first would reach it, so this number is taken.
			l4.Close()
			continue
		}
		// No IPv6 loopback here: 127.0.0.1 alone.
		return []net.Listener{l4}, n, nil
	}
	return nil, 0, errNoDisplay
}

// forward opens an "x11" channel for a connection to a session's
// display (RFC 4254, Section 6.3.2) and copies both ways.
func forward(c *server.Conn, xc net.Conn) {
	var oa string
	var op int
	if a, ok := xc.RemoteAddr().(*net.TCPAddr); ok {
		oa, op = a.IP.String(), a.Port
	}
	ch, err := c.Mux().OpenX11(c.Context(), wire.X11Open{OriginatorAddress: oa, OriginatorPort: uint32(op)})
	if err != nil {
		xc.Close()
		return
	}
	c.SetChannelTimeout(ch, "x11-connection")
	connection.Proxy(c.Context(), ch, xc)
}
