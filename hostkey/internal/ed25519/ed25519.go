// Package ed25519 is Ed25519 (RFC 8032, Section 5.1) for hostkey: on
// amd64 CPUs with BMI2 and ADX, arithmetic modulo 2^255-19 in radix 2^64
// with MULX, ADCX and ADOX and the point formulas in assembly; elsewhere,
// and with the purego tag, crypto/ed25519 (decision 0045).
//
// Verify accepts exactly what crypto/ed25519.Verify accepts, and Sign
// writes the same bytes as crypto/ed25519.Sign.
package ed25519

import "crypto/ed25519"

const (
	PublicKeySize  = ed25519.PublicKeySize
	PrivateKeySize = ed25519.PrivateKeySize
	SignatureSize  = ed25519.SignatureSize
)

// Verify reports whether sig is a valid signature of msg by pub, with the
// rules of crypto/ed25519.Verify. Unlike it, Verify does not panic on a
// public key of the wrong length: it returns false.
func Verify(pub, msg, sig []byte) bool {
	if len(pub) != PublicKeySize || len(sig) != SignatureSize {
		return false
	}
	if useADX {
		return verifyADX(pub, msg, sig)
	}
	return ed25519.Verify(pub, msg, sig)
}

// Sign writes the signature of msg by priv to sig, the same bytes as
// crypto/ed25519.Sign. priv must be PrivateKeySize bytes long (the seed
// and the public key); like crypto/ed25519.Sign, Sign panics otherwise.
func Sign(sig *[SignatureSize]byte, priv ed25519.PrivateKey, msg []byte) {
	if len(priv) != PrivateKeySize {
		panic("ed25519: bad private key length")
	}
	if useADX {
		signADX(sig, priv, msg)
		return
	}
	copy(sig[:], ed25519.Sign(priv, msg))
}
