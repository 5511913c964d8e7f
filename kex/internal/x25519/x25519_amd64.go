//go:build amd64 && !purego

package x25519

import (
	"encoding/binary"
	"math/bits"

	"golang.org/x/sys/cpu"
)

//go:generate go run gen_ladder.go

// An fe is an element of the field of p = 2^255-19 in radix 2^64: four
// little-endian limbs holding any value below 2^256 congruent to it.
// feMul, feSquare and feMulA24Add take any such value and return one
// below 2^255 + 2^23; feAdd and feSub take only values below that bound
// (gen_ladder.go says why).
type fe [4]uint64

// montLadder runs the Montgomery ladder of RFC 7748, Section 5, over bits
// 254 to 0 of the clamped scalar and the u-coordinate x1, leaving the
// result as the fraction x2/z2 (ladder_amd64.s, written by gen_ladder.go).
//
//go:noescape
func montLadder(x2, z2, x1 *fe, scalar *[32]byte)

// The field operations of ladder_amd64.s on their own: feMul and
// feSquare for the inversion, all of them for the tests. feSquare
// squares n times (n >= 1; n <= 0 copies).
//
//go:noescape
func feMul(out, a, b *fe)

//go:noescape
func feSquare(out, a *fe, n int)

//go:noescape
func feAdd(out, a, b *fe)

//go:noescape
func feSub(out, a, b *fe)

// feMulA24Add sets out = bb + 121666*e.
//
//go:noescape
func feMulA24Add(out, e, bb *fe)

// haveADX reports BMI2 and ADX, which MULX, ADCX and ADOX need.
var haveADX = cpu.X86.HasBMI2 && cpu.X86.HasADX

// ladderADX is ladder in radix 2^64 with MULX, ADCX and ADOX.
func ladderADX(scalar, point []byte) []byte {
	e := clamp(scalar)

	var x1, x2, z2 fe
	for i := range x1 {
		x1[i] = binary.LittleEndian.Uint64(point[8*i:])
	}
	x1[3] &= 1<<63 - 1 // RFC 7748, Section 5: the top bit is ignored
	montLadder(&x2, &z2, &x1, &e)
	z2.invert(&z2)
	feMul(&x2, &x2, &z2)
	return x2.bytes()
}

// invert sets v = x^(p-2) = 1/x (0 for x = 0) with 254 squarings and 11
// multiplications, the addition chain of filippo.io/edwards25519/field.
func (v *fe) invert(x *fe) *fe {
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
	return v
}

// bytes returns the canonical encoding of v: the value reduced below p,
// little-endian (RFC 7748, Section 5), computed without branches.
func (v *fe) bytes() []byte {
	// v < 2^256 = 2p + 38. Fold bit 255 back as 19: then v < 2^255 + 19,
	// at most p + 37.
	top := v[3] >> 63
	var c uint64
	var w fe
	w[0], c = bits.Add64(v[0], 19*top, 0)
	w[1], c = bits.Add64(v[1], 0, c)
	w[2], c = bits.Add64(v[2], 0, c)
	w[3] = v[3]&(1<<63-1) + c
	// v >= p exactly when v+19 reaches 2^255; then v-p is v+19-2^255.
	var t fe
	t[0], c = bits.Add64(w[0], 19, 0)
	t[1], c = bits.Add64(w[1], 0, c)
	t[2], c = bits.Add64(w[2], 0, c)
	t[3] = w[3] + c
	mask := -(t[3] >> 63)
	t[3] &= 1<<63 - 1
	out := make([]byte, Size)
	for i := range w {
		binary.LittleEndian.PutUint64(out[8*i:], w[i]&^mask|t[i]&mask)
	}
	return out
}
