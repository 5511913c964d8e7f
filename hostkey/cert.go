package hostkey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// Certificate types (PROTOCOL.certkeys).
const (
	UserCert = 1 // SSH_CERT_TYPE_USER
	HostCert = 2 // SSH_CERT_TYPE_HOST
)

// CertTimeInfinity is the ValidBefore value of a certificate that does
// not expire.
const CertTimeInfinity = 1<<64 - 1

// Critical options and extensions that OpenSSH defines
// (PROTOCOL.certkeys; ssh-keygen(1) CERTIFICATES).
const (
	OptForceCommand   = "force-command"
	OptSourceAddress  = "source-address"
	OptVerifyRequired = "verify-required"

	ExtNoTouchRequired       = "no-touch-required"
	ExtPermitX11Forwarding   = "permit-X11-forwarding"
	ExtPermitAgentForwarding = "permit-agent-forwarding"
	ExtPermitPortForwarding  = "permit-port-forwarding"
	ExtPermitPTY             = "permit-pty"
	ExtPermitUserRC          = "permit-user-rc"
)

// Certificate errors. CertChecker methods wrap one of these.
var (
	ErrCertUntrusted      = errors.New("hostkey: certificate not signed by a trusted authority")
	ErrCertType           = errors.New("hostkey: wrong certificate type")
	ErrCertExpired        = errors.New("hostkey: certificate expired")
	ErrCertNotYetValid    = errors.New("hostkey: certificate not yet valid")
	ErrCertPrincipal      = errors.New("hostkey: principal not listed in certificate")
	ErrCertRevoked        = errors.New("hostkey: certificate or its authority is revoked")
	ErrCertCriticalOption = errors.New("hostkey: unsupported critical option in certificate")
	ErrCertSignature      = errors.New("hostkey: certificate signature invalid")
)

// A Certificate is an OpenSSH certificate (PROTOCOL.certkeys). It is a
// PublicKey whose type is the certified key's type with
// "-cert-v01@openssh.com" appended, and whose signatures are those of
// the certified key.
//
// CriticalOptions and Extensions map a name to its value: the string
// inside the data field, or "" for a flag with empty data.
type Certificate struct {
	Nonce           []byte
	Key             PublicKey // the certified key; never a certificate
	Serial          uint64
	CertType        uint32 // UserCert or HostCert
	KeyID           string
	ValidPrincipals []string
	ValidAfter      uint64 // seconds since the Unix epoch
	ValidBefore     uint64 // seconds since the Unix epoch; CertTimeInfinity for never
	CriticalOptions map[string]string
	Extensions      map[string]string
	Reserved        []byte
	SignatureKey    PublicKey // the authority's key; never a certificate
	Signature       *Signature
}

// keyFields returns the type-specific fields of a key blob: what follows
// the type name, which a certificate embeds after its nonce.
func keyFields(pub PublicKey) []byte {
	if pub == nil {
		return nil
	}
	r := wire.NewReader(pub.Marshal())
	r.StringBytes()
	return r.Rest()
}

func parseCert(blob []byte, base string) (*Certificate, error) {
	a, ok := LookupAlgorithm(base)
	if !ok {
		return nil, fmt.Errorf("%w: certificate type %q", ErrUnknownAlgorithm, wire.Sanitize(CertAlgorithm(base)))
	}
	r := wire.NewReader(blob)
	r.StringBytes() // type, already checked
	c := &Certificate{}
	c.Nonce = append([]byte{}, r.StringBytes()...)
	if r.Failed() {
		return nil, r.Finish("certificate")
	}
	key, err := a.ParsePublicKey(r)
	if err != nil {
		return nil, err
	}
	c.Key = key
	c.Serial = r.Uint64()
	c.CertType = r.Uint32()
	c.KeyID = r.Text()
	principals := r.StringBytes()
	c.ValidAfter = r.Uint64()
	c.ValidBefore = r.Uint64()
	crit := r.StringBytes()
	ext := r.StringBytes()
	c.Reserved = append([]byte{}, r.StringBytes()...)
	sigKey := r.StringBytes()
	sig := r.StringBytes()
	if err := r.End("certificate"); err != nil {
		return nil, err
	}
	if c.ValidPrincipals, err = parsePrincipals(principals); err != nil {
		return nil, err
	}
	if c.CriticalOptions, err = parseCertOptions(crit); err != nil {
		return nil, err
	}
	if c.Extensions, err = parseCertOptions(ext); err != nil {
		return nil, err
	}
	if c.SignatureKey, err = ParsePublicKey(sigKey); err != nil {
		return nil, fmt.Errorf("hostkey: certificate signature key: %w", err)
	}
	if IsCertAlgorithm(c.SignatureKey.Type()) {
		return nil, fmt.Errorf("%w: chained certificate", ErrInvalidKey)
	}
	if c.Signature, err = ParseSignature(sig); err != nil {
		return nil, fmt.Errorf("hostkey: certificate signature: %w", err)
	}
	// The signature is checked over a re-encoding of the fields, so the
	// encoding must be canonical: otherwise the fields a caller reads
	// could differ from the bytes the authority signed.
	if !bytes.Equal(c.Marshal(), blob) {
		return nil, &wire.DecodeError{Msg: "certificate", Detail: "non-canonical encoding", Err: wire.ErrInvalid}
	}
	return c, nil
}

func parsePrincipals(b []byte) ([]string, error) {
	var out []string
	r := wire.NewReader(b)
	// Stop at the first error: a failed read does not advance.
	for r.Len() > 0 && !r.Failed() {
		out = append(out, r.Text())
	}
	if err := r.Finish("certificate principals"); err != nil {
		return nil, err
	}
	return out, nil
}

// parseCertOptions decodes critical options or extensions: (string name,
// string data) tuples in lexical order without repeats, where data is
// empty or holds exactly one string.
func parseCertOptions(b []byte) (map[string]string, error) {
	r := wire.NewReader(b)
	var m map[string]string
	prev := ""
	for r.Len() > 0 {
		name := r.Text()
		data := r.StringBytes()
		if r.Failed() {
			break
		}
		if m != nil && name <= prev {
			return nil, &wire.DecodeError{Msg: "certificate options", Detail: "unsorted or repeated option", Err: wire.ErrInvalid}
		}
		val := ""
		if len(data) > 0 {
			dr := wire.NewReader(data)
			val = dr.Text()
			if err := dr.End("certificate option " + wire.Sanitize(name)); err != nil {
				return nil, err
			}
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[name] = val
		prev = name
	}
	if err := r.Finish("certificate options"); err != nil {
		return nil, err
	}
	return m, nil
}

func appendCertOptions(b []byte, m map[string]string) []byte {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var inner []byte
	for _, n := range names {
		inner = wire.AppendString(inner, n)
		if v := m[n]; v != "" {
			inner = wire.AppendUint32(inner, uint32(len(v)+4))
			inner = wire.AppendString(inner, v)
		} else {
			inner = wire.AppendUint32(inner, 0)
		}
	}
	return wire.AppendString(b, inner)
}

// Type returns the certificate key type, e.g.
// "ssh-ed25519-cert-v01@openssh.com".
func (c *Certificate) Type() string {
	if c.Key == nil {
		return ""
	}
	return CertAlgorithm(c.Key.Type())
}

// signedBytes encodes every field up to and including the signature key,
// the bytes the authority signs.
func (c *Certificate) signedBytes() []byte {
	b := wire.AppendString(nil, c.Type())
	b = wire.AppendString(b, c.Nonce)
	b = append(b, keyFields(c.Key)...)
	b = wire.AppendUint64(b, c.Serial)
	b = wire.AppendUint32(b, c.CertType)
	b = wire.AppendString(b, c.KeyID)
	var p []byte
	for _, s := range c.ValidPrincipals {
		p = wire.AppendString(p, s)
	}
	b = wire.AppendString(b, p)
	b = wire.AppendUint64(b, c.ValidAfter)
	b = wire.AppendUint64(b, c.ValidBefore)
	b = appendCertOptions(b, c.CriticalOptions)
	b = appendCertOptions(b, c.Extensions)
	b = wire.AppendString(b, c.Reserved)
	var sk []byte
	if c.SignatureKey != nil {
		sk = c.SignatureKey.Marshal()
	}
	return wire.AppendString(b, sk)
}

// Marshal returns the certificate blob, signature included.
func (c *Certificate) Marshal() []byte {
	b := c.signedBytes()
	var sig []byte
	if c.Signature != nil {
		sig = c.Signature.Marshal()
	}
	return wire.AppendString(b, sig)
}

// Verify checks a signature made by the certified key. It does not
// validate the certificate; see CertChecker.
func (c *Certificate) Verify(data []byte, sig *Signature) error {
	return c.verify(data, sig, &Policy{})
}

func (c *Certificate) verify(data []byte, sig *Signature, p *Policy) error {
	if c.Key == nil {
		return ErrInvalidKey
	}
	return p.verifyKey(c.Key, data, sig)
}

// SignCert fills in SignatureKey (and a random Nonce if it is empty) and
// signs the certificate with authority, using the authority's default
// algorithm (rsa-sha2-512 for an RSA authority).
func (c *Certificate) SignCert(rnd io.Reader, authority Signer) error {
	if c.Key == nil || IsCertAlgorithm(c.Key.Type()) {
		return fmt.Errorf("%w: certified key missing or a certificate", ErrInvalidKey)
	}
	ca := authority.PublicKey()
	if IsCertAlgorithm(ca.Type()) {
		return fmt.Errorf("%w: a certificate cannot sign certificates", ErrInvalidKey)
	}
	if len(c.Nonce) == 0 {
		if rnd == nil {
			rnd = rand.Reader
		}
		c.Nonce = make([]byte, 32)
		if _, err := io.ReadFull(rnd, c.Nonce); err != nil {
			return fmt.Errorf("hostkey: certificate nonce: %w", err)
		}
	}
	c.SignatureKey = ca
	sig, err := authority.Sign(rnd, c.signedBytes())
	if err != nil {
		return err
	}
	c.Signature = sig
	return nil
}

// CheckSignature verifies the authority's signature under p (nil for the
// zero Policy). The result wraps ErrCertSignature.
func (c *Certificate) CheckSignature(p *Policy) error {
	if c.SignatureKey == nil || c.Signature == nil || c.Key == nil {
		return ErrCertSignature
	}
	if IsCertAlgorithm(c.SignatureKey.Type()) {
		return fmt.Errorf("%w: chained certificate", ErrCertSignature)
	}
	if err := p.verifyKey(c.SignatureKey, c.signedBytes(), c.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrCertSignature, err)
	}
	return nil
}

// A CertChecker validates certificates: as a server for user
// certificates signed by trusted user CAs (sshd TrustedUserCAKeys,
// authorized_keys cert-authority), as a client for host certificates
// (known_hosts @cert-authority). A nil authority callback trusts no
// authority; it never panics (CVE-2026-39835).
type CertChecker struct {
	// IsUserAuthority reports whether auth may sign user certificates.
	IsUserAuthority func(auth PublicKey) bool

	// IsHostAuthority reports whether auth may sign host certificates
	// for address (the host name or "[host]:port" being connected to).
	IsHostAuthority func(auth PublicKey, address string) bool

	// IsRevoked, if set, reports whether a certificate is revoked. It
	// is asked about the certificate itself; revoked authority keys are
	// the authority callbacks' business (KnownHosts does both).
	IsRevoked func(cert *Certificate) bool

	// SupportedCriticalOptions names critical options the caller
	// enforces in addition to force-command, source-address and
	// verify-required (user certificates only). Any other critical
	// option rejects the certificate (PROTOCOL.certkeys).
	SupportedCriticalOptions []string

	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time

	// Policy applies to the authority's signature; nil is the zero Policy.
	Policy *Policy

	// AllowEmptyPrincipals accepts certificates with no principals as
	// valid for any principal, as PROTOCOL.certkeys allows. By default
	// they are refused, as sshd refuses them for TrustedUserCAKeys.
	AllowEmptyPrincipals bool
}

// CheckUserCert validates a user certificate for login as user: type,
// trusted authority, principal, validity window, critical options,
// revocation and the authority's signature. The caller enforces the
// certificate's restrictions (see Certificate.Restrictions).
func (cc *CertChecker) CheckUserCert(user string, cert *Certificate) error {
	if cert == nil {
		return ErrCertUntrusted
	}
	if cert.CertType != UserCert {
		return fmt.Errorf("%w: want a user certificate, got type %d", ErrCertType, cert.CertType)
	}
	if cert.SignatureKey == nil || cc.IsUserAuthority == nil || !cc.IsUserAuthority(cert.SignatureKey) {
		return ErrCertUntrusted
	}
	return cc.CheckCert(user, cert)
}

// CheckHostCert validates a host certificate presented by address
// ("host", "host:port" or "[host]:port"); the host name must be a
// principal.
func (cc *CertChecker) CheckHostCert(address string, cert *Certificate) error {
	if cert == nil {
		return ErrCertUntrusted
	}
	if cert.CertType != HostCert {
		return fmt.Errorf("%w: want a host certificate, got type %d", ErrCertType, cert.CertType)
	}
	host := hostOnly(address)
	if cert.SignatureKey == nil || cc.IsHostAuthority == nil || !cc.IsHostAuthority(cert.SignatureKey, Normalize(address)) {
		return ErrCertUntrusted
	}
	return cc.CheckCert(host, cert)
}

// CheckCert checks everything but the certificate type and the
// authority's trust: critical options, principal, validity window,
// revocation and the authority's signature.
func (cc *CertChecker) CheckCert(principal string, cert *Certificate) error {
	if cert == nil {
		return ErrCertUntrusted
	}
	for name := range cert.CriticalOptions {
		if !cc.supportsOption(cert.CertType, name) {
			return fmt.Errorf("%w: %q", ErrCertCriticalOption, wire.Sanitize(name))
		}
	}
	if len(cert.ValidPrincipals) == 0 {
		if !cc.AllowEmptyPrincipals {
			return fmt.Errorf("%w: certificate lists no principals", ErrCertPrincipal)
		}
	} else if !slices.Contains(cert.ValidPrincipals, principal) {
		return fmt.Errorf("%w: %q", ErrCertPrincipal, wire.Sanitize(principal))
	}
	now := time.Now()
	if cc.Clock != nil {
		now = cc.Clock()
	}
	t := uint64(0)
	if u := now.Unix(); u > 0 {
		t = uint64(u)
	}
	if t < cert.ValidAfter {
		return ErrCertNotYetValid
	}
	if t >= cert.ValidBefore {
		return ErrCertExpired
	}
	if cc.IsRevoked != nil && cc.IsRevoked(cert) {
		return ErrCertRevoked
	}
	return cert.CheckSignature(cc.Policy)
}

func (cc *CertChecker) supportsOption(certType uint32, name string) bool {
	if certType == UserCert {
		switch name {
		case OptForceCommand, OptSourceAddress, OptVerifyRequired:
			return true
		}
	}
	return slices.Contains(cc.SupportedCriticalOptions, name)
}

// Restrictions returns what a user certificate permits, in the form
// authorized_keys options take (sshd applies both the same way): every
// permission is off unless an extension grants it; force-command becomes
// Command, source-address becomes SourceAddress, verify-required and
// no-touch-required become the matching flags. It fails if
// source-address is malformed.
func (c *Certificate) Restrictions() (*Restrictions, error) {
	r := &Restrictions{Restrict: true}
	_, r.AgentForwarding = c.Extensions[ExtPermitAgentForwarding]
	_, r.PortForwarding = c.Extensions[ExtPermitPortForwarding]
	_, r.PTY = c.Extensions[ExtPermitPTY]
	_, r.UserRC = c.Extensions[ExtPermitUserRC]
	_, r.X11Forwarding = c.Extensions[ExtPermitX11Forwarding]
	_, r.NoTouchRequired = c.Extensions[ExtNoTouchRequired]
	_, r.VerifyRequired = c.CriticalOptions[OptVerifyRequired]
	if cmd, ok := c.CriticalOptions[OptForceCommand]; ok {
		r.Command, r.HasCommand = cmd, true
	}
	if sa, ok := c.CriticalOptions[OptSourceAddress]; ok {
		for _, a := range strings.Split(sa, ",") {
			if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
				return nil, fmt.Errorf("%w: source-address %q", ErrCertCriticalOption, wire.Sanitize(a))
			}
			r.SourceAddress = append(r.SourceAddress, a)
		}
	}
	return r, nil
}

// A CertSigner signs with a private key and presents a certificate for
// it, as a client does for user certificates and a server for host
// certificates.
type CertSigner struct {
	cert   *Certificate
	signer Signer
}

// NewCertSigner pairs cert with the signer of its certified key.
func NewCertSigner(cert *Certificate, s Signer) (*CertSigner, error) {
	if cert == nil || s == nil || !Equal(cert.Key, s.PublicKey()) {
		return nil, fmt.Errorf("%w: certificate is not for this key", ErrInvalidKey)
	}
	return &CertSigner{cert: cert, signer: s}, nil
}

// PublicKey returns the certificate.
func (s *CertSigner) PublicKey() PublicKey { return s.cert }

// Certificate returns the certificate s presents.
func (s *CertSigner) Certificate() *Certificate { return s.cert }

// Signer returns the signer of the certified key, which makes every
// signature of s.
func (s *CertSigner) Signer() Signer { return s.signer }

// Sign signs with the certified key's default algorithm.
func (s *CertSigner) Sign(rnd io.Reader, data []byte) (*Signature, error) {
	return s.signer.Sign(rnd, data)
}

// SignWithAlgorithm signs with a certificate or plain algorithm name.
func (s *CertSigner) SignWithAlgorithm(rnd io.Reader, data []byte, algorithm string) (*Signature, error) {
	base, _ := cutCert(algorithm)
	if as, ok := s.signer.(AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rnd, data, base)
	}
	if base != SignatureAlgorithms(s.signer.PublicKey())[0] {
		return nil, fmt.Errorf("%w: signer cannot choose algorithm %q", ErrAlgorithmMismatch, algorithm)
	}
	return s.signer.Sign(rnd, data)
}

var (
	_ PublicKey       = (*Certificate)(nil)
	_ policyVerifier  = (*Certificate)(nil)
	_ AlgorithmSigner = (*CertSigner)(nil)
)
