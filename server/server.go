package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// Defaults, as OpenSSH's sshd_config(5) (docs/security.md Part 2).
const (
	// DefaultLoginGraceTime is how long a client has from the TCP
	// connection to the end of user authentication (LoginGraceTime).
	DefaultLoginGraceTime = 120 * time.Second
	// DefaultClientAliveCountMax is how many unanswered keepalives end an
	// authenticated connection (ClientAliveCountMax).
	DefaultClientAliveCountMax = 3
	// DefaultPerSourceMaxStartups caps the unauthenticated connections
	// of one source address (docs/security.md#r1).
	DefaultPerSourceMaxStartups = 10
)

var (
	// ErrServerClosed is returned by Serve and ListenAndServe after
	// Shutdown or Close.
	ErrServerClosed = errors.New("server: closed")

	// ErrInvalidUser is what an auth callback returns (wrapped or not)
	// for a user that does not exist; the server then logs
	// "Invalid user" and "Failed ... for invalid user" as sshd does. The
	// client sees the same answer as for a wrong password (docs/security.md
	// A7).
	ErrInvalidUser = errors.New("server: invalid user")

	// ErrNoHostKey means the Server has no host key.
	ErrNoHostKey = errors.New("server: no host key")
)

// A Server accepts SSH connections (RFC 4253, 4252, 4254) and composes
// the layers for the server role: packet and kex for the transport,
// userauth for the policy in Auth, connection for channels, which it
// hands to Handler, Subsystems and the forwarding policies.
//
// Configure the exported fields before the first Serve and do not change
// them afterwards. The zero value of every limit is OpenSSH's default.
type Server struct {
	// Addr is the address ListenAndServe listens on; empty means ":22".
	Addr string

	// HostKeys are the server's host keys, at most one per type. Only
	// their algorithms are offered (docs/security.md#k10b). A host
	// certificate (OpenSSH HostCertificate) is a *hostkey.CertSigner
	// listed after its key: it is offered under the "-cert-v01" forms of
	// the key's algorithms, signs with the key, and is left out of
	// hostkeys-00@openssh.com, which names plain keys only, as sshd's.
	HostKeys []hostkey.Signer
	// AllowSHA1HostKey also offers ssh-rsa (SHA-1) signatures for RSA
	// host keys.
	AllowSHA1HostKey bool

	// Auth is the user authentication policy (package userauth). Its
	// callbacks may return ErrInvalidUser for unknown users. The policy
	// its ForUser returns for a connection's user (sshd's Match) is
	// logged and counted like Auth itself, and gets the GSS-API methods
	// unless its Handlers map "gssapi-with-mic" to nil, which turns
	// them off for that user (GSSAPIAuthentication no in a Match). Its
	// Logger, if set, logs the rest of that connection in place of
	// Server.Logger (LogLevel in a Match; Conn.Logger returns it).
	Auth *userauth.ServerConfig

	// GSSAPI, if set, enables Kerberos single sign-on (RFC 4462; OpenSSH
	// GSSAPIAuthentication yes): "gssapi-with-mic" under this policy,
	// and "gssapi-keyex" when GSSKeyExchange is set. Its Cred should be
	// nil (the keytab of KRB5_KTNAME, read per attempt). A credential the
	// client delegates is stored, once authentication has succeeded with
	// a GSS-API factor, in a mode 0600 ccache named by KRB5CCNAME in the
	// connection's session environments (Session.Environ), and removed
	// when the connection ends (docs/security.md#g7).
	GSSAPI *gssauth.Server
	// GSSKeyExchange offers the GSS-API key exchange methods of
	// GSSKexFamilies before the other key exchange methods (RFC 4462,
	// Section 2; RFC 8732; OpenSSH GSSAPIKeyExchange). It needs GSSAPI,
	// whose StrictAcceptorCheck, Hostname, Cred and Config the methods
	// share. With GSSKeyExchange, HostKeys may be empty: the server then
	// offers only the GSS methods and the "null" host key algorithm
	// (RFC 4462, Section 5).
	GSSKeyExchange bool
	// GSSNoAuthentication leaves out the GSS-API user authentication
	// methods ("gssapi-with-mic", "gssapi-keyex") and keeps only the key
	// exchange: sshd's GSSAPIKeyExchange yes with GSSAPIAuthentication
	// no.
	GSSNoAuthentication bool
	// GSSKexFamilies are the gsskex families offered (OpenSSH
	// GSSAPIKexAlgorithms without the mechanism suffix); nil means
	// gsskex.DefaultFamilies().
	GSSKexFamilies []string
	// GSSKeepCredentials keeps the delegated credential's ccache after
	// the connection ends (OpenSSH GSSAPICleanupCredentials no); by
	// default it is removed.
	GSSKeepCredentials bool
	// GSSCCacheDir is the directory of the delegated credential caches,
	// named krb5cc_<uid>_<random> as sshd names them; "" means
	// os.TempDir().
	GSSCCacheDir string
	// GSSCCacheOwner, if set, gives the owner of a user's delegated
	// ccache (the user, when the server runs as root and the sessions
	// as the user); the file is chowned to it.
	GSSCCacheOwner func(user string) (uid, gid int, ok bool)

	// KexAlgorithms, Ciphers, MACs and HostKeyAlgorithms restrict or
	// reorder the algorithms; nil means the layers' defaults.
	// HostKeyAlgorithms filters the algorithms of HostKeys.
	KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms []string
	// Compression is kex.Config's: nil offers "none" only. sshd's
	// default, Compression yes, is {"zlib@openssh.com", "none"}:
	// compression starts after user authentication.
	Compression []string
	// RekeyBytes and RekeyInterval are kex.Config's (OpenSSH RekeyLimit).
	RekeyBytes    uint64
	RekeyInterval time.Duration
	// KeyLog, if set, receives the secrets of every key exchange of
	// every connection in the key log format Wireshark's SSH dissector
	// reads (kex.Config.KeyLog, kex.KeyLogLines). Anyone who reads it
	// can decrypt every session, passwords included. Only for
	// debugging; gosshd sets it from $SSHKEYLOGFILE.
	KeyLog io.Writer
	// Version is the identification string; empty means packet's.
	Version string

	// LoginGraceTime bounds the time from accept to the end of user
	// authentication; 0 means DefaultLoginGraceTime, negative none. It
	// is a context deadline, never a signal (docs/security.md#r2, #r6).
	LoginGraceTime time.Duration
	// MaxStartups bounds unauthenticated connections (OpenSSH
	// MaxStartups); the zero value means 10:30:100.
	MaxStartups Startups
	// PerSourceMaxStartups caps the unauthenticated connections of one
	// address; 0 means DefaultPerSourceMaxStartups, negative none.
	PerSourceMaxStartups int
	// Penalties configures per-source penalties (OpenSSH
	// PerSourcePenalties); nil means DefaultPenalties, and
	// Penalties.Disabled turns them off (PerSourcePenalties no).
	Penalties *Penalties
	// PerSourceNetBlockSize groups addresses into sources for
	// PerSourceMaxStartups and Penalties; zero means /32 and /64.
	PerSourceNetBlockSize NetBlockSize

	// MaxSessions caps the session channels per connection; 0 means
	// 10 (connection.DefaultMaxSessions).
	MaxSessions int
	// MaxChannels caps the channels per connection; 0 means
	// connection.DefaultMaxChannels.
	MaxChannels int
	// ClientAliveInterval, if positive, sends keepalive@openssh.com
	// requests that often on authenticated connections, and ends a
	// connection after ClientAliveCountMax (0 means 3) go unanswered.
	ClientAliveInterval time.Duration
	ClientAliveCountMax int
	// UnusedConnectionTimeout, if positive, ends an authenticated
	// connection that has had no channel open for that long, counted
	// from authentication or from when its last channel closed (sshd's
	// UnusedConnectionTimeout). Forwarding listeners do not count.
	UnusedConnectionTimeout time.Duration
	// ForConn, if set, runs once per connection when authentication has
	// succeeded (the user, the addresses and Permissions are known),
	// before any channel is opened, in the connection's goroutine. It
	// gets the Server's ConnSettings and returns the connection's: sshd
	// sets them from its Match sections. The Server's fields are used
	// when it is nil.
	ForConn func(c *Conn, s ConnSettings) ConnSettings
	// ChannelTimeout, if set, gives the inactivity timeout of each
	// channel (OpenSSH sshd's ChannelTimeout): a channel on which no data
	// passes, either way, for that long is closed
	// (connection.Channel.SetInactivityTimeout); 0 means none. typ is
	// sshd's name for the channel: "session" when a session channel
	// opens, then "session:command", "session:shell" or
	// "session:subsystem:<name>" once the client starts it (the clock
	// starts again then), "direct-tcpip" or
	// "direct-streamlocal@openssh.com" for a channel the client opens to
	// forward a connection, "forwarded-tcpip",
	// "forwarded-streamlocal@openssh.com", "agent-connection" or
	// "x11-connection" for one the server opens, "tun" for a tunnel.
	ChannelTimeout func(c *Conn, typ string) time.Duration

	// Handler serves a session channel once the client asks for a
	// shell or a command ("shell", "exec"; RFC 4254, Section 6.5). nil
	// refuses them.
	Handler SessionHandler
	// Subsystems serve "subsystem" requests by name (paramiko's
	// set_subsystem_handler), e.g. "sftp".
	Subsystems map[string]SessionHandler

	// PermitOpen decides direct-tcpip channels (RFC 4254, Section 7.2,
	// "ssh -L"); nil refuses them. The user's Permissions (no-port-
	// forwarding, permitopen) are checked first. The server dials.
	PermitOpen func(c *Conn, host string, port uint32) bool
	// PermitListen decides tcpip-forward requests (Section 7.1, "ssh
	// -R"); nil refuses them. The server listens.
	PermitListen func(c *Conn, host string, port uint32) bool
	// GatewayPorts lets remote forwardings listen on other addresses
	// than loopback (OpenSSH GatewayPorts yes).
	GatewayPorts bool
	// PermitStreamLocal decides Unix-socket forwardings both ways
	// (OpenSSH PROTOCOL, Section 2.4); nil refuses them.
	PermitStreamLocal func(c *Conn, path string) bool
	// StreamLocalMode and StreamLocalBindUnlink are the mode of the
	// Unix sockets streamlocal-forward binds (0 means 0600, OpenSSH's
	// StreamLocalBindMask 0177; os.ModeSocket alone means 0000) and
	// whether an existing socket file is removed first
	// (StreamLocalBindUnlink); see forward.Forwarder.
	StreamLocalMode       os.FileMode
	StreamLocalBindUnlink bool
	// Tunnel decides a tun@openssh.com channel (OpenSSH PROTOCOL,
	// Section 2.3; ssh -w; sshd PermitTunnel) and gives the device to
	// relay it to; nil refuses them all. The server relays one packet
	// or frame per message in OpenSSH's framing (package
	// connection/tun) and closes dev when the channel ends.
	// tun.Open(t.Mode, t.Unit) is sshd's device; TunnelDevices builds
	// sshd's policy. A non-nil error refuses the channel; so does a
	// user whose Permissions force another unit (authorized_keys
	// tunnel="n", Permissions.Extensions[ExtTunnel]), checked first.
	Tunnel func(c *Conn, t wire.TunOpen) (dev TunDevice, err error)
	// AgentForwarding decides auth-agent-req@openssh.com; nil refuses.
	// When allowed, Session.AgentSocket is a Unix socket whose
	// connections are forwarded to the client's agent.
	AgentForwarding func(c *Conn) bool
	// AgentSocketOwner, if set, gives the owner of the forwarded agent
	// socket and its directory (the user, when the server runs as root).
	AgentSocketOwner func(c *Conn) (uid, gid int, ok bool)
	// AcceptEnv decides which "env" requests (RFC 4254, Section 6.4) a
	// session keeps (OpenSSH AcceptEnv); nil keeps them all.
	AcceptEnv func(name, value string) bool
	// PermitUserEnvironment decides, by name, which environment=
	// entries of the user's Permissions (authorized_keys options,
	// userauth.Permissions.Environment) a session gets in
	// Session.Environ, as sshd's PermitUserEnvironment; nil drops them
	// all, which is sshd's default: a key restricted by command= must not
	// set LD_PRELOAD (docs/security.md#a9).
	PermitUserEnvironment func(name string) bool
	// X11Request decides x11-req (RFC 4254, Section 6.3.1); nil refuses.
	// (&x11.Forwarding{}).Request, of package server/x11, is sshd's
	// display proxy (X11Forwarding yes); a hook of one's own owns the
	// display, opens "x11" channels with s.Conn().Mux().OpenX11 and runs
	// its goroutines with s.Conn().Go. The server calls it only for a
	// well-formed request the user's Permissions allow
	// (no-X11-forwarding), before the session's shell or command and
	// once per session, as sshd; Session.X11 then returns the request.
	X11Request func(s *Session, req wire.X11Request) bool
	// GlobalRequest answers global requests that are not forwarding
	// ones; nil refuses them (keepalive@openssh.com included, which
	// OpenSSH clients accept).
	GlobalRequest func(c *Conn, req *connection.GlobalRequest) (ok bool, reply []byte)

	// Trace, if set, is asked once per connection for a hook that then
	// receives every message sent and received on it, described with
	// secrets redacted (wire.TraceEvent; the client's Config.Trace is the
	// same hook).
	Trace func(remote net.Addr) wire.Tracer

	// Logger receives sshd-style records (the message is the sshd log
	// line); nil discards them.
	Logger *slog.Logger

	// OnConnCount, if set, is called with the number of open connections
	// each time it changes: a connection counts from its admission
	// (after MaxStartups) until its goroutine ends. Calls are serialized
	// and in order; it must not call the Server's methods. gosshd keeps
	// GOMAXPROCS at this number (decision 0038).
	OnConnCount func(open int)

	mu        sync.Mutex
	listeners map[net.Listener]struct{} // guarded by mu
	conns     map[*serverConn]struct{}  // guarded by mu
	closed    bool                      // guarded by mu
	limits    *limiter
	wg        sync.WaitGroup
	initOnce  sync.Once
	initErr   error
	kexCfg    kex.Config
	kexBase   []kex.Method // the non-GSS methods, listed, for GSS kex
}

// A SessionHandler serves one session channel in a goroutine of its own
// (RFC 4254, Section 6). It sends the exit status with s.Exit; when it
// returns, the server closes the channel. ctx ends when the channel or
// the connection closes, and when Shutdown gives up waiting or Close is
// called; Serve, Shutdown and Close wait for the handler, so it must
// return once ctx ends.
type SessionHandler func(ctx context.Context, s *Session)

func (s *Server) log() *slog.Logger {
	if s.Logger == nil {
		return discardLogger
	}
	return s.Logger
}

// ConnSettings are the settings of one authenticated connection that
// Server.ForConn may change; each field means what the Server field of
// the same name means.
type ConnSettings struct {
	MaxSessions             int
	ClientAliveInterval     time.Duration
	ClientAliveCountMax     int
	UnusedConnectionTimeout time.Duration
	GatewayPorts            bool
	AcceptEnv               func(name, value string) bool
	StreamLocalMode         os.FileMode
	StreamLocalBindUnlink   bool
	RekeyBytes              uint64 // set on the connection's kex.Transport (SetRekeyLimit)
	RekeyInterval           time.Duration
}

// connSettings returns the Server's ConnSettings.
func (s *Server) connSettings() ConnSettings {
	return ConnSettings{
		MaxSessions:             s.MaxSessions,
		ClientAliveInterval:     s.ClientAliveInterval,
		ClientAliveCountMax:     s.ClientAliveCountMax,
		UnusedConnectionTimeout: s.UnusedConnectionTimeout,
		GatewayPorts:            s.GatewayPorts,
		AcceptEnv:               s.AcceptEnv,
		StreamLocalMode:         s.StreamLocalMode,
		StreamLocalBindUnlink:   s.StreamLocalBindUnlink,
		RekeyBytes:              s.RekeyBytes,
		RekeyInterval:           s.RekeyInterval,
	}
}

// discardLogger is the Logger of a Server without one.
var discardLogger = slog.New(slog.DiscardHandler)

// logs reports whether lg takes records of level: the per-connection
// lines in sshd's words are formatted only then, so that a server that
// logs nothing pays nothing for them.
func logs(lg *slog.Logger, level slog.Level) bool { return lg.Enabled(context.Background(), level) }

func (s *Server) init() error {
	s.initOnce.Do(func() {
		if s.GSSKeyExchange && s.GSSAPI == nil {
			s.initErr = errors.New("server: GSSKeyExchange needs GSSAPI")
			return
		}
		if s.GSSKeyExchange {
			if _, err := gsskex.Methods(&gsskex.Config{}, s.gssFamilies()...); err != nil {
				s.initErr = fmt.Errorf("server: %w", err)
				return
			}
		}
		if len(s.HostKeys) == 0 && !s.GSSKeyExchange {
			s.initErr = ErrNoHostKey
			return
		}
		cfg := kex.Config{
			Version:       s.Version,
			Ciphers:       s.Ciphers,
			MACs:          s.MACs,
			Compression:   s.Compression,
			RekeyBytes:    s.RekeyBytes,
			RekeyInterval: s.RekeyInterval,
			Logger:        s.Logger,
			KeyLog:        s.KeyLog,
		}
		for _, name := range s.KexAlgorithms {
			m, ok := kex.Lookup(name)
			if !ok {
				s.initErr = fmt.Errorf("server: unknown key exchange method %q", name)
				return
			}
			cfg.Methods = append(cfg.Methods, m)
		}
		for _, k := range s.HostKeys {
			hk := kex.NewHostKey(k, s.AllowSHA1HostKey)
			if s.HostKeyAlgorithms != nil {
				var algs []string
				for _, a := range hk.Algorithms {
					for _, want := range s.HostKeyAlgorithms {
						if a == want {
							algs = append(algs, a)
						}
					}
				}
				hk.Algorithms = algs
			}
			if len(hk.Algorithms) > 0 {
				cfg.HostKeys = append(cfg.HostKeys, hk)
			}
		}
		if len(cfg.HostKeys) == 0 && !s.GSSKeyExchange {
			s.initErr = fmt.Errorf("%w for the allowed host key algorithms", ErrNoHostKey)
			return
		}
		s.kexBase = cfg.Methods
		if s.GSSKeyExchange && s.kexBase == nil {
			// kex.Config.Methods nil means the defaults; with GSS
			// methods in front they must be listed.
			for _, name := range kex.DefaultMethods() {
				if m, ok := kex.Lookup(name); ok {
					s.kexBase = append(s.kexBase, m)
				}
			}
		}
		s.kexCfg = cfg
		s.limits = newLimiter(s.MaxStartups, s.PerSourceMaxStartups, s.Penalties, s.PerSourceNetBlockSize)
	})
	return s.initErr
}

// ListenAndServe listens on s.Addr (":22" if empty) and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	addr := s.Addr
	if addr == "" {
		addr = ":22"
	}
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l until ctx ends, Shutdown or Close is
// called, or Accept fails, serving each in a goroutine of its own. It
// closes l, waits for the connections it accepted to end (ctx ending
// closes them) and returns ErrServerClosed after Shutdown or Close, ctx's
// error, or Accept's error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if err := s.init(); err != nil {
		l.Close()
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1) // Serve itself, so that Shutdown waits for it
	s.mu.Unlock()
	defer s.wg.Done()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	var connWG sync.WaitGroup
	defer connWG.Wait()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			switch {
			case closed:
				return ErrServerClosed
			case ctx.Err() != nil:
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		connWG.Go(func() { growStack(0); s.handle(ctx, nc) })
	}
}

// Shutdown stops accepting connections and waits until every connection
// has ended. If ctx ends first, it closes the remaining connections,
// waits for their goroutines and returns ctx's error. A listener that
// fails to close is reported as Close reports it, joined with ctx's
// error.
func (s *Server) Shutdown(ctx context.Context) error {
	lerr := s.closeListeners()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }() // waited for below, on both paths
	select {
	case <-done:
		return lerr
	case <-ctx.Done():
	}
	s.closeConns()
	<-done
	if lerr != nil {
		return errors.Join(ctx.Err(), lerr)
	}
	return ctx.Err()
}

// Close closes the listeners and every connection at once and waits for
// their goroutines. It returns what failed: the listeners' Close errors
// (a listener closed already is no failure), nil if nothing did.
func (s *Server) Close() error {
	err := s.closeListeners()
	s.closeConns()
	s.wg.Wait()
	return err
}

// closeListeners marks s closed and closes its listeners, returning
// their failures.
func (s *Server) closeListeners() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for l := range s.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("server: closing listeners: %w", err)
	}
	return nil
}

func (s *Server) closeConns() {
	s.mu.Lock()
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.cancel()
	}
}

// track registers c; it fails when the server is closing.
func (s *Server) track(c *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[*serverConn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.countConns()
	return true
}

func (s *Server) untrack(c *serverConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.countConns()
	s.mu.Unlock()
}

// countConns reports the open connections to OnConnCount; s.mu held,
// which serializes the calls.
func (s *Server) countConns() {
	if s.OnConnCount != nil {
		s.OnConnCount(len(s.conns))
	}
}

// addrPort splits a net.Addr for sshd-style log lines.
func addrPort(a net.Addr) (string, int) {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String(), ta.Port
	}
	if a == nil {
		return "UNKNOWN", 0
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), 0
	}
	var p int
	fmt.Sscan(port, &p)
	return host, p
}

// handle serves one TCP connection: limits, key exchange, user
// authentication under the grace deadline, then the connection protocol.
func (s *Server) handle(ctx context.Context, nc net.Conn) {
	raddr, rport := addrPort(nc.RemoteAddr())
	laddr, lport := addrPort(nc.LocalAddr())
	lg := s.log()
	src, exempt := s.limits.sourceKey(nc.RemoteAddr()), s.limits.exempt(nc.RemoteAddr())
	penalize := func(k penaltyKind) {
		if !exempt {
			s.limits.penalize(src, k)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evict := func() {
		lg.Info(fmt.Sprintf("Evicting unauthenticated connection from %s port %d for a less busy source (MaxStartups)", raddr, rport),
			"remote", nc.RemoteAddr().String())
		cancel()
	}
	st, why := s.limits.admit(src, exempt, evict)
	if st == nil {
		lg.Info(fmt.Sprintf("drop connection #%d from [%s]:%d on [%s]:%d %s", s.limits.unauthenticated(), raddr, rport, laddr, lport, why),
			"remote", nc.RemoteAddr().String(), "reason", why)
		nc.Close()
		return
	}
	defer s.limits.release(st)
	sc := &serverConn{cancel: cancel, log: lg}
	if !s.track(sc) {
		nc.Close()
		return
	}
	defer s.untrack(sc)
	if s.GSSAPI != nil {
		// Deferred, so that the ccache goes even when a panic unwinds
		// this goroutine (GSSAPICleanupCredentials).
		sc.gssStart(s)
		defer sc.gssEnd(s)
	}
	closeNC := context.AfterFunc(cctx, func() { nc.Close() })
	defer closeNC()
	defer nc.Close()
	if logs(lg, slog.LevelInfo) {
		lg.Info(fmt.Sprintf("Connection from %s port %d on %s port %d", raddr, rport, laddr, lport), "remote", nc.RemoteAddr().String())
	}

	grace := s.LoginGraceTime
	if grace == 0 {
		grace = DefaultLoginGraceTime
	}
	actx, acancel := cctx, context.CancelFunc(func() {})
	if grace > 0 {
		actx, acancel = context.WithTimeout(cctx, grace)
	}
	// The grace deadline closes the socket, which ends any blocked read
	// (docs/security.md#r2, #r6): a timer and a context, no signal handler.
	stopGrace := context.AfterFunc(actx, func() {
		if !sc.authDone() {
			nc.Close()
		}
	})
	result, t, err := s.authenticate(actx, nc, sc)
	stopGrace()
	lg = sc.log // the user's, from here on
	// The packet layer may apply the deadline to the socket itself, whose
	// timer can fire just before the context's.
	timedOut := !sc.authDone() && (actx.Err() == context.DeadlineExceeded ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded))
	acancel()
	if err != nil {
		switch {
		case timedOut:
			lg.Info(fmt.Sprintf("Timeout before authentication for %s port %d", raddr, rport), "remote", nc.RemoteAddr().String())
			penalize(penaltyGrace)
		case errors.Is(err, userauth.ErrMaxAuthTries):
			lg.Info(fmt.Sprintf("Disconnecting authenticating user %s %s port %d: Too many authentication failures [preauth]", sc.user, raddr, rport))
			penalize(penaltyAuthFail)
		case t == nil:
			var ne *kex.NegotiationError
			if errors.As(err, &ne) {
				lg.Info(fmt.Sprintf("Unable to negotiate with %s port %d: no matching %s found. Their offer: %s [preauth]",
					raddr, rport, ne.Category, wire.Sanitize(strings.Join(ne.Client, ","))), "err", err)
			} else {
				lg.Info(fmt.Sprintf("Connection closed by %s port %d [preauth]", raddr, rport), "err", err)
			}
			penalize(penaltyNoAuth)
		case sc.user == "":
			lg.Debug(fmt.Sprintf("Connection closed by %s port %d [preauth]", raddr, rport), "err", err)
			penalize(penaltyNoAuth)
		default:
			lg.Info(fmt.Sprintf("Connection closed by authenticating user %s %s port %d [preauth]", sc.user, raddr, rport), "err", err)
			if sc.failures > 0 {
				penalize(penaltyAuthFail)
			} else {
				penalize(penaltyNoAuth)
			}
		}
		if t != nil {
			t.Close()
		}
		return
	}
	s.limits.release(st)
	ccache := ""
	if sc.gss != nil {
		ccache = s.gssStore(sc, result)
	}
	s.serveConn(cctx, nc, t, result, ccache, lg)
	if logs(lg, slog.LevelInfo) {
		lg.Info(fmt.Sprintf("Disconnected from user %s %s port %d", result.User, raddr, rport))
	}
}

// serverConn is the per-connection state the Server tracks.
type serverConn struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	authed bool   // guarded by mu
	user   string // written by the handle goroutine only
	// log is the connection's logger: the Server's until the policy
	// Auth.ForUser returns for the user brings its own (sshd's LogLevel
	// in Match). Written by the handle goroutine before the Conn starts.
	log      *slog.Logger
	failures int // written by the auth callbacks (handle goroutine)

	// GSS-API state of the connection, when Server.GSSAPI is set; used
	// by the handle goroutine only.
	gssHolder *gsskex.ContextHolder
	gss       *gssauth.Session
}

func (c *serverConn) authDone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authed
}

// authenticate runs the key exchange and user authentication.
func (s *Server) authenticate(ctx context.Context, nc net.Conn, sc *serverConn) (*userauth.Result, *kex.Transport, error) {
	lg := s.log()
	raddr, rport := addrPort(nc.RemoteAddr())
	pcfg := &packet.Config{Server: true}
	if s.Trace != nil {
		pcfg.Trace = s.Trace(nc.RemoteAddr())
	}
	pc := packet.NewConn(nc, pcfg)
	kcfg := s.kexCfg
	if sc.gssHolder != nil && s.GSSKeyExchange {
		ms, err := gsskex.Methods(&gsskex.Config{
			AcceptorCred:        s.GSSAPI.Cred,
			Config:              s.GSSAPI.Config,
			StrictAcceptorCheck: s.GSSAPI.StrictAcceptorCheck,
			Hostname:            s.GSSAPI.Hostname,
			Established:         sc.gssHolder.Keep,
		}, s.gssFamilies()...)
		if err != nil {
			return nil, nil, fmt.Errorf("server: %w", err)
		}
		if len(kcfg.HostKeys) > 0 {
			ms = append(ms, s.kexBase...)
		}
		kcfg.Methods = ms
	}
	t, err := kex.ServerHandshake(ctx, pc, &kcfg)
	if err != nil {
		return nil, nil, err
	}
	if logs(lg, slog.LevelDebug) {
		a := t.Algorithms()
		lg.Debug("debug1: kex: algorithm: " + a.Kex)
		lg.Debug("debug1: kex: host key algorithm: " + a.HostKey)
		lg.Debug(fmt.Sprintf("debug1: kex: client->server cipher: %s MAC: %s compression: %s", a.ClientToServer.Cipher, macName(a.ClientToServer.MAC), compName(a.ClientToServer.Compression)))
		lg.Debug(fmt.Sprintf("debug1: kex: server->client cipher: %s MAC: %s compression: %s", a.ServerToClient.Cipher, macName(a.ServerToClient.MAC), compName(a.ServerToClient.Compression)))
		lg.Debug("debug1: Remote protocol version: " + wire.Sanitize(t.RemoteVersion()))
	}

	cfg := s.authConfig(sc, raddr, rport)
	res, err := userauth.Serve(ctx, t, cfg, userauth.ConnInfo{RemoteAddr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr(),
		AfterSuccess: s.hostKeysPayload()})
	if err != nil {
		return nil, t, err
	}
	sc.mu.Lock()
	sc.authed = true
	sc.mu.Unlock()
	lg = sc.log
	for i, m := range res.Methods {
		if !logs(lg, slog.LevelInfo) {
			break
		}
		verb := "Accepted"
		if i < len(res.Methods)-1 {
			verb = "Partial"
		}
		line := fmt.Sprintf("%s %s for %s from %s port %d ssh2", verb, m, wire.Sanitize(res.User), raddr, rport)
		if m == wire.MethodPublicKey || m == userauth.MethodPublicKeyHostbound {
			if k := keyForFactor(res, i); k != nil {
				line += ": " + KeyDescription(k)
			}
		}
		lg.Info(line, "user", res.User, "method", m, "remote", nc.RemoteAddr().String())
	}
	return res, t, nil
}

// keyForFactor returns the verified key of the i-th factor, counting
// only the publickey and hostbased factors, which Result.Keys lists.
func keyForFactor(res *userauth.Result, i int) hostkey.PublicKey {
	n := 0
	for j, m := range res.Methods {
		if m != wire.MethodPublicKey && m != userauth.MethodPublicKeyHostbound && m != "hostbased" {
			continue
		}
		if j == i {
			if n < len(res.Keys) {
				return res.Keys[n]
			}
			return nil
		}
		n++
	}
	return nil
}

// KeyDescription describes a key as sshd's log lines do (the
// "Accepted publickey" and "Failed publickey" lines): "ED25519
// SHA256:...", or for a certificate "ED25519-CERT SHA256:... ID id
// (serial n) CA ED25519 SHA256:...", the key ID sanitised.
func KeyDescription(k hostkey.PublicKey) string {
	if c, ok := k.(*hostkey.Certificate); ok {
		return fmt.Sprintf("%s-CERT %s ID %s (serial %d) CA %s", keyType(c.Key), hostkey.FingerprintSHA256(c.Key),
			wire.Sanitize(c.KeyID), c.Serial, KeyDescription(c.SignatureKey))
	}
	return keyType(k) + " " + hostkey.FingerprintSHA256(k)
}

func keyType(k hostkey.PublicKey) string {
	switch typ := k.Type(); {
	case typ == hostkey.ED25519:
		return "ED25519"
	case typ == hostkey.RSA:
		return "RSA"
	case strings.HasPrefix(typ, "ecdsa-"):
		return "ECDSA"
	case strings.HasPrefix(typ, "sk-"):
		return "SK"
	default:
		return typ
	}
}

func macName(m string) string {
	if m == "" {
		return "<implicit>"
	}
	return m
}

func compName(c string) string {
	if c == "" {
		return "none"
	}
	return c
}

// authConfig copies s.Auth and wraps the callbacks to log as sshd does
// and to count failures for the penalties; a policy that Auth.ForUser
// returns for the connection's user is wrapped the same way.
func (s *Server) authConfig(sc *serverConn, raddr string, rport int) *userauth.ServerConfig {
	w := &authWrap{s: s, sc: sc, raddr: raddr, rport: rport, invalidLogged: map[string]bool{}}
	cfg := w.wrap(s.Auth)
	if f := cfg.ForUser; f != nil {
		cfg.ForUser = func(ctx context.Context, m userauth.ConnMeta) (*userauth.ServerConfig, error) {
			sc.user = m.User
			u, err := f(ctx, m)
			if err != nil || u == nil {
				return u, err
			}
			if u.Logger != nil {
				sc.log = u.Logger
			}
			return w.wrap(u), nil
		}
	}
	return cfg
}

// authWrap wraps the callbacks of one connection's policies.
type authWrap struct {
	s             *Server
	sc            *serverConn
	raddr         string
	rport         int
	invalidLogged map[string]bool // users logged as invalid; handle goroutine only
}

// wrap returns a copy of base with its callbacks wrapped, and the GSS-API
// methods of the connection installed unless base's Handlers set
// "gssapi-with-mic" to nil (the method off for this policy).
func (w *authWrap) wrap(base *userauth.ServerConfig) *userauth.ServerConfig {
	s, sc, raddr, rport, invalidLogged := w.s, w.sc, w.raddr, w.rport, w.invalidLogged
	var cfg userauth.ServerConfig
	if base != nil {
		cfg = *base
	}
	failed := func(method, user string, err error) {
		sc.failures++
		inv := ""
		if errors.Is(err, ErrInvalidUser) {
			inv = "invalid user "
			if !invalidLogged[user] {
				invalidLogged[user] = true
				sc.log.Info(fmt.Sprintf("Invalid user %s from %s port %d", wire.Sanitize(user), raddr, rport), "user", user)
			}
		}
		sc.log.Info(fmt.Sprintf("Failed %s for %s%s from %s port %d ssh2", method, inv, wire.Sanitize(user), raddr, rport), "user", user, "method", method)
	}
	if f := cfg.PasswordCallback; f != nil {
		cfg.PasswordCallback = func(ctx context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			sc.user = m.User
			p, err := f(ctx, m, pw)
			if err != nil {
				var ce *userauth.ChangePasswordError
				if !errors.As(err, &ce) {
					failed("password", m.User, err)
				}
			}
			return p, err
		}
	}
	if f := cfg.KeyboardInteractiveCallback; f != nil {
		cfg.KeyboardInteractiveCallback = func(ctx context.Context, m userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
			sc.user = m.User
			p, err := f(ctx, m, ask)
			if err != nil {
				failed("keyboard-interactive/pam", m.User, err)
			}
			return p, err
		}
	}
	if f := cfg.PublicKeyCallback; f != nil {
		cfg.PublicKeyCallback = func(ctx context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
			sc.user = m.User
			p, err := f(ctx, m, key)
			if err != nil && errors.Is(err, ErrInvalidUser) && !invalidLogged[m.User] {
				invalidLogged[m.User] = true
				sc.log.Info(fmt.Sprintf("Invalid user %s from %s port %d", wire.Sanitize(m.User), raddr, rport), "user", m.User)
			}
			return p, err
		}
	}
	if f := cfg.NoneCallback; f != nil {
		cfg.NoneCallback = func(ctx context.Context, m userauth.ConnMeta) (*userauth.Permissions, error) {
			sc.user = m.User
			return f(ctx, m)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = s.Logger
	}
	if h, set := cfg.Handlers[wire.MethodGSSAPIWithMIC]; sc.gss == nil || s.GSSNoAuthentication || set && h == nil {
		return &cfg
	}
	// GSS-API failures are logged and counted for the penalties like
	// the others (docs/security.md#g4).
	gcfg := sc.gss.Install(&cfg)
	for _, m := range []string{wire.MethodGSSAPIWithMIC, wire.MethodGSSAPIKeyex} {
		h, ok := gcfg.Handlers[m]
		if !ok {
			continue
		}
		gcfg.Handlers[m] = userauth.HandlerFunc(func(ctx context.Context, c *userauth.ServerConn, req *wire.UserauthRequest) (*userauth.Permissions, error) {
			sc.user = req.User
			p, err := h.Authenticate(ctx, c, req)
			if err != nil && !errors.Is(err, userauth.ErrPostponed) {
				failed(m, req.User, err)
			}
			return p, err
		})
	}
	return gcfg
}

// serveConn runs the connection protocol on an authenticated transport.
func (s *Server) serveConn(ctx context.Context, nc net.Conn, t *kex.Transport, res *userauth.Result, ccache string, lg *slog.Logger) {
	c := &Conn{
		srv:    s,
		t:      t,
		nc:     nc,
		result: res,
		ccache: ccache,
		log:    lg,
	}
	defer c.closed()
	c.logEnd(c.run(ctx))
}

// growStack grows the calling goroutine's stack to 16 KiB while it is
// still shallow. A connection's goroutine needs that much for a
// curve25519 key exchange (32 KiB with ML-KEM, which then grows it once
// more); grown step by step from deep in the handshake, each step copies
// and adjusts every frame above it, which was 3.5% of a server's CPU in
// the handshake benchmark (docs/performance.md), against 1.2% grown here
// first. 32 KiB would save ML-KEM's last step but cost an idle
// curve25519 connection about 3 KiB of RSS.
//
//go:noinline
func growStack(n int) byte {
	var buf [8 << 10]byte // with the frames above, a 16 KiB stack
	return buf[n&(len(buf)-1)]
}
