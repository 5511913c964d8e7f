package hostkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/wire"
)

// A PublicKey is an SSH public key or certificate (RFC 4253, Section 6.6).
//
// Type returns the key type, the first string of the blob. Marshal
// returns the wire blob; the caller owns the result. Verify checks sig
// over data under the zero Policy: the signature format must be one the
// key allows (RFC 8332, Section 3), ssh-rsa (SHA-1) signatures are
// rejected, RSA keys need at least 1024 bits, and security-key signatures
// must assert user presence. For a certificate Verify checks the signature
// of the certified key only; use a CertChecker to validate the
// certificate itself. Protocol code should call Policy.Verify, which also
// checks the negotiated algorithm name.
type PublicKey interface {
	Type() string
	Marshal() []byte
	Verify(data []byte, sig *Signature) error
}

// A CryptoPublicKey is a PublicKey backed by a standard library key.
// Every built-in key type implements it: it returns ed25519.PublicKey,
// *ecdsa.PublicKey or *rsa.PublicKey (for a security key, the key the
// authenticator holds).
type CryptoPublicKey interface {
	CryptoPublicKey() crypto.PublicKey
}

// policyVerifier is implemented by the built-in key types so that a
// Policy can relax or tighten their checks.
type policyVerifier interface {
	verify(data []byte, sig *Signature, p *Policy) error
}

// ParsePublicKey decodes a public-key or certificate blob
// (RFC 4253, Section 6.6; PROTOCOL.certkeys). The result does not alias
// blob. Errors wrap ErrUnknownAlgorithm, ErrInvalidKey or a wire
// sentinel; no input makes it panic.
func ParsePublicKey(blob []byte) (PublicKey, error) {
	r := wire.NewReader(blob)
	t := r.StringBytes()
	if err := r.Finish("public key"); err != nil {
		return nil, err
	}
	if base, ok := cutCert(string(t)); ok {
		return parseCert(blob, base)
	}
	a, ok := LookupAlgorithm(string(t))
	if !ok {
		return nil, fmt.Errorf("%w: key type %q", ErrUnknownAlgorithm, wire.Sanitize(string(t)))
	}
	pub, err := a.ParsePublicKey(r)
	if err != nil {
		return nil, err
	}
	if err := r.End("public key"); err != nil {
		return nil, err
	}
	return pub, nil
}

// NewPublicKey returns the PublicKey for an ed25519.PublicKey,
// *ecdsa.PublicKey (P-256, P-384, P-521) or *rsa.PublicKey.
func NewPublicKey(k crypto.PublicKey) (PublicKey, error) {
	switch k := k.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, ErrInvalidKey
		}
		return &ed25519Key{k: append(ed25519.PublicKey(nil), k...)}, nil
	case *ed25519.PublicKey:
		return NewPublicKey(*k)
	case *ecdsa.PublicKey:
		t := ecdsaTypeForCurve(k.Curve)
		if t == "" {
			return nil, fmt.Errorf("%w: ecdsa curve", ErrUnknownAlgorithm)
		}
		return &ecdsaKey{typ: t, k: k}, nil
	case *rsa.PublicKey:
		return &rsaKey{k: k}, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnknownAlgorithm, k)
}

// Equal reports whether a and b have the same wire blob.
func Equal(a, b PublicKey) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(a.Marshal(), b.Marshal())
}

// FingerprintSHA256 returns the OpenSSH SHA-256 fingerprint of pub,
// "SHA256:" and the unpadded base64 of the digest of its blob, as
// ssh-keygen -l prints it.
func FingerprintSHA256(pub PublicKey) string {
	sum := sha256.Sum256(pub.Marshal())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// FingerprintMD5 returns the legacy MD5 fingerprint of pub as
// ssh-keygen -l -E md5 prints it: "MD5:" and colon-separated hex pairs.
func FingerprintMD5(pub PublicKey) string {
	sum := md5.Sum(pub.Marshal())
	h := hex.EncodeToString(sum[:])
	var sb strings.Builder
	sb.WriteString("MD5:")
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

func ecdsaTypeForCurve(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return ECDSAP256
	case elliptic.P384():
		return ECDSAP384
	case elliptic.P521():
		return ECDSAP521
	}
	return ""
}

// curveForType returns the curve, the RFC 5656 identifier and the hash
// of an ECDSA key type (RFC 5656, Sections 6.1 and 6.2.1).
func curveForType(t string) (elliptic.Curve, string, crypto.Hash) {
	switch t {
	case ECDSAP256, SKECDSAP256:
		return elliptic.P256(), "nistp256", crypto.SHA256
	case ECDSAP384:
		return elliptic.P384(), "nistp384", crypto.SHA384
	case ECDSAP521:
		return elliptic.P521(), "nistp521", crypto.SHA512
	}
	return nil, "", 0
}
