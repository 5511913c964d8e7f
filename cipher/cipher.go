package cipher

import (
	"errors"
	"hash"
	"slices"
	"sync"
)

// Wire names of the encryption algorithms (RFC 4253, Section 6.3; RFC 4344,
// Section 4; RFC 5647 with OpenSSH's names; PROTOCOL.chacha20poly1305).
const (
	ChaCha20Poly1305 = "chacha20-poly1305@openssh.com"
	AES128GCM        = "aes128-gcm@openssh.com"
	AES256GCM        = "aes256-gcm@openssh.com"
	AES128CTR        = "aes128-ctr"
	AES192CTR        = "aes192-ctr"
	AES256CTR        = "aes256-ctr"
	AES128CBC        = "aes128-cbc"
	AES256CBC        = "aes256-cbc"
	TripleDESCBC     = "3des-cbc"
	None             = "none" // no protection; tests only
)

// Wire names of the MAC algorithms (RFC 4253, Section 6.4; RFC 6668;
// OpenSSH PROTOCOL, Section 1.5).
const (
	HMACSHA256ETM = "hmac-sha2-256-etm@openssh.com"
	HMACSHA512ETM = "hmac-sha2-512-etm@openssh.com"
	HMACSHA256    = "hmac-sha2-256"
	HMACSHA512    = "hmac-sha2-512"
	HMACSHA1ETM   = "hmac-sha1-etm@openssh.com"
	HMACSHA1      = "hmac-sha1"
)

// Errors returned by this package.
var (
	// ErrAuth means an AEAD tag did not verify. The packet layer reports
	// it as its own MAC error.
	ErrAuth = errors.New("cipher: message authentication failed")

	// ErrKeySize means a key or IV handed to a constructor has the wrong
	// length for the algorithm.
	ErrKeySize = errors.New("cipher: wrong key or IV size")

	// ErrModifier means an algorithm list specification given to
	// ApplyModifiers is malformed or selects nothing.
	ErrModifier = errors.New("cipher: bad algorithm list")
)

// A Stream encrypts or decrypts whole cipher blocks for a non-AEAD
// encryption algorithm. Its state (CTR counter, CBC chaining value) carries
// on from one call to the next, as RFC 4253, Section 6.3 requires: the
// packets of one direction form one stream. dst and src may overlap
// exactly; len(src) is a multiple of the algorithm's block size.
// crypto/cipher.BlockMode satisfies Stream.
type Stream interface {
	CryptBlocks(dst, src []byte)
}

// An AEAD protects whole binary packets with an authenticated encryption
// algorithm that needs no separate MAC (aes-gcm, PROTOCOL Section 1.6;
// chacha20-poly1305, PROTOCOL.chacha20poly1305). seq is the packet's
// sequence number (RFC 4253, Section 6.4).
//
// A packet as passed to Seal and Open is laid out as
//
//	uint32    packet_length
//	byte[n]   padding_length || payload || random padding (n = packet_length)
//	byte[t]   tag (t = Algorithm.TagSize)
//
// Both methods work in place.
type AEAD interface {
	// PacketLength returns the packet_length of a packet whose first four
	// bytes, as received, are hdr. The value is not authenticated yet: the
	// caller bounds it before buffering and trusts it only after Open.
	// hdr is not modified.
	PacketLength(seq uint32, hdr []byte) uint32

	// Seal encrypts the packet and writes the tag into its last TagSize
	// bytes. The first four bytes hold the plaintext packet_length.
	Seal(seq uint32, pkt []byte)

	// Open verifies the tag and decrypts bytes pkt[4:len(pkt)-TagSize]
	// in place. On a bad tag it returns ErrAuth and leaves no plaintext
	// of the forged packet in pkt: an implementation that checks the tag
	// before decrypting leaves the body as received (chacha20-poly1305),
	// one that decrypts while it hashes overwrites the body with zeros
	// (AES-GCM, on either of its paths, as crypto/cipher does). The first
	// four bytes and the tag are left as received.
	Open(seq uint32, pkt []byte) error
}

// A SealerTo is an AEAD that can also seal from one buffer into another:
// src is a packet as Seal takes it but without room for the tag, dst
// receives the sealed packet (the length, the ciphertext, the tag) and
// is len(src)+TagSize bytes. The two must not overlap. It counts as the
// same packet as Seal would (the invocation counter moves on). The
// packet layer uses it to seal channel data from where the reader put
// it, the copy folded into the encryption (AES-GCM).
type SealerTo interface {
	SealTo(seq uint32, dst, src []byte)
}

// An Algorithm describes an encryption algorithm: its wire name, the key
// material it needs (RFC 4253, Section 7.2) and how to build a keyed
// instance for one direction. Exactly one of NewStream and NewAEAD is set.
type Algorithm struct {
	Name      string
	KeySize   int // bytes of encryption key (keys C and D of Section 7.2)
	IVSize    int // bytes of initial IV (keys A and B); 0 if none
	BlockSize int // cipher block size in bytes; packets align to max(8, BlockSize)
	TagSize   int // AEAD tag size in bytes; 0 for non-AEAD algorithms

	// NewStream returns a keyed Stream for a non-AEAD algorithm; decrypt
	// selects the receiving direction.
	NewStream func(key, iv []byte, decrypt bool) (Stream, error)

	// NewAEAD returns a keyed AEAD for one direction.
	NewAEAD func(key, iv []byte) (AEAD, error)
}

// AEAD reports whether a is an authenticated encryption algorithm, for
// which no MAC is negotiated.
func (a *Algorithm) AEAD() bool { return a.NewAEAD != nil }

// A MAC describes a MAC algorithm (RFC 4253, Section 6.4).
type MAC struct {
	Name    string
	KeySize int  // bytes of integrity key (keys E and F of Section 7.2)
	Size    int  // bytes of MAC appended to each packet
	ETM     bool // encrypt-then-MAC: length in the clear, MAC over ciphertext (PROTOCOL Section 1.5)

	// New returns a keyed hash. The packet layer writes the sequence
	// number and the packet into it and compares Size bytes of Sum in
	// constant time.
	New func(key []byte) hash.Hash
}

var registry struct {
	mu         sync.RWMutex
	algorithms map[string]*Algorithm
	macs       map[string]*MAC
	order      []string // registration order of algorithms and MACs
}

// RegisterAlgorithm adds a, or replaces the algorithm of the same name. It
// panics if a is malformed, which is a programming error.
func RegisterAlgorithm(a *Algorithm) {
	if a == nil || a.Name == "" || (a.NewStream == nil) == (a.NewAEAD == nil) ||
		a.KeySize < 0 || a.IVSize < 0 || a.BlockSize <= 0 || a.BlockSize > 255 ||
		(a.NewAEAD != nil && a.TagSize <= 0) {
		panic("cipher: RegisterAlgorithm of a malformed Algorithm")
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.algorithms == nil {
		registry.algorithms = make(map[string]*Algorithm)
	}
	if _, ok := registry.algorithms[a.Name]; !ok {
		registry.order = append(registry.order, a.Name)
	}
	registry.algorithms[a.Name] = a
}

// RegisterMAC adds m, or replaces the MAC of the same name. It panics if m
// is malformed, which is a programming error.
func RegisterMAC(m *MAC) {
	if m == nil || m.Name == "" || m.New == nil || m.Size <= 0 || m.KeySize < 0 {
		panic("cipher: RegisterMAC of a malformed MAC")
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.macs == nil {
		registry.macs = make(map[string]*MAC)
	}
	if _, ok := registry.macs[m.Name]; !ok {
		registry.order = append(registry.order, m.Name)
	}
	registry.macs[m.Name] = m
}

// LookupAlgorithm returns the encryption algorithm registered under name.
func LookupAlgorithm(name string) (*Algorithm, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	a, ok := registry.algorithms[name]
	return a, ok
}

// LookupMAC returns the MAC algorithm registered under name.
func LookupMAC(name string) (*MAC, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	m, ok := registry.macs[name]
	return m, ok
}

// DefaultCiphers returns the encryption algorithms offered by default, in
// preference order: chacha20-poly1305@openssh.com, aes128-gcm@openssh.com,
// aes256-gcm@openssh.com, aes128-ctr, aes192-ctr, aes256-ctr. None of them
// draws a [fail] from ssh-audit. The slice is the caller's.
func DefaultCiphers() []string {
	return []string{ChaCha20Poly1305, AES128GCM, AES256GCM, AES128CTR, AES192CTR, AES256CTR}
}

// DefaultMACs returns the MAC algorithms offered by default, in preference
// order: the encrypt-then-MAC SHA-2 variants first, then plain hmac-sha2-256
// and hmac-sha2-512 for peers without EtM. No SHA-1 MAC is offered by
// default. The slice is the caller's.
func DefaultMACs() []string {
	return []string{HMACSHA256ETM, HMACSHA512ETM, HMACSHA256, HMACSHA512}
}

// LegacyCiphers returns the encryption algorithms that are registered but
// not offered by default: CBC modes, which old network equipment still
// needs. A user enables them with ApplyModifiers("+aes128-cbc") or an
// explicit list. The slice is the caller's.
func LegacyCiphers() []string {
	return []string{AES128CBC, AES256CBC, TripleDESCBC}
}

// LegacyMACs returns the MAC algorithms that are registered but not offered
// by default (SHA-1). The slice is the caller's.
func LegacyMACs() []string {
	return []string{HMACSHA1ETM, HMACSHA1}
}

// Ciphers returns the names of all registered encryption algorithms except
// "none": the defaults in preference order, then the rest in registration
// order. This is the set that wildcards in ApplyModifiers select from.
func Ciphers() []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	return supported(DefaultCiphers(), func(n string) bool { return registry.algorithms[n] != nil })
}

// MACs returns the names of all registered MAC algorithms: the defaults in
// preference order, then the rest in registration order.
func MACs() []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	return supported(DefaultMACs(), func(n string) bool { return registry.macs[n] != nil })
}

// supported lists registered names (defaults first); mu is held.
func supported(defaults []string, registered func(string) bool) []string {
	out := make([]string, 0, len(registry.order))
	for _, n := range defaults {
		if registered(n) {
			out = append(out, n)
		}
	}
	for _, n := range registry.order {
		if n != None && registered(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
