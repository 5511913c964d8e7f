//go:build amd64 && !purego

package ed25519

import (
	"crypto/sha512"
	"sync"
)

// signADX is RFC 8032, Section 5.1.6, as crypto/ed25519 does it: the
// secret scalar s and the prefix come from SHA-512 of the seed, the
// public key is priv[32:] as given, r = SHA-512(prefix || M) mod L,
// R = [r]B, k = SHA-512(R || A || M) mod L and S = r + k*s mod L.
//
// s and r are secret. Nothing below branches or indexes memory on them:
// the scalar arithmetic is masked (scalar_amd64.go), [r]B reads every
// table entry (baseMult), and the assembly has no data-dependent jump.
func signADX(sig *[SignatureSize]byte, priv []byte, msg []byte) {
	var hs, hr, hk [64]byte
	h := sha512.New()
	h.Write(priv[:32])
	h.Sum(hs[:0])
	hs[0] &= 248
	hs[31] &= 63
	hs[31] |= 64
	s := scalarFromBytes(hs[:32])

	h.Reset()
	h.Write(hs[32:])
	h.Write(msg)
	h.Sum(hr[:0])
	r := reduceWide(&hr)

	var rp point
	baseMult(&rp, &r)
	var rb [32]byte
	rp.putBytes(&rb)

	h.Reset()
	h.Write(rb[:])
	h.Write(priv[32:])
	h.Write(msg)
	h.Sum(hk[:0])
	k := reduceWide(&hk)

	sum := mulAdd(&k, &s, &r)
	copy(sig[:32], rb[:])
	sum.putBytes(sig[32:])
}

// baseTable[i][j] is (j+1)*16^(2i)*B in affine form: with a signed
// radix-16 digit per position, [r]B is 64 additions and 4 doublings.
var (
	baseTableOnce sync.Once
	baseTable     [32][8]affine
)

func baseTables() *[32][8]affine {
	baseTableOnce.Do(func() {
		p := basePoint // 16^(2i) B
		for i := range baseTable {
			var pc cached
			pc.fromPoint(&p)
			q := p
			for j := range baseTable[i] {
				baseTable[i][j].fromPoint(&q)
				pointAddCached(&q, &q, &pc)
			}
			for range 8 {
				pointDouble(&p, &p)
			}
		}
	})
	return &baseTable
}

// baseMult sets v = [x]B for x < L in constant time: x's 64 signed
// radix-16 digits e[i] in [-8, 8], the odd ones added from the tables,
// the sum multiplied by 16, the even ones added.
func baseMult(v *point, x *scalar) {
	t := baseTables()
	var e [64]int8
	for i := range 32 {
		b := byte(x[i/8] >> (8 * (i % 8)))
		e[2*i] = int8(b & 15)
		e[2*i+1] = int8(b >> 4)
	}
	// Recentre each digit from [0, 15] (plus a carry) to [-8, 7]; x < 2^253
	// leaves the top digit at most 2.
	for i := range 63 {
		carry := (e[i] + 8) >> 4
		e[i] -= carry << 4
		e[i+1] += carry
	}

	var q affine
	v.setIdentity()
	for i := 1; i < 64; i += 2 {
		q.lookup(&t[i/2], e[i])
		pointAddAffine(v, v, &q)
	}
	pointDoubleXYZ(v, v)
	pointDoubleXYZ(v, v)
	pointDoubleXYZ(v, v)
	pointDouble(v, v)
	for i := 0; i < 64; i += 2 {
		q.lookup(&t[i/2], e[i])
		pointAddAffine(v, v, &q)
	}
}

// lookup sets v = d*row[0] for d in [-8, 8]: |d| and the sign are
// computed without branches, and lookupAffine reads every entry of the
// row.
func (v *affine) lookup(row *[8]affine, d int8) {
	neg := uint64(uint8(d) >> 7)                    // 1 when d < 0
	abs := uint64(uint8(d^int8(-neg)) + uint8(neg)) // |d|
	lookupAffine(v, row, abs, neg)
}
