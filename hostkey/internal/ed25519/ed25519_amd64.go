//go:build amd64 && !purego

package ed25519

import (
	"crypto/sha512"
	"sync"

	"golang.org/x/sys/cpu"
)

// useADX is on when CPUID reports BMI2 and ADX, which MULX, ADCX and ADOX
// need; tests turn it off to run crypto/ed25519's path.
var useADX = cpu.X86.HasBMI2 && cpu.X86.HasADX

// verifyADX is RFC 8032, Section 5.1.7, with crypto/ed25519's rules: S
// must be below L, A is decoded as decodePair says, k is
// SHA-512(R || A || M) mod L over the bytes as given, and R' = [S]B - [k]A
// must encode to exactly sig[:32].
//
// That last test is made without encoding R', which would take an
// inversion: sig[:32] is the encoding of R' exactly when it is the
// canonical encoding of a point (y below p, and no sign bit on x = 0)
// and that point is R'. Decoding R costs a square root, but it runs
// alongside A's (decodePair), for much less than the inversion.
//
// Everything here is public, so it may take variable time.
func verifyADX(pub, msg, sig []byte) bool {
	if !isCanonical(sig[32:]) {
		return false
	}
	var ry fe
	ry.setBytes(sig[:32])
	if ry.canonical() != ry {
		return false // y >= p: R' encodes y below p
	}
	var a, r point
	if okA, okR := decodePair(&a, &r, pub, sig[:32]); !okA || !okR {
		return false
	}
	if sig[31]>>7 == 1 && r.X == feZero {
		return false // R' encodes x = 0 with the sign bit clear
	}
	var hb [64]byte
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	h.Write(msg)
	h.Sum(hb[:0])
	k := reduceWide(&hb)
	s := scalarFromBytes(sig[32:])

	var rp point
	doubleScalarMult(&rp, &k, &a, &s)
	// R' = R when X' = x*Z' and Y' = y*Z'.
	var t fe
	feMul(&t, &r.X, &rp.Z)
	if !t.equal(&rp.X) {
		return false
	}
	feMul(&t, &r.Y, &rp.Z)
	return t.equal(&rp.Y)
}

// The windows of the two wNAFs: 5 for A (eight cached odd multiples per
// call), 8 for B (64 affine odd multiples, computed once).
const (
	wA = 5
	wB = 8
)

var (
	baseOddOnce sync.Once
	baseOdd     [1 << (wB - 2)]affine
)

// baseOddTable returns B, 3B, 5B, ..., 127B in affine form.
func baseOddTable() *[1 << (wB - 2)]affine {
	baseOddOnce.Do(func() {
		var b2 point
		var b2c cached
		pointDouble(&b2, &basePoint)
		b2c.fromPoint(&b2)
		p := basePoint
		for i := range baseOdd {
			baseOdd[i].fromPoint(&p)
			pointAddCached(&p, &p, &b2c)
		}
	})
	return &baseOdd
}

// doubleScalarMult sets v = [s]B - [k]A, Straus's method over the wNAFs
// of k and s: one chain of doublings, with an addition wherever either
// has a digit.
func doubleScalarMult(v *point, k *scalar, a *point, s *scalar) {
	var aOdd [1 << (wA - 2)]cached
	var a2 point
	var a2c cached
	pointDouble(&a2, a)
	a2c.fromPoint(&a2)
	p := *a
	for i := range aOdd {
		aOdd[i].fromPoint(&p)
		if i < len(aOdd)-1 {
			pointAddCached(&p, &p, &a2c)
		}
	}
	bOdd := baseOddTable()

	var kn, sn naf
	kn.wnaf(k, wA)
	sn.wnaf(s, wB)
	top := 255
	for top >= 0 && kn[top] == 0 && sn[top] == 0 {
		top--
	}
	v.setIdentity()
	for i := top; i >= 0; i-- {
		switch d := kn[i]; {
		case d > 0:
			pointSubCached(v, v, &aOdd[d/2])
		case d < 0:
			pointAddCached(v, v, &aOdd[-d/2])
		}
		switch d := sn[i]; {
		case d > 0:
			pointAddAffine(v, v, &bOdd[d/2])
		case d < 0:
			pointSubAffine(v, v, &bOdd[-d/2])
		}
		if i > 0 {
			// When the next step adds nothing, this doubling's T would
			// go unused.
			if kn[i-1] == 0 && sn[i-1] == 0 {
				pointDoubleXYZ(v, v)
			} else {
				pointDouble(v, v)
			}
		}
	}
}

// A naf is a scalar's signed digits, one per bit position.
type naf [256]int8

// wnaf sets n to the width-w non-adjacent form of x < 2^253: odd digits
// below 2^(w-1) in magnitude, at least w positions apart, with
// x = sum of n[i]*2^i.
func (n *naf) wnaf(x *scalar, w uint) {
	*n = naf{}
	limbs := [5]uint64{x[0], x[1], x[2], x[3]}
	// bitsAt returns the bits of x from position i on, at least w of them.
	bitsAt := func(i int) uint64 {
		j, s := i/64, uint(i%64)
		if s == 0 {
			return limbs[j]
		}
		return limbs[j]>>s | limbs[j+1]<<(64-s)
	}
	mask := uint64(1)<<w - 1
	var carry uint64
	for i := 0; i < 256; {
		b := bitsAt(i)
		if b&1 == carry {
			// The digit here is even (0, or 2 carried on): nothing to add.
			i++
			continue
		}
		d := int64(b&mask + carry)
		carry = 0
		if d >= 1<<(w-1) {
			d -= 1 << w
			carry = 1
		}
		n[i] = int8(d)
		i += int(w)
	}
}
