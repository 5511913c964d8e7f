package client

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// Defaults of Config.
const (
	// DefaultKeepaliveCountMax is OpenSSH's ServerAliveCountMax default.
	DefaultKeepaliveCountMax = 3
	// DefaultPort is the SSH port (RFC 4253, Section 4.1).
	DefaultPort = 22
)

// A HostKeyCallback decides whether to trust the server's host key. host
// is the address dialled ("host:port"), remote the peer's network
// address. Only a nil return trusts; it is called after the server has
// proved it holds the key (its signature over the exchange hash).
type HostKeyCallback func(host string, remote net.Addr, key hostkey.PublicKey) error

// Config configures a Client. The zero value with User and Auth set is a
// client that verifies host keys against ~/.ssh/known_hosts and
// /etc/ssh/ssh_known_hosts and refuses unknown hosts.
type Config struct {
	// User is the user name to authenticate as (RFC 4252, Section 5).
	User string

	// Auth are the auth sources, tried in order (paramiko's
	// AuthStrategy); see package userauth. nil tries "none" only.
	Auth []userauth.Method

	// HostKeyCallback, if set, replaces known_hosts verification.
	HostKeyCallback HostKeyCallback

	// RefuseHostKey, if set, is asked first about the host key the
	// server proved, before HostKeyCallback or known_hosts (and so
	// before any prompt): a non-nil error refuses the key and ends the
	// handshake with it. ssh's RevokedHostKeys, RequiredRSASize and
	// CASignatureAlgorithms are checks of this kind.
	RefuseHostKey func(key hostkey.PublicKey) error

	// TrustHostKey, if set, is asked after RefuseHostKey: true trusts
	// the key without HostKeyCallback or known_hosts, and nothing is
	// recorded. It is for a source that vouches for the key on its own,
	// as ssh's VerifyHostKeyDNS yes does with a DNSSEC-validated SSHFP
	// match (package client/sshfp). Only an explicit true trusts
	// (docs/security.md#h1).
	TrustHostKey func(key hostkey.PublicKey) bool

	// StrictHostKeyChecking is the known_hosts policy when
	// HostKeyCallback is nil (OpenSSH's StrictHostKeyChecking).
	StrictHostKeyChecking Strictness

	// UserKnownHostsFiles and GlobalKnownHostsFiles are the known_hosts
	// files; nil means OpenSSH's defaults (~/.ssh/known_hosts,
	// ~/.ssh/known_hosts2; /etc/ssh/ssh_known_hosts,
	// /etc/ssh/ssh_known_hosts2). New keys are added to the first user
	// file.
	UserKnownHostsFiles, GlobalKnownHostsFiles []string

	// AskHostKey answers for StrictAsk whether to trust and record the
	// key of a host known_hosts has no entry for; name is the
	// known_hosts name. It may prompt the user.
	AskHostKey func(name string, key hostkey.PublicKey) bool

	// HostKeyAdded, if set, is told about every key recorded in the
	// user's known_hosts file (ssh prints "Warning: Permanently added").
	HostKeyAdded func(name string, key hostkey.PublicKey)

	// HashKnownHosts hashes host names of entries added to known_hosts.
	HashKnownHosts bool

	// UpdateHostKeys learns the server's other host keys after
	// authentication, as ssh's UpdateHostKeys yes (OpenSSH PROTOCOL,
	// Section 2.5): when the server lists its keys
	// ("hostkeys-00@openssh.com") and the key of this connection was
	// accepted from a user known_hosts file, the keys not recorded for
	// the host are proved by the server ("hostkeys-prove-00") and added
	// to the first user file. HostKeyLearned is told of each. Keys
	// recorded for the host in that file that the server no longer lists
	// are removed, unless an entry names the host among others or by a
	// pattern; HostKeyDeprecated is told of each.
	UpdateHostKeys    bool
	HostKeyLearned    func(name string, key hostkey.PublicKey)
	HostKeyDeprecated func(name string, key hostkey.PublicKey)

	// HostKeyAlias, if set, is the name looked up in and recorded to
	// known_hosts instead of the dialled host and port, used as is
	// (OpenSSH's HostKeyAlias).
	HostKeyAlias string

	// KexAlgorithms, HostKeyAlgorithms, Ciphers and MACs are the
	// algorithm preferences; nil means the layer defaults (with
	// HostKeyAlgorithms, known key types of the host first, as ssh
	// does). Use ApplyModifiers for OpenSSH's +, - and ^ forms.
	// "ssh-rsa" in HostKeyAlgorithms accepts RSA host key signatures
	// with SHA-1 (RFC 4253, Section 6.6), as ssh does; it is never a
	// default.
	KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs []string

	// Compression is the compression preference for both directions
	// (RFC 4253, Section 6.2); nil means "none" only. CompressionYes is
	// what OpenSSH's Compression=yes (ssh -C) asks for.
	Compression []string

	// DisabledAlgorithms removes algorithms from the lists above or
	// their defaults, as paramiko's disabled_algorithms: keys are
	// "kex", "keys" (host key algorithms), "ciphers" and "macs".
	DisabledAlgorithms map[string][]string

	// DisableStrictKex leaves out the strict key exchange markers
	// (Terrapin countermeasure, OpenSSH PROTOCOL, Section 1.9). Only
	// for tests.
	DisableStrictKex bool

	// RekeyBytes and RekeyInterval bound the traffic and time per key
	// (OpenSSH's RekeyLimit); zero means the kex defaults.
	RekeyBytes    uint64
	RekeyInterval time.Duration

	// KeepaliveInterval, if positive, sends keepalive@openssh.com global
	// requests at this interval; after KeepaliveCountMax unanswered ones
	// (zero means DefaultKeepaliveCountMax) the connection is closed with
	// ErrKeepaliveTimeout (OpenSSH's ServerAliveInterval and
	// ServerAliveCountMax).
	KeepaliveInterval time.Duration
	KeepaliveCountMax int

	// KexDone, if set, is called after the initial key exchange, before
	// authentication, with the negotiated algorithms and the server's
	// verified host key (ssh -v reports them at this point).
	KexDone func(algs kex.Algorithms, key hostkey.PublicKey)

	// Banner receives the server's USERAUTH_BANNER text (RFC 4252,
	// Section 5.4), already sanitised for a terminal.
	Banner func(message string)

	// ForwardAgent requests agent forwarding on every session and serves
	// the server's "auth-agent@openssh.com" channels from the agent at
	// AgentSocket ($SSH_AUTH_SOCK when empty).
	ForwardAgent bool
	AgentSocket  string

	// ForwardX11, if set, requests X11 forwarding on every new session
	// (OpenSSH's ForwardX11): a *x11.Config of package client/x11. A
	// failure to find the cookie or a refusal is logged, not returned.
	ForwardX11 SessionRequester

	// Version is our identification string (RFC 4253, Section 4.2);
	// empty means packet.DefaultVersion.
	Version string

	// Timeout bounds the connection setup (TCP connect, key exchange and
	// authentication) in addition to the ctx of Dial; zero means none
	// (OpenSSH's ConnectTimeout).
	Timeout time.Duration

	// Logger receives debug records of every layer; nil discards them.
	Logger *slog.Logger

	// KeyLog, if set, receives the secrets of every key exchange, the
	// first and each rekey, in the key log format Wireshark's SSH
	// dissector reads (kex.KeyLogLines; crypto/tls's KeyLogWriter).
	// Anyone who reads it can decrypt the whole session, passwords and
	// everything typed included. Only for debugging; gossh sets it from
	// $SSHKEYLOGFILE.
	KeyLog io.Writer

	// Trace, if set, receives every message sent and received, with its
	// layer and sequence number, described with secrets redacted (see
	// wire.TraceEvent).
	Trace wire.Tracer

	// GSSAPI, if set, enables GSS-API (Kerberos V5) key exchange and
	// authentication (RFC 4462) with the user's default credential
	// (KRB5CCNAME).
	GSSAPI *GSSAPI

	// Window is the receive window per channel; zero means the
	// connection layer's default.
	Window uint32
}

// A SessionRequester makes a request on every new session of a Client
// (Config.ForwardX11).
type SessionRequester interface {
	Request(ctx context.Context, s *Session) error
}

// CompressionYes is the client's compression preference for OpenSSH's
// Compression=yes: delayed zlib (OpenSSH PROTOCOL, Section 1.2) first.
var CompressionYes = []string{"zlib@openssh.com", "zlib", "none"}

// Algorithm list names of Config.DisabledAlgorithms, as paramiko's.
const (
	AlgKex     = "kex"
	AlgKeys    = "keys"
	AlgCiphers = "ciphers"
	AlgMACs    = "macs"
)

// ApplyModifiers applies an OpenSSH algorithm list specification to a
// list of kind AlgKex, AlgKeys, AlgCiphers or AlgMACs: "+a,b" appends,
// "-a,b" removes, "^a,b" prepends and anything else replaces; names may
// hold * and ? wildcards (ssh_config(5), KexAlgorithms). base nil means
// the defaults of that kind.
func ApplyModifiers(kind string, base []string, spec string) ([]string, error) {
	defaults, all := algorithmSets(kind)
	if base == nil {
		base = defaults
	}
	return cipher.ApplyModifiersFrom(base, all, spec)
}

// DefaultAlgorithms returns the default preference list of kind
// (AlgKex, AlgKeys, AlgCiphers, AlgMACs).
func DefaultAlgorithms(kind string) []string {
	d, _ := algorithmSets(kind)
	return d
}

// SupportedAlgorithms returns every algorithm of kind that can be
// selected, defaults first (as ssh -Q lists them).
func SupportedAlgorithms(kind string) []string {
	_, all := algorithmSets(kind)
	return all
}

func algorithmSets(kind string) (defaults, all []string) {
	switch kind {
	case AlgKex:
		defaults = kex.DefaultMethods()
		all = slices.Concat(defaults, kex.LegacyMethods(), kex.Methods())
	case AlgKeys:
		defaults = kex.DefaultHostKeyAlgorithms()
		var certs []string
		for _, a := range defaults {
			certs = append(certs, hostkey.CertAlgorithm(a))
		}
		// The security key certificates, which ssh offers by default
		// (cmd/gossh adds them to its list); not a library default, as
		// they need an authenticator.
		// hostkey.Algorithms comes in map order: sorted, so that the
		// list (gossh -Q, for one) is the same every time.
		all = slices.Concat(certs, defaults, slices.Sorted(slices.Values(hostkey.Algorithms())), []string{hostkey.SKED25519Cert, hostkey.SKECDSAP256Cert})
		defaults = slices.Concat(certs, defaults)
	case AlgCiphers:
		defaults = cipher.DefaultCiphers()
		all = slices.Concat(defaults, cipher.Ciphers())
	case AlgMACs:
		defaults = cipher.DefaultMACs()
		all = slices.Concat(defaults, cipher.MACs())
	}
	return defaults, dedup(all)
}

func dedup(l []string) []string {
	var out []string
	for _, s := range l {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// algorithms returns the effective list of kind: the configured one or
// the defaults, minus DisabledAlgorithms.
func (c *Config) algorithms(kind string, configured []string) []string {
	l := configured
	if l == nil {
		l = DefaultAlgorithms(kind)
	}
	if dis := c.DisabledAlgorithms[kind]; len(dis) > 0 {
		l = slices.DeleteFunc(slices.Clone(l), func(s string) bool { return slices.Contains(dis, s) })
	}
	return l
}

func (c *Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Config) keepaliveCountMax() int {
	if c.KeepaliveCountMax <= 0 {
		return DefaultKeepaliveCountMax
	}
	return c.KeepaliveCountMax
}

// GSSAPI configures GSS-API key exchange and user authentication
// (RFC 4462; OpenSSH's GSSAPI* options). The target is "host@" plus the
// host dialled, or ServerIdentity.
type GSSAPI struct {
	// KeyExchange offers the gss-* key exchange methods first
	// (GSSAPIKeyExchange); after such an exchange "gssapi-keyex" is tried
	// before Config.Auth. The host key algorithm "null" is offered too:
	// the GSS-API context, not a host key, then authenticates the server.
	KeyExchange bool
	// KexFamilies are the gss-* family prefixes (GSSAPIKexAlgorithms);
	// nil means gsskex.DefaultFamilies.
	KexFamilies []string
	// Authentication tries "gssapi-with-mic" before Config.Auth
	// (GSSAPIAuthentication).
	Authentication bool
	// Delegate forwards the user's TGT (GSSAPIDelegateCredentials).
	Delegate bool
	// ServerIdentity replaces the host name in the target
	// (GSSAPIServerIdentity).
	ServerIdentity string
	// Cred is the initiator credential of the key exchange; nil means
	// the default one (KRB5CCNAME). GSSAPIClientIdentity chooses it.
	Cred *gssapi.Credential
	// DelegateOnRekey, with Delegate, delegates at every GSS-API key
	// exchange, rekeys included, as Debian's ssh does; with
	// Client.SetGSSCredential it carries a renewed TGT to the server
	// (GSSAPIRenewalForcesRekey).
	DelegateOnRekey bool
}
