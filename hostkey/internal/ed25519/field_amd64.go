//go:build amd64 && !purego

package ed25519

import (
	"encoding/binary"
	"math/bits"
)

//go:generate go run gen_point.go

// An fe is an element of the field of p = 2^255-19 in radix 2^64: four
// little-endian limbs holding any value below 2^256 congruent to it.
// feMul, feSquare and feAdd take any such value and return one below
// 2^255 + 2^23 ("bounded"); feSub takes only bounded values
// (gen_point.go says why).
type fe [4]uint64

//go:noescape
func feMul(out, a, b *fe)

// feSquare sets out = a^(2^n), n squarings (n <= 0 copies).
//
//go:noescape
func feSquare(out, a *fe, n int)

//go:noescape
func feAdd(out, a, b *fe)

//go:noescape
func feSub(out, a, b *fe)

var (
	feZero = fe{}
	feOne  = fe{1}
	// feD is the curve's d = -121665/121666, and feD2 is 2d.
	feD  = fe{0x75eb4dca135978a3, 0x700a4d4141d8ab, 0x8cc740797779e898, 0x52036cee2b6ffe73}
	feD2 = fe{0xebd69b9426b2f159, 0xe0149a8283b156, 0x198e80f2eef3d130, 0x2406d9dc56dffce7}
	// feSqrtM1 is 2^((p-1)/4), a square root of -1.
	feSqrtM1 = fe{0xc4ee1b274a0ea0b0, 0x2f431806ad2fe478, 0x2b4d00993dfbd7a7, 0x2b8324804fc1df0b}
)

// canonical returns v reduced below p, computed without branches.
func (v *fe) canonical() fe {
	// v < 2^256 = 2p + 38. Fold bit 255 back as 19: then v < 2^255 + 19,
	// at most p + 37.
	top := v[3] >> 63
	var c uint64
	var w fe
	w[0], c = bits.Add64(v[0], 19*top, 0)
	w[1], c = bits.Add64(v[1], 0, c)
	w[2], c = bits.Add64(v[2], 0, c)
	w[3] = v[3]&(1<<63-1) + c
	// w >= p exactly when w+19 reaches 2^255; then w-p is w+19-2^255.
	var t fe
	t[0], c = bits.Add64(w[0], 19, 0)
	t[1], c = bits.Add64(w[1], 0, c)
	t[2], c = bits.Add64(w[2], 0, c)
	t[3] = w[3] + c
	mask := -(t[3] >> 63)
	t[3] &= 1<<63 - 1
	for i := range w {
		w[i] = w[i]&^mask | t[i]&mask
	}
	return w
}

// putBytes writes the canonical little-endian encoding of v to b.
func (v *fe) putBytes(b *[32]byte) {
	w := v.canonical()
	for i := range w {
		binary.LittleEndian.PutUint64(b[8*i:], w[i])
	}
}

// setBytes sets v to the 255-bit little-endian value in b, ignoring the
// top bit, as crypto/ed25519 reads y: values from p to 2^255-1 are
// accepted and stand for their residue. The result is bounded.
func (v *fe) setBytes(b []byte) {
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	v[3] &= 1<<63 - 1
}

func (v *fe) equal(u *fe) bool { return v.canonical() == u.canonical() }

// isNegative reports whether v's canonical value is odd, the "negative"
// of RFC 8032, Section 5.1.2.
func (v *fe) isNegative() bool { return v.canonical()[0]&1 == 1 }

// neg sets v = -u, canonical, for any u.
func (v *fe) neg(u *fe) {
	var t fe
	c := u.canonical()
	feSub(&t, &feZero, &c)
	*v = t.canonical()
}

// invert sets v = x^(p-2) = 1/x (0 for x = 0): 254 squarings and 11
// multiplications, with no branch on x. The addition chain is that of
// filippo.io/edwards25519/field, squarings n at a time in assembly.
func (v *fe) invert(x *fe) {
	var z2, z9, z11, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0, t fe
	feSquare(&z2, x, 1)            // 2
	feSquare(&t, &z2, 2)           // 8
	feMul(&z9, &t, x)              // 9
	feMul(&z11, &z9, &z2)          // 11
	feSquare(&t, &z11, 1)          // 22
	feMul(&z2_5_0, &t, &z9)        // 2^5 - 2^0
	feSquare(&t, &z2_5_0, 5)       // 2^10 - 2^5
	feMul(&z2_10_0, &t, &z2_5_0)   // 2^10 - 2^0
	feSquare(&t, &z2_10_0, 10)     // 2^20 - 2^10
	feMul(&z2_20_0, &t, &z2_10_0)  // 2^20 - 2^0
	feSquare(&t, &z2_20_0, 20)     // 2^40 - 2^20
	feMul(&t, &t, &z2_20_0)        // 2^40 - 2^0
	feSquare(&t, &t, 10)           // 2^50 - 2^10
	feMul(&z2_50_0, &t, &z2_10_0)  // 2^50 - 2^0
	feSquare(&t, &z2_50_0, 50)     // 2^100 - 2^50
	feMul(&z2_100_0, &t, &z2_50_0) // 2^100 - 2^0
	feSquare(&t, &z2_100_0, 100)   // 2^200 - 2^100
	feMul(&t, &t, &z2_100_0)       // 2^200 - 2^0
	feSquare(&t, &t, 50)           // 2^250 - 2^50
	feMul(&t, &t, &z2_50_0)        // 2^250 - 2^0
	feSquare(&t, &t, 5)            // 2^255 - 2^5
	feMul(v, &t, &z11)             // 2^255 - 21
}

// feSquare2 sets out[i] = a[i]^(2^n) for both elements, the two chains
// side by side (n <= 0 copies).
//
//go:noescape
func feSquare2(out, a *pair, n int)

// A pair is two field elements whose exponentiations run side by side:
// Verify decodes A and R together, and one squaring chain alone waits on
// every squaring's latency.
type pair [2]fe

func (v *pair) mul(a, b *pair) {
	feMul(&v[0], &a[0], &b[0])
	feMul(&v[1], &a[1], &b[1])
}

func (v *pair) square(a *pair, n int) { feSquare2(v, a, n) }

// pow22523 sets v[i] = x[i]^((p-5)/8) = x[i]^(2^252-3), with invert's
// addition chain up to 2^250-1.
func (v *pair) pow22523(x *pair) {
	var z2, z9, z11, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0, t pair
	z2.square(x, 1)            // 2
	t.square(&z2, 2)           // 8
	z9.mul(&t, x)              // 9
	z11.mul(&z9, &z2)          // 11
	t.square(&z11, 1)          // 22
	z2_5_0.mul(&t, &z9)        // 2^5 - 2^0
	t.square(&z2_5_0, 5)       // 2^10 - 2^5
	z2_10_0.mul(&t, &z2_5_0)   // 2^10 - 2^0
	t.square(&z2_10_0, 10)     // 2^20 - 2^10
	z2_20_0.mul(&t, &z2_10_0)  // 2^20 - 2^0
	t.square(&z2_20_0, 20)     // 2^40 - 2^20
	t.mul(&t, &z2_20_0)        // 2^40 - 2^0
	t.square(&t, 10)           // 2^50 - 2^10
	z2_50_0.mul(&t, &z2_10_0)  // 2^50 - 2^0
	t.square(&z2_50_0, 50)     // 2^100 - 2^50
	z2_100_0.mul(&t, &z2_50_0) // 2^100 - 2^0
	t.square(&z2_100_0, 100)   // 2^200 - 2^100
	t.mul(&t, &z2_100_0)       // 2^200 - 2^0
	t.square(&t, 50)           // 2^250 - 2^50
	t.mul(&t, &z2_50_0)        // 2^250 - 2^0
	t.square(&t, 2)            // 2^252 - 2^2
	v.mul(&t, x)               // 2^252 - 3
}

// sqrtRatio sets r[i] to the non-negative square root of u[i]/v[i] and
// reports for each whether it is a square, with the rules of RFC 8032,
// Section 5.1.3, step 3 (p = 5 mod 8): the candidate is
// u*v^3*(u*v^7)^((p-5)/8). It is variable-time: only Verify uses it, on
// public data.
func (r *pair) sqrtRatio(u, v *pair) [2]bool {
	var v3, uv3, uv7, t pair
	for i := range r {
		feSquare(&t[i], &v[i], 1)
		feMul(&v3[i], &t[i], &v[i])
		feSquare(&t[i], &v3[i], 1)
		feMul(&t[i], &t[i], &v[i])
		feMul(&uv3[i], &u[i], &v3[i])
		feMul(&uv7[i], &u[i], &t[i])
	}
	r.pow22523(&uv7)
	var ok [2]bool
	for i := range r {
		feMul(&r[i], &r[i], &uv3[i])
		ok[i] = r[i].fixRoot(&u[i], &v[i])
	}
	return ok
}

// fixRoot turns the candidate r into the non-negative root of u/v: r
// when v*r^2 = u, r*sqrt(-1) when v*r^2 = -u, and reports false when it
// is neither (u/v is not a square).
func (r *fe) fixRoot(u, v *fe) bool {
	var check, uNeg fe
	feSquare(&check, r, 1)
	feMul(&check, &check, v)
	uNeg.neg(u)
	switch {
	case check.equal(u):
	case check.equal(&uNeg):
		feMul(r, r, &feSqrtM1)
	default:
		return false
	}
	if r.isNegative() {
		r.neg(r)
	}
	*r = r.canonical()
	return true
}
