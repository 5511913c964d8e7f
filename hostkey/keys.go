package hostkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"

	fasted25519 "github.com/sshstack/sshstack/hostkey/internal/ed25519"
	"github.com/sshstack/sshstack/wire"
)

// ed25519Key is an "ssh-ed25519" key (RFC 8709, Section 4):
//
//	string "ssh-ed25519"
//	string key (32 bytes)
type ed25519Key struct{ k ed25519.PublicKey }

func parseED25519(r *wire.Reader) (PublicKey, error) {
	pk := r.StringBytes()
	if err := r.Finish("ssh-ed25519 key"); err != nil {
		return nil, err
	}
	// A wrong length must not reach ed25519.Verify, which panics on it
	// (CVE-2020-9283).
	if len(pk) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: ed25519 key of %d bytes", ErrInvalidKey, len(pk))
	}
	return &ed25519Key{k: append(ed25519.PublicKey(nil), pk...)}, nil
}

func (k *ed25519Key) Type() string                      { return ED25519 }
func (k *ed25519Key) CryptoPublicKey() crypto.PublicKey { return k.k }
func (k *ed25519Key) Marshal() []byte                   { return k.appendFields(wire.AppendString(nil, ED25519)) }
func (k *ed25519Key) appendFields(b []byte) []byte      { return wire.AppendString(b, k.k) }
func (k *ed25519Key) Verify(data []byte, sig *Signature) error {
	return k.verify(data, sig, &Policy{})
}

func (k *ed25519Key) verify(data []byte, sig *Signature, _ *Policy) error {
	if sig.Format != ED25519 {
		return fmt.Errorf("%w: %q signature for an %s key", ErrAlgorithmMismatch, sig.Format, ED25519)
	}
	if len(sig.Blob) != ed25519.SignatureSize || len(sig.Rest) != 0 || len(k.k) != ed25519.PublicKeySize {
		return ErrSignature
	}
	if !fasted25519.Verify(k.k, data, sig.Blob) {
		return ErrSignature
	}
	return nil
}

// ecdsaKey is an "ecdsa-sha2-*" key (RFC 5656, Section 3.1):
//
//	string "ecdsa-sha2-[identifier]"
//	string [identifier]
//	string Q (uncompressed point)
type ecdsaKey struct {
	typ string
	k   *ecdsa.PublicKey
}

func readECPoint(r *wire.Reader, typ string) (*ecdsa.PublicKey, error) {
	curve, id, _ := curveForType(typ)
	gotID := r.StringBytes()
	q := r.StringBytes()
	if err := r.Finish(typ + " key"); err != nil {
		return nil, err
	}
	if string(gotID) != id {
		return nil, fmt.Errorf("%w: curve %q in a %s key", ErrInvalidKey, wire.Sanitize(string(gotID)), typ)
	}
	// ParseUncompressedPublicKey rejects points that are not on the
	// curve, the point at infinity and compressed forms (RFC 5656,
	// Section 3.1; docs/security.md#k6).
	k, err := ecdsa.ParseUncompressedPublicKey(curve, q)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return k, nil
}

func parseECDSA(r *wire.Reader, typ string) (PublicKey, error) {
	k, err := readECPoint(r, typ)
	if err != nil {
		return nil, err
	}
	return &ecdsaKey{typ: typ, k: k}, nil
}

func (k *ecdsaKey) Type() string                      { return k.typ }
func (k *ecdsaKey) CryptoPublicKey() crypto.PublicKey { return k.k }
func (k *ecdsaKey) Marshal() []byte                   { return k.appendFields(wire.AppendString(nil, k.typ)) }
func (k *ecdsaKey) appendFields(b []byte) []byte {
	_, id, _ := curveForType(k.typ)
	b = wire.AppendString(b, id)
	q, err := k.k.Bytes()
	if err != nil {
		q = nil // unreachable for keys built by this package
	}
	return wire.AppendString(b, q)
}
func (k *ecdsaKey) Verify(data []byte, sig *Signature) error { return k.verify(data, sig, &Policy{}) }

func (k *ecdsaKey) verify(data []byte, sig *Signature, _ *Policy) error {
	if sig.Format != k.typ {
		return fmt.Errorf("%w: %q signature for an %s key", ErrAlgorithmMismatch, sig.Format, k.typ)
	}
	if len(sig.Rest) != 0 {
		return ErrSignature
	}
	_, _, h := curveForType(k.typ)
	return verifyECDSA(k.k, h, data, sig.Blob)
}

// verifyECDSA checks an RFC 5656, Section 3.1.2 signature blob
// (mpint r, mpint s) over the hash of data.
func verifyECDSA(k *ecdsa.PublicKey, h crypto.Hash, data, blob []byte) error {
	rr := wire.NewReader(blob)
	r := rr.MPInt()
	s := rr.MPInt()
	if rr.End("ecdsa signature") != nil || r.Sign() == 0 || s.Sign() == 0 {
		return ErrSignature
	}
	hh := h.New()
	hh.Write(data)
	if !ecdsa.Verify(k, hh.Sum(nil), r, s) {
		return ErrSignature
	}
	return nil
}

// rsaKey is an "ssh-rsa" key (RFC 4253, Section 6.6):
//
//	string "ssh-rsa"
//	mpint  e
//	mpint  n
type rsaKey struct{ k *rsa.PublicKey }

// maxRSAExponentBits keeps e within an int on every platform; crypto/rsa
// rejects larger exponents anyway.
const maxRSAExponentBits = 31

func readRSA(r *wire.Reader) (*rsa.PublicKey, error) {
	e := r.MPInt()
	n := r.MPInt()
	if err := r.Finish("ssh-rsa key"); err != nil {
		return nil, err
	}
	if e.BitLen() > maxRSAExponentBits || e.Int64() < 3 || e.Bit(0) == 0 {
		return nil, fmt.Errorf("%w: rsa exponent", ErrInvalidKey)
	}
	if n.BitLen() < 512 || n.Bit(0) == 0 {
		return nil, fmt.Errorf("%w: rsa modulus of %d bits", ErrInvalidKey, n.BitLen())
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

func parseRSA(r *wire.Reader) (PublicKey, error) {
	k, err := readRSA(r)
	if err != nil {
		return nil, err
	}
	return &rsaKey{k: k}, nil
}

func (k *rsaKey) Type() string                      { return RSA }
func (k *rsaKey) CryptoPublicKey() crypto.PublicKey { return k.k }
func (k *rsaKey) Marshal() []byte                   { return k.appendFields(wire.AppendString(nil, RSA)) }
func (k *rsaKey) appendFields(b []byte) []byte {
	b = wire.AppendMPInt(b, big.NewInt(int64(k.k.E)))
	return wire.AppendMPInt(b, k.k.N)
}
func (k *rsaKey) Verify(data []byte, sig *Signature) error { return k.verify(data, sig, &Policy{}) }

// rsaHash returns the hash of an RSA signature format (RFC 8332, Section 3).
func rsaHash(format string) crypto.Hash {
	switch format {
	case RSASHA512:
		return crypto.SHA512
	case RSASHA256:
		return crypto.SHA256
	case RSA:
		return crypto.SHA1
	}
	return 0
}

func (k *rsaKey) verify(data []byte, sig *Signature, p *Policy) error {
	h := rsaHash(sig.Format)
	if h == 0 {
		return fmt.Errorf("%w: %q signature for an %s key", ErrAlgorithmMismatch, sig.Format, RSA)
	}
	if h == crypto.SHA1 && !p.AllowSHA1 {
		return fmt.Errorf("%w: %s", ErrAlgorithmDisabled, RSA)
	}
	if k.k.N.BitLen() < p.minRSABits() {
		return fmt.Errorf("%w: rsa key of %d bits", ErrKeyTooSmall, k.k.N.BitLen())
	}
	if len(sig.Rest) != 0 {
		return ErrSignature
	}
	size := k.k.Size()
	blob := sig.Blob
	if len(blob) > size {
		return ErrSignature
	}
	if len(blob) < size { // some signers strip leading zeros, as OpenSSH tolerates
		blob = append(make([]byte, size-len(blob)), blob...)
	}
	hh := h.New()
	hh.Write(data)
	if err := rsa.VerifyPKCS1v15(k.k, h, hh.Sum(nil), blob); err != nil {
		return ErrSignature
	}
	return nil
}

// An SKPublicKey is a FIDO/U2F security-key public key (OpenSSH
// PROTOCOL.u2f): "sk-ssh-ed25519@openssh.com" or
// "sk-ecdsa-sha2-nistp256@openssh.com". Its signatures are made by an
// authenticator over the hash of the application, a flags byte, a
// counter and the hash of the data.
type SKPublicKey struct {
	typ         string
	ed          ed25519.PublicKey
	ec          *ecdsa.PublicKey
	Application string // the FIDO application (relying party) string, normally "ssh:"
}

func parseSKED25519(r *wire.Reader) (PublicKey, error) {
	pk := r.StringBytes()
	app := r.Text()
	if err := r.Finish("sk-ed25519 key"); err != nil {
		return nil, err
	}
	if len(pk) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: ed25519 key of %d bytes", ErrInvalidKey, len(pk))
	}
	return &SKPublicKey{typ: SKED25519, ed: append(ed25519.PublicKey(nil), pk...), Application: app}, nil
}

func parseSKECDSA(r *wire.Reader) (PublicKey, error) {
	k, err := readECPoint(r, SKECDSAP256)
	if err != nil {
		return nil, err
	}
	app := r.Text()
	if err := r.Finish("sk-ecdsa key"); err != nil {
		return nil, err
	}
	return &SKPublicKey{typ: SKECDSAP256, ec: k, Application: app}, nil
}

// NewSKPublicKey returns a security-key public key for an authenticator
// key (ed25519.PublicKey or a P-256 *ecdsa.PublicKey) and application.
func NewSKPublicKey(k crypto.PublicKey, application string) (*SKPublicKey, error) {
	switch k := k.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, ErrInvalidKey
		}
		return &SKPublicKey{typ: SKED25519, ed: append(ed25519.PublicKey(nil), k...), Application: application}, nil
	case *ecdsa.PublicKey:
		if ecdsaTypeForCurve(k.Curve) != ECDSAP256 {
			return nil, fmt.Errorf("%w: security keys use P-256", ErrInvalidKey)
		}
		return &SKPublicKey{typ: SKECDSAP256, ec: k, Application: application}, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnknownAlgorithm, k)
}

func (k *SKPublicKey) Type() string { return k.typ }

// CryptoPublicKey returns the authenticator's ed25519.PublicKey or
// *ecdsa.PublicKey.
func (k *SKPublicKey) CryptoPublicKey() crypto.PublicKey {
	if k.ed != nil {
		return k.ed
	}
	return k.ec
}

func (k *SKPublicKey) Marshal() []byte { return k.appendFields(wire.AppendString(nil, k.typ)) }
func (k *SKPublicKey) appendFields(b []byte) []byte {
	if k.typ == SKED25519 {
		b = wire.AppendString(b, k.ed)
	} else {
		b = (&ecdsaKey{typ: SKECDSAP256, k: k.ec}).appendFields(b)
	}
	return wire.AppendString(b, k.Application)
}

// Verify checks a security-key signature; it requires the user-presence
// flag (CVE-2026-39831). Use Policy.Verify with NoTouchRequired to relax
// that.
func (k *SKPublicKey) Verify(data []byte, sig *Signature) error {
	return k.verify(data, sig, &Policy{})
}

// SKSignedData returns the bytes an authenticator signs for data
// (OpenSSH PROTOCOL.u2f): SHA256(application) || flags || counter ||
// SHA256(data). Tests and software authenticators use it.
func SKSignedData(application string, flags byte, counter uint32, data []byte) []byte {
	app := sha256.Sum256([]byte(application))
	msg := sha256.Sum256(data)
	b := make([]byte, 0, 32+1+4+32)
	b = append(b, app[:]...)
	b = append(b, flags)
	b = wire.AppendUint32(b, counter)
	return append(b, msg[:]...)
}

func (k *SKPublicKey) verify(data []byte, sig *Signature, p *Policy) error {
	if sig.Format != k.typ {
		return fmt.Errorf("%w: %q signature for an %s key", ErrAlgorithmMismatch, sig.Format, k.typ)
	}
	flags, counter, ok := sig.SKFlags()
	if !ok {
		return ErrSignature
	}
	signed := SKSignedData(k.Application, flags, counter, data)
	if k.typ == SKED25519 {
		if len(sig.Blob) != ed25519.SignatureSize || !fasted25519.Verify(k.ed, signed, sig.Blob) {
			return ErrSignature
		}
	} else if err := verifyECDSA(k.ec, crypto.SHA256, signed, sig.Blob); err != nil {
		return err
	}
	// The flags are checked after the signature, so that a forged flags
	// byte reports ErrSignature.
	if flags&SKUserPresent == 0 && !p.NoTouchRequired {
		return ErrUserPresence
	}
	if flags&SKUserVerified == 0 && p.VerifyRequired {
		return ErrUserVerification
	}
	return nil
}

var (
	_ PublicKey       = (*ed25519Key)(nil)
	_ PublicKey       = (*ecdsaKey)(nil)
	_ PublicKey       = (*rsaKey)(nil)
	_ PublicKey       = (*SKPublicKey)(nil)
	_ CryptoPublicKey = (*SKPublicKey)(nil)
	_ policyVerifier  = (*SKPublicKey)(nil)
)
