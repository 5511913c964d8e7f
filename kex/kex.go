package kex

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Key exchange method names, exactly as they appear in KEXINIT.
const (
	MLKEM768X25519SHA256         = "mlkem768x25519-sha256"                // draft-ietf-sshm-mlkem-hybrid-kex
	SNTRUP761X25519SHA512        = "sntrup761x25519-sha512"               // draft-ietf-sshm-ntruprime-ssh
	SNTRUP761X25519SHA512OpenSSH = "sntrup761x25519-sha512@openssh.com"   // OpenSSH's name for the same
	Curve25519SHA256             = "curve25519-sha256"                    // RFC 8731
	Curve25519SHA256LibSSH       = "curve25519-sha256@libssh.org"         // RFC 8731, Section 3.1
	ECDHSHA2NISTP256             = "ecdh-sha2-nistp256"                   // RFC 5656, Section 6.3
	ECDHSHA2NISTP384             = "ecdh-sha2-nistp384"                   // RFC 5656
	ECDHSHA2NISTP521             = "ecdh-sha2-nistp521"                   // RFC 5656
	DHGroupExchangeSHA256        = "diffie-hellman-group-exchange-sha256" // RFC 4419
	DHGroupExchangeSHA1          = "diffie-hellman-group-exchange-sha1"   // RFC 4419; legacy
	DHGroup14SHA256              = "diffie-hellman-group14-sha256"        // RFC 8268
	DHGroup16SHA512              = "diffie-hellman-group16-sha512"        // RFC 8268
	DHGroup18SHA512              = "diffie-hellman-group18-sha512"        // RFC 8268
	DHGroup14SHA1                = "diffie-hellman-group14-sha1"          // RFC 4253, Section 8.2; legacy
	DHGroup1SHA1                 = "diffie-hellman-group1-sha1"           // RFC 4253, Section 8.1; legacy
)

// Pseudo-algorithms that only signal a capability in the kex_algorithms
// name-list of KEXINIT. They are never negotiated as methods.
const (
	ExtInfoClient = "ext-info-c"                   // RFC 8308, Section 2.1
	ExtInfoServer = "ext-info-s"                   // RFC 8308, Section 2.1
	StrictClient  = "kex-strict-c-v00@openssh.com" // OpenSSH PROTOCOL, Section 1.9
	StrictServer  = "kex-strict-s-v00@openssh.com" // OpenSSH PROTOCOL, Section 1.9
)

// IsMarker reports whether name is one of the capability markers above
// rather than a key exchange method.
func IsMarker(name string) bool {
	switch name {
	case ExtInfoClient, ExtInfoServer, StrictClient, StrictServer:
		return true
	}
	return false
}

// Errors returned by key exchange methods and negotiation. Each maps to a
// DISCONNECT reason through [DisconnectReasonFor].
var (
	// ErrNoCommonAlgorithm means the two KEXINITs share no algorithm in
	// some category (RFC 4253, Section 7.1). It is sent to the peer as
	// DISCONNECT KEY_EXCHANGE_FAILED (docs/security.md#k10a).
	ErrNoCommonAlgorithm = errors.New("kex: no common algorithm")

	// ErrInvalidPublicValue means the peer's ephemeral public value is
	// not acceptable: a DH value outside [2, p-2], a point not on the
	// curve, a low-order X25519 point giving an all-zero secret, or a
	// public key or ciphertext of the wrong length (docs/security.md#k6 to #k8).
	ErrInvalidPublicValue = errors.New("kex: invalid public value")

	// ErrInvalidGroup means a group-exchange server offered a group
	// outside the requested sizes or with an invalid generator.
	ErrInvalidGroup = errors.New("kex: invalid group")

	// ErrHostKey means the server's host key was rejected or its
	// signature over the exchange hash did not verify (RFC 4253,
	// Section 8). It maps to DISCONNECT HOST_KEY_NOT_VERIFIABLE.
	ErrHostKey = errors.New("kex: host key verification failed")

	// ErrUnexpectedMessage means a message arrived that the current
	// phase of the exchange does not allow.
	ErrUnexpectedMessage = errors.New("kex: unexpected message")
)

// A NegotiationError names the category in which the two sides'
// algorithm lists have nothing in common. It unwraps to
// ErrNoCommonAlgorithm.
type NegotiationError struct {
	Category string   // "kex", "host key", "cipher c2s", ...
	Client   []string // the client's list
	Server   []string // the server's list
}

func (e *NegotiationError) Error() string {
	return fmt.Sprintf("kex: no common %s algorithm; client offered %q, server offered %q", e.Category, e.Client, e.Server)
}

func (e *NegotiationError) Unwrap() error { return ErrNoCommonAlgorithm }

// A Role says which side of the connection this end is.
type Role uint8

// Roles.
const (
	Client Role = iota
	Server
)

func (r Role) String() string {
	if r == Server {
		return "server"
	}
	return "client"
}

// A Conn carries the method-specific messages (numbers 30-49) of one key
// exchange. The transport behind it has already dealt with IGNORE, DEBUG
// and DISCONNECT, with a discarded wrong-guess packet, and with strict
// kex; ReadPacket returns only what the method must see. The returned
// payload is valid until the next ReadPacket.
type Conn interface {
	ReadPacket(ctx context.Context) ([]byte, error)
	WritePacket(ctx context.Context, payload []byte) error
}

// A HostKeySigner is the server's host key as a method sees it.
// PublicKey returns the public key blob K_S (RFC 4253, Section 6.6), and
// Sign returns the signature blob (format name and signature) over data
// with the negotiated public-key algorithm.
type HostKeySigner interface {
	PublicKey() []byte
	Sign(rand io.Reader, algorithm string, data []byte) ([]byte, error)
}

// A HostKeyVerifier decides on the client whether the server's host key
// blob is acceptable and whether signature is a valid signature of data
// with the negotiated algorithm. Only a nil return accepts.
type HostKeyVerifier interface {
	VerifyHostKey(algorithm string, hostKey, data, signature []byte) error
}

// Params is everything a Method needs from the negotiation that precedes
// it. The byte slices are owned by the caller and must not be modified.
type Params struct {
	Role Role

	// ClientVersion and ServerVersion are V_C and V_S, the version lines
	// without CR LF (RFC 4253, Section 4.2).
	ClientVersion, ServerVersion []byte

	// ClientKexInit and ServerKexInit are I_C and I_S, the whole KEXINIT
	// payloads, message number first.
	ClientKexInit, ServerKexInit []byte

	// HostKeyAlgorithm is the negotiated server host key algorithm; it
	// is "null" for GSS-API methods that use none (RFC 4462, Section 5).
	HostKeyAlgorithm string

	// HostKey signs the exchange hash on the server; nil on the client.
	HostKey HostKeySigner

	// Verifier checks K_S and its signature on the client; nil on the
	// server.
	Verifier HostKeyVerifier

	// Rand is the source of randomness; nil means crypto/rand.Reader.
	Rand io.Reader

	// SessionID is the exchange hash of the first key exchange on this
	// connection, or nil during the first one. GSS-API methods that
	// re-authenticate on rekey use it; the exchange hash itself never
	// includes it.
	SessionID []byte

	// ServerName is the host name the client dialled, for methods that
	// authenticate the server by name (gss-* methods build the
	// host-based service name "host@ServerName" from it). Empty on the
	// server.
	ServerName string

	// KeyLog says the transport keeps a key log (Config.KeyLog): a
	// method that can should then return its ephemeral private key in
	// Result.PrivateKey. Otherwise no method returns it.
	KeyLog bool
}

// Result is what a Method returns.
type Result struct {
	// K is the shared secret, encoded exactly as it enters the exchange
	// hash and the key derivation: an mpint for the DH, ECDH and
	// curve25519 methods, a string for the hybrid KEMs.
	K []byte
	// H is the exchange hash.
	H []byte
	// Hash is the method's hash function, used for key derivation.
	Hash crypto.Hash
	// HostKey is K_S, the server's host key blob; nil when the method
	// authenticated the server otherwise (GSS-API with the "null" host
	// key algorithm).
	HostKey []byte
	// PrivateKey is this side's ephemeral private key, returned only
	// when Params.KeyLog is set and only by the methods whose K an older
	// Wireshark recomputes from it (see KeyLogLines): the X25519 scalar
	// for curve25519, the exponent as unsigned big-endian bytes for the
	// DH groups and group exchange. nil otherwise.
	PrivateKey []byte
}

// A Method is one key exchange method (RFC 4253, Section 7.1
// "kex_algorithms"), plugged into the package registry by name.
//
// Run carries out the method's part of the exchange after both KEXINITs:
// for the single round-trip methods one message each way; for
// diffie-hellman-group-exchange two; for the GSS-API methods (RFC 4462,
// Section 2; RFC 8732) as many KEXGSS_CONTINUE round trips as the
// mechanism needs. It writes and reads through c, which yields only
// method messages (30-49). On the server it signs H with p.HostKey; on the
// client it must hand K_S, H and the signature to p.Verifier and fail
// unless that returns nil — or, for a method that authenticates the
// server by other means (a GSS-API MIC over H), verify that instead.
// Run must not keep p, c or the payloads after it returns.
//
// A Method value is shared by every connection that uses it and must be
// safe for concurrent use; per-connection state lives inside Run.
// Settings such as a GSS-API credential or a group-exchange moduli list
// belong on the value (give each configuration its own value, in
// Config.Methods, rather than registering it globally).
type Method interface {
	Name() string
	Run(ctx context.Context, c Conn, p *Params) (*Result, error)
}

// HostKeyOptional is implemented by methods that can authenticate the
// server without a host key signature, such as the GSS-API methods. For
// them negotiation accepts the "null" host key algorithm (RFC 4462,
// Section 5); every other method needs a signature-capable one.
type HostKeyOptional interface {
	HostKeyOptional() bool
}

// NullHostKey is the host key algorithm name of RFC 4462, Section 5.
const NullHostKey = "null"

func needsHostKey(m Method) bool {
	o, ok := m.(HostKeyOptional)
	return !ok || !o.HostKeyOptional()
}

var registry struct {
	sync.RWMutex
	methods map[string]Method
}

// Register adds m to the registry under m.Name(), replacing a method of
// the same name. It is safe for concurrent use but meant for init time.
func Register(m Method) {
	registry.Lock()
	defer registry.Unlock()
	if registry.methods == nil {
		registry.methods = make(map[string]Method)
	}
	registry.methods[m.Name()] = m
}

// Lookup returns the registered method called name.
func Lookup(name string) (Method, bool) {
	registry.RLock()
	defer registry.RUnlock()
	m, ok := registry.methods[name]
	return m, ok
}

// Methods returns the names of all registered methods, sorted.
func Methods() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.methods))
	for n := range registry.methods {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DefaultMethods returns the default kex_algorithms preference list,
// without the ext-info and strict-kex markers, which the transport adds.
// Post-quantum hybrids come first; NIST ECDH and the SHA-1 methods are
// registered but not listed (ssh-audit flags them).
func DefaultMethods() []string {
	return []string{
		MLKEM768X25519SHA256,
		SNTRUP761X25519SHA512,
		SNTRUP761X25519SHA512OpenSSH,
		Curve25519SHA256,
		Curve25519SHA256LibSSH,
		DHGroupExchangeSHA256,
		DHGroup16SHA512,
		DHGroup18SHA512,
		DHGroup14SHA256,
	}
}

// LegacyMethods returns the registered methods that no default list
// contains: NIST ECDH (ssh-audit warns about the curves) and the SHA-1
// methods.
func LegacyMethods() []string {
	return []string{
		ECDHSHA2NISTP256, ECDHSHA2NISTP384, ECDHSHA2NISTP521,
		DHGroupExchangeSHA1, DHGroup14SHA1, DHGroup1SHA1,
	}
}

func init() {
	for _, m := range kemMethods() {
		Register(m)
	}
	for _, m := range dhMethods() {
		Register(m)
	}
	Register(&GroupExchange{MethodName: DHGroupExchangeSHA256, Hash: crypto.SHA256})
	Register(&GroupExchange{MethodName: DHGroupExchangeSHA1, Hash: crypto.SHA1})
}
