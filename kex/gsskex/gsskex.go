package gsskex

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/md5"
	"crypto/rand"
	_ "crypto/sha1" // gss-group*-sha1, gss-gex-sha1
	_ "crypto/sha256"
	_ "crypto/sha512" // also SHA-384
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"sync"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/wire"
)

// Family prefixes of the GSS-API key exchange method names; the
// mechanism's Suffix completes each.
const (
	Curve25519SHA256 = "gss-curve25519-sha256-" // RFC 8732, Section 4
	NISTP256SHA256   = "gss-nistp256-sha256-"   // RFC 8732, Section 4
	NISTP384SHA384   = "gss-nistp384-sha384-"   // RFC 8732, Section 4
	NISTP521SHA512   = "gss-nistp521-sha512-"   // RFC 8732, Section 4
	Group14SHA256    = "gss-group14-sha256-"    // RFC 8732, Section 3
	Group15SHA512    = "gss-group15-sha512-"    // RFC 8732, Section 3
	Group16SHA512    = "gss-group16-sha512-"    // RFC 8732, Section 3
	Group17SHA512    = "gss-group17-sha512-"    // RFC 8732, Section 3
	Group18SHA512    = "gss-group18-sha512-"    // RFC 8732, Section 3
	Group14SHA1      = "gss-group14-sha1-"      // RFC 4462, Section 2.2 (draft); legacy
	Group1SHA1       = "gss-group1-sha1-"       // RFC 4462, Section 2.3; legacy
	GexSHA1          = "gss-gex-sha1-"          // RFC 4462, Section 2.2; legacy
)

// KerberosSuffix is Suffix(gssapi.MechKerberos5).
const KerberosSuffix = "toWM5Slw5Ew8Mqkay+al2g=="

// MaxTokens caps the KEXGSS_CONTINUE round trips of one exchange.
const MaxTokens = 16

// Errors of the GSS-API key exchange.
var (
	// ErrMIC means the server's MIC over the exchange hash did not
	// verify (docs/security.md#g8). It maps to HOST_KEY_NOT_VERIFIABLE via
	// kex.ErrHostKey.
	ErrMIC = fmt.Errorf("gsskex: MIC over the exchange hash: %w", kex.ErrHostKey)

	// ErrContext means the security context did not complete with the
	// services the exchange needs (mutual authentication, integrity) or
	// needed more than MaxTokens round trips.
	ErrContext = errors.New("gsskex: gss-api context not established")

	// ErrUnknownFamily is returned by New for a family it does not know.
	ErrUnknownFamily = errors.New("gsskex: unknown method family")
)

// A KexError is an SSH_MSG_KEXGSS_ERROR from the peer (RFC 4462,
// Section 2.1). It unwraps to kex.ErrHostKey.
type KexError struct {
	Major, Minor uint32
	Message      string // sanitized peer text
}

func (e *KexError) Error() string {
	return fmt.Sprintf("gsskex: peer reported gss-api error (major %#x, minor %d): %s", e.Major, e.Minor, e.Message)
}

func (e *KexError) Unwrap() error { return kex.ErrHostKey }

// Suffix returns the method-name suffix of a mechanism: base64 of the MD5
// of its DER-encoded OID (RFC 4462, Section 2.1).
func Suffix(mech gssapi.OID) string {
	sum := md5.Sum(mech.DER())
	return base64.StdEncoding.EncodeToString(sum[:])
}

// DefaultFamilies are the RFC 8732 families, strongest first, as
// OpenSSH's default GSSAPIKexAlgorithms lists them.
func DefaultFamilies() []string {
	return []string{Curve25519SHA256, NISTP256SHA256, Group16SHA512, Group14SHA256}
}

// LegacyFamilies are the SHA-1 families of RFC 4462, off by default.
func LegacyFamilies() []string { return []string{Group14SHA1, GexSHA1, Group1SHA1} }

// ExtraFamilies are the RFC 8732 families outside DefaultFamilies, as
// OpenSSH (Debian's GSS-API key exchange patch) leaves them out:
// NIST P-384 and P-521, and the 3072-, 6144- and 8192-bit MODP groups.
func ExtraFamilies() []string {
	return []string{NISTP384SHA384, NISTP521SHA512, Group15SHA512, Group17SHA512, Group18SHA512}
}

// Families returns every family New knows: DefaultFamilies, then
// ExtraFamilies, then LegacyFamilies.
func Families() []string {
	return append(append(DefaultFamilies(), ExtraFamilies()...), LegacyFamilies()...)
}

// OpenSSHFamilies is the default GSSAPIKexAlgorithms of Debian's OpenSSH
// 9.2 (ssh -G and sshd -T), in its order: the RFC 8732 defaults and two
// of the SHA-1 families, which RFC 8732, Section 6 deprecates but
// servers such as paramiko's still need. The gossh and gosshd commands
// default to it; the library defaults to DefaultFamilies.
func OpenSSHFamilies() []string {
	return []string{Group14SHA256, Group16SHA512, NISTP256SHA256, Curve25519SHA256, Group14SHA1, GexSHA1}
}

// Config holds what the GSS-API methods of one configuration share.
type Config struct {
	// Cred is the client's initiator credential; nil means the default
	// (KRB5CCNAME).
	Cred *gssapi.Credential

	// ServerIdentity replaces kex.Params.ServerName in the client's
	// target "host@name" (OpenSSH's GSSAPIServerIdentity).
	ServerIdentity string

	// Delegate forwards the client's TGT in the first exchange
	// (OpenSSH's GSSAPIDelegateCredentials); off by default.
	Delegate bool

	// DelegateOnRekey, with Delegate, forwards the TGT at every
	// exchange, rekeys included, as Debian's ssh does: how a renewed
	// TGT reaches the server (GSSAPIRenewalForcesRekey on the client,
	// GSSAPIStoreCredentialsOnRekey on the server).
	DelegateOnRekey bool

	// CredFunc, if set, gives the client's initiator credential for each
	// exchange, so that a rekey can use a renewed one; a nil result
	// means Cred. It is called from the exchange's goroutine.
	CredFunc func() *gssapi.Credential

	// AcceptorCred is the server's credential; nil means the keytab of
	// KRB5_KTNAME, restricted to host/Hostname when StrictAcceptorCheck
	// is set.
	AcceptorCred *gssapi.Credential

	// StrictAcceptorCheck and Hostname: see AcceptorCred. Hostname ""
	// means os.Hostname.
	StrictAcceptorCheck bool
	Hostname            string

	// SendHostKey makes the server send its host key in KEXGSS_HOSTKEY
	// when a host key algorithm other than "null" was negotiated, so
	// that K_S enters H (RFC 4462, Section 2.1 makes the message
	// optional). Off by default: OpenSSH 9.2's ssh (Debian's GSS key
	// exchange patch) fails with "buffer is read-only" on the message,
	// and paramiko 2.12 expects a signature after the key; without it
	// K_S is the empty string in H, as both expect.
	SendHostKey bool

	// Config is the Kerberos configuration; nil means KRB5_CONFIG.
	Config *gssapi.Config

	// Established, if set, is called with the context of every completed
	// exchange (the initiator's on the client, the acceptor's on the
	// server). The exchange owns nothing after that; the callee may keep
	// the context. A ContextHolder's Keep fits here.
	Established func(*gssapi.Context)

	// GexMin, GexPreferred and GexMax are the client's group size
	// request for gss-gex-sha1 in bits; zero means kex.GexMinBits,
	// kex.GexPreferredBits, kex.GexMaxBits. GexGroups are the server's
	// candidates; nil means the RFC 3526 groups 14 and 16.
	GexMin, GexPreferred, GexMax int
	GexGroups                    []*kex.Group
}

// New returns the method of family (one of the constants above) for the
// Kerberos V5 mechanism.
func New(family string, cfg *Config) (*Method, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	m := &Method{family: family, name: family + KerberosSuffix, cfg: cfg}
	switch family {
	case Curve25519SHA256:
		m.hash, m.curve = crypto.SHA256, ecdh.X25519()
	case NISTP256SHA256:
		m.hash, m.curve = crypto.SHA256, ecdh.P256()
	case NISTP384SHA384:
		m.hash, m.curve = crypto.SHA384, ecdh.P384()
	case NISTP521SHA512:
		m.hash, m.curve = crypto.SHA512, ecdh.P521()
	case Group14SHA256:
		m.hash, m.group = crypto.SHA256, kex.Group14()
	case Group15SHA512:
		m.hash, m.group = crypto.SHA512, kex.Group15()
	case Group16SHA512:
		m.hash, m.group = crypto.SHA512, kex.Group16()
	case Group17SHA512:
		m.hash, m.group = crypto.SHA512, kex.Group17()
	case Group18SHA512:
		m.hash, m.group = crypto.SHA512, kex.Group18()
	case Group14SHA1:
		m.hash, m.group = crypto.SHA1, kex.Group14()
	case Group1SHA1:
		m.hash, m.group = crypto.SHA1, kex.Group1()
	case GexSHA1:
		m.hash, m.gex = crypto.SHA1, true
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownFamily, family)
	}
	return m, nil
}

// Methods returns the methods of families (DefaultFamilies if none are
// given) for cfg, as kex.Method values for kex.Config.Methods.
func Methods(cfg *Config, families ...string) ([]kex.Method, error) {
	if len(families) == 0 {
		families = DefaultFamilies()
	}
	var out []kex.Method
	for _, f := range families {
		m, err := New(f, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// A Method is one GSS-API key exchange method. It is safe for concurrent
// use; each Run has its own context.
type Method struct {
	family, name string
	cfg          *Config
	hash         crypto.Hash
	curve        ecdh.Curve // ECDH families
	group        *kex.Group // fixed-group families
	gex          bool

	// micData, in tests only, replaces the data the server's MIC covers.
	micData func(h []byte) []byte
}

var (
	_ kex.Method          = (*Method)(nil)
	_ kex.HostKeyOptional = (*Method)(nil)
)

// Name returns the full method name, family and mechanism suffix.
func (m *Method) Name() string { return m.name }

// Family returns the family prefix.
func (m *Method) Family() string { return m.family }

// HostKeyOptional reports true: the MIC authenticates the server, so the
// "null" host key algorithm will do (RFC 4462, Section 5).
func (m *Method) HostKeyOptional() bool { return true }

// Run runs the client or server side of the exchange.
func (m *Method) Run(ctx context.Context, c kex.Conn, p *kex.Params) (*kex.Result, error) {
	if p.Role == kex.Client {
		return m.client(ctx, c, p)
	}
	return m.server(ctx, c, p)
}

func randOf(p *kex.Params) io.Reader {
	if p.Rand != nil {
		return p.Rand
	}
	return rand.Reader
}

// ephemeral is one side's key agreement state.
type ephemeral struct {
	m     *Method
	group *kex.Group
	x     *big.Int         // DH private exponent
	priv  *ecdh.PrivateKey // ECDH private key
	pub   []byte           // our value as it goes into the message string
	gexFl []byte           // gex: min || n || max || p || g, for H
}

func (m *Method) newEphemeral(rnd io.Reader, g *kex.Group) (*ephemeral, error) {
	e := &ephemeral{m: m, group: g}
	if m.curve != nil {
		priv, err := m.curve.GenerateKey(rnd)
		if err != nil {
			return nil, err
		}
		e.priv, e.pub = priv, priv.PublicKey().Bytes()
		return e, nil
	}
	x, y, err := g.GenerateKey(rnd, m.hash)
	if err != nil {
		return nil, err
	}
	e.x = x
	e.pub = wire.AppendMPInt(nil, y)[4:]
	return e, nil
}

// shared validates the peer's value and returns K, encoded as an mpint.
func (e *ephemeral) shared(peer []byte) ([]byte, error) {
	if e.priv != nil {
		secret, err := kex.ECDHSharedSecret(e.m.curve, e.priv, peer)
		if err != nil {
			return nil, fmt.Errorf("gsskex: %w", err)
		}
		return wire.AppendMPIntBytes(nil, secret), nil
	}
	v, err := e.peerInt(peer)
	if err != nil {
		return nil, err
	}
	k, err := e.group.SharedSecret(v, e.x)
	if err != nil {
		return nil, fmt.Errorf("gsskex: %w", err)
	}
	return wire.AppendMPInt(nil, k), nil
}

// peerInt decodes a DH value (the body of an mpint) and checks
// 2 <= v <= p-2 (RFC 4253, Section 8; docs/security.md#k8).
func (e *ephemeral) peerInt(b []byte) (*big.Int, error) {
	if len(b) > 0 && b[0]&0x80 != 0 {
		return nil, fmt.Errorf("gsskex: %w: negative DH value", kex.ErrInvalidPublicValue)
	}
	if len(b) > (e.group.P.BitLen()+7)/8+1 {
		return nil, fmt.Errorf("gsskex: %w: DH value too long", kex.ErrInvalidPublicValue)
	}
	v := new(big.Int).SetBytes(b)
	if err := e.group.CheckPublic(v); err != nil {
		return nil, fmt.Errorf("gsskex: %w", err)
	}
	return v, nil
}

// fields returns the method-specific part of H: "string Q_C || string
// Q_S" for ECDH (RFC 8732, Section 4), "mpint e || mpint f" for the
// fixed groups (RFC 4462, Section 2.1) and "uint32 min || uint32 n ||
// uint32 max || mpint p || mpint g || mpint e || mpint f" for group
// exchange (RFC 4462, Section 2.2).
func (e *ephemeral) fields(client, server []byte) []byte {
	if e.priv != nil {
		return wire.AppendString(wire.AppendString(nil, client), server)
	}
	b := append([]byte(nil), e.gexFl...)
	b = wire.AppendString(b, client) // the bodies of mpints e and f
	return wire.AppendString(b, server)
}

// client runs the client side (RFC 4462, Section 2.1).
func (m *Method) client(ctx context.Context, c kex.Conn, p *kex.Params) (*kex.Result, error) {
	rnd := randOf(p)
	g := m.group
	var gexFl []byte
	if m.gex {
		var err error
		if g, gexFl, err = m.clientGroup(ctx, c); err != nil {
			return nil, err
		}
	}
	eph, err := m.newEphemeral(rnd, g)
	if err != nil {
		return nil, err
	}
	eph.gexFl = gexFl

	host := p.ServerName
	if m.cfg.ServerIdentity != "" {
		host = m.cfg.ServerIdentity
	}
	flags := gssapi.FlagMutual | gssapi.FlagInteg
	if m.cfg.Delegate && (p.SessionID == nil || m.cfg.DelegateOnRekey) {
		flags |= gssapi.FlagDelegate
	}
	cred := m.cfg.Cred
	if m.cfg.CredFunc != nil {
		if c := m.cfg.CredFunc(); c != nil {
			cred = c
		}
	}
	gc, err := gssapi.NewInitContext(gssapi.HostbasedService("host", host), &gssapi.InitOptions{Cred: cred, Config: m.cfg.Config, Flags: flags})
	if err != nil {
		return nil, fmt.Errorf("gsskex: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			gc.Delete()
		}
	}()
	tok, err := gc.Step(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("gsskex: initiating context for host@%s: %w", wire.Sanitize(host), err)
	}
	if err := c.WritePacket(ctx, (&wire.KexGSSInit{Token: tok, E: eph.pub}).Append(nil)); err != nil {
		return nil, err
	}
	var hostKey []byte
	var done *wire.KexGSSComplete
	for rounds := 0; done == nil; {
		pl, err := c.ReadPacket(ctx)
		if err != nil {
			return nil, err
		}
		switch wire.MsgNum(pl[0]) {
		case wire.MsgKexGSSHostKey:
			if hostKey != nil {
				return nil, fmt.Errorf("gsskex: second KEXGSS_HOSTKEY: %w", kex.ErrUnexpectedMessage)
			}
			hk, err := wire.ParseKexGSSHostKey(pl)
			if err != nil {
				return nil, fmt.Errorf("gsskex: %w", err)
			}
			hostKey = append([]byte{}, hk.HostKey...)
		case wire.MsgKexGSSContinue:
			if rounds++; rounds > MaxTokens {
				return nil, fmt.Errorf("%w: more than %d tokens", ErrContext, MaxTokens)
			}
			cm, err := wire.ParseKexGSSContinue(pl)
			if err != nil {
				return nil, fmt.Errorf("gsskex: %w", err)
			}
			if gc.Established() {
				return nil, fmt.Errorf("gsskex: KEXGSS_CONTINUE after the context is established: %w", kex.ErrUnexpectedMessage)
			}
			out, err := gc.Step(ctx, cm.Token)
			if err != nil {
				return nil, fmt.Errorf("gsskex: %w", err)
			}
			if len(out) > 0 {
				if err := c.WritePacket(ctx, (&wire.KexGSSContinue{Token: out}).Append(nil)); err != nil {
					return nil, err
				}
			}
		case wire.MsgKexGSSComplete:
			cm, err := wire.ParseKexGSSComplete(pl)
			if err != nil {
				return nil, fmt.Errorf("gsskex: %w", err)
			}
			cm.F, cm.MIC, cm.Token = append([]byte{}, cm.F...), append([]byte{}, cm.MIC...), append([]byte{}, cm.Token...)
			done = &cm
		case wire.MsgKexGSSError:
			return nil, peerError(pl)
		default:
			return nil, fmt.Errorf("gsskex: %v: %w", wire.MsgNum(pl[0]).Name(wire.ContextKexGSS), kex.ErrUnexpectedMessage)
		}
	}
	if done.HasToken {
		if gc.Established() {
			return nil, fmt.Errorf("gsskex: token in KEXGSS_COMPLETE after the context is established: %w", kex.ErrUnexpectedMessage)
		}
		if _, err := gc.Step(ctx, done.Token); err != nil {
			return nil, fmt.Errorf("gsskex: %w", err)
		}
	}
	if !gc.Established() || !gc.Flags().Mutual() || !gc.Flags().Integ() {
		return nil, fmt.Errorf("%w (flags %v)", ErrContext, gc.Flags())
	}
	k, err := eph.shared(done.F)
	if err != nil {
		return nil, err
	}
	h := p.ExchangeHash(m.hash, hostKey, eph.fields(eph.pub, done.F), k)
	// docs/security.md#g8: the MIC is over this exchange's H, never the
	// session identifier.
	if err := gc.VerifyMIC(h, done.MIC); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMIC, err)
	}
	if m.cfg.Established != nil {
		keep = true
		m.cfg.Established(gc)
	}
	return &kex.Result{K: k, H: h, Hash: m.hash, HostKey: hostKey}, nil
}

// clientGroup runs KEXGSS_GROUPREQ / KEXGSS_GROUP (RFC 4462, Section 2.2).
func (m *Method) clientGroup(ctx context.Context, c kex.Conn) (*kex.Group, []byte, error) {
	lo, n, hi := m.cfg.GexMin, m.cfg.GexPreferred, m.cfg.GexMax
	if lo == 0 {
		lo = kex.GexMinBits
	}
	if n == 0 {
		n = kex.GexPreferredBits
	}
	if hi == 0 {
		hi = kex.GexMaxBits
	}
	req := wire.KexGSSGroupReq{Min: uint32(lo), N: uint32(n), Max: uint32(hi)}
	if err := c.WritePacket(ctx, req.Append(nil)); err != nil {
		return nil, nil, err
	}
	pl, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, nil, err
	}
	if wire.MsgNum(pl[0]) == wire.MsgKexGSSError {
		return nil, nil, peerError(pl)
	}
	gm, err := wire.ParseKexGSSGroup(pl)
	if err != nil {
		return nil, nil, fmt.Errorf("gsskex: %w", err)
	}
	g := &kex.Group{P: new(big.Int).SetBytes(gm.P), G: new(big.Int).SetBytes(gm.G)}
	bits := g.P.BitLen()
	pm1 := new(big.Int).Sub(g.P, big.NewInt(1))
	if bits < lo || bits > hi || g.P.Bit(0) == 0 || g.G.Cmp(big.NewInt(2)) < 0 || g.G.Cmp(pm1) >= 0 {
		return nil, nil, fmt.Errorf("gsskex: %d-bit group for a request of %d-%d: %w", bits, lo, hi, kex.ErrInvalidGroup)
	}
	return g, gexFields(req, g), nil
}

func gexFields(req wire.KexGSSGroupReq, g *kex.Group) []byte {
	b := wire.AppendUint32(nil, req.Min)
	b = wire.AppendUint32(b, req.N)
	b = wire.AppendUint32(b, req.Max)
	b = wire.AppendMPInt(b, g.P)
	return wire.AppendMPInt(b, g.G)
}

// serverGroup answers KEXGSS_GROUPREQ with the candidate closest to the
// preferred size within the client's bounds.
func (m *Method) serverGroup(ctx context.Context, c kex.Conn) (*kex.Group, []byte, error) {
	pl, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, nil, err
	}
	req, err := parseAs(pl, wire.MsgKexGSSGroupReq, wire.ParseKexGSSGroupReq)
	if err != nil {
		return nil, nil, err
	}
	groups := m.cfg.GexGroups
	if groups == nil {
		groups = []*kex.Group{kex.Group14(), kex.Group16()}
	}
	lo, n, hi := int(req.Min), int(req.N), int(req.Max)
	var best *kex.Group
	dist := func(g *kex.Group) int { return max(g.P.BitLen()-n, n-g.P.BitLen()) }
	for _, g := range groups {
		b := g.P.BitLen()
		if b < lo || b > hi || b < kex.GexMinBits {
			continue
		}
		if best == nil || dist(g) < dist(best) {
			best = g
		}
	}
	if best == nil {
		return nil, nil, fmt.Errorf("gsskex: no group of %d-%d bits: %w", lo, hi, kex.ErrInvalidGroup)
	}
	if err := c.WritePacket(ctx, (&wire.KexGSSGroup{P: best.P.Bytes(), G: best.G.Bytes()}).Append(nil)); err != nil {
		return nil, nil, err
	}
	return best, gexFields(req, best), nil
}

// server runs the server side (RFC 4462, Section 2.1).
func (m *Method) server(ctx context.Context, c kex.Conn, p *kex.Params) (*kex.Result, error) {
	rnd := randOf(p)
	g := m.group
	var gexFl []byte
	if m.gex {
		var err error
		if g, gexFl, err = m.serverGroup(ctx, c); err != nil {
			return nil, err
		}
	}
	pl, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	init, err := parseAs(pl, wire.MsgKexGSSInit, wire.ParseKexGSSInit)
	if err != nil {
		return nil, err
	}
	clientPub := append([]byte{}, init.E...)
	eph, err := m.newEphemeral(rnd, g)
	if err != nil {
		return nil, err
	}
	eph.gexFl = gexFl
	// Validate e before any GSS-API work.
	k, err := eph.shared(clientPub)
	if err != nil {
		return nil, err
	}
	var hostKey []byte
	if p.HostKey != nil && p.HostKeyAlgorithm != kex.NullHostKey && m.cfg.SendHostKey {
		hostKey = p.HostKey.PublicKey()
		if err := c.WritePacket(ctx, (&wire.KexGSSHostKey{HostKey: hostKey}).Append(nil)); err != nil {
			return nil, err
		}
	}
	cred, err := m.acceptorCred(ctx)
	if err != nil {
		m.sendError(ctx, c, err)
		return nil, fmt.Errorf("gsskex: acceptor credential: %w", err)
	}
	gc, err := gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: cred, Config: m.cfg.Config})
	if err != nil {
		return nil, fmt.Errorf("gsskex: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			gc.Delete()
		}
	}()
	tok := append([]byte{}, init.Token...)
	var out []byte
	for rounds := 0; ; rounds++ {
		if rounds > MaxTokens {
			return nil, fmt.Errorf("%w: more than %d tokens", ErrContext, MaxTokens)
		}
		out, err = gc.Step(ctx, tok)
		if err != nil {
			if len(out) > 0 {
				// The mechanism's error token (a KRB-ERROR) first.
				_ = c.WritePacket(ctx, (&wire.KexGSSContinue{Token: out}).Append(nil))
			}
			m.sendError(ctx, c, err)
			return nil, fmt.Errorf("gsskex: accepting context: %w", err)
		}
		if gc.Established() {
			break
		}
		if err := c.WritePacket(ctx, (&wire.KexGSSContinue{Token: out}).Append(nil)); err != nil {
			return nil, err
		}
		pl, err := c.ReadPacket(ctx)
		if err != nil {
			return nil, err
		}
		if wire.MsgNum(pl[0]) == wire.MsgKexGSSError {
			return nil, peerError(pl)
		}
		cm, err := parseAs(pl, wire.MsgKexGSSContinue, wire.ParseKexGSSContinue)
		if err != nil {
			return nil, err
		}
		tok = append(tok[:0], cm.Token...)
	}
	if !gc.Flags().Mutual() || !gc.Flags().Integ() {
		err := fmt.Errorf("%w (flags %v)", ErrContext, gc.Flags())
		m.sendError(ctx, c, err)
		return nil, err
	}
	h := p.ExchangeHash(m.hash, hostKey, eph.fields(clientPub, eph.pub), k)
	data := h
	if m.micData != nil {
		data = m.micData(h)
	}
	mic, err := gc.GetMIC(data)
	if err != nil {
		return nil, fmt.Errorf("gsskex: %w", err)
	}
	done := wire.KexGSSComplete{F: eph.pub, MIC: mic, HasToken: len(out) > 0, Token: out}
	if err := c.WritePacket(ctx, done.Append(nil)); err != nil {
		return nil, err
	}
	if m.cfg.Established != nil {
		keep = true
		m.cfg.Established(gc)
	}
	return &kex.Result{K: k, H: h, Hash: m.hash, HostKey: hostKey}, nil
}

// acceptorCred returns the server's credential.
func (m *Method) acceptorCred(ctx context.Context) (*gssapi.Credential, error) {
	if m.cfg.AcceptorCred != nil {
		return m.cfg.AcceptorCred, nil
	}
	o := gssapi.AcquireOptions{Usage: gssapi.UsageAccept, Config: m.cfg.Config}
	if m.cfg.StrictAcceptorCheck {
		h := m.cfg.Hostname
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

// sendError tells the client why the exchange failed (KEXGSS_ERROR,
// RFC 4462, Section 2.1); the transport then disconnects.
func (m *Method) sendError(ctx context.Context, c kex.Conn, err error) {
	ke := wire.KexGSSError{Major: uint32(gssapi.StatusFailure), Message: "gss-api key exchange failed"}
	var ge *gssapi.Error
	if errors.As(err, &ge) {
		ke.Major, ke.Minor = uint32(ge.Major), ge.Minor
	}
	_ = c.WritePacket(ctx, ke.Append(nil))
}

func peerError(pl []byte) error {
	e, err := wire.ParseKexGSSError(pl)
	if err != nil {
		return fmt.Errorf("gsskex: %w", err)
	}
	return &KexError{Major: e.Major, Minor: e.Minor, Message: wire.Sanitize(e.Message)}
}

// parseAs decodes a method message of the expected number; any other
// number is kex.ErrUnexpectedMessage.
func parseAs[T any](pl []byte, want wire.MsgNum, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if wire.MsgNum(pl[0]) != want {
		return zero, fmt.Errorf("gsskex: %v instead of %v: %w", wire.MsgNum(pl[0]).Name(wire.ContextKexGSS), want.Name(wire.ContextKexGSS), kex.ErrUnexpectedMessage)
	}
	v, err := parse(pl)
	if err != nil {
		return zero, fmt.Errorf("gsskex: %w", err)
	}
	return v, nil
}

// A ContextHolder keeps the context of a connection's first GSS-API key
// exchange, which gssapi-keyex user authentication signs with (as
// OpenSSH keeps gss_kex_context), and deletes the contexts of later
// exchanges. Give each connection its own holder and use Keep as
// Config.Established. It is safe for concurrent use.
type ContextHolder struct {
	mu  sync.Mutex
	ctx *gssapi.Context // the first exchange's context
	n   int             // completed exchanges
}

// Keep records c if it is the first context, and deletes it otherwise.
func (h *ContextHolder) Keep(c *gssapi.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	if h.ctx == nil {
		h.ctx = c
		return
	}
	c.Delete()
}

// Context returns the first exchange's context, or nil.
func (h *ContextHolder) Context() *gssapi.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ctx
}

// Exchanges returns how many GSS-API key exchanges completed.
func (h *ContextHolder) Exchanges() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}
