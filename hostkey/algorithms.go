package hostkey

import (
	"strings"
	"sync"

	"github.com/sshstack/sshstack/wire"
)

// Public-key algorithm and key-type names, exactly as they appear on the
// wire (RFC 4253, Section 6.6; RFC 5656, Section 6.2; RFC 8332, Section 3;
// RFC 8709, Section 4; OpenSSH PROTOCOL.u2f and PROTOCOL.certkeys).
const (
	ED25519     = "ssh-ed25519"
	ECDSAP256   = "ecdsa-sha2-nistp256"
	ECDSAP384   = "ecdsa-sha2-nistp384"
	ECDSAP521   = "ecdsa-sha2-nistp521"
	RSA         = "ssh-rsa" // RSA key type; as a signature algorithm, RSA with SHA-1
	RSASHA256   = "rsa-sha2-256"
	RSASHA512   = "rsa-sha2-512"
	SKED25519   = "sk-ssh-ed25519@openssh.com"
	SKECDSAP256 = "sk-ecdsa-sha2-nistp256@openssh.com"

	ED25519Cert     = "ssh-ed25519-cert-v01@openssh.com"
	ECDSAP256Cert   = "ecdsa-sha2-nistp256-cert-v01@openssh.com"
	ECDSAP384Cert   = "ecdsa-sha2-nistp384-cert-v01@openssh.com"
	ECDSAP521Cert   = "ecdsa-sha2-nistp521-cert-v01@openssh.com"
	RSACert         = "ssh-rsa-cert-v01@openssh.com"
	RSASHA256Cert   = "rsa-sha2-256-cert-v01@openssh.com"
	RSASHA512Cert   = "rsa-sha2-512-cert-v01@openssh.com"
	SKED25519Cert   = "sk-ssh-ed25519-cert-v01@openssh.com"
	SKECDSAP256Cert = "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"
)

// certSuffix ends every OpenSSH certificate type name (PROTOCOL.certkeys).
const certSuffix = "-cert-v01@openssh.com"

// An Algorithm is a public-key type plug-in held in the package registry.
// Name is the key type as it appears first in a public-key blob (for
// example "ssh-rsa"); ParsePublicKey reads the type-specific fields that
// follow the name, from a Reader positioned just after it, and must not
// read past them (certificates embed the same fields in the middle of a
// larger blob). SignatureAlgorithms lists the signature algorithms a key
// of this type can produce, preferred first (for "ssh-rsa":
// rsa-sha2-512, rsa-sha2-256, ssh-rsa).
//
// A certificate type "<name>-cert-v01@openssh.com" is supported
// automatically for every registered Algorithm.
type Algorithm interface {
	Name() string
	ParsePublicKey(r *wire.Reader) (PublicKey, error)
	SignatureAlgorithms() []string
}

var registry struct {
	sync.RWMutex
	byName map[string]Algorithm // key type -> plug-in
	bySig  map[string]string    // signature algorithm -> key type
}

// Register adds a or replaces the Algorithm of the same name. It is safe
// for concurrent use, but keys already parsed keep their implementation.
func Register(a Algorithm) {
	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName = make(map[string]Algorithm)
		registry.bySig = make(map[string]string)
	}
	registry.byName[a.Name()] = a
	for _, s := range a.SignatureAlgorithms() {
		registry.bySig[s] = a.Name()
	}
}

// LookupAlgorithm returns the registered Algorithm for a key type name.
func LookupAlgorithm(keyType string) (Algorithm, bool) {
	registry.RLock()
	defer registry.RUnlock()
	a, ok := registry.byName[keyType]
	return a, ok
}

// Algorithms returns the names of all registered key types, certificate
// types excluded, in no particular order.
func Algorithms() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.byName))
	for n := range registry.byName {
		names = append(names, n)
	}
	return names
}

// CertAlgorithm returns the certificate form of a key type or
// signature algorithm name: "-cert-v01@openssh.com" replaces a trailing
// "@openssh.com" or is appended ("sk-ssh-ed25519@openssh.com" becomes
// "sk-ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-256" becomes
// "rsa-sha2-256-cert-v01@openssh.com").
func CertAlgorithm(name string) string {
	return strings.TrimSuffix(name, "@openssh.com") + certSuffix
}

// cutCert returns the plain name of a certificate algorithm and true, or
// name and false if it is not one.
func cutCert(name string) (string, bool) {
	base, ok := strings.CutSuffix(name, certSuffix)
	if !ok {
		return name, false
	}
	registry.RLock()
	defer registry.RUnlock()
	if _, ok := registry.bySig[base]; ok {
		return base, true
	}
	if _, ok := registry.bySig[base+"@openssh.com"]; ok {
		return base + "@openssh.com", true
	}
	return base, true
}

// IsCertAlgorithm reports whether name is an OpenSSH certificate key type
// or certificate signature algorithm ("...-cert-v01@openssh.com").
func IsCertAlgorithm(name string) bool { return strings.HasSuffix(name, certSuffix) }

// KeyTypeForAlgorithm returns the key type (the first string of the key
// blob) that a public-key algorithm name uses: "ssh-rsa" for
// "rsa-sha2-256", "ssh-rsa-cert-v01@openssh.com" for
// "rsa-sha2-512-cert-v01@openssh.com", and the name itself for
// "ssh-ed25519". It returns "" for an unknown algorithm. kex and userauth
// use it to check that a key blob matches the negotiated or requested
// algorithm (RFC 8332, Section 3; docs/security.md#h2, #a3).
func KeyTypeForAlgorithm(algorithm string) string {
	base, cert := cutCert(algorithm)
	registry.RLock()
	kt, ok := registry.bySig[base]
	registry.RUnlock()
	if !ok {
		return ""
	}
	if cert {
		return CertAlgorithm(kt)
	}
	return kt
}

// SignatureFormat returns the signature format name (the first string of
// the signature blob) that a public-key algorithm produces: the algorithm
// itself for plain keys, and the underlying algorithm for certificate
// algorithms ("rsa-sha2-256" for "rsa-sha2-256-cert-v01@openssh.com").
// It returns "" for an unknown algorithm.
func SignatureFormat(algorithm string) string {
	base, _ := cutCert(algorithm)
	if KeyTypeForAlgorithm(base) == "" {
		return ""
	}
	return base
}

// SignatureAlgorithms returns the public-key algorithm names that pub can
// be used with, preferred first: for an RSA key rsa-sha2-512, rsa-sha2-256
// and ssh-rsa; for an RSA certificate the three "-cert-v01@openssh.com"
// forms. Whether ssh-rsa may be used is a Policy decision.
func SignatureAlgorithms(pub PublicKey) []string {
	t := pub.Type()
	base, cert := cutCert(t)
	a, ok := LookupAlgorithm(base)
	if !ok {
		return []string{t}
	}
	sigs := a.SignatureAlgorithms()
	out := make([]string, len(sigs))
	for i, s := range sigs {
		if cert {
			s = CertAlgorithm(s)
		}
		out[i] = s
	}
	return out
}

type builtin struct {
	name  string
	sigs  []string
	parse func(r *wire.Reader) (PublicKey, error)
}

func (b *builtin) Name() string                                     { return b.name }
func (b *builtin) SignatureAlgorithms() []string                    { return append([]string(nil), b.sigs...) }
func (b *builtin) ParsePublicKey(r *wire.Reader) (PublicKey, error) { return b.parse(r) }

func init() {
	Register(&builtin{ED25519, []string{ED25519}, parseED25519})
	Register(&builtin{ECDSAP256, []string{ECDSAP256}, func(r *wire.Reader) (PublicKey, error) { return parseECDSA(r, ECDSAP256) }})
	Register(&builtin{ECDSAP384, []string{ECDSAP384}, func(r *wire.Reader) (PublicKey, error) { return parseECDSA(r, ECDSAP384) }})
	Register(&builtin{ECDSAP521, []string{ECDSAP521}, func(r *wire.Reader) (PublicKey, error) { return parseECDSA(r, ECDSAP521) }})
	Register(&builtin{RSA, []string{RSASHA512, RSASHA256, RSA}, parseRSA})
	Register(&builtin{SKED25519, []string{SKED25519}, parseSKED25519})
	Register(&builtin{SKECDSAP256, []string{SKECDSAP256}, parseSKECDSA})
}

// DefaultAlgorithms returns sshstack's default public-key algorithm
// preference, for host keys and user keys alike: Ed25519 and RSA/SHA-2,
// certificates first, security keys after plain keys. It leaves out
// ssh-rsa (SHA-1) and the NIST-curve ECDSA algorithms, which ssh-audit
// fails (docs/security.md#l5); callers who need to reach such hosts add them,
// or use OpenSSHAlgorithms. The caller owns the returned slice.
func DefaultAlgorithms() []string {
	return []string{
		ED25519Cert, SKED25519Cert, RSASHA512Cert, RSASHA256Cert,
		ED25519, SKED25519, RSASHA512, RSASHA256,
	}
}

// OpenSSHAlgorithms returns OpenSSH 9.2's default HostKeyAlgorithms and
// PubkeyAcceptedAlgorithms (ssh -G), ECDSA included. The caller owns the
// returned slice.
func OpenSSHAlgorithms() []string {
	return []string{
		ED25519Cert, ECDSAP256Cert, ECDSAP384Cert, ECDSAP521Cert,
		SKED25519Cert, SKECDSAP256Cert, RSASHA512Cert, RSASHA256Cert,
		ED25519, ECDSAP256, ECDSAP384, ECDSAP521,
		SKED25519, SKECDSAP256, RSASHA512, RSASHA256,
	}
}
