package gssauth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// Errors of the GSS-API methods (RFC 4462, Sections 3 and 4).
var (
	// ErrNoIntegrity means the security context offers no integrity
	// protection, so no MIC can be made, and policy does not allow
	// SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE in its place
	// (RFC 4462, Section 3.5; docs/security.md#g3).
	ErrNoIntegrity = errors.New("gssauth: gss-api context without integrity")

	// ErrMechanism means the server selected a mechanism the client
	// did not offer, or the client offered none the server supports.
	ErrMechanism = errors.New("gssauth: no common gss-api mechanism")

	// ErrErrorToken means the peer sent SSH_MSG_USERAUTH_GSSAPI_ERRTOK
	// (RFC 4462, Section 3.9): its GSS-API call failed.
	ErrErrorToken = errors.New("gssauth: peer sent a gss-api error token")

	// ErrTooManyTokens means a context needed more token round trips
	// than MaxTokens allows (docs/security.md#g4).
	ErrTooManyTokens = errors.New("gssauth: too many gss-api tokens")

	// ErrNoContext means gssapi-keyex was tried on a connection whose
	// key exchange established no GSS-API context (RFC 4462, Section 4).
	ErrNoContext = errors.New("gssauth: no gss-api key exchange context")

	// ErrUser means the authenticated principal may not log in as the
	// requested user.
	ErrUser = errors.New("gssauth: principal not authorized for user")
)

// MaxTokens caps the context tokens a server accepts in one
// gssapi-with-mic attempt and a client answers (docs/security.md#g4). Kerberos
// needs one.
const MaxTokens = 8

// gssMechs are the mechanisms this package speaks (Kerberos V5 only).
var gssMechs = []gssapi.OID{gssapi.MechKerberos5}

// WithMIC is the client side of "gssapi-with-mic" (RFC 4462,
// Section 3) with the Kerberos V5 mechanism of package gssapi. The zero
// value of every field but Host is usable.
type WithMIC struct {
	// Host is the server's host name; the target is the host-based
	// service name "host@Host" (RFC 4462, Section 3.2), as OpenSSH's
	// ssh builds it from the name dialled.
	Host string

	// ServerIdentity, if set, replaces Host in the target name
	// (OpenSSH's GSSAPIServerIdentity).
	ServerIdentity string

	// Cred is the initiator credential; nil means the default one
	// (KRB5CCNAME).
	Cred *gssapi.Credential

	// Config is the Kerberos configuration; nil means KRB5_CONFIG.
	Config *gssapi.Config

	// Delegate forwards the user's TGT to the server (OpenSSH's
	// GSSAPIDelegateCredentials). Off by default (docs/security.md#g7).
	Delegate bool

	// AllowNoIntegrity sends SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE
	// instead of a MIC when the context offers no integrity (RFC 4462,
	// Section 3.5). Kerberos always offers integrity; without this the
	// attempt fails with ErrNoIntegrity instead.
	AllowNoIntegrity bool
}

// Name returns "gssapi-with-mic".
func (m *WithMIC) Name() string { return wire.MethodGSSAPIWithMIC }

// target returns the host-based service name of the server.
func (m *WithMIC) target() *gssapi.Name {
	h := m.Host
	if m.ServerIdentity != "" {
		h = m.ServerIdentity
	}
	return gssapi.HostbasedService("host", h)
}

// Authenticate runs one gssapi-with-mic attempt (RFC 4462, Sections
// 3.1-3.9): the request with the Kerberos OID, GSSAPI_RESPONSE, the
// context tokens, and the MIC over the Section 3.5 data.
func (m *WithMIC) Authenticate(ctx context.Context, c *userauth.ClientConn) error {
	// The first token is made before the request, so that a missing
	// TGT or an unknown service principal fails the attempt without
	// sending anything (OpenSSH's ssh checks the mechanism likewise).
	flags := gssapi.FlagMutual | gssapi.FlagInteg
	if m.Delegate {
		flags |= gssapi.FlagDelegate
	}
	gc, err := gssapi.NewInitContext(m.target(), &gssapi.InitOptions{Cred: m.Cred, Config: m.Config, Flags: flags})
	if err != nil {
		return fmt.Errorf("gssauth: gssapi-with-mic: %w", err)
	}
	defer gc.Delete()
	out, err := gc.Step(ctx, nil)
	if err != nil {
		return fmt.Errorf("gssauth: gssapi-with-mic: %w", err)
	}
	mechs := make([][]byte, len(gssMechs))
	for i, o := range gssMechs {
		mechs[i] = o.DER()
	}
	if err := c.Request(&wire.UserauthRequest{Method: wire.MethodGSSAPIWithMIC, Mechanisms: mechs}); err != nil {
		return err
	}
	// Section 3.3: GSSAPI_RESPONSE names the mechanism, or FAILURE.
	p, err := c.Next(ctx)
	if err != nil {
		return err
	}
	if wire.MsgNum(p[0]) != wire.MsgUserauthGSSAPIResponse {
		return c.Unexpected(p)
	}
	resp, err := wire.ParseUserauthGSSAPIResponse(p)
	if err != nil {
		return c.Fail(err)
	}
	mech, n, err := gssapi.OIDFromDER(resp.Mechanism)
	if err != nil || n != len(resp.Mechanism) || mech != gssapi.MechKerberos5 {
		return c.Fail(fmt.Errorf("server selected mechanism %x: %w", resp.Mechanism, ErrMechanism))
	}
	for round := 0; ; round++ {
		if round > MaxTokens {
			return m.abandon(ctx, c, nil, ErrTooManyTokens)
		}
		if len(out) > 0 {
			if err := c.Write(&wire.UserauthGSSAPIToken{Token: out}); err != nil {
				return err
			}
		}
		if gc.Established() {
			break
		}
		in, err := m.nextToken(ctx, c)
		if err != nil {
			return err
		}
		if out, err = gc.Step(ctx, in); err != nil {
			// Section 3.9: tell the server with ERRTOK, then wait for
			// its FAILURE.
			return m.abandon(ctx, c, out, err)
		}
	}
	// Sections 3.5 and 3.6.
	if !gc.Flags().Integ() {
		if !m.AllowNoIntegrity {
			return m.abandon(ctx, c, nil, ErrNoIntegrity)
		}
		if err := c.Write(&wire.UserauthGSSAPIExchangeComplete{}); err != nil {
			return err
		}
	} else {
		mic, err := gc.GetMIC(wire.AppendGSSAPIMICData(nil, c.SessionID(), c.User(), c.Service(), wire.MethodGSSAPIWithMIC))
		if err != nil {
			return m.abandon(ctx, c, nil, err)
		}
		if err := c.Write(&wire.UserauthGSSAPIMIC{MIC: mic}); err != nil {
			return err
		}
	}
	return drain(ctx, c)
}

// nextToken reads the server's next context token; GSSAPI_ERROR
// messages before it are skipped, ERRTOK and FAILURE end the attempt.
func (m *WithMIC) nextToken(ctx context.Context, c *userauth.ClientConn) ([]byte, error) {
	for {
		p, err := c.Next(ctx)
		if err != nil {
			return nil, err
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgUserauthGSSAPIToken:
			tok, err := wire.ParseUserauthGSSAPIToken(p)
			if err != nil {
				return nil, c.Fail(err)
			}
			return bytes.Clone(tok.Token), nil
		case wire.MsgUserauthGSSAPIError:
			// Section 3.8: informational; FAILURE follows.
			if _, err := wire.ParseUserauthGSSAPIError(p); err != nil {
				return nil, c.Fail(err)
			}
		case wire.MsgUserauthGSSAPIErrtok:
			if _, err := wire.ParseUserauthGSSAPIErrtok(p); err != nil {
				return nil, c.Fail(err)
			}
			// The server's acceptor failed; its FAILURE follows.
			if err := drain(ctx, c); !errors.Is(err, userauth.ErrAnswered) {
				return nil, err
			}
			return nil, ErrErrorToken
		default:
			return nil, c.Unexpected(p)
		}
	}
}

// abandon ends an attempt whose local GSS-API processing failed after
// the request was sent: it sends SSH_MSG_USERAUTH_GSSAPI_ERRTOK with the
// error token (empty if GSS-API produced none; RFC 4462, Section 3.9),
// which the server answers with FAILURE, and waits for that answer so
// that the next source starts cleanly.
func (m *WithMIC) abandon(ctx context.Context, c *userauth.ClientConn, errTok []byte, err error) error {
	if werr := c.Write(&wire.UserauthGSSAPIErrtok{Token: errTok}); werr != nil {
		return werr
	}
	if derr := drain(ctx, c); !errors.Is(derr, userauth.ErrAnswered) {
		return derr
	}
	return fmt.Errorf("gssauth: gssapi-with-mic: %w", err)
}

// drain reads until the server's SUCCESS or FAILURE.
func drain(ctx context.Context, c *userauth.ClientConn) error {
	for {
		p, err := c.Next(ctx)
		if err != nil {
			return err
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgUserauthGSSAPIError:
			if _, err := wire.ParseUserauthGSSAPIError(p); err != nil {
				return c.Fail(err)
			}
		case wire.MsgUserauthGSSAPIErrtok:
			if _, err := wire.ParseUserauthGSSAPIErrtok(p); err != nil {
				return c.Fail(err)
			}
		default:
			return c.Unexpected(p)
		}
	}
}

// Keyex is the client side of "gssapi-keyex" (RFC 4462,
// Section 4): a MIC over the session identifier made with the context
// that GSS-API key exchange established.
type Keyex struct {
	// Context returns the initiator context of the connection's GSS-API
	// key exchange, or nil if the key exchange used none (then the
	// method fails with ErrNoContext without sending anything).
	Context func() *gssapi.Context
}

// Name returns "gssapi-keyex".
func (m *Keyex) Name() string { return wire.MethodGSSAPIKeyex }

// Authenticate sends the gssapi-keyex request with its MIC.
func (m *Keyex) Authenticate(ctx context.Context, c *userauth.ClientConn) error {
	var gc *gssapi.Context
	if m.Context != nil {
		gc = m.Context()
	}
	if gc == nil || !gc.Established() {
		return ErrNoContext
	}
	mic, err := gc.GetMIC(wire.AppendGSSAPIMICData(nil, c.SessionID(), c.User(), c.Service(), wire.MethodGSSAPIKeyex))
	if err != nil {
		return fmt.Errorf("gssauth: gssapi-keyex: %w", err)
	}
	if err := c.Request(&wire.UserauthRequest{Method: wire.MethodGSSAPIKeyex, MIC: mic}); err != nil {
		return err
	}
	return drain(ctx, c)
}

// A Server is the server's GSS-API authentication policy
// (RFC 4462, Sections 3 and 4; OpenSSH's GSSAPIAuthentication and its
// GSSAPIStrictAcceptorCheck and GSSAPICleanupCredentials options). It is
// shared by connections; each connection gets its own Session.
type Server struct {
	// Cred is the acceptor credential. nil means the keytab of
	// KRB5_KTNAME (or krb5.conf's default), acquired on every attempt
	// so that keytab changes take effect, restricted to
	// host/Hostname when StrictAcceptorCheck is set.
	Cred *gssapi.Credential

	// Config is the Kerberos configuration; nil means KRB5_CONFIG.
	Config *gssapi.Config

	// StrictAcceptorCheck accepts only contexts for the host principal
	// of Hostname (OpenSSH's GSSAPIStrictAcceptorCheck yes, its
	// default); otherwise any principal of the keytab is accepted. It
	// applies only when Cred is nil.
	StrictAcceptorCheck bool

	// Hostname is the name in the strict acceptor's principal
	// host/Hostname; empty means os.Hostname.
	Hostname string

	// UserOK decides whether principal (for example "alice@REALM") may
	// log in as m.User and returns the factor's userauth.Permissions. nil means
	// K5LoginUserOK with HomeDir.
	UserOK func(ctx context.Context, m userauth.ConnMeta, principal string) (*userauth.Permissions, error)

	// HomeDir returns a user's home directory for ~/.k5login; nil means
	// the system's user database (os/user).
	HomeDir func(user string) (string, error)

	// AllowNoIntegrity accepts SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE
	// from a client whose context offers no integrity (RFC 4462,
	// Section 3.6). It never replaces a MIC when the context offers
	// integrity (docs/security.md#g3). Kerberos always offers integrity.
	AllowNoIntegrity bool
}

// A Session is one connection's GSS-API state on the server: its
// Handlers, and the credential a client delegated, which is written to
// disk only after authentication has succeeded (StoreDelegated) and
// removed by Cleanup (docs/security.md#g7). Its methods are called from the
// goroutine that runs Serve, then from the one that ends the connection.
type Session struct {
	srv        *Server
	kexContext func() *gssapi.Context

	delegated *gssapi.Credential // from the last GSS attempt that succeeded
	ccache    string             // written by StoreDelegated
}

// NewSession returns the GSS-API state of one connection. kexContext,
// if not nil, returns the acceptor context of the connection's GSS-API
// key exchange for gssapi-keyex (RFC 4462, Section 4).
func (s *Server) NewSession(kexContext func() *gssapi.Context) *Session {
	return &Session{srv: s, kexContext: kexContext}
}

// Install returns a shallow copy of cfg with this session's Handlers
// for "gssapi-with-mic" and, when the session has a key exchange
// context function, "gssapi-keyex". cfg is not modified.
func (ss *Session) Install(cfg *userauth.ServerConfig) *userauth.ServerConfig {
	c := &userauth.ServerConfig{}
	if cfg != nil {
		*c = *cfg
	}
	h := make(map[string]userauth.Handler, len(c.Handlers)+2)
	for k, v := range c.Handlers {
		h[k] = v
	}
	h[wire.MethodGSSAPIWithMIC] = userauth.HandlerFunc(ss.withMIC)
	if ss.kexContext != nil {
		h[wire.MethodGSSAPIKeyex] = userauth.HandlerFunc(ss.keyex)
	}
	c.Handlers = h
	return c
}

// WithMIC returns the userauth.Handler of "gssapi-with-mic".
func (ss *Session) WithMIC() userauth.Handler { return userauth.HandlerFunc(ss.withMIC) }

// Keyex returns the userauth.Handler of "gssapi-keyex".
func (ss *Session) Keyex() userauth.Handler { return userauth.HandlerFunc(ss.keyex) }

// Delegated returns the credential delegated in the GSS-API attempt that
// succeeded last, or nil.
func (ss *Session) Delegated() *gssapi.Credential { return ss.delegated }

// StoreDelegated writes the delegated credential to path as a mode 0600
// MIT ccache, but only if res is a completed authentication of which a
// GSS-API method was a factor; it returns "" and no error when there is
// nothing to store. Set KRB5CCNAME=FILE:path for the session, and call
// Cleanup when the connection ends (OpenSSH's GSSAPICleanupCredentials).
func (ss *Session) StoreDelegated(res *userauth.Result, path string) (string, error) {
	if ss == nil || ss.delegated == nil || res == nil {
		return "", nil
	}
	gss := false
	for _, m := range res.Methods {
		if m == wire.MethodGSSAPIWithMIC || m == wire.MethodGSSAPIKeyex {
			gss = true
		}
	}
	if !gss {
		return "", nil
	}
	if err := ss.delegated.WriteCCache(path); err != nil {
		return "", fmt.Errorf("gssauth: storing delegated credential: %w", err)
	}
	ss.ccache = path
	return path, nil
}

// CCache returns the path StoreDelegated wrote, or "".
func (ss *Session) CCache() string { return ss.ccache }

// Cleanup removes the stored delegated credential, if any, and forgets
// it. It is safe to call more than once.
func (ss *Session) Cleanup() error {
	ss.delegated = nil
	if ss.ccache == "" {
		return nil
	}
	p := ss.ccache
	ss.ccache = ""
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("gssauth: removing delegated credential: %w", err)
	}
	return nil
}

// acceptorCred returns the credential the acceptor uses.
func (s *Server) acceptorCred(ctx context.Context) (*gssapi.Credential, error) {
	if s.Cred != nil {
		return s.Cred, nil
	}
	o := gssapi.AcquireOptions{Usage: gssapi.UsageAccept, Config: s.Config}
	if s.StrictAcceptorCheck {
		h := s.Hostname
		if h == "" {
			var err error
			if h, err = os.Hostname(); err != nil {
				return nil, err
			}
		}
		o.Name = gssapi.HostbasedService("host", h)
	}
	return gssapi.AcquireCredential(ctx, o)
}

// withMIC is the server side of gssapi-with-mic (RFC 4462, Section 3).
// The only way to success runs through a verified MIC (or, with
// AllowNoIntegrity, EXCHANGE_COMPLETE on a context without integrity)
// and then the user check (docs/security.md#g3).
func (ss *Session) withMIC(ctx context.Context, c *userauth.ServerConn, req *wire.UserauthRequest) (*userauth.Permissions, error) {
	if ss == nil || ss.srv == nil {
		return nil, ErrMechanism // G2: not configured
	}
	s := ss.srv
	// Section 3.2: the first mechanism we support, from at most
	// wire.MaxGSSMechanisms (G1; the decoder enforces the cap).
	var chosen []byte
	for _, der := range req.Mechanisms {
		oid, n, err := gssapi.OIDFromDER(der)
		if err != nil || n != len(der) {
			continue
		}
		if oid == gssapi.MechKerberos5 {
			chosen = der
			break
		}
	}
	if chosen == nil {
		return nil, ErrMechanism
	}
	cred, err := s.acceptorCred(ctx)
	if err != nil {
		return nil, fmt.Errorf("gssauth: gss-api acceptor credential: %w", err)
	}
	if err := c.Write(&wire.UserauthGSSAPIResponse{Mechanism: chosen}); err != nil {
		return nil, err
	}
	gc, err := gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: cred, Config: s.Config})
	if err != nil {
		return nil, err
	}
	defer gc.Delete()
	for tokens := 0; !gc.Established(); {
		p, err := c.Next(ctx)
		if err != nil {
			return nil, err
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgUserauthGSSAPIToken:
			if tokens++; tokens > MaxTokens {
				return nil, ErrTooManyTokens // G4
			}
			tok, err := wire.ParseUserauthGSSAPIToken(p)
			if err != nil {
				return nil, c.Fail(err)
			}
			out, serr := gc.Step(ctx, tok.Token)
			if serr != nil {
				// Section 3.9: the acceptor's error token, if any, then
				// FAILURE from the engine.
				if len(out) > 0 {
					if err := c.Write(&wire.UserauthGSSAPIErrtok{Token: out}); err != nil {
						return nil, err
					}
				}
				return nil, fmt.Errorf("gssauth: gss-api accept: %w", serr)
			}
			if len(out) > 0 {
				if err := c.Write(&wire.UserauthGSSAPIToken{Token: out}); err != nil {
					return nil, err
				}
			}
		case wire.MsgUserauthGSSAPIErrtok:
			// The client's initiator failed. The token is never fed to
			// the acceptor (docs/security.md#g4, OpenSSH 5d04ca6af).
			if _, err := wire.ParseUserauthGSSAPIErrtok(p); err != nil {
				return nil, c.Fail(err)
			}
			return nil, ErrErrorToken
		case wire.MsgUserauthGSSAPIError:
			if _, err := wire.ParseUserauthGSSAPIError(p); err != nil {
				return nil, c.Fail(err)
			}
			return nil, ErrErrorToken
		case wire.MsgUserauthGSSAPIMIC, wire.MsgUserauthGSSAPIExchangeComplete:
			// Before the context is complete (docs/security.md#g3).
			return nil, fmt.Errorf("gssauth: gssapi-with-mic: %v before the context is established: %w",
				wire.MsgNum(p[0]).Name(wire.ContextAuthGSSAPI), ErrNoContext)
		default:
			return nil, c.Unexpected(p)
		}
	}
	// Sections 3.5 and 3.6: the MIC, or EXCHANGE_COMPLETE only for a
	// context without integrity and only when allowed.
	p, err := c.Next(ctx)
	if err != nil {
		return nil, err
	}
	m := c.Meta()
	switch wire.MsgNum(p[0]) {
	case wire.MsgUserauthGSSAPIMIC:
		mic, err := wire.ParseUserauthGSSAPIMIC(p)
		if err != nil {
			return nil, c.Fail(err)
		}
		if err := gc.VerifyMIC(wire.AppendGSSAPIMICData(nil, m.SessionID, m.User, m.Service, wire.MethodGSSAPIWithMIC), mic.MIC); err != nil {
			return nil, fmt.Errorf("gssauth: gssapi-with-mic: %w", err)
		}
	case wire.MsgUserauthGSSAPIExchangeComplete:
		if _, err := wire.ParseUserauthGSSAPIExchangeComplete(p); err != nil {
			return nil, c.Fail(err)
		}
		if gc.Flags().Integ() || !s.AllowNoIntegrity {
			return nil, ErrNoIntegrity
		}
	case wire.MsgUserauthGSSAPIErrtok, wire.MsgUserauthGSSAPIError:
		return nil, ErrErrorToken
	default:
		return nil, c.Unexpected(p)
	}
	return ss.authorize(ctx, m, gc)
}

// keyex is the server side of gssapi-keyex (RFC 4462, Section 4).
func (ss *Session) keyex(ctx context.Context, c *userauth.ServerConn, req *wire.UserauthRequest) (*userauth.Permissions, error) {
	if ss == nil || ss.srv == nil || ss.kexContext == nil {
		return nil, ErrNoContext
	}
	gc := ss.kexContext()
	if gc == nil || !gc.Established() {
		return nil, ErrNoContext
	}
	m := c.Meta()
	if err := gc.VerifyMIC(wire.AppendGSSAPIMICData(nil, m.SessionID, m.User, m.Service, wire.MethodGSSAPIKeyex), req.MIC); err != nil {
		return nil, fmt.Errorf("gssauth: gssapi-keyex: %w", err)
	}
	return ss.authorize(ctx, m, gc)
}

// authorize maps the context's principal to the requested user and
// keeps any delegated credential in memory for StoreDelegated.
func (ss *Session) authorize(ctx context.Context, m userauth.ConnMeta, gc *gssapi.Context) (*userauth.Permissions, error) {
	ss.delegated = nil
	peer := gc.PeerName()
	if peer == nil {
		return nil, ErrUser
	}
	principal := peer.String()
	var perms *userauth.Permissions
	var err error
	if ss.srv.UserOK != nil {
		perms, err = ss.srv.UserOK(ctx, m, principal)
	} else {
		perms, err = K5LoginUserOK(ss.srv.Config, ss.srv.HomeDir, m.User, principal)
	}
	if err != nil {
		return nil, err
	}
	if perms == nil {
		perms = &userauth.Permissions{}
	}
	ss.delegated = gc.DelegatedCredential()
	return perms, nil
}

// K5LoginUserOK is the default principal-to-user mapping, as MIT's
// krb5_kuserok: if the user's ~/.k5login exists, principal must be one
// of its lines; otherwise principal must be user@default_realm. homeDir
// nil means os/user. cfg nil means KRB5_CONFIG.
func K5LoginUserOK(cfg *gssapi.Config, homeDir func(string) (string, error), user, principal string) (*userauth.Permissions, error) {
	if homeDir == nil {
		homeDir = systemHomeDir
	}
	if home, err := homeDir(user); err == nil && home != "" {
		f, err := os.Open(filepath.Join(home, ".k5login"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == principal {
					return &userauth.Permissions{}, nil
				}
			}
			return nil, fmt.Errorf("gssauth: %q not in ~%s/.k5login: %w", wire.Sanitize(principal), wire.Sanitize(user), ErrUser)
		}
	}
	if cfg == nil {
		var err error
		if cfg, err = gssapi.LoadConfig(); err != nil {
			return nil, err
		}
	}
	realm := ""
	if cfg.Krb5 != nil {
		realm = cfg.Krb5.LibDefaults.DefaultRealm
	}
	if realm != "" && principal == user+"@"+realm {
		return &userauth.Permissions{}, nil
	}
	return nil, fmt.Errorf("gssauth: %q may not log in as %q: %w", wire.Sanitize(principal), wire.Sanitize(user), ErrUser)
}

func systemHomeDir(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.HomeDir, nil
}
