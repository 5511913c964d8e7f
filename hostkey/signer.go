package hostkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	fasted25519 "github.com/sshstack/sshstack/hostkey/internal/ed25519"
	"github.com/sshstack/sshstack/wire"
)

// A Signer holds a private key and signs with it. Sign uses the key's
// preferred signature algorithm: rsa-sha2-512 for RSA keys.
type Signer interface {
	PublicKey() PublicKey
	Sign(rand io.Reader, data []byte) (*Signature, error)
}

// An AlgorithmSigner can sign with a chosen public-key algorithm, as kex
// needs for a negotiated host-key algorithm and userauth for
// server-sig-algs (RFC 8332, Sections 3.1 and 3.2). algorithm is a name
// from SignatureAlgorithms(s.PublicKey()), either plain ("rsa-sha2-256")
// or a certificate form ("rsa-sha2-256-cert-v01@openssh.com").
type AlgorithmSigner interface {
	Signer
	SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*Signature, error)
}

// A CryptoSigner adapts a crypto.Signer holding an Ed25519, ECDSA
// (P-256, P-384, P-521) or RSA key: a key from this package's file
// parsers, or an HSM, agent or KMS key. It is safe for concurrent use if
// the crypto.Signer is.
type CryptoSigner struct {
	s   crypto.Signer
	pub PublicKey

	// AllowSHA1 permits signing with "ssh-rsa" (RSA with SHA-1). It is
	// off by default; set it before sharing the signer.
	AllowSHA1 bool
}

// NewSigner returns a Signer for s. The public key must be an
// ed25519.PublicKey, *ecdsa.PublicKey on P-256, P-384 or P-521, or an
// *rsa.PublicKey.
func NewSigner(s crypto.Signer) (*CryptoSigner, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrInvalidKey)
	}
	pub, err := NewPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	return &CryptoSigner{s: s, pub: pub}, nil
}

// PublicKey returns the public half.
func (s *CryptoSigner) PublicKey() PublicKey { return s.pub }

// Crypto returns the underlying crypto.Signer.
func (s *CryptoSigner) Crypto() crypto.Signer { return s.s }

// Sign signs data with the key's default algorithm (rsa-sha2-512 for RSA).
func (s *CryptoSigner) Sign(rand io.Reader, data []byte) (*Signature, error) {
	return s.SignWithAlgorithm(rand, data, SignatureAlgorithms(s.pub)[0])
}

// SignWithAlgorithm signs data with the named public-key algorithm.
// Certificate algorithm names are accepted and sign with their
// underlying format. "ssh-rsa" needs AllowSHA1.
func (s *CryptoSigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*Signature, error) {
	format := SignatureFormat(algorithm)
	if format == "" || KeyTypeForAlgorithm(format) != s.pub.Type() {
		return nil, fmt.Errorf("%w: cannot sign %q with a %s key", ErrAlgorithmMismatch, algorithm, s.pub.Type())
	}
	switch format {
	case ED25519:
		if priv, ok := ed25519Private(s.s); ok {
			var blob [ed25519.SignatureSize]byte
			fasted25519.Sign(&blob, priv, data)
			return &Signature{Format: format, Blob: blob[:]}, nil
		}
		blob, err := s.s.Sign(rand, data, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("hostkey: signing: %w", err)
		}
		return &Signature{Format: format, Blob: blob}, nil
	case ECDSAP256, ECDSAP384, ECDSAP521:
		_, _, h := curveForType(format)
		return signECDSA(s.s, rand, h, format, data)
	case RSA, RSASHA256, RSASHA512:
		h := rsaHash(format)
		if h == crypto.SHA1 && !s.AllowSHA1 {
			return nil, fmt.Errorf("%w: signing with %s", ErrAlgorithmDisabled, RSA)
		}
		hh := h.New()
		hh.Write(data)
		blob, err := s.s.Sign(rand, hh.Sum(nil), h)
		if err != nil {
			return nil, fmt.Errorf("hostkey: signing: %w", err)
		}
		return &Signature{Format: format, Blob: blob}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, algorithm)
}

// ed25519Private returns the key of an in-memory Ed25519 signer, which
// the package's own Ed25519 signs with (the same bytes, faster); any
// other crypto.Signer, such as an agent's or a key of the wrong length,
// keeps its own Sign.
func ed25519Private(s crypto.Signer) (ed25519.PrivateKey, bool) {
	var priv ed25519.PrivateKey
	switch k := s.(type) {
	case ed25519.PrivateKey:
		priv = k
	case *ed25519.PrivateKey:
		if k == nil {
			return nil, false
		}
		priv = *k
	default:
		return nil, false
	}
	return priv, len(priv) == ed25519.PrivateKeySize
}

// signECDSA signs the hash of data and re-encodes the ASN.1 signature as
// RFC 5656, Section 3.1.2 mpints.
func signECDSA(s crypto.Signer, rand io.Reader, h crypto.Hash, format string, data []byte) (*Signature, error) {
	hh := h.New()
	hh.Write(data)
	der, err := s.Sign(rand, hh.Sum(nil), h)
	if err != nil {
		return nil, fmt.Errorf("hostkey: signing: %w", err)
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return nil, fmt.Errorf("hostkey: signing: malformed ecdsa signature from signer")
	}
	blob := wire.AppendMPInt(nil, rs.R)
	blob = wire.AppendMPInt(blob, rs.S)
	return &Signature{Format: format, Blob: blob}, nil
}

// DefaultRSABits is the RSA key size GenerateKey uses when bits is 0.
const DefaultRSABits = 3072

// GenerateKey makes a new key of keyType (ED25519, ECDSAP256, ECDSAP384,
// ECDSAP521 or RSA) with the standard library. bits applies to RSA only:
// 0 means DefaultRSABits, and fewer than 2048 is refused.
func GenerateKey(rand io.Reader, keyType string, bits int) (*CryptoSigner, error) {
	var k crypto.Signer
	var err error
	switch keyType {
	case ED25519:
		_, k, err = ed25519.GenerateKey(rand)
	case ECDSAP256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand)
	case ECDSAP384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand)
	case ECDSAP521:
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand)
	case RSA:
		if bits == 0 {
			bits = DefaultRSABits
		}
		if bits < 2048 {
			return nil, fmt.Errorf("%w: refusing to generate a %d-bit rsa key", ErrKeyTooSmall, bits)
		}
		k, err = rsa.GenerateKey(rand, bits)
	default:
		return nil, fmt.Errorf("%w: cannot generate %q", ErrUnknownAlgorithm, keyType)
	}
	if err != nil {
		return nil, fmt.Errorf("hostkey: generating %s key: %w", keyType, err)
	}
	return NewSigner(k)
}

var _ AlgorithmSigner = (*CryptoSigner)(nil)
