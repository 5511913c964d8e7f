// Package x11 is X11 forwarding (RFC 4254, Section 6.3) for a
// client.Client, as ssh -X and -Y do it: Config.Authorization finds the
// real cookie with xauth, Request sends "x11-req" on a session with a fake
// cookie, and the Client's "x11" channels are answered by connecting to
// the local display and replacing the fake cookie with the real one in
// the X11 connection setup. The Client forwards one display.
package x11

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// X11 forwarding defaults, as OpenSSH's ssh.
const (
	// AuthProtocol is the only authorisation protocol ssh forwards
	// (and fakes): MIT-MAGIC-COOKIE-1.
	AuthProtocol = "MIT-MAGIC-COOKIE-1"
	// DefaultXAuthLocation is the xauth program (ssh's XAuthLocation).
	DefaultXAuthLocation = "/usr/bin/xauth"
	// DefaultTimeout is how long untrusted X11 forwarding accepts
	// connections (ssh's ForwardX11Timeout default, 20 minutes).
	DefaultTimeout = 20 * time.Minute
	// DefaultSocketDir holds the local X server's unix sockets, XN
	// for display N.
	DefaultSocketDir = "/tmp/.X11-unix"
	// x11TimeoutSlack is added to the lifetime of a generated untrusted
	// cookie, so that the X server accepts it a little longer than ssh
	// accepts connections (clientloop.c's X11_TIMEOUT_SLACK).
	x11TimeoutSlack = 60 * time.Second
	// x11BasePort is the TCP port of display 0.
	x11BasePort = 6000
)

// X11 forwarding errors callers test for with errors.Is.
var (
	// ErrDisplay means DISPLAY is unset, or holds a character other
	// than letters, digits and ":/.-_" (ssh then disables X11 forwarding).
	ErrDisplay = errors.New("x11: DISPLAY not set or invalid")
	// ErrUntrusted means xauth could not generate an untrusted cookie
	// (ssh's "untrusted X11 forwarding setup failed: xauth key data not
	// generated"); as ssh, no X11 forwarding is requested then.
	ErrUntrusted = errors.New("x11: untrusted X11 forwarding setup failed: xauth key data not generated")
	// ErrOtherDisplay means a Client already forwards another display;
	// one Client forwards one display with one fake cookie, as ssh.
	ErrOtherDisplay = errors.New("x11: a different DISPLAY is already forwarded")
)

// errX11Short means an X11 connection setup is not complete yet.
var errX11Short = errors.New("x11: X11 connection setup incomplete")

// Config configures X11 forwarding (RFC 4254, Section 6.3) as ssh -X and -Y
// do it: the server gets a fake MIT-MAGIC-COOKIE-1, and each "x11"
// channel it opens must present that fake cookie in its X11 connection
// setup, which the client then replaces with the real one before the
// bytes reach the local display.
type Config struct {
	// Display is the local display, as $DISPLAY: ":N", "unix:N" (the
	// unix socket SocketDir/XN) or "host:N" (TCP port 6000+N), each with
	// an optional ".screen". Empty means $DISPLAY.
	Display string
	// Trusted forwards the user's own cookie from "xauth list" (ssh -Y,
	// ForwardX11Trusted yes). Otherwise (ssh -X) xauth generates an
	// untrusted cookie that the X server's SECURITY extension restricts.
	Trusted bool
	// Timeout applies to untrusted forwarding: x11 channels opened later
	// are refused, and the generated cookie expires a minute after
	// (ForwardX11Timeout). 0 means DefaultTimeout; negative means
	// none.
	Timeout time.Duration
	// XAuthLocation is the xauth program; "" means DefaultXAuthLocation.
	XAuthLocation string
	// SocketDir is where the X server's unix sockets live; "" means
	// DefaultSocketDir.
	SocketDir string
}

// An Auth is the authorisation X11 forwarding hands out: the local
// display and its real cookie, which never leaves this process.
type Auth struct {
	Display  string // as Config.Display, resolved
	Protocol string // AuthProtocol, or what xauth listed
	Cookie   []byte // the real authorisation data
	// MadeUp reports that xauth had no entry for the display (or there
	// is no xauth) under trusted forwarding: Cookie is then 16 random
	// bytes, as ssh makes up ("Warning: No xauth data; using fake
	// authentication data for X11 forwarding."). An X server that
	// checks cookies refuses it; one that does not ignores it.
	MadeUp bool
	// NoXAuth reports that XAuthLocation does not exist (ssh's "No
	// xauth program.").
	NoXAuth bool
	// Deadline, if not zero, is when x11 channels stop being accepted
	// (untrusted forwarding with a Timeout).
	Deadline time.Time

	socketDir string
}

// Authorization finds the cookie to forward, as ssh's
// client_x11_get_proto: for trusted forwarding the first entry of
// "xauth list DISPLAY" ("unix:N" for a "localhost:N" display), or 16
// made-up bytes when there is none; for untrusted forwarding "xauth -f
// TMPFILE generate DISPLAY MIT-MAGIC-COOKIE-1 untrusted [timeout T]" in a
// fresh temporary directory, then "xauth -f TMPFILE list DISPLAY", and
// ErrUntrusted if that yields nothing (there is no fallback to made-up
// data, as in ssh). xauth runs without a shell; its stderr is discarded.
// It returns ErrDisplay for a missing or invalid DISPLAY.
func (x *Config) Authorization(ctx context.Context) (*Auth, error) {
	display := x.Display
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if !x11DisplayValid(display) {
		return nil, fmt.Errorf("%w: %q", ErrDisplay, display)
	}
	a := &Auth{Display: display, socketDir: x.SocketDir}
	if a.socketDir == "" {
		a.socketDir = DefaultSocketDir
	}
	xauth := x.XAuthLocation
	if xauth == "" {
		xauth = DefaultXAuthLocation
	}
	if _, err := os.Stat(xauth); err != nil {
		a.NoXAuth = true
		xauth = ""
	}
	var proto, data string
	if xauth != "" {
		// A "localhost:N" display is FamilyLocal in the Xauthority.
		name := display
		if rest, ok := strings.CutPrefix(display, "localhost:"); ok {
			name = "unix:" + rest
		}
		var file string
		generated := false
		if !x.Trusted {
			dir, err := os.MkdirTemp("", "ssh-")
			if err != nil {
				return nil, fmt.Errorf("x11: %w", err)
			}
			defer os.RemoveAll(dir)
			file = filepath.Join(dir, "xauthfile")
			args := []string{"-f", file, "generate", name, AuthProtocol, "untrusted"}
			timeout := x.untrustedTimeout()
			if timeout > 0 {
				args = append(args, "timeout", strconv.FormatInt(int64((timeout+x11TimeoutSlack)/time.Second), 10))
				a.Deadline = time.Now().Add(timeout)
			}
			generated = exec.CommandContext(ctx, xauth, args...).Run() == nil
		}
		if x.Trusted || generated {
			args := []string{"list", name}
			if generated {
				args = []string{"-f", file, "list", name}
			}
			out, _ := exec.CommandContext(ctx, xauth, args...).Output()
			line, _, _ := bytes.Cut(out, []byte("\n"))
			if f := strings.Fields(string(line)); len(f) >= 3 {
				proto, data = f[1], f[2]
			}
		}
	}
	if proto == "" {
		if !x.Trusted {
			return nil, ErrUntrusted
		}
		a.Protocol, a.Cookie, a.MadeUp = AuthProtocol, make([]byte, 16), true
		rand.Read(a.Cookie)
		return a, nil
	}
	cookie, err := hex.DecodeString(data)
	if err != nil || len(cookie) == 0 || len(cookie) > connection.MaxX11CookieLen/2 {
		return nil, fmt.Errorf("x11: bad authentication data from xauth for %s", display)
	}
	a.Protocol, a.Cookie = proto, cookie
	return a, nil
}

func (x *Config) untrustedTimeout() time.Duration {
	switch {
	case x.Timeout == 0:
		return DefaultTimeout
	case x.Timeout < 0:
		return 0
	}
	return x.Timeout
}

// x11DisplayValid reports whether display is non-empty and holds only
// letters, digits and ":/.-_" (ssh's client_x11_display_valid).
func x11DisplayValid(display string) bool {
	if display == "" {
		return false
	}
	for _, r := range display {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":/.-_", r)
		if !ok {
			return false
		}
	}
	return true
}

// x11Screen returns the screen number of a display "host:N.S" (0 when
// there is none or it is not a number from 0 to 400, as ssh).
func x11Screen(display string) uint32 {
	_, rest, ok := strings.Cut(display, ":")
	if !ok {
		return 0
	}
	_, s, ok := strings.Cut(rest, ".")
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > 400 {
		return 0
	}
	return uint32(n)
}

// x11DisplayNumber returns the leading decimal digits of s as a display
// number.
func x11DisplayNumber(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n > 65535-x11BasePort {
		return 0, false
	}
	return n, true
}

// x11Addr returns where the local display listens, as ssh's
// x11_connect_display: "unix:N" and ":N" (also "::N") are the unix
// socket dir/XN; "host:N" is TCP host:6000+N.
func x11Addr(display, dir string) (network, addr string, err error) {
	if strings.HasPrefix(display, "unix:") || strings.HasPrefix(display, ":") {
		n, ok := x11DisplayNumber(display[strings.LastIndex(display, ":")+1:])
		if !ok {
			return "", "", fmt.Errorf("%w: could not parse display number from DISPLAY %q", ErrDisplay, display)
		}
		return "unix", filepath.Join(dir, "X"+strconv.Itoa(n)), nil
	}
	host, rest, ok := strings.Cut(display, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: could not find ':' in DISPLAY %q", ErrDisplay, display)
	}
	n, ok := x11DisplayNumber(rest)
	if !ok {
		return "", "", fmt.Errorf("%w: could not parse display number from DISPLAY %q", ErrDisplay, display)
	}
	return "tcp", net.JoinHostPort(host, strconv.Itoa(x11BasePort+n)), nil
}

// x11State is the X11 forwarding of a Client: the display, the real and
// the fake cookie. It exists from the first x11-req until that request
// is refused with no other accepted; without it every "x11" channel is
// refused.
type x11State struct {
	auth     Auth
	fake     []byte
	pending  int  // x11-req sent, not answered; guarded by forwarder.mu
	accepted bool // an x11-req was accepted; guarded by forwarder.mu
}

// A forwarder is the X11 forwarding of one Client, and the handler of
// its "x11" channels.
type forwarder struct {
	c     *client.Client
	mu    sync.Mutex
	state *x11State // guarded by mu
	cfg   *Auth     // Config.Request's authorisation, once found; guarded by mu
}

var _ client.ChannelHandler = (*forwarder)(nil)

// forwarderOf returns the forwarder of c, registering one on first use.
func forwarderOf(c *client.Client) (*forwarder, error) {
	f, ok := c.HandleChannelType(wire.ChannelTypeX11, &forwarder{c: c}).(*forwarder)
	if !ok {
		return nil, errors.New("x11: the Client's x11 channels have another handler")
	}
	return f, nil
}

// Request asks for X11 forwarding on session s ("x11-req", RFC 4254,
// Section 6.3.1) with authentication spoofing, as ssh does: not a single
// connection, the protocol of a, a random fake cookie of the real one's
// length (one per Client, kept for later sessions), and the screen
// number of a.Display. From then on the session's Client accepts "x11"
// channels (Section 6.3.2): it connects to a.Display, checks that the
// X11 connection setup read from the channel carries the fake cookie,
// puts the real one in its place and copies both ways; a channel with
// any other protocol or cookie is closed. A refusal is
// connection.ErrRequestDenied, after which (if no earlier request was
// accepted) x11 channels are refused again. A Client forwards one
// display: another one is ErrOtherDisplay. a comes from
// Config.Authorization; the Client keeps its own copy.
func Request(ctx context.Context, s *client.Session, a *Auth) error {
	if a == nil || len(a.Cookie) == 0 || a.Protocol == "" {
		return errors.New("x11: no authorisation (use Config.Authorization)")
	}
	f, err := forwarderOf(s.Client())
	if err != nil {
		return err
	}
	return f.request(ctx, s, a)
}

func (f *forwarder) request(ctx context.Context, s *client.Session, a *Auth) error {
	f.mu.Lock()
	st := f.state
	switch {
	case st == nil:
		st = &x11State{auth: *a, fake: make([]byte, len(a.Cookie))}
		st.auth.Cookie = bytes.Clone(a.Cookie)
		rand.Read(st.fake)
		f.state = st
	case st.auth.Display != a.Display:
		f.mu.Unlock()
		return ErrOtherDisplay
	}
	st.pending++
	req := wire.X11Request{AuthProtocol: st.auth.Protocol, AuthCookie: hex.EncodeToString(st.fake), Screen: x11Screen(a.Display)}
	f.mu.Unlock()

	err := s.Channel().RequestX11(ctx, req)

	f.mu.Lock()
	st.pending--
	if err == nil {
		st.accepted = true
	} else if !st.accepted && st.pending == 0 && f.state == st {
		f.state = nil
	}
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("x11: forwarding request: %w", err)
	}
	return nil
}

// Request requests X11 forwarding on s with x's authorisation, which is
// found once per Client (Config.Authorization). It makes *Config a
// client.SessionRequester: set as client.Config.ForwardX11, every new
// session requests X11 forwarding (OpenSSH's ForwardX11). A nil *Config
// requests nothing and returns an error.
func (x *Config) Request(ctx context.Context, s *client.Session) error {
	if x == nil {
		return errors.New("x11: no Config")
	}
	f, err := forwarderOf(s.Client())
	if err != nil {
		return err
	}
	f.mu.Lock()
	a := f.cfg
	f.mu.Unlock()
	if a == nil {
		if a, err = x.Authorization(ctx); err != nil {
			return err
		}
		f.mu.Lock()
		if f.cfg == nil {
			f.cfg = a
		}
		a = f.cfg
		f.mu.Unlock()
	}
	if a == nil || len(a.Cookie) == 0 || a.Protocol == "" {
		return errors.New("x11: no authorisation (use Config.Authorization)")
	}
	return f.request(ctx, s, a)
}

// x11Connect is how long connecting to the local display may take.
const x11Connect = 30 * time.Second

// HandleChannel answers an "x11" channel (RFC 4254, Section 6.3.2), as
// ssh's client_request_x11: refused without an X11 forwarding request or
// after its deadline, refused if the local display cannot be reached,
// else accepted and proxied once its setup carries the fake cookie. It
// runs in a goroutine of the Client; ctx ends when the Client closes.
func (f *forwarder) HandleChannel(ctx context.Context, nc *connection.NewChannel) {
	log := f.c.Logger()
	f.mu.Lock()
	st := f.state
	f.mu.Unlock()
	if st == nil {
		// A server that opens x11 channels uninvited gets nowhere near
		// the X server.
		log.Warn("Warning: ssh server tried X11 forwarding.")
		log.Warn("Warning: this is probably a break-in attempt by a malicious server.")
		nc.Reject(wire.AdministrativelyProhibited, "X11 forwarding not requested")
		return
	}
	if !st.auth.Deadline.IsZero() && !time.Now().Before(st.auth.Deadline) {
		log.Debug("Rejected X11 connection after ForwardX11Timeout expired")
		nc.Reject(wire.AdministrativelyProhibited, "X11 forwarding timed out")
		return
	}
	o, err := nc.X11()
	if err != nil {
		nc.Reject(wire.ConnectFailed, "malformed x11 open")
		return
	}
	log.Debug("client_request_x11: request", "originator", o.OriginatorAddress, "port", o.OriginatorPort)
	network, addr, err := x11Addr(st.auth.Display, st.auth.socketDir)
	var xc net.Conn
	if err == nil {
		dctx, cancel := context.WithTimeout(ctx, x11Connect)
		xc, err = (&net.Dialer{}).DialContext(dctx, network, addr)
		cancel()
	}
	if err != nil {
		log.Warn(x11ConnectError(network, addr, err), "display", st.auth.Display)
		nc.Reject(wire.ConnectFailed, "cannot connect to the X server")
		return
	}
	defer xc.Close()
	ch, err := nc.Accept(nil)
	if err != nil {
		return
	}
	defer ch.Close()
	stop := context.AfterFunc(ctx, func() { xc.Close() })
	defer stop()
	if err := x11Spoof(ch, xc, st); err != nil {
		log.Info("X11 connection rejected because of wrong authentication.", "err", err)
		return
	}
	connection.Proxy(ctx, ch, xc)
}

// x11ConnectError words a failed connection to the display as ssh's
// x11_connect_display: "connect PATH: REASON" or "connect HOST port
// PORT: REASON".
func x11ConnectError(network, addr string, err error) string {
	reason := err.Error()
	var se *os.SyscallError
	if errors.As(err, &se) {
		reason = se.Err.Error()
		reason = strings.ToUpper(reason[:1]) + reason[1:]
	}
	switch network {
	case "":
		return reason // DISPLAY did not parse
	case "unix":
		return fmt.Sprintf("connect %s: %s", addr, reason)
	}
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("connect %s port %s: %s", host, port, reason)
}

// x11Spoof reads the X11 connection setup from ch, checks it against
// st's protocol and fake cookie, and writes it to xc with the real
// cookie in the fake one's place.
func x11Spoof(ch io.Reader, xc io.Writer, st *x11State) error {
	b := make([]byte, x11SetupFixed)
	if _, err := io.ReadFull(ch, b); err != nil {
		return err
	}
	if _, err := parseX11Setup(b); !errors.Is(err, errX11Short) && err != nil {
		return err
	}
	n := x11SetupLen(b)
	b = append(b, make([]byte, n-len(b))...)
	if _, err := io.ReadFull(ch, b[x11SetupFixed:]); err != nil {
		return err
	}
	s, err := parseX11Setup(b)
	if err != nil {
		return err
	}
	if string(s.Protocol) != st.auth.Protocol {
		return errors.New("x11: X11 connection uses different authentication protocol")
	}
	if subtle.ConstantTimeCompare(s.Data, st.fake) != 1 {
		return errors.New("x11: X11 auth data does not match fake data")
	}
	copy(s.Data, st.auth.Cookie) // the same length: the fake was made so
	_, err = xc.Write(b)
	return err
}

// x11SetupFixed is the fixed part of an X11 connection setup request:
// byte order, unused, protocol major and minor version, the lengths of
// the authorisation protocol name and data, unused (X Window System
// Protocol, "Connection Setup").
const x11SetupFixed = 12

// An x11Setup is the start of an X11 connection setup request: the
// authorisation protocol name and data, both aliasing the parsed buffer.
type x11Setup struct {
	Order    byte // 'B' (MSB first) or 'l' (LSB first)
	Protocol []byte
	Data     []byte
}

// x11SetupLen returns the length of the setup request that starts with
// the x11SetupFixed bytes of b: the fixed part, then name and data each
// padded to 4 bytes.
func x11SetupLen(b []byte) int {
	var bo binary.ByteOrder = binary.LittleEndian
	if b[0] == 'B' {
		bo = binary.BigEndian
	}
	pl, dl := int(bo.Uint16(b[6:])), int(bo.Uint16(b[8:]))
	return x11SetupFixed + (pl+3)&^3 + (dl+3)&^3
}

// parseX11Setup decodes the start of an X11 connection setup request.
// It returns errX11Short while b is too short to hold it, and an error
// for a byte-order byte other than 'B' or 'l'. Both lengths are 16 bits,
// so a whole setup prefix is at most 131084 bytes.
func parseX11Setup(b []byte) (x11Setup, error) {
	if len(b) < 1 {
		return x11Setup{}, errX11Short
	}
	if b[0] != 'B' && b[0] != 'l' {
		return x11Setup{}, fmt.Errorf("x11: initial X11 packet contains bad byte order byte: %#x", b[0])
	}
	if len(b) < x11SetupFixed {
		return x11Setup{}, errX11Short
	}
	n := x11SetupLen(b)
	if len(b) < n {
		return x11Setup{}, errX11Short
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[0] == 'B' {
		bo = binary.BigEndian
	}
	pl, dl := int(bo.Uint16(b[6:])), int(bo.Uint16(b[8:]))
	off := x11SetupFixed + (pl+3)&^3
	return x11Setup{Order: b[0], Protocol: b[x11SetupFixed : x11SetupFixed+pl], Data: b[off : off+dl]}, nil
}
