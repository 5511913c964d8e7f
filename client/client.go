package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// Errors callers test for with errors.Is.
var (
	// ErrClosed is returned by calls on a Client after Close.
	ErrClosed = errors.New("client: closed")

	// ErrKeepaliveTimeout ends a connection whose server left
	// KeepaliveCountMax keepalives in a row unanswered.
	ErrKeepaliveTimeout = errors.New("client: server not answering keepalives")

	// ErrUnknownAlgorithm means a Config names an algorithm this stack
	// does not implement.
	ErrUnknownAlgorithm = errors.New("client: unknown algorithm")
)

// A Client is an authenticated SSH connection: the packet, kex, userauth
// and connection layers composed. Its methods are safe for concurrent
// use. Dial and NewClientConn start its goroutines (the connection's
// reader, the dispatcher of server-opened channels and, if configured,
// keepalives); Close stops them and waits.
type Client struct {
	cfg     Config
	addr    string // as dialled, "host:port"
	nc      net.Conn
	t       *kex.Transport
	conn    *connection.Conn
	auth    *userauth.AuthResult
	kh      *knownHosts                       // nil with a HostKeyCallback
	gss     *gsskex.ContextHolder             // the GSS-API key exchange's context, or nil
	gssCred atomic.Pointer[gssapi.Credential] // SetGSSCredential: the credential for GSS-API rekeys, or nil
	log     *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // Run, the dispatcher, keepalives, forwarders

	bannerMu sync.Mutex
	banner   strings.Builder // guarded by bannerMu

	fwd forwards // listeners for server-opened channels

	stdinMu sync.Mutex
	stdins  map[*Session]struct{} // sessions whose Stdin copy runs; guarded by stdinMu

	closeOnce sync.Once
	closeErr  error // what failed in shutdown; written once under closeOnce
	errMu     sync.Mutex
	err       error // why the connection ended; guarded by errMu
}

// systemKeepAlive turns TCP keep-alives on with the system's timers, as
// ssh's TCPKeepAlive yes (its default) does, rather than Go's 15 s ones:
// one setsockopt instead of four.
var systemKeepAlive = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}

// Dial connects to addr ("host:port"; the port defaults to 22) over
// network and returns an authenticated Client. ctx bounds the whole
// setup: the TCP connect, the version exchange and key exchange
// (RFC 4253), and user authentication (RFC 4252); cancelling it aborts
// whichever is running and closes the socket. It does not affect the
// Client afterwards.
func Dial(ctx context.Context, network, addr string, cfg *Config) (*Client, error) {
	addr = withDefaultPort(addr)
	if cfg != nil && cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	nc, err := (&net.Dialer{KeepAliveConfig: systemKeepAlive}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return NewClientConn(ctx, nc, addr, cfg)
}

// withDefaultPort adds ":22" to an address without a port.
func withDefaultPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return net.JoinHostPort(strings.Trim(addr, "[]"), "22")
	}
	return addr
}

// NewClientConn runs the SSH client handshake over nc, an established
// connection to addr ("host:port", used for known_hosts and kex) — a
// TCP connection, a channel of another Client (jump hosts), a proxy
// command's pipes or a net.Pipe in tests. On error nc is closed. ctx
// bounds the handshake and authentication as for Dial.
func NewClientConn(ctx context.Context, nc net.Conn, addr string, cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	addr = withDefaultPort(addr)
	c := &Client{cfg: *cfg, addr: addr, nc: nc, log: cfg.logger()}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	// Cancelling ctx closes the socket, which unblocks any layer.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	err := c.handshake(ctx)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if c.t != nil {
			c.t.Close()
		}
		nc.Close()
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, err
	}
	c.start()
	return c, nil
}

// handshake runs key exchange and authentication.
func (c *Client) handshake(ctx context.Context) error {
	kcfg, err := c.kexConfig(ctx)
	if err != nil {
		return err
	}
	pc := packet.NewConn(c.nc, &packet.Config{Trace: c.cfg.Trace})
	// The service request is not put in our NEWKEYS' write
	// (kex.Config.FirstPayload): Wireshark 4.0's dissector then often
	// fails to decrypt the session (TestKeyLogWireshark).
	t, err := kex.ClientHandshake(ctx, pc, kcfg)
	if err != nil {
		return fmt.Errorf("client: key exchange with %s: %w", c.addr, err)
	}
	c.t = t
	algs := t.Algorithms()
	c.log.Debug("kex done", "kex", algs.Kex, "hostkey", algs.HostKey,
		"c2s", algs.ClientToServer, "s2c", algs.ServerToClient, "strict", t.Strict())
	if c.cfg.KexDone != nil {
		c.cfg.KexDone(algs, c.HostKey())
	}
	sources := c.cfg.Auth
	if sources == nil {
		sources = []userauth.Method{userauth.NoneAuth{}}
	}
	if g := c.cfg.GSSAPI; g != nil {
		var first []userauth.Method
		if c.gss != nil && c.gss.Context() != nil {
			first = append(first, &gssauth.Keyex{Context: c.gss.Context})
		} else if g.KeyExchange {
			c.log.Debug("gssapi-keyex skipped: the key exchange was not a GSS-API one", "kex", algs.Kex)
		}
		if g.Authentication {
			first = append(first, &gssauth.WithMIC{Host: hostOnly(c.addr), ServerIdentity: g.ServerIdentity, Delegate: g.Delegate})
		}
		// A leading "none" (ssh's probe for the methods that can
		// continue) stays first.
		var lead []userauth.Method
		if len(sources) > 0 && sources[0] == (userauth.Method)(userauth.NoneAuth{}) {
			lead, sources = sources[:1], sources[1:]
		}
		sources = append(append(lead, first...), sources...)
	}
	res, err := userauth.Authenticate(ctx, t, &userauth.ClientConfig{
		User:    c.cfg.User,
		Sources: sources,
		Banner:  c.onBanner,
		Logger:  c.cfg.Logger,
	})
	c.auth = res
	if err != nil {
		if ctx.Err() == nil {
			t.Disconnect(wire.NoMoreAuthMethodsAvailable, "no more authentication methods")
		}
		return fmt.Errorf("client: authenticating as %q: %w", c.cfg.User, err)
	}
	return nil
}

func (c *Client) onBanner(message, _ string) {
	msg := wire.Sanitize(message)
	c.bannerMu.Lock()
	c.banner.WriteString(msg)
	c.bannerMu.Unlock()
	if c.cfg.Banner != nil {
		c.cfg.Banner(msg)
	}
}

// kexConfig translates the Config into the kex layer's.
func (c *Client) kexConfig(ctx context.Context) (*kex.Config, error) {
	cfg := &c.cfg
	kcfg := &kex.Config{
		Version:          cfg.Version,
		ServerName:       hostOnly(c.addr),
		RekeyBytes:       cfg.RekeyBytes,
		RekeyInterval:    cfg.RekeyInterval,
		DisableStrictKex: cfg.DisableStrictKex,
		Logger:           cfg.Logger,
		KeyLog:           cfg.KeyLog,
		Ciphers:          cfg.algorithms(AlgCiphers, cfg.Ciphers),
		MACs:             cfg.algorithms(AlgMACs, cfg.MACs),
		Compression:      cfg.Compression,
	}
	for _, name := range cfg.algorithms(AlgKex, cfg.KexAlgorithms) {
		m, ok := kex.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("%w: key exchange %q", ErrUnknownAlgorithm, name)
		}
		kcfg.Methods = append(kcfg.Methods, m)
	}
	if len(kcfg.Methods) == 0 {
		return nil, fmt.Errorf("%w: no key exchange method left", ErrUnknownAlgorithm)
	}
	if g := cfg.GSSAPI; g != nil && g.KeyExchange {
		fams := g.KexFamilies
		if fams == nil {
			fams = gsskex.DefaultFamilies()
		}
		if cred, err := gssKexCredential(ctx, g, kcfg.ServerName); err != nil {
			// As ssh: without a usable credential for the target, the
			// gss-* methods are not offered and the ordinary key
			// exchange runs.
			c.log.Debug("GSS-API key exchange not offered", "err", err)
		} else {
			c.gss = &gsskex.ContextHolder{}
			ms, err := gsskex.Methods(&gsskex.Config{Cred: cred, ServerIdentity: g.ServerIdentity, Delegate: g.Delegate,
				DelegateOnRekey: g.DelegateOnRekey, CredFunc: c.gssCred.Load, Established: c.gss.Keep}, fams...)
			if err != nil {
				return nil, fmt.Errorf("client: GSS-API key exchange: %w", err)
			}
			kcfg.Methods = append(ms, kcfg.Methods...)
		}
	}
	check := cfg.HostKeyCallback
	hk := cfg.algorithms(AlgKeys, cfg.HostKeyAlgorithms)
	if check == nil {
		c.kh = newKnownHosts(cfg)
		check = c.kh.check
		if cfg.HostKeyAlgorithms == nil {
			hk = preferKnown(hk, c.kh.algorithms(c.addr))
		}
	}
	if c.gss != nil {
		hk = append(slices.Clone(hk), kex.NullHostKey)
	}
	kcfg.HostKeyAlgorithms = hk
	remote := c.nc.RemoteAddr()
	trust := func(key hostkey.PublicKey) error {
		if cfg.RefuseHostKey != nil {
			if err := cfg.RefuseHostKey(key); err != nil {
				return err
			}
		}
		if cfg.TrustHostKey != nil && cfg.TrustHostKey(key) {
			return nil
		}
		return check(c.addr, remote, key)
	}
	kcfg.HostKeyVerifier = kex.NewHostKeyVerifier(trust)
	if slices.Contains(hk, hostkey.RSA) {
		// ssh-rsa is never a default: listing it asks for RSA with
		// SHA-1, as ssh's HostKeyAlgorithms=+ssh-rsa does.
		kcfg.HostKeyVerifier = kex.NewHostKeyVerifierPolicy(trust, &hostkey.Policy{AllowSHA1: true})
	}
	return kcfg, nil
}

// gssKexCredential acquires the initiator credential (KRB5CCNAME) and
// checks that it yields a first context token for "host@" the server's
// name (or ServerIdentity), as ssh checks each mechanism before it
// offers GSS-API key exchange (Debian's GSS patch,
// ssh_gssapi_client_mechanisms). The service ticket this fetches stays
// in the credential for the exchange itself.
func gssKexCredential(ctx context.Context, g *GSSAPI, serverName string) (*gssapi.Credential, error) {
	cred := g.Cred
	if cred == nil {
		var err error
		if cred, err = gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Usage: gssapi.UsageInitiate}); err != nil {
			return nil, err
		}
	}
	host := serverName
	if g.ServerIdentity != "" {
		host = g.ServerIdentity
	}
	gc, err := gssapi.NewInitContext(gssapi.HostbasedService("host", host), &gssapi.InitOptions{Cred: cred, Flags: gssapi.FlagMutual | gssapi.FlagInteg})
	if err != nil {
		return nil, err
	}
	defer gc.Delete()
	if _, err := gc.Step(ctx, nil); err != nil {
		return nil, err
	}
	return cred, nil
}

// preferKnown moves the algorithms of keys known for the host to the
// front, as ssh orders HostKeyAlgorithms, so that a recorded key is
// asked for rather than one that would look unknown.
func preferKnown(prefs, known []string) []string {
	if len(known) == 0 {
		return prefs
	}
	var out []string
	for _, a := range prefs {
		if slices.Contains(known, a) {
			out = append(out, a)
		}
	}
	for _, a := range prefs {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func hostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// start makes the connection layer and starts the goroutines.
func (c *Client) start() {
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.fwd.init()
	if c.cfg.ForwardAgent {
		if err := c.EnableAgentForwarding(c.cfg.AgentSocket); err != nil {
			c.log.Debug("agent forwarding not possible", "err", err)
		}
	}
	ccfg := &connection.Config{
		Window:       c.cfg.Window,
		Logger:       c.cfg.Logger,
		ChannelTypes: []string{wire.ChannelTypeForwardedTCPIP, wire.ChannelTypeForwardedStreamLocal, wire.ChannelTypeAuthAgent, wire.ChannelTypeX11},
	}
	if c.cfg.UpdateHostKeys && c.kh != nil {
		ccfg.HostKeys = c.onHostKeys
	}
	c.conn = connection.New(c.t, ccfg)
	c.wg.Go(func() {
		err := c.conn.Run(c.ctx)
		c.setErr(err)
		c.cancel()
	})
	c.wg.Go(c.dispatch)
	if c.cfg.KeepaliveInterval > 0 {
		c.wg.Go(c.keepalive)
	}
}

func (c *Client) setErr(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.errMu.Unlock()
}

// keepalive sends keepalive@openssh.com every KeepaliveInterval and
// closes the connection after KeepaliveCountMax unanswered ones in a row.
func (c *Client) keepalive() {
	interval, limit := c.cfg.KeepaliveInterval, c.cfg.keepaliveCountMax()
	missed := 0
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, interval)
		err := c.conn.Keepalive(ctx)
		cancel()
		switch {
		case err == nil:
			missed = 0
		case c.ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded):
			missed++
			c.log.Debug("keepalive unanswered", "missed", missed)
			if missed >= limit {
				c.setErr(fmt.Errorf("%w: %d keepalives to %s", ErrKeepaliveTimeout, missed, c.addr))
				c.shutdown() // not Close: that waits for this goroutine
				return
			}
		default:
			return // the connection ended
		}
	}
}

// Close sends DISCONNECT (BY_APPLICATION), closes the connection and
// waits for the Client's goroutines. Open channels, listeners and
// forwarders end, and so do the Stdin copies of sessions not yet waited
// for or closed, as Session.Close ends them. It returns what failed while closing the layers
// (errors.Join of the transport's, the connection layer's and the
// socket's Close errors; a layer that was closed already, for example
// because the server disconnected first, is not a failure), nil if
// nothing did. Close is idempotent: every call returns the same result.
func (c *Client) Close() error {
	c.shutdown()
	c.stopStdins()
	c.wg.Wait()
	return c.closeErr
}

// trackStdin registers or (done) unregisters a Session whose Stdin copy
// runs, for Close.
func (c *Client) trackStdin(s *Session, done bool) {
	c.stdinMu.Lock()
	defer c.stdinMu.Unlock()
	if done {
		delete(c.stdins, s)
		return
	}
	if c.stdins == nil {
		c.stdins = map[*Session]struct{}{}
	}
	c.stdins[s] = struct{}{}
}

// stopStdins ends the Stdin copies of the sessions nobody waited for or
// closed, as Session.Close does: interrupted and waited for where Stdin
// allows it (Session.Close reports the others).
func (c *Client) stopStdins() {
	c.stdinMu.Lock()
	ss := make([]*Session, 0, len(c.stdins))
	for s := range c.stdins {
		ss = append(ss, s)
	}
	c.stdinMu.Unlock()
	for _, s := range ss {
		s.stopStdin()
	}
}

// shutdown closes every layer once, without waiting for the goroutines,
// and records what failed in closeErr. Goroutines of c that end the
// connection (keepalive) call it instead of Close.
func (c *Client) shutdown() {
	c.closeOnce.Do(func() {
		c.setErr(ErrClosed)
		c.fwd.closeAll()
		errs := []error{
			c.t.Disconnect(wire.ByApplication, "disconnected by user"),
			c.conn.Close(),
		}
		c.cancel()
		errs = append(errs, c.nc.Close())
		for i, err := range errs {
			if alreadyClosed(err) {
				errs[i] = nil
			}
		}
		if err := errors.Join(errs...); err != nil {
			c.closeErr = fmt.Errorf("client: closing: %w", err)
		}
	})
}

// alreadyClosed reports whether err is a Close error that only says the
// layer was closed before.
func alreadyClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) ||
		errors.Is(err, kex.ErrClosed) || errors.Is(err, connection.ErrClosed)
}

// Wait blocks until the connection ends, or ctx does, and returns why
// the connection ended (ErrClosed after Close).
func (c *Client) Wait(ctx context.Context) error {
	select {
	case <-c.conn.Done():
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.Err()
}

// Err returns why the connection ended, or nil while it is up.
func (c *Client) Err() error {
	select {
	case <-c.conn.Done():
	default:
		return nil
	}
	c.errMu.Lock()
	defer c.errMu.Unlock()
	if c.err != nil {
		return c.err
	}
	return c.conn.Err()
}

// IsActive reports whether the connection is up (paramiko's is_active).
func (c *Client) IsActive() bool { return c.Err() == nil }

// IsAuthenticated reports whether authentication succeeded; a Client
// only exists once it has (paramiko's is_authenticated).
func (c *Client) IsAuthenticated() bool { return c.auth != nil && c.auth.Authenticated() }

// User returns the user name authenticated as (paramiko's get_username).
func (c *Client) User() string { return c.cfg.User }

// Addr returns the address dialled, "host:port".
func (c *Client) Addr() string { return c.addr }

// Logger returns Config.Logger, or a logger that discards if it was nil,
// for code that serves the Client's channels (package client/forward).
func (c *Client) Logger() *slog.Logger { return c.log }

// RemoteAddr returns the peer's network address (paramiko's getpeername).
func (c *Client) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns our network address.
func (c *Client) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// Banner returns the text of the server's banners so far, sanitised
// (paramiko's get_banner).
func (c *Client) Banner() string {
	c.bannerMu.Lock()
	defer c.bannerMu.Unlock()
	return c.banner.String()
}

// ServerVersion returns the server's identification string (RFC 4253,
// Section 4.2), for example "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3".
func (c *Client) ServerVersion() string { return c.t.RemoteVersion() }

// HostKey returns the server's host key as verified during key exchange
// (paramiko's get_remote_server_key).
func (c *Client) HostKey() hostkey.PublicKey {
	k, err := hostkey.ParsePublicKey(c.t.HostKey())
	if err != nil {
		return nil // not reached: kex parsed it to verify the signature
	}
	return k
}

// Algorithms returns the algorithms of the current keys (paramiko's
// get_security_options, for what was negotiated).
func (c *Client) Algorithms() kex.Algorithms { return c.t.Algorithms() }

// StrictKex reports whether strict key exchange is in force (OpenSSH
// PROTOCOL, Section 1.9; paramiko's strict_kex).
func (c *Client) StrictKex() bool { return c.t.Strict() }

// ServerSigAlgs returns the server's server-sig-algs extension (RFC 8308,
// Section 3.1), or nil.
func (c *Client) ServerSigAlgs() []string { return c.t.ServerSigAlgs() }

// SessionID returns the session identifier (RFC 4253, Section 7.2).
func (c *Client) SessionID() []byte { return c.t.SessionID() }

// AuthResult returns the record of every auth source tried.
func (c *Client) AuthResult() *userauth.AuthResult { return c.auth }

// AuthMethod returns the method of the source that authenticated the
// client, for example "publickey" (as ssh -v reports it).
func (c *Client) AuthMethod() string {
	if c.auth == nil || len(c.auth.Results) == 0 {
		return ""
	}
	return c.auth.Results[len(c.auth.Results)-1].Source.Name()
}

// Ping sends SSH_MSG_PING with data and waits for the server's PONG
// (OpenSSH PROTOCOL, "transport: ping facility"; kex.Transport.Ping). A
// server that did not advertise ping@openssh.com, as OpenSSH before 9.5,
// gets nothing: Ping returns kex.ErrPingUnsupported.
func (c *Client) Ping(ctx context.Context, data []byte) error { return c.t.Ping(ctx, data) }

// Transport returns the secure transport, for callers that need the kex
// layer directly.
func (c *Client) Transport() *kex.Transport { return c.t }

// Conn returns the connection layer, for channel types and requests the
// Client has no method for.
func (c *Client) Conn() *connection.Conn { return c.conn }

// Rekey starts a key re-exchange and waits for it (RFC 4253, Section 9;
// paramiko's renegotiate_keys).
func (c *Client) Rekey(ctx context.Context) error { return c.t.Rekey(ctx) }

// SetGSSCredential makes cred the initiator credential of the GSS-API
// key exchanges that follow (a Rekey), for example one with a renewed
// TGT, which GSSAPI.DelegateOnRekey then delegates to the server. It has
// no effect on a connection whose key exchange is not GSS-API's.
func (c *Client) SetGSSCredential(cred *gssapi.Credential) { c.gssCred.Store(cred) }

// SendIgnore sends SSH_MSG_IGNORE with n random-looking bytes (RFC 4253,
// Section 11.2; paramiko's send_ignore).
func (c *Client) SendIgnore(n int) error {
	m := wire.Ignore{Data: make([]byte, n)}
	return c.t.WritePacket(m.Append(nil))
}

// SendRequest sends a global request (RFC 4254, Section 4) and, with
// wantReply, waits for the answer (paramiko's global_request).
func (c *Client) SendRequest(ctx context.Context, name string, wantReply bool, payload []byte) (bool, []byte, error) {
	return c.conn.SendRequest(ctx, name, wantReply, payload)
}

// Keepalive sends one keepalive@openssh.com request and waits for any
// answer.
func (c *Client) Keepalive(ctx context.Context) error { return c.conn.Keepalive(ctx) }

// OpenChannel opens a channel of any type (paramiko's open_channel).
func (c *Client) OpenChannel(ctx context.Context, typ string, extra []byte) (*connection.Channel, error) {
	return c.conn.Open(ctx, typ, extra, nil)
}
