//go:build amd64 && !purego

package ed25519

import (
	"encoding/binary"
	"math/bits"
)

// A scalar is an integer modulo the group order L = 2^252 +
// 27742317777372353535851937790883648493, in four little-endian 64-bit
// limbs. The arithmetic is Montgomery multiplication with R = 2^256 in
// math/bits, with no branch or index on the values: Sign's secret
// scalars go through it.
type scalar [4]uint64

var (
	scL = scalar{0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000}
	// scR2 is R^2 mod L, scR3 is R^3 mod L.
	scR2  = scalar{0xa40611e3449c0f01, 0xd00e1ba768859347, 0xceec73d217f5be65, 0x399411b7c309a3d}
	scR3  = scalar{0x2a9e49687b83a2db, 0x278324e6aef7f3ec, 0x8065dc6c04ec5b65, 0xe530b773599cec7}
	scOne = scalar{1}
)

// scLInv is -1/L modulo 2^64.
const scLInv = 0xd2b51da312547e1b

// montMul returns a*b/R mod L, reduced below L, for a*b < L*R.
func montMul(a, b *scalar) scalar {
	var t [6]uint64
	for i := range 4 {
		// t += a[i]*b.
		var c uint64
		for j := range 4 {
			hi, lo := bits.Mul64(a[i], b[j])
			var k uint64
			t[j], k = bits.Add64(t[j], lo, 0)
			hi += k
			t[j], k = bits.Add64(t[j], c, 0)
			c = hi + k
		}
		var k uint64
		t[4], k = bits.Add64(t[4], c, 0)
		t[5] += k
		// t = (t + m*L)/2^64, with m chosen so that the low limb is 0.
		m := t[0] * scLInv
		c = 0
		for j := range 4 {
			hi, lo := bits.Mul64(m, scL[j])
			var k uint64
			lo, k = bits.Add64(t[j], lo, 0)
			hi += k
			lo, k = bits.Add64(lo, c, 0)
			c = hi + k
			if j > 0 {
				t[j-1] = lo
			}
		}
		t[3], k = bits.Add64(t[4], c, 0)
		t[4] = t[5] + k
		t[5] = 0
	}
	// t < 2L: subtract L once unless that borrows.
	return condSubL([5]uint64{t[0], t[1], t[2], t[3], t[4]})
}

// condSubL returns t-L when t >= L and t otherwise, for t < 2L, by mask.
func condSubL(t [5]uint64) scalar {
	var d scalar
	var b uint64
	for i := range 4 {
		d[i], b = bits.Sub64(t[i], scL[i], b)
	}
	_, b = bits.Sub64(t[4], 0, b)
	mask := -b // all ones when t < L
	var out scalar
	for i := range 4 {
		out[i] = t[i]&mask | d[i]&^mask
	}
	return out
}

func scalarFromBytes(b []byte) scalar {
	var s scalar
	for i := range s {
		s[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return s
}

func (s *scalar) putBytes(b []byte) {
	for i := range s {
		binary.LittleEndian.PutUint64(b[8*i:], s[i])
	}
}

// reduceWide returns the 512-bit little-endian h modulo L. With
// h = a + b*R: a*R^2/R + b*R^3/R = h*R, and a last multiplication by 1
// takes R off. Each product is below L*R, since a, b < R and R2, R3 < L.
func reduceWide(h *[64]byte) scalar {
	a, b := scalarFromBytes(h[:32]), scalarFromBytes(h[32:])
	x := montMul(&a, &scR2)
	y := montMul(&b, &scR3)
	s := scAdd(&x, &y)
	return montMul(&s, &scOne)
}

// scAdd returns a+b mod L for a, b < L.
func scAdd(a, b *scalar) scalar {
	var t [5]uint64
	var c uint64
	for i := range 4 {
		t[i], c = bits.Add64(a[i], b[i], c)
	}
	t[4] = c
	return condSubL(t)
}

// mulAdd returns k*s + r mod L for k, r < L and any s below 2^255 (the
// clamped secret scalar, not reduced): k*R^2/R = kR < L, and kR*s/R = ks,
// with kR*s < L*R.
func mulAdd(k, s, r *scalar) scalar {
	kR := montMul(k, &scR2)
	ks := montMul(&kR, s)
	return scAdd(&ks, r)
}

// isCanonical reports whether the 32 little-endian bytes b are below L,
// as crypto/ed25519 requires of S (RFC 8032, Section 5.1.7, step 1).
// It is variable-time: S is public.
func isCanonical(b []byte) bool {
	s := scalarFromBytes(b)
	for i := 3; i >= 0; i-- {
		if s[i] != scL[i] {
			return s[i] < scL[i]
		}
	}
	return false
}
