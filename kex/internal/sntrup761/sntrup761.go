// Package sntrup761 implements the Streamlined NTRU Prime KEM with
// parameters p = 761, q = 4591, w = 286, as the NTRU Prime submission to
// the NIST post-quantum competition (round 3) specifies it and as OpenSSH's
// sntrup761x25519-sha512 key exchange uses it.
//
// Every operation on secret data runs in time independent of that data:
// reductions use multiplications instead of division, choices are masks,
// and the short-vector generator sorts with a fixed network.
//
// Randomness is read in 4-byte units (one per coefficient) and one block
// for the implicit-rejection secret, in the same order as the reference
// implementation, so that the NIST known-answer tests reproduce.
package sntrup761

import (
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"io"
)

// Parameters of sntrup761.
const (
	p   = 761
	q   = 4591
	w   = 286
	q12 = (q - 1) / 2

	smallBytes   = (p + 3) / 4 // 191
	rqBytes      = 1158
	roundedBytes = 1007
	hashBytes    = 32

	// PublicKeySize is the length of an encoded public key.
	PublicKeySize = rqBytes
	// CiphertextSize is the length of a ciphertext, confirmation hash
	// included.
	CiphertextSize = roundedBytes + hashBytes
	// PrivateKeySize is the length of an encoded private key: f, 1/g,
	// the public key, the rejection secret rho and the public-key hash.
	PrivateKeySize = 2*smallBytes + rqBytes + smallBytes + hashBytes
	// SharedKeySize is the length of the shared secret.
	SharedKeySize = hashBytes
)

// ErrSize reports a key or ciphertext of the wrong length.
var ErrSize = errors.New("sntrup761: wrong length")

type (
	small [p]int8  // coefficients in {-1, 0, 1}
	fq    [p]int16 // coefficients in [-q12, q12]
)

// freezeQ returns x mod q in [-q12, q12] for |x| < 2^30, without division.
func freezeQ(x int32) int16 {
	const shift = 42
	const m = (1 << shift) / q
	u := uint64(int64(x) + q12 + q<<18) // positive, < 2^31
	t := (u * m) >> shift               // floor(u/q) or one less
	r := int64(u - t*q)                 // in [0, 2q)
	r -= q
	r += (r >> 63) & q
	return int16(r - q12)
}

// freeze3 returns x mod 3 in {-1, 0, 1} for |x| < 2^28, without division.
func freeze3(x int32) int8 {
	const shift = 32
	const m = (1 << shift) / 3
	u := uint64(int64(x) + 1 + 3<<28)
	t := (u * m) >> shift
	r := int64(u - t*3)
	r -= 3
	r += (r >> 63) & 3
	return int8(r - 1)
}

// nonzeroMask returns -1 if x != 0, else 0.
func nonzeroMask(x int32) int32 {
	return -int32((uint64(uint32(x)) + 0xffffffff) >> 32)
}

// negativeMask returns -1 if x < 0, else 0.
func negativeMask(x int32) int32 { return x >> 31 }

// recipQ returns 1/a mod q by Fermat: a^(q-2), with a fixed chain.
func recipQ(a int16) int16 {
	r := int16(1)
	b := a
	for e := q - 2; e > 0; e >>= 1 { // e is public
		if e&1 == 1 {
			r = freezeQ(int32(r) * int32(b))
		}
		b = freezeQ(int32(b) * int32(b))
	}
	return r
}

// multSmallQ returns f*g in R/q = Z_q[x]/(x^p - x - 1).
func multSmallQ(f *fq, g *small) (h fq) {
	var c [2*p - 1]int32
	for i := 0; i < p; i++ {
		fi := int32(f[i])
		row := c[i : i+p]
		for j := range p {
			row[j] += fi * int32(g[j])
		}
	}
	reduceInto(&c)
	for i := range p {
		h[i] = freezeQ(c[i])
	}
	return h
}

// reduceInto folds the product coefficients above x^(p-1) back using
// x^p = x + 1. Sums stay far below 2^30.
func reduceInto(c *[2*p - 1]int32) {
	for i := 2*p - 2; i >= p; i-- {
		c[i-p] += c[i]
		c[i-p+1] += c[i]
	}
}

// mult3 returns f*g in R/3.
func mult3(f, g *small) (h small) {
	var c [2*p - 1]int32
	for i := 0; i < p; i++ {
		fi := int32(f[i])
		row := c[i : i+p]
		for j := range p {
			row[j] += fi * int32(g[j])
		}
	}
	reduceInto(&c)
	for i := range p {
		h[i] = freeze3(c[i])
	}
	return h
}

// recip3 returns 1/g in R/3 and whether g is invertible, by the
// constant-time divstep iteration of Bernstein and Yang.
func recip3(in *small) (out small, ok bool) {
	var f, g, v, r [p + 1]int8
	r[0] = 1
	f[0], f[p-1], f[p] = 1, -1, -1 // x^p - x - 1, reversed
	for i := range p {
		g[p-1-i] = in[i]
	}
	delta := int32(1)
	for range 2*p - 1 {
		copy(v[1:], v[:p])
		v[0] = 0
		sign := int8(-int32(g[0]) * int32(f[0]))
		swap := negativeMask(-delta) & nonzeroMask(int32(g[0]))
		delta ^= swap & (delta ^ -delta)
		delta++
		s8 := int8(swap)
		for i := range p + 1 {
			t := s8 & (f[i] ^ g[i])
			f[i] ^= t
			g[i] ^= t
			t = s8 & (v[i] ^ r[i])
			v[i] ^= t
			r[i] ^= t
		}
		for i := range p + 1 {
			g[i] = freeze3(int32(g[i]) + int32(sign)*int32(f[i]))
			r[i] = freeze3(int32(r[i]) + int32(sign)*int32(v[i]))
		}
		copy(g[:p], g[1:])
		g[p] = 0
	}
	sign := f[0]
	for i := range p {
		out[i] = sign * v[p-1-i]
	}
	return out, nonzeroMask(delta) == 0
}

// recipQ3 returns 1/(3*in) in R/q. It always succeeds for a short in.
func recipQ3(in *small) (out fq) {
	var f, g, v, r [p + 1]int16
	r[0] = recipQ(3)
	f[0], f[p-1], f[p] = 1, -1, -1
	for i := range p {
		g[p-1-i] = int16(in[i])
	}
	delta := int32(1)
	for range 2*p - 1 {
		copy(v[1:], v[:p])
		v[0] = 0
		swap := negativeMask(-delta) & nonzeroMask(int32(g[0]))
		delta ^= swap & (delta ^ -delta)
		delta++
		s16 := int16(swap)
		for i := range p + 1 {
			t := s16 & (f[i] ^ g[i])
			f[i] ^= t
			g[i] ^= t
			t = s16 & (v[i] ^ r[i])
			v[i] ^= t
			r[i] ^= t
		}
		f0, g0 := int32(f[0]), int32(g[0])
		for i := range p + 1 {
			g[i] = freezeQ(f0*int32(g[i]) - g0*int32(f[i]))
			r[i] = freezeQ(f0*int32(r[i]) - g0*int32(v[i]))
		}
		copy(g[:p], g[1:])
		g[p] = 0
	}
	scale := int32(recipQ(f[0]))
	for i := range p {
		out[i] = freezeQ(scale * int32(v[p-1-i]))
	}
	return out
}

// round rounds each coefficient to the nearest multiple of 3.
func round(a *fq) (out fq) {
	for i := range p {
		out[i] = a[i] - int16(freeze3(int32(a[i])))
	}
	return out
}

// weightMask returns 0 if r has exactly w non-zero coefficients, else -1.
func weightMask(r *small) int32 {
	weight := int32(0)
	for i := range p {
		weight += int32(r[i] & 1)
	}
	return nonzeroMask(weight - w)
}

// randomSource reads the reference implementation's units of randomness.
type randomSource struct {
	r   io.Reader
	err error
	buf [4]byte
}

// uint32 reads 4 bytes, little-endian, as the reference's urandom32.
func (s *randomSource) uint32() uint32 {
	b := s.buf[:]
	if s.err == nil {
		_, s.err = io.ReadFull(s.r, b)
	} else {
		clear(b)
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// smallRandom returns a uniformly random element of R/3.
func (s *randomSource) smallRandom() (out small) {
	for i := range p {
		out[i] = int8(((s.uint32()&0x3fffffff)*3)>>30) - 1
	}
	return out
}

// shortRandom returns a random element of R/3 with exactly w non-zero
// coefficients: w values tagged non-zero and p-w tagged zero are sorted by
// random keys with a fixed sorting network.
func (s *randomSource) shortRandom() (out small) {
	var l [1024]uint32
	for i := range p {
		l[i] = s.uint32()
	}
	for i := range w {
		l[i] &^= 1 // low bits 00 or 10: -1 or +1
	}
	for i := w; i < p; i++ {
		l[i] = l[i]&^3 | 1 // low bits 01: 0
	}
	for i := p; i < len(l); i++ {
		l[i] = 0xffffffff // sorts after every real entry
	}
	sortNetwork(l[:])
	for i := range p {
		out[i] = int8(l[i]&3) - 1
	}
	return out
}

// minmax puts the smaller of *a, *b in *a, in constant time.
func minmax(a, b *uint32) {
	x, y := *a, *b
	d := uint64(y) - uint64(x)     // borrows into the top half if y < x
	m := uint32(0) - uint32(d>>63) // all ones if y < x
	t := (x ^ y) & m
	*a, *b = x^t, y^t
}

// sortNetwork sorts a power-of-two slice with Batcher's bitonic network,
// whose compare-exchange sequence does not depend on the data.
func sortNetwork(l []uint32) {
	n := len(l)
	for k := 2; k <= n; k <<= 1 {
		for j := k >> 1; j > 0; j >>= 1 {
			for i := range n {
				m := i ^ j
				if m <= i {
					continue
				}
				if i&k == 0 {
					minmax(&l[i], &l[m])
				} else {
					minmax(&l[m], &l[i])
				}
			}
		}
	}
}

// hashPrefix returns the first 32 bytes of SHA-512(b || in...).
func hashPrefix(b byte, in ...[]byte) [hashBytes]byte {
	h := sha512.New()
	h.Write([]byte{b})
	for _, x := range in {
		h.Write(x)
	}
	var sum [64]byte
	h.Sum(sum[:0])
	var out [hashBytes]byte
	copy(out[:], sum[:hashBytes])
	return out
}

// GenerateKey returns a new key pair, reading randomness from rand.
func GenerateKey(rand io.Reader) (pk, sk []byte, err error) {
	s := &randomSource{r: rand}
	var g, ginv small
	for {
		g = s.smallRandom()
		if s.err != nil {
			return nil, nil, s.err
		}
		var ok bool
		if ginv, ok = recip3(&g); ok {
			break
		}
	}
	f := s.shortRandom()
	if s.err != nil {
		return nil, nil, s.err
	}
	finv := recipQ3(&f)
	h := multSmallQ(&finv, &g)

	sk = make([]byte, 0, PrivateKeySize)
	sk = encodeSmall(sk, &f)
	sk = encodeSmall(sk, &ginv)
	pkStart := len(sk)
	sk = encodeRq(sk, &h)
	pk = sk[pkStart:len(sk):len(sk)]
	rho := sk[len(sk) : len(sk)+smallBytes]
	if _, err := io.ReadFull(rand, rho); err != nil {
		return nil, nil, err
	}
	sk = sk[:len(sk)+smallBytes]
	cache := hashPrefix(4, pk)
	sk = append(sk, cache[:]...)
	return append([]byte(nil), pk...), sk, nil
}

// hide encrypts r to the public key and appends the confirmation hash;
// it returns the ciphertext and the encoding of r.
func hide(r *small, pk []byte, cache *[hashBytes]byte) (c, rEnc []byte) {
	rEnc = encodeSmall(make([]byte, 0, smallBytes), r)
	h := decodeRq(pk)
	hr := multSmallQ(&h, r)
	rounded := round(&hr)
	c = make([]byte, 0, CiphertextSize)
	c = encodeRounded(c, &rounded)
	h3 := hashPrefix(3, rEnc)
	confirm := hashPrefix(2, h3[:], cache[:])
	return append(c, confirm[:]...), rEnc
}

// Encapsulate returns a ciphertext and the shared key for the public key
// pk, reading randomness from rand.
func Encapsulate(rand io.Reader, pk []byte) (ct, key []byte, err error) {
	if len(pk) != PublicKeySize {
		return nil, nil, ErrSize
	}
	cache := hashPrefix(4, pk)
	s := &randomSource{r: rand}
	r := s.shortRandom()
	if s.err != nil {
		return nil, nil, s.err
	}
	ct, rEnc := hide(&r, pk, &cache)
	h3 := hashPrefix(3, rEnc)
	k := hashPrefix(1, h3[:], ct)
	return ct, k[:], nil
}

// Decapsulate returns the shared key for ciphertext ct under the private
// key sk. A ciphertext that does not decrypt consistently yields a
// pseudo-random key (implicit rejection), never an error.
func Decapsulate(sk, ct []byte) ([]byte, error) {
	if len(sk) != PrivateKeySize {
		return nil, ErrSize
	}
	if len(ct) != CiphertextSize {
		return nil, ErrSize
	}
	f := decodeSmall(sk[:smallBytes])
	v := decodeSmall(sk[smallBytes : 2*smallBytes])
	pk := sk[2*smallBytes : 2*smallBytes+rqBytes]
	rho := sk[2*smallBytes+rqBytes : 2*smallBytes+rqBytes+smallBytes]
	var cache [hashBytes]byte
	copy(cache[:], sk[2*smallBytes+rqBytes+smallBytes:])

	c := decodeRounded(ct[:roundedBytes])
	cf := multSmallQ(&c, &f)
	var e small
	for i := range p {
		e[i] = freeze3(int32(freezeQ(3 * int32(cf[i]))))
	}
	ev := mult3(&e, &v)
	mask := int8(weightMask(&ev))
	var r small
	for i := range w {
		r[i] = ((ev[i] ^ 1) &^ mask) ^ 1
	}
	for i := w; i < p; i++ {
		r[i] = ev[i] &^ mask
	}

	cnew, rEnc := hide(&r, pk, &cache)
	same := subtle.ConstantTimeCompare(ct, cnew) // 1 if equal
	subtle.ConstantTimeCopy(1-same, rEnc, rho)
	h3 := hashPrefix(3, rEnc)
	k := hashPrefix(byte(same), h3[:], ct) // prefix 1 if valid, 0 if rejected
	return k[:], nil
}

// encodeSmall appends the 2-bit encoding of f, four coefficients a byte.
func encodeSmall(b []byte, f *small) []byte {
	for i := 0; i < p/4; i++ {
		x := byte(f[4*i]+1) | byte(f[4*i+1]+1)<<2 | byte(f[4*i+2]+1)<<4 | byte(f[4*i+3]+1)<<6
		b = append(b, x)
	}
	return append(b, byte(f[p-1]+1))
}

func decodeSmall(s []byte) (f small) {
	for i := 0; i < p/4; i++ {
		x := s[i]
		f[4*i] = int8(x&3) - 1
		f[4*i+1] = int8(x>>2&3) - 1
		f[4*i+2] = int8(x>>4&3) - 1
		f[4*i+3] = int8(x>>6&3) - 1
	}
	f[p-1] = int8(s[p/4]&3) - 1
	return f
}

func encodeRq(b []byte, h *fq) []byte {
	var r, m [p]uint16
	for i := range p {
		r[i] = uint16(h[i] + q12)
		m[i] = q
	}
	return encode(b, r[:], m[:])
}

func decodeRq(s []byte) (h fq) {
	var r, m [p]uint16
	for i := range m {
		m[i] = q
	}
	decode(r[:], s, m[:])
	for i := range p {
		h[i] = int16(r[i]) - q12
	}
	return h
}

func encodeRounded(b []byte, c *fq) []byte {
	var r, m [p]uint16
	for i := range p {
		r[i] = uint16((int32(c[i]+q12) * 10923) >> 15) // (c+q12)/3, exact
		m[i] = (q + 2) / 3
	}
	return encode(b, r[:], m[:])
}

func decodeRounded(s []byte) (c fq) {
	var r, m [p]uint16
	for i := range m {
		m[i] = (q + 2) / 3
	}
	decode(r[:], s, m[:])
	for i := range p {
		c[i] = int16(r[i])*3 - q12
	}
	return c
}
