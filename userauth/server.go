package userauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// Server defaults and caps.
const (
	// DefaultMaxAuthTries is the number of failed attempts after which
	// the server disconnects, as OpenSSH's MaxAuthTries (docs/security.md#a6).
	DefaultMaxAuthTries = 6

	// DefaultFailureDelay is the minimum time between a failed request
	// and its answer, as OpenSSH's per-failure delay (docs/security.md#a7).
	DefaultFailureDelay = 10 * time.Millisecond

	// MaxPasswordLen caps passwords and keyboard-interactive responses;
	// longer ones fail without reaching a callback (docs/security.md#a8,
	// CVE-2016-6515).
	MaxPasswordLen = 1024

	// maxRequests caps all USERAUTH_REQUESTs on one connection, including
	// "none" and answered queries that MaxAuthTries does not count.
	maxRequests = 256

	// maxUserLen caps the user name.
	maxUserLen = 1024
)

// ErrPostponed is what a Handler returns when it answered a request with
// a method-specific message that ends the request without a verdict,
// such as USERAUTH_PK_OK (RFC 4252, Section 7) or
// USERAUTH_PASSWD_CHANGEREQ (Section 8): the engine sends no FAILURE and
// counts no failure.
var ErrPostponed = errors.New("userauth: request answered without a verdict")

// A ChangePasswordError returned by a PasswordCallback makes the server
// answer SSH_MSG_USERAUTH_PASSWD_CHANGEREQ with Prompt (RFC 4252,
// Section 8). Return it only for a correct, expired password.
type ChangePasswordError struct {
	Prompt string
}

func (e *ChangePasswordError) Error() string { return "userauth: password change required" }

// ConnInfo describes the connection being authenticated, as the layers
// below know it.
type ConnInfo struct {
	// RemoteAddr is the client's address, checked against
	// source-address restrictions; nil fails any such restriction.
	RemoteAddr net.Addr

	// LocalAddr is the server's address of the connection, for
	// policies that depend on it (sshd's Match LocalAddress and
	// LocalPort); it may be nil.
	LocalAddr net.Addr

	// HostKey is the blob of the host key the server proved in key
	// exchange; publickey-hostbound requests must name it. nil means the
	// transport's HostKey method if it has one (kex.Transport does);
	// with neither, host-bound requests are refused.
	HostKey []byte

	// AfterSuccess, if not nil, is a payload sent right after
	// USERAUTH_SUCCESS, in the same network write when the transport is
	// a wire.BatchWriter: package server puts its hostkeys-00@openssh.com
	// request here, which sshd too sends first thing after
	// authentication, so that it costs no write and no wake-up of its
	// own.
	AfterSuccess []byte
}

// ConnMeta describes the connection and request to server callbacks.
type ConnMeta struct {
	User       string // user name of the request (valid UTF-8, not yet checked to exist)
	Service    string // service requested, "ssh-connection"
	Method     string // method of the request
	SessionID  []byte // session identifier (RFC 4253, Section 7.2); do not modify
	RemoteAddr net.Addr
	LocalAddr  net.Addr // ConnInfo.LocalAddr; may be nil

	// Signed is true when a PublicKeyCallback is asked about a request
	// whose signature verified, false for a query without a signature
	// (RFC 4252, Section 7); sshd logs only the former with the key.
	Signed bool

	// Failures counts the failed attempts of this connection before
	// this request ("none" not counted), as MaxAuthTries counts them;
	// sshd logs a failure at INFO only from MaxAuthTries/2 on.
	Failures int
}

// A Handler is the server side of one authentication method, the plug-in
// hook for methods beyond the built-in ones (gssapi-with-mic comes this
// way). Authenticate handles one USERAUTH_REQUEST for its method; it may
// exchange method-specific messages (60-79) with c.Write and c.Next. It
// returns the Permissions of this factor on success, ErrPostponed when
// it answered without a verdict, or any other error to deny. Only the
// engine sends USERAUTH_SUCCESS and USERAUTH_FAILURE, counts failures and
// applies the failure delay; a protocol or transport error met through c
// ends authentication whatever the Handler returns.
type Handler interface {
	Authenticate(ctx context.Context, c *ServerConn, req *wire.UserauthRequest) (*Permissions, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, c *ServerConn, req *wire.UserauthRequest) (*Permissions, error)

func (f HandlerFunc) Authenticate(ctx context.Context, c *ServerConn, req *wire.UserauthRequest) (*Permissions, error) {
	return f(ctx, c, req)
}

// ServerConfig is the server's authentication policy. A method is
// enabled when its callback or Handler is set.
type ServerConfig struct {
	// NoneCallback decides the "none" method (RFC 4252, Section 5.2).
	// "none" never counts against MaxAuthTries.
	NoneCallback func(ctx context.Context, m ConnMeta) (*Permissions, error)

	// PasswordCallback checks a password (RFC 4252, Section 8). It is
	// never called with a password longer than MaxPasswordLen. It may
	// return a *ChangePasswordError.
	PasswordCallback func(ctx context.Context, m ConnMeta, password string) (*Permissions, error)

	// ChangePasswordCallback handles a request that carries a new
	// password after SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; nil denies it.
	ChangePasswordCallback func(ctx context.Context, m ConnMeta, oldPassword, newPassword string) (*Permissions, error)

	// KeyboardInteractiveCallback runs RFC 4256 challenges through ask,
	// which sends one INFO_REQUEST and returns the client's responses.
	// To keep users from being enumerated (docs/security.md#a7) it must ask
	// the same prompts whether or not the user exists.
	KeyboardInteractiveCallback func(ctx context.Context, m ConnMeta, ask func(ctx context.Context, ch Challenge) ([]string, error)) (*Permissions, error)

	// PublicKeyCallback decides the "publickey" method (RFC 4252,
	// Section 7) for a plain key; certificates are CertChecker's
	// business and reach it only with PublicKeyCallbackCerts. It is
	// called for a query (no signature) to decide on
	// USERAUTH_PK_OK, and for a signed request only after the signature
	// verified, with the key that signed: only that call's Permissions
	// are used, so authorization is bound to the verified key
	// (docs/security.md#a5, CVE-2024-45337). Certificates work without it.
	PublicKeyCallback func(ctx context.Context, m ConnMeta, key hostkey.PublicKey) (*Permissions, error)

	// CertChecker validates user certificates (CheckUserCert with the
	// request's user name), which then authorize the user as sshd's
	// TrustedUserCAKeys do, with the certificate's restrictions as the
	// factor's Permissions; and client host certificates for hostbased
	// (CheckHostCert with the client host name). nil refuses every
	// certificate (docs/security.md#a10).
	CertChecker *hostkey.CertChecker

	// PublicKeyCallbackCerts sends user certificates offered with
	// publickey to PublicKeyCallback instead of CertChecker. The
	// callback must then validate them itself (hostkey.Authorize or
	// CertChecker.CheckCert: type, validity, principals, critical
	// options, the authority's signature), as sshd decides a
	// certificate from TrustedUserCAKeys, AuthorizedPrincipalsFile and
	// the user's cert-authority lines together. The login signature is
	// verified with the certified key either way.
	PublicKeyCallbackCerts bool

	// HostbasedCallback decides the "hostbased" method (RFC 4252,
	// Section 9), called only after the client host's signature
	// verified.
	HostbasedCallback func(ctx context.Context, m ConnMeta, clientHost, clientUser string, key hostkey.PublicKey) (*Permissions, error)
	// HostbasedAlgorithms, if not nil, are the only signature
	// algorithms hostbased accepts (OpenSSH HostbasedAcceptedAlgorithms,
	// certificate forms by their own names), on top of KeyPolicy.
	HostbasedAlgorithms []string

	// KeyPolicy says which signatures publickey and hostbased accept;
	// nil is the zero hostkey.Policy (no ssh-rsa SHA-1, RSA of at least
	// 1024 bits, security-key signatures only with user presence).
	KeyPolicy *hostkey.Policy

	// Handlers are further methods by name; a Handler replaces a
	// built-in method of the same name.
	Handlers map[string]Handler

	// AuthenticationMethods are the required method chains (OpenSSH
	// AuthenticationMethods; see ParseAuthenticationMethods); nil means
	// any single enabled method suffices.
	AuthenticationMethods [][]string

	// MaxAuthTries is the number of failed attempts ("none" aside) after
	// which the server disconnects with NO_MORE_AUTH_METHODS_AVAILABLE;
	// 0 means DefaultMaxAuthTries, negative means no limit.
	MaxAuthTries int

	// FailureDelay is the minimum time from a failed request to its
	// answer; 0 means DefaultFailureDelay, negative means none.
	FailureDelay time.Duration

	// Banner returns the text of SSH_MSG_USERAUTH_BANNER (RFC 4252,
	// Section 5.4), sent once before the answer to the first request;
	// nil or "" sends none.
	Banner func(m ConnMeta) string

	// Service is the only service a request may name; empty means
	// "ssh-connection".
	Service string

	// ForUser, if set, is called once per connection, when the user
	// name is known: with the ConnMeta of the first USERAUTH_REQUEST,
	// after its user and service are checked and before the Banner and
	// the request itself. The ServerConfig it returns (nil means this
	// one) governs the rest of the connection's authentication: the
	// enabled methods and the "can continue" list, AuthenticationMethods,
	// MaxAuthTries, FailureDelay, Banner, the key policies, and its
	// Logger, when set, for the rest of the debug messages (sshd's
	// LogLevel in Match); its own ForUser and Service are not used.
	// This is where sshd evaluates its Match sections for
	// authentication; the user cannot
	// change afterwards (RFC 4252, Section 5). A returned config whose
	// AuthenticationMethods name a method it does not enable, or an
	// error, ends authentication with DISCONNECT
	// NO_MORE_AUTH_METHODS_AVAILABLE and an error that wraps it (and
	// ErrConfig for the former).
	ForUser func(ctx context.Context, m ConnMeta) (*ServerConfig, error)

	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
}

// A Result is a completed authentication.
type Result struct {
	User        string
	Service     string
	Methods     []string            // the methods that succeeded, in order
	Keys        []hostkey.PublicKey // the verified keys of publickey and hostbased factors, in order
	Permissions *Permissions        // merged over every factor; never nil
	Failures    int                 // failed attempts before success
}

// A ServerConn is what a Handler sees of the connection during one
// request. It belongs to the goroutine running Serve.
type ServerConn struct {
	l       *link
	meta    ConnMeta
	ctx     wire.Context
	pending []byte            // a new USERAUTH_REQUEST that aborted this one, copied
	fatal   error             // first transport or protocol error; sticky
	key     hostkey.PublicKey // the key a built-in handler verified
}

// Meta describes the connection and the request being handled.
func (c *ServerConn) Meta() ConnMeta { return c.meta }

// Write sends a method-specific message (numbers 60-79).
func (c *ServerConn) Write(m wire.Message) error {
	if c.fatal != nil {
		return c.fatal
	}
	if n := m.Num(); n < 60 || n > 79 {
		return fmt.Errorf("userauth: %s: Write of %v, not a method-specific message: %w", c.meta.Method, n, wire.ErrUnexpectedMessage)
	}
	if err := c.l.write(m); err != nil {
		c.fatal = err
		return err
	}
	return nil
}

// Next returns the client's next method-specific message (numbers
// 60-79), valid until the next call. If the client sends a new
// USERAUTH_REQUEST instead, Next returns ErrAborted. Any other message
// (USERAUTH_SUCCESS from a client, anything of the connection protocol:
// docs/security.md#a1, #a2) makes Next send DISCONNECT PROTOCOL_ERROR and
// return an error wrapping wire.ErrUnexpectedMessage.
func (c *ServerConn) Next(ctx context.Context) ([]byte, error) {
	if c.fatal != nil {
		return nil, c.fatal
	}
	if c.pending != nil {
		return nil, ErrAborted
	}
	p, err := c.l.read(ctx)
	if err != nil {
		c.fatal = err
		return nil, err
	}
	switch n := wire.MsgNum(p[0]); {
	case n >= 60 && n <= 79:
		return p, nil
	case n == wire.MsgUserauthRequest:
		c.pending = slices.Clone(p)
		return nil, ErrAborted
	}
	return nil, c.protocol(p)
}

// Fail ends authentication with DISCONNECT PROTOCOL_ERROR, for a Handler
// that received a malformed method-specific message; it returns the
// error, which the engine also returns.
func (c *ServerConn) Fail(err error) error {
	if c.fatal == nil {
		c.fatal = c.l.disconnect(wire.ProtocolError, "malformed message", fmt.Errorf("userauth: %s: %w", c.meta.Method, err))
	}
	return c.fatal
}

// Unexpected ends authentication with DISCONNECT PROTOCOL_ERROR, for a
// Handler that received a method-specific message p it does not expect
// now; the error it returns names the message and wraps
// wire.ErrUnexpectedMessage.
func (c *ServerConn) Unexpected(p []byte) error { return c.protocol(p) }

func (c *ServerConn) protocol(p []byte) error {
	if c.fatal == nil {
		c.fatal = c.l.disconnect(wire.ProtocolError, "unexpected message", protocolError(p, c.ctx, c.meta.Method))
	}
	return c.fatal
}

// server is the state of one Serve call.
type server struct {
	cfg      *ServerConfig
	l        *link
	info     ConnInfo
	remote   net.Addr
	handlers map[string]Handler
	usedKeys [][]byte // blobs of keys that completed a factor
	chains   *chainState

	user, service string // of the first request; fixed after it
	userKnown     bool   // the first request was read; ForUser was called
	requests      int
	failures      int
	methods       []string
	keys          []hostkey.PublicKey
	perms         *Permissions
	bannerSent    bool
}

// writeSuccess sends USERAUTH_SUCCESS and ConnInfo.AfterSuccess, in one
// network write where the transport batches.
func (s *server) writeSuccess() error {
	success := [1]byte{byte(wire.MsgUserauthSuccess)}
	ps := [][]byte{success[:]}
	if after := s.info.AfterSuccess; after != nil {
		ps = append(ps, after)
	}
	if err := s.l.send(ps...); err != nil {
		return fmt.Errorf("userauth: writing %v: %w", wire.MsgUserauthSuccess, err)
	}
	return nil
}

// Serve runs the server side of user authentication over t: it accepts
// the "ssh-userauth" service request (RFC 4253, Section 10; any other
// service, before or during authentication, is DISCONNECT
// SERVICE_NOT_AVAILABLE, docs/security.md#a11; "ssh-userauth" again is
// accepted again, as OpenSSH does and paramiko needs), then
// answers USERAUTH_REQUESTs (RFC 4252, Section 5) under cfg until one of
// the required chains is complete, and returns the authenticated user and
// the Permissions merged over every factor. info describes the
// connection. A chain that names a method without a callback or Handler
// is an error wrapping ErrConfig, returned before anything is read.
//
// Serve returns only after USERAUTH_SUCCESS has been sent. Before that,
// nothing but the methods' callbacks runs: any message of the connection
// protocol (80 and up), or a message only a server sends, is a protocol
// error (docs/security.md#a1, #a2). On failure Serve has sent DISCONNECT where
// the protocol calls for one (reason PROTOCOL_ERROR, SERVICE_NOT_AVAILABLE
// or NO_MORE_AUTH_METHODS_AVAILABLE, the last joined with
// ErrMaxAuthTries) and returns an error; closing t is left to the caller,
// except that t is closed when ctx is done during a read.
func Serve(ctx context.Context, t wire.Transport, cfg *ServerConfig, info ConnInfo) (*Result, error) {
	if cfg == nil {
		cfg = &ServerConfig{} // nothing enabled: every request fails
	}
	if hk, ok := t.(hostKeyer); ok && info.HostKey == nil {
		info.HostKey = hk.HostKey()
	}
	s := &server{l: newLink(t, cfg.Logger), info: info, remote: info.RemoteAddr, perms: &Permissions{}}
	if err := s.use(cfg); err != nil {
		return nil, err
	}
	if err := acceptService(ctx, s.l); err != nil {
		return nil, err
	}
	var p []byte
	for {
		if p == nil {
			var err error
			if p, err = s.l.read(ctx); err != nil {
				return nil, err
			}
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgUserauthRequest:
		case wire.MsgServiceRequest:
			if err := s.serviceAgain(p); err != nil {
				return nil, err
			}
			p = nil
			continue
		default:
			return nil, s.l.disconnect(wire.ProtocolError, "unexpected message", protocolError(p, wire.ContextNone, "authentication"))
		}
		res, next, err := s.request(ctx, p)
		if err != nil || res != nil {
			return res, err
		}
		p = next
	}
}

// use makes cfg the policy: its methods' handlers and its chains. A
// chain that names a method cfg does not enable is an error wrapping
// ErrConfig.
func (s *server) use(cfg *ServerConfig) error {
	s.cfg = cfg
	s.handlers = s.builtinHandlers()
	maps.Copy(s.handlers, cfg.Handlers)
	s.chains = newChainState(cfg.AuthenticationMethods, s.enabled())
	for _, chain := range cfg.AuthenticationMethods {
		for _, m := range chain {
			if s.handlers[m] == nil {
				return fmt.Errorf("userauth: AuthenticationMethods names %q, which is not enabled: %w", m, ErrConfig)
			}
		}
	}
	return nil
}

// forUser applies ServerConfig.ForUser once the user name is known.
func (s *server) forUser(ctx context.Context, m ConnMeta) error {
	f := s.cfg.ForUser
	if f == nil {
		return nil
	}
	cfg, err := f(ctx, m)
	if err == nil && cfg != nil {
		u := *cfg
		u.ForUser, u.Service = nil, s.cfg.Service
		if u.Logger != nil {
			s.l.log = u.Logger
		} else {
			u.Logger = s.cfg.Logger
		}
		err = s.use(&u)
	}
	if err != nil {
		return s.l.disconnect(wire.NoMoreAuthMethodsAvailable, "no authentication methods available",
			fmt.Errorf("userauth: policy for user %q: %w", wire.Sanitize(m.User), err))
	}
	return nil
}

// serviceAgain answers a SERVICE_REQUEST during authentication: paramiko
// sends "ssh-userauth" again before each auth_* call, and OpenSSH accepts
// it, so it is answered with SERVICE_ACCEPT (it changes nothing; it
// counts against the request cap). Any other service is DISCONNECT
// SERVICE_NOT_AVAILABLE (docs/security.md#a11).
func (s *server) serviceAgain(p []byte) error {
	m, err := wire.ParseServiceRequest(p)
	if err != nil {
		return s.l.disconnect(wire.ProtocolError, "malformed SERVICE_REQUEST", fmt.Errorf("userauth: %w", err))
	}
	if m.Service != wire.ServiceUserauth {
		return s.l.disconnect(wire.ServiceNotAvailable, "service not available",
			fmt.Errorf("userauth: service %q requested before authentication completed: %w", wire.Sanitize(m.Service), wire.ErrUnexpectedMessage))
	}
	if s.requests++; s.requests > maxRequests {
		return s.l.disconnect(wire.NoMoreAuthMethodsAvailable, "too many authentication requests", ErrMaxAuthTries)
	}
	return s.l.write(&wire.ServiceAccept{Service: wire.ServiceUserauth})
}

// methodFamily maps a method variant to the method that chains, handlers
// and the "can continue" list know it by.
func methodFamily(method string) string {
	if method == MethodPublicKeyHostbound {
		return wire.MethodPublicKey
	}
	return method
}

// enabled returns the enabled methods other than "none", in the order
// they are offered.
func (s *server) enabled() []string {
	order := []string{wire.MethodGSSAPIKeyex, wire.MethodGSSAPIWithMIC, wire.MethodPublicKey,
		wire.MethodHostbased, wire.MethodKeyboardInteractive, wire.MethodPassword}
	var out []string
	for _, m := range order {
		if s.handlers[m] != nil {
			out = append(out, m)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(s.handlers)) {
		if m != wire.MethodNone && !slices.Contains(out, m) && s.handlers[m] != nil {
			out = append(out, m)
		}
	}
	return out
}

// request handles one USERAUTH_REQUEST. It returns the Result on
// success, or a new request that aborted this one, or a fatal error.
func (s *server) request(ctx context.Context, p []byte) (*Result, []byte, error) {
	start := time.Now()
	s.requests++
	if s.requests > maxRequests {
		return nil, nil, s.l.disconnect(wire.NoMoreAuthMethodsAvailable, "too many authentication requests", ErrMaxAuthTries)
	}
	// RFC 4252, Section 5: user and service are checked in every
	// request. Changing them is refused, as OpenSSH does.
	r := wire.NewReader(p)
	r.Expect(wire.MsgUserauthRequest)
	user, service, method := r.UTF8(), r.Text(), r.Text()
	if err := r.Finish("USERAUTH_REQUEST"); err != nil {
		return nil, nil, s.l.disconnect(wire.ProtocolError, "malformed USERAUTH_REQUEST", fmt.Errorf("userauth: %w", err))
	}
	if len(user) > maxUserLen {
		return nil, nil, s.l.disconnect(wire.IllegalUserName, "user name too long", fmt.Errorf("userauth: user name of %d bytes: %w", len(user), wire.ErrTooLarge))
	}
	if s.requests == 1 {
		s.user, s.service = user, service
	} else if user != s.user || service != s.service {
		return nil, nil, s.l.disconnect(wire.ProtocolError, "change of user or service not allowed",
			fmt.Errorf("userauth: user or service changed during authentication: %w", wire.ErrUnexpectedMessage))
	}
	if service != s.cfg.service() {
		return nil, nil, s.l.disconnect(wire.ServiceNotAvailable, "service not available",
			fmt.Errorf("userauth: request for service %q: %w", wire.Sanitize(service), wire.ErrUnexpectedMessage))
	}
	meta := ConnMeta{User: user, Service: service, Method: method, SessionID: s.l.t.SessionID(), RemoteAddr: s.remote, LocalAddr: s.info.LocalAddr, Failures: s.failures}
	if !s.userKnown {
		s.userKnown = true
		if err := s.forUser(ctx, meta); err != nil {
			return nil, nil, err
		}
	}
	if !s.bannerSent {
		s.bannerSent = true
		if s.cfg.Banner != nil {
			if b := s.cfg.Banner(meta); b != "" {
				if err := s.l.write(&wire.UserauthBanner{Message: b}); err != nil {
					return nil, nil, err
				}
			}
		}
	}

	counted := method != wire.MethodNone
	req, err := wire.ParseUserauthRequest(p)
	if err != nil {
		// The method's fields are malformed (has-signature false with a
		// signature, a password that is not UTF-8, ...): a failure, the
		// same for every user (docs/security.md#a4, #a7).
		s.debug(ctx, "malformed request", meta, err)
		return nil, nil, s.fail(ctx, start, counted)
	}
	family := methodFamily(method)
	h := s.handlers[family]
	if h == nil || !s.chains.allowed(family) {
		return nil, nil, s.fail(ctx, start, counted)
	}
	c := &ServerConn{l: s.l, meta: meta, ctx: methodContext(method)}
	perms, herr := h.Authenticate(ctx, c, &req)
	switch {
	case c.fatal != nil:
		return nil, nil, c.fatal
	case c.pending != nil:
		// Aborted by a new request: counted, answered by nothing
		// (RFC 4256, Section 3.4 lets the client abandon this way).
		if err := s.count(ctx, start, counted); err != nil {
			return nil, nil, err
		}
		return nil, c.pending, nil
	case errors.Is(herr, ErrPostponed):
		return nil, nil, nil
	case herr != nil:
		s.debug(ctx, "denied", meta, herr)
		return nil, nil, s.fail(ctx, start, counted)
	}
	if !perms.AllowsFrom(s.remote) {
		s.debug(ctx, "denied", meta, ErrSourceAddress)
		return nil, nil, s.fail(ctx, start, counted)
	}
	merged, err := s.perms.Merge(perms)
	if err == nil && merged.Expired(time.Now()) {
		err = fmt.Errorf("userauth: authorization expired at %v", merged.ExpiryTime)
	}
	if err != nil {
		s.debug(ctx, "denied", meta, err)
		return nil, nil, s.fail(ctx, start, counted)
	}
	s.perms = merged
	s.methods = append(s.methods, family)
	if c.key != nil {
		s.keys = append(s.keys, c.key)
		s.usedKeys = append(s.usedKeys, c.key.Marshal())
	}
	if !s.chains.complete(family) {
		// Partial success (RFC 4252, Section 5.1).
		return nil, nil, s.l.write(&wire.UserauthFailure{Methods: s.chains.next(), PartialSuccess: true})
	}
	if err := s.writeSuccess(); err != nil {
		return nil, nil, err
	}
	return &Result{User: user, Service: service, Methods: s.methods, Keys: s.keys, Permissions: s.perms, Failures: s.failures}, nil, nil
}

// fail counts a failed attempt and answers USERAUTH_FAILURE with the
// methods that can continue, no earlier than the failure delay after
// start. After MaxAuthTries counted failures it disconnects instead.
func (s *server) fail(ctx context.Context, start time.Time, counted bool) error {
	if err := s.count(ctx, start, counted); err != nil {
		return err
	}
	return s.l.write(&wire.UserauthFailure{Methods: s.chains.next()})
}

// count counts a failed attempt and waits out the failure delay; it
// returns the disconnect error once MaxAuthTries is reached.
func (s *server) count(ctx context.Context, start time.Time, counted bool) error {
	if !counted {
		return nil
	}
	s.failures++
	if err := s.delay(ctx, start); err != nil {
		return err
	}
	if max := s.cfg.maxAuthTries(); max > 0 && s.failures >= max {
		return s.l.disconnect(wire.NoMoreAuthMethodsAvailable, "too many authentication failures",
			fmt.Errorf("userauth: %d failures: %w", s.failures, ErrMaxAuthTries))
	}
	return nil
}

// delay waits until the failure delay has passed since start, so that
// every failure takes at least as long whichever check failed
// (docs/security.md#a7).
func (s *server) delay(ctx context.Context, start time.Time) error {
	d := s.cfg.FailureDelay
	if d == 0 {
		d = DefaultFailureDelay
	}
	wait := d - time.Since(start)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		s.l.t.Close()
		return fmt.Errorf("userauth: %w", ctx.Err())
	}
}

func (s *server) debug(ctx context.Context, what string, m ConnMeta, err error) {
	if s.l.log.Enabled(ctx, slog.LevelDebug) {
		s.l.log.DebugContext(ctx, "userauth: "+what, "user", wire.Sanitize(m.User), "method", wire.Sanitize(m.Method), "err", err)
	}
}

func (cfg *ServerConfig) service() string {
	if cfg.Service == "" {
		return wire.ServiceConnection
	}
	return cfg.Service
}

func (cfg *ServerConfig) maxAuthTries() int {
	if cfg.MaxAuthTries == 0 {
		return DefaultMaxAuthTries
	}
	return cfg.MaxAuthTries
}
