package ed25519

import (
	"crypto/sha512"
	"math/big"
)

// A reference edwards25519 in math/big and affine coordinates, written
// from RFC 8032, Section 5.1, to build test points that no private key
// gives: small-order and mixed-order points, non-canonical encodings and
// signatures for them. It shares no code with the package.
var (
	refP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	refL = new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 252), mustBig("27742317777372353535851937790883648493"))
	refD = new(big.Int).Mod(new(big.Int).Mul(big.NewInt(-121665), new(big.Int).ModInverse(big.NewInt(121666), refP)), refP)
	refB = refPoint{mustBig("15112221349535400772501151409588531511454012693041857206046113283949847762202"),
		mustBig("46316835694926478169428394003475163141307993866256225615783033603165251855960")}
	refIdentity = refPoint{big.NewInt(0), big.NewInt(1)}
)

func mustBig(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad constant " + s)
	}
	return x
}

type refPoint struct{ x, y *big.Int }

func refMod(x *big.Int) *big.Int { return x.Mod(x, refP) }

func refInv(x *big.Int) *big.Int { return new(big.Int).ModInverse(x, refP) }

// add is the complete affine addition law of -x^2 + y^2 = 1 + d x^2 y^2.
func (p refPoint) add(q refPoint) refPoint {
	xx := new(big.Int).Mul(p.x, q.x)
	yy := new(big.Int).Mul(p.y, q.y)
	dxy := refMod(new(big.Int).Mul(refD, refMod(new(big.Int).Mul(xx, yy))))
	x := new(big.Int).Add(new(big.Int).Mul(p.x, q.y), new(big.Int).Mul(p.y, q.x))
	y := new(big.Int).Add(yy, xx)
	x = refMod(x.Mul(x, refInv(refMod(new(big.Int).Add(big.NewInt(1), dxy)))))
	y = refMod(y.Mul(y, refInv(refMod(new(big.Int).Sub(big.NewInt(1), dxy)))))
	return refPoint{x, y}
}

func (p refPoint) neg() refPoint { return refPoint{refMod(new(big.Int).Neg(p.x)), p.y} }

func (p refPoint) mul(k *big.Int) refPoint {
	r := refIdentity
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = r.add(r)
		if k.Bit(i) == 1 {
			r = r.add(p)
		}
	}
	return r
}

func (p refPoint) bytes() []byte {
	b := make([]byte, 32)
	p.y.FillBytes(b)
	reverse(b)
	b[31] |= byte(p.x.Bit(0)) << 7
	return b
}

// refDecode decodes b with crypto/ed25519's rules: y below 2^255 taken
// modulo p, and x = 0 accepted with either sign bit.
func refDecode(b []byte) (refPoint, bool) {
	c := append([]byte(nil), b...)
	sign := c[31] >> 7
	c[31] &= 127
	reverse(c)
	y := refMod(new(big.Int).SetBytes(c))
	yy := new(big.Int).Mul(y, y)
	u := refMod(new(big.Int).Sub(yy, big.NewInt(1)))
	v := refMod(new(big.Int).Add(new(big.Int).Mul(refD, yy), big.NewInt(1)))
	x := new(big.Int).ModSqrt(refMod(new(big.Int).Mul(u, refInv(v))), refP)
	if x == nil {
		return refPoint{}, false
	}
	if x.Bit(0) != uint(sign) {
		x = refMod(x.Neg(x))
	}
	return refPoint{x, y}, true
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

// refScalar returns the 32 little-endian bytes of x mod 2^256.
func refScalar(x *big.Int) []byte {
	b := make([]byte, 32)
	new(big.Int).Mod(x, new(big.Int).Lsh(big.NewInt(1), 256)).FillBytes(b)
	reverse(b)
	return b
}

// refChallenge is k = SHA-512(R || A || M) mod L.
func refChallenge(r, a, msg []byte) *big.Int {
	h := sha512.New()
	h.Write(r)
	h.Write(a)
	h.Write(msg)
	d := h.Sum(nil)
	reverse(d)
	return new(big.Int).Mod(new(big.Int).SetBytes(d), refL)
}

// refTorsion returns the eight points of order dividing 8, from a point
// of order 8 (a generator of the torsion subgroup).
func refTorsion() []refPoint {
	// 8 * (a point P of order 8L, the L-th multiple of which has order 8):
	// take the first y = 2, 3, ... that decodes, multiply by L.
	for y := int64(2); ; y++ {
		var b [32]byte
		b[0] = byte(y)
		p, ok := refDecode(b[:])
		if !ok {
			continue
		}
		t := p.mul(refL)
		pts := []refPoint{refIdentity}
		for q := t; q.x.Sign() != 0 || q.y.Cmp(big.NewInt(1)) != 0; q = q.add(t) {
			pts = append(pts, q)
		}
		if len(pts) == 8 {
			return pts
		}
	}
}
