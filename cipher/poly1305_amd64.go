//go:build amd64 && !purego

package cipher

import (
	"encoding/binary"
	"math/bits"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the OpenSSH construction needs the raw one-time MAC
)

// polySum sends messages of up to polyScalarMax bytes to this file's
// scalar Go code, which beats x/crypto/poly1305 there because it has no
// MAC state to set up, and messages of polyAVX2Min bytes or more to the
// AVX2 code where the CPU has AVX2; the AVX2 path first computes r^2, r^3,
// r^4 and a power of r per message. Both chosen by BenchmarkPoly1305Vs
// (docs/decisions/0025-poly1305-avx2.md).
const (
	polyScalarMax = 128
	polyAVX2Min   = 1280
)

// polyAVX2 reports whether polySum uses the AVX2 code for long messages.
var polyAVX2 = cpuHasAVX2()

// polySum writes the Poly1305 tag (RFC 8439, Section 2.5) of msg under
// the one-time key to out.
func polySum(out *[16]byte, msg []byte, key *[32]byte) {
	switch {
	case len(msg) <= polyScalarMax:
		polySumScalar(out, msg, key)
	case polyAVX2 && len(msg) >= polyAVX2Min:
		polySumAVX2(out, msg, key)
	default:
		poly1305.Sum(out, msg, key)
	}
}

// polyBlocksHybridAVX2 runs Poly1305 over two streams at once, each from
// a zero accumulator. With AVX2 it takes the n 64-byte chunks at a and
// stores their accumulator in h as five 26-bit limbs (limb i weighs
// 2^(26i)), each below 2^30 but not carried; q[i][j] is limb i of
// r^(4-j), the multipliers of lanes 0 to 3 in the last chunk (the loop
// multiplies every lane by r^4). With 64-bit integer arithmetic it takes
// the 3n blocks at b and stores their accumulator in hs as hs[0] +
// hs[1] 2^64 + hs[2] 2^128 (below 2^131); r is the clamped r as two
// 64-bit words. The vector code keeps the vector units busy and the
// scalar code the integer multiplier, so the two run side by side.
//
//go:noescape
func polyBlocksHybridAVX2(h *[5]uint64, hs *[3]uint64, q *[5][4]uint64, r *[2]uint64, a, b *byte, n int)

// polyHybridBlocks is the number of blocks the scalar stream of
// polyBlocksHybridAVX2 takes per 64-byte vector chunk: the number of
// SBLOCKs in its loop. Three measured faster than two or four here.
const polyHybridBlocks = 3

// polySumAVX2 is polySum on the AVX2 code for any message length: whole
// groups of 112 bytes go to polyBlocksHybridAVX2, the remaining blocks to
// the scalar code below.
func polySumAVX2(out *[16]byte, msg []byte, key *[32]byte) { polySumWith(out, msg, key, true) }

// polySumScalar is polySum on the scalar Go code below alone.
func polySumScalar(out *[16]byte, msg []byte, key *[32]byte) { polySumWith(out, msg, key, false) }

// polySumWith computes the tag, with the two-stream code if vector is set.
// Every branch depends only on len(msg).
func polySumWith(out *[16]byte, msg []byte, key *[32]byte, vector bool) {
	r0 := binary.LittleEndian.Uint64(key[0:8]) & 0x0FFFFFFC0FFFFFFF
	r1 := binary.LittleEndian.Uint64(key[8:16]) & 0x0FFFFFFC0FFFFFFC
	var h0, h1, h2 uint64
	if n := len(msg) / (64 + 16*polyHybridBlocks); vector && n > 0 {
		p := [3]uint64{r0, r1, 0} // r^1, r^2, r^3, r^4, fully reduced
		var q [5][4]uint64
		for j := 3; ; j-- {
			polyLimbs(&q, j, p)
			if j == 0 {
				break
			}
			p = polyReduce(polyMul(p[0], p[1], p[2], r0, r1))
		}
		var l [5]uint64
		var hs [3]uint64
		r := [2]uint64{r0, r1}
		a, b := msg[:64*n], msg[64*n:(64+16*polyHybridBlocks)*n]
		polyBlocksHybridAVX2(&l, &hs, &q, &r, &a[0], &b[0], n)
		// The accumulator of a followed by b is acc(a) r^len(b) + acc(b),
		// with len(b) in blocks.
		var rl [5]uint64
		polyLimbs26(&rl, [3]uint64{r0, r1, 0})
		polyCarry26(&l)
		rn := polyPow26(rl, polyHybridBlocks*n)
		polyMul26(&l, &l, &rn)
		h0, h1, h2 = polyFrom26(&l)
		var c uint64
		h0, c = bits.Add64(h0, hs[0], 0)
		h1, c = bits.Add64(h1, hs[1], c)
		h2 += hs[2] + c
		h0, h1, h2 = polyFold(h0, h1, h2)
		msg = msg[(64+16*polyHybridBlocks)*n:]
	}
	for len(msg) >= 16 {
		h0, h1, h2 = polyBlock(h0, h1, h2, msg[:16], 1)
		h0, h1, h2 = polyMul(h0, h1, h2, r0, r1)
		msg = msg[16:]
	}
	if len(msg) > 0 {
		var b [16]byte
		copy(b[:], msg)
		b[len(msg)] = 1 // the pad bit sits right after a short final block
		h0, h1, h2 = polyBlock(h0, h1, h2, b[:], 0)
		h0, h1, h2 = polyMul(h0, h1, h2, r0, r1)
	}
	h := polyReduce(h0, h1, h2)
	s0 := binary.LittleEndian.Uint64(key[16:24])
	s1 := binary.LittleEndian.Uint64(key[24:32])
	var c uint64
	h[0], c = bits.Add64(h[0], s0, 0)
	h[1], _ = bits.Add64(h[1], s1, c)
	binary.LittleEndian.PutUint64(out[0:8], h[0])
	binary.LittleEndian.PutUint64(out[8:16], h[1])
}

// polyLimbs stores the fully reduced x as 26-bit limbs in q[0..4][j].
func polyLimbs(q *[5][4]uint64, j int, x [3]uint64) {
	const mask = 1<<26 - 1
	q[0][j] = x[0] & mask
	q[1][j] = x[0] >> 26 & mask
	q[2][j] = (x[0]>>52 | x[1]<<12) & mask
	q[3][j] = x[1] >> 14 & mask
	q[4][j] = x[1]>>40 | x[2]<<24
}

// polyLimbs26 returns the fully reduced x as 26-bit limbs.
func polyLimbs26(l *[5]uint64, x [3]uint64) {
	var q [5][4]uint64
	polyLimbs(&q, 0, x)
	for i := range l {
		l[i] = q[i][0]
	}
}

// polyCarry26 carries 26-bit limbs, each below 2^63, so that limbs 0, 2,
// 3 and 4 are below 2^26 and limb 1 below 2^26 + 2^15: a value below
// 2^130 + 2^52, congruent to the old one modulo 2^130-5.
func polyCarry26(l *[5]uint64) {
	const mask = 1<<26 - 1
	for i := range 4 {
		l[i+1] += l[i] >> 26
		l[i] &= mask
	}
	l[0] += 5 * (l[4] >> 26) // 2^130 = 5
	l[4] &= mask
	l[1] += l[0] >> 26
	l[0] &= mask
}

// polyMul26 sets d to a*b modulo 2^130-5 as carried 26-bit limbs
// (polyCarry26); a and b must be carried. d may alias a or b.
func polyMul26(d, a, b *[5]uint64) {
	a0, a1, a2, a3, a4 := a[0], a[1], a[2], a[3], a[4]
	b0, b1, b2, b3, b4 := b[0], b[1], b[2], b[3], b[4]
	s1, s2, s3, s4 := 5*b1, 5*b2, 5*b3, 5*b4
	d0 := a0*b0 + a1*s4 + a2*s3 + a3*s2 + a4*s1
	d1 := a0*b1 + a1*b0 + a2*s4 + a3*s3 + a4*s2
	d2 := a0*b2 + a1*b1 + a2*b0 + a3*s4 + a4*s3
	d3 := a0*b3 + a1*b2 + a2*b1 + a3*b0 + a4*s4
	d4 := a0*b4 + a1*b3 + a2*b2 + a3*b1 + a4*b0
	const mask = 1<<26 - 1
	d1 += d0 >> 26
	d2 += d1 >> 26
	d3 += d2 >> 26
	d4 += d3 >> 26
	d0 = d0&mask + 5*(d4>>26)
	d[0], d[1], d[2], d[3], d[4] = d0&mask, d1&mask+d0>>26, d2&mask, d3&mask, d4&mask
}

// polyPow26 returns x^n modulo 2^130-5 as carried 26-bit limbs, for n at
// least 1. n is a block count, public; the work does not depend on x.
func polyPow26(x [5]uint64, n int) [5]uint64 {
	for n&1 == 0 {
		polyMul26(&x, &x, &x)
		n >>= 1
	}
	y := x
	for n >>= 1; n > 0; n >>= 1 {
		polyMul26(&x, &x, &x)
		if n&1 != 0 {
			polyMul26(&y, &y, &x)
		}
	}
	return y
}

// polyFold returns h modulo 2^130 plus 5 times h >> 130, for h below
// 2^134: a congruent value below 2^130 + 16, so below 2p.
func polyFold(h0, h1, h2 uint64) (uint64, uint64, uint64) {
	var c uint64
	h0, c = bits.Add64(h0, 5*(h2>>2), 0)
	h1, c = bits.Add64(h1, 0, c)
	return h0, h1, h2&3 + c
}

// polyFrom26 carries the 26-bit limbs of polyBlocksHybridAVX2 (each below
// 2^37) and returns their value, below 2^130 + 2^53 and so below 2p, as
// h0 + h1 2^64 + h2 2^128.
func polyFrom26(l *[5]uint64) (h0, h1, h2 uint64) {
	polyCarry26(l)
	var c uint64
	h0, c = bits.Add64(l[0]+l[1]<<26, l[2]<<52, 0)
	h1, c = bits.Add64(l[2]>>12+l[3]<<14, l[4]<<40, c)
	h2 = l[4]>>24 + c
	return h0, h1, h2
}

// polyBlock adds the 16-byte block b and pad*2^128 to h.
func polyBlock(h0, h1, h2 uint64, b []byte, pad uint64) (uint64, uint64, uint64) {
	var c uint64
	h0, c = bits.Add64(h0, binary.LittleEndian.Uint64(b[0:8]), 0)
	h1, c = bits.Add64(h1, binary.LittleEndian.Uint64(b[8:16]), c)
	return h0, h1, h2 + pad + c
}

// polyMul returns h*r modulo 2^130-5, partially reduced: below
// 2^130 + 2^128, so h2 is at most 4. h2 must be at most 7 and r clamped,
// so that h2*r0 and h2*r1 fit in 64 bits.
func polyMul(h0, h1, h2, r0, r1 uint64) (uint64, uint64, uint64) {
	hi00, lo00 := bits.Mul64(h0, r0)
	hi10, lo10 := bits.Mul64(h1, r0)
	hi01, lo01 := bits.Mul64(h0, r1)
	hi11, lo11 := bits.Mul64(h1, r1)

	// t = t0 + t1 2^64 + t2 2^128 + t3 2^192
	t0 := lo00
	t1, c := bits.Add64(hi00, lo10, 0)
	t2 := hi10 + c
	t1, c = bits.Add64(t1, lo01, 0)
	t2, c = bits.Add64(t2, hi01, c)
	t3 := c
	t2, c = bits.Add64(t2, lo11, 0)
	t3 += hi11 + c
	t2, c = bits.Add64(t2, h2*r0, 0)
	t3 += h2*r1 + c

	// t = (t mod 2^130) + 5*(t >> 130): c0, c1 is 4*(t >> 130).
	h0, h1, h2 = t0, t1, t2&3
	c0, c1 := t2&^3, t3
	h0, c = bits.Add64(h0, c0, 0)
	h1, c = bits.Add64(h1, c1, c)
	h2 += c
	c0, c1 = c0>>2|c1<<62, c1>>2
	h0, c = bits.Add64(h0, c0, 0)
	h1, c = bits.Add64(h1, c1, c)
	h2 += c
	return h0, h1, h2
}

// polyReduce returns h modulo p = 2^130-5 for h below 2p, in constant
// time.
func polyReduce(h0, h1, h2 uint64) [3]uint64 {
	t0, b := bits.Sub64(h0, 0xFFFFFFFFFFFFFFFB, 0)
	t1, b := bits.Sub64(h1, 0xFFFFFFFFFFFFFFFF, b)
	t2, b := bits.Sub64(h2, 3, b)
	keep := -b // all ones if h < p
	return [3]uint64{
		h0&keep | t0&^keep,
		h1&keep | t1&^keep,
		h2&keep | t2&^keep,
	}
}
