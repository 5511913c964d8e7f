// Package x25519 is the X25519 function of RFC 7748 with a fast key
// generation and a fast shared secret. The public key is computed on the
// birationally equivalent Edwards curve with a precomputed table of the
// base point (fixed-base scalar multiplication, filippo.io/edwards25519),
// about four times faster than the Montgomery ladder crypto/ecdh uses for
// it (docs/decisions/0026-x25519-keygen.md). The shared secret is a
// constant-time Montgomery ladder: on amd64 CPUs with BMI2 and ADX, one
// assembly function over arithmetic in radix 2^64 with MULX, ADCX and
// ADOX (ladder_amd64.s, written by gen_ladder.go), 1.8 times faster than
// crypto/ecdh on the Zen 1 CPU where it was measured
// (docs/decisions/0040-x25519-adx.md); elsewhere, and with the purego
// build tag, over the field arithmetic of filippo.io/edwards25519.
// FuzzAgainstECDH checks every result against crypto/ecdh, and the
// assembly ladder against the Go one.
package x25519

import (
	"errors"
	"io"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Size is the length of scalars, public keys and shared secrets.
const Size = 32

// ErrLowOrder reports a peer public value whose shared secret is zero (a
// low-order point, RFC 7748, Section 6.1).
var ErrLowOrder = errors.New("x25519: low-order public value")

// GenerateKey returns a random private scalar and its public key.
func GenerateKey(rand io.Reader) (priv, pub []byte, err error) {
	priv = make([]byte, Size)
	if _, err := io.ReadFull(rand, priv); err != nil {
		return nil, nil, err
	}
	return priv, PublicKey(priv), nil
}

// PublicKey returns X25519(scalar, 9), the public key of scalar, which
// must be Size bytes.
func PublicKey(scalar []byte) []byte {
	// Clamping sets bit 254 and clears the low three bits; the base point
	// has prime order l, so (clamped mod l)·B is the same point.
	s, err := new(edwards25519.Scalar).SetBytesWithClamping(scalar)
	if err != nil {
		panic("x25519: scalar of wrong length")
	}
	return new(edwards25519.Point).ScalarBaseMult(s).BytesMontgomery()
}

// SharedSecret returns X25519(scalar, point), refusing the all-zero
// result with ErrLowOrder. point must be Size bytes; its top bit is
// ignored and non-canonical values are accepted, as RFC 7748 asks.
func SharedSecret(scalar, point []byte) ([]byte, error) {
	if len(scalar) != Size || len(point) != Size {
		return nil, errors.New("x25519: scalar or point of wrong length")
	}
	out := ladder(scalar, point)
	var acc byte
	for _, b := range out {
		acc |= b
	}
	if acc == 0 {
		return nil, ErrLowOrder
	}
	return out, nil
}

// ladder is the Montgomery ladder of RFC 7748, Section 5, in constant
// time: the same operations run whatever the scalar's bits. On amd64
// with BMI2 and ADX it is ladderADX, elsewhere ladderGeneric.
func ladder(scalar, point []byte) []byte {
	if haveADX {
		return ladderADX(scalar, point)
	}
	return ladderGeneric(scalar, point)
}

// clamp returns the scalar as RFC 7748, Section 5 decodes it: the low
// three bits cleared, bit 255 cleared and bit 254 set.
func clamp(scalar []byte) [Size]byte {
	var e [Size]byte
	copy(e[:], scalar)
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64
	return e
}

// ladderGeneric is ladder over filippo.io/edwards25519/field.
func ladderGeneric(scalar, point []byte) []byte {
	e := clamp(scalar)

	var x1, x2, z2, x3, z3, tmp0, tmp1 field.Element
	if _, err := x1.SetBytes(point); err != nil { // drops the top bit
		panic("x25519: point of wrong length")
	}
	x2.One()
	z2.Zero()
	x3.Set(&x1)
	z3.One()
	swap := 0
	for pos := 254; pos >= 0; pos-- {
		b := int(e[pos/8]>>uint(pos&7)) & 1
		swap ^= b
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = b

		tmp0.Subtract(&x3, &z3) // D
		tmp1.Subtract(&x2, &z2) // B
		x2.Add(&x2, &z2)        // A
		z2.Add(&x3, &z3)        // C
		z3.Multiply(&tmp0, &x2) // DA
		z2.Multiply(&z2, &tmp1) // CB
		tmp0.Square(&tmp1)      // BB
		tmp1.Square(&x2)        // AA
		x3.Add(&z3, &z2)        // DA+CB
		z2.Subtract(&z3, &z2)   // DA-CB
		x2.Multiply(&tmp1, &tmp0)
		tmp1.Subtract(&tmp1, &tmp0) // E = AA-BB
		z2.Square(&z2)
		z3.Mult32(&tmp1, 121666) // a24·E with a24 = (486662+2)/4
		x3.Square(&x3)
		tmp0.Add(&tmp0, &z3) // BB + a24·E
		z3.Multiply(&x1, &z2)
		z2.Multiply(&tmp1, &tmp0)
	}
	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)
	z2.Invert(&z2)
	x2.Multiply(&x2, &z2)
	return x2.Bytes()
}
