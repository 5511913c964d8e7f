package mlkem768

import (
	"crypto/sha3"
	"encoding/binary"
)

// q is the ML-KEM modulus (FIPS 203, Section 2.4).
const q = 3329

// A poly is an element of R_q = Z_q[X]/(X^256+1), or of its NTT image
// T_q. Between kernel calls every coefficient is canonical, in [0, q), and
// in the normal domain; the kernels rely on that (kernels.go).
type poly [256]int16

// polyAdd sets out = a + b, canonical. The reduction is a subtraction
// undone by a mask rather than a branch, as the operands are secret.
func polyAdd(out, a, b *poly) {
	for i := range out {
		x := int32(a[i]) + int32(b[i]) - q
		x += x >> 31 & q
		out[i] = int16(x)
	}
}

// polySub sets out = a - b, canonical, without branches.
func polySub(out, a, b *poly) {
	for i := range out {
		x := int32(a[i]) - int32(b[i])
		x += x >> 31 & q
		out[i] = int16(x)
	}
}

// sampleNTT is SampleNTT (FIPS 203, Algorithm 7) of seed || i || j: it
// rejection-samples a uniform element of T_q from SHAKE128. The input is
// public, so branching on it is fine. It reads whole 168-byte blocks (the
// SHAKE128 rate), which gives the same stream as reading 3 bytes at a time.
// It is the reference for sampleNTTx4.
func sampleNTT(out *poly, seed *[32]byte, i, j byte) {
	xof := sha3.NewSHAKE128()
	xof.Write(seed[:])
	xof.Write([]byte{i, j})
	var buf [168]byte
	n := 0
	for n < 256 {
		xof.Read(buf[:])
		n = rejectNTT(out, n, buf[:])
	}
}

// rejectNTT continues SampleNTT into out, which holds n coefficients, with
// the next len(buf) bytes of its stream, a multiple of 3, and returns the
// new count, at most 256. Bytes after the 256th coefficient are ignored.
func rejectNTT(out *poly, n int, buf []byte) int {
	for k := 0; k+3 <= len(buf) && n < 256; k += 3 {
		b0, b1, b2 := uint16(buf[k]), uint16(buf[k+1]), uint16(buf[k+2])
		d1 := b0 | (b1&0xf)<<8
		d2 := b1>>4 | b2<<4
		if d1 < q {
			out[n] = int16(d1)
			n++
		}
		if d2 < q && n < 256 {
			out[n] = int16(d2)
			n++
		}
	}
	return n
}

// sampleAT sets at to the transpose of the matrix Â of K-PKE (FIPS 203,
// Algorithms 13 and 14): at[i][j] = Â[j][i] = SampleNTT(ρ || i || j).
// The transpose is the one that encryption needs as contiguous rows.
// With useKeccakX4 the nine streams run four at a time (sampleATx4).
func sampleAT(at *[3][3]poly, rho *[32]byte) {
	if useKeccakX4 {
		sampleATx4(at, rho)
		return
	}
	for i := range 3 {
		for j := range 3 {
			sampleNTT(&at[i][j], rho, byte(i), byte(j))
		}
	}
}

// prfCBD sets out to SamplePolyCBD_2(PRF_2(s, n)) (FIPS 203, Algorithm 8
// and Section 4.1), one SHAKE256 stream through crypto/sha3; prfCBDx4 runs
// four together and prfCBDs chooses.
func prfCBD(out *poly, s *[32]byte, n byte) {
	var h sha3.SHAKE // the zero value is SHAKE256
	h.Write(s[:])
	h.Write([]byte{n})
	var buf [128]byte
	h.Read(buf[:])
	cbd2(out, &buf)
}

// cbd2 sets out to SamplePolyCBD_2 of the 128 bytes of buf: each
// coefficient is the difference of two sums of two bits. The bits are
// secret, so the arithmetic is branch-free, and the result is made
// canonical by adding q under a mask.
//
// Sixteen coefficients are worked out at once in a 64-bit word, one per
// nibble (coefficient 2i+k is nibble k of byte i): the pairs of bits
// are added in place, and each nibble then becomes 4 + a - b, which lies
// in [2, 6], so no nibble carries into or borrows from the next.
func cbd2(out *poly, buf *[128]byte) {
	const (
		m1 = 0x5555555555555555
		m2 = 0x3333333333333333
		m4 = 0x4444444444444444
	)
	for i := 0; i < len(buf); i += 8 {
		w := binary.LittleEndian.Uint64(buf[i:])
		t := w&m1 + w>>1&m1      // 2-bit fields: a, b, a, b, ...
		d := t&m2 + m4 - t>>2&m2 // nibbles: 4 + a - b
		o := (*[16]int16)(out[2*i:])
		for j := range o {
			c := int32(d>>(4*j)&0xf) - 4
			c += c >> 31 & q
			o[j] = int16(c)
		}
	}
}

// byteEncode12 appends ByteEncode_12(p) (FIPS 203, Algorithm 5): two
// coefficients in three bytes.
func byteEncode12(b []byte, p *poly) []byte {
	for i := 0; i < 256; i += 2 {
		c0, c1 := uint16(p[i]), uint16(p[i+1])
		b = append(b, byte(c0), byte(c0>>8|c1<<4), byte(c1>>4))
	}
	return b
}

// byteDecode12 sets p to ByteDecode_12 of the 384 bytes of b and reports
// whether every coefficient was below q: the modulus check of FIPS 203,
// Section 7.2. It is used only on the public encapsulation key.
func byteDecode12(p *poly, b []byte) bool {
	b = b[:384]
	for i := 0; i < 256; i += 2 {
		b0, b1, b2 := uint16(b[3*i/2]), uint16(b[3*i/2+1]), uint16(b[3*i/2+2])
		c0 := b0 | (b1&0xf)<<8
		c1 := b1>>4 | b2<<4
		if c0 >= q || c1 >= q {
			return false
		}
		p[i], p[i+1] = int16(c0), int16(c1)
	}
	return true
}

// compress returns Compress_d(x) = round(2^d/q · x) mod 2^d (FIPS 203,
// Section 4.2.1). x is secret: the division is by a constant, which the
// compiler turns into a multiplication, so it takes constant time. Adding
// ⌊q/2⌋ before flooring rounds exactly as FIPS 203 does, since q is odd
// and 2^d·x/q never lies halfway.
func compress(x int16, d uint) uint32 {
	return ((uint32(x)<<d + q/2) / q) & (1<<d - 1)
}

// decompress returns Decompress_d(y) = round(q/2^d · y) (FIPS 203,
// Section 4.2.1), which is below q for y < 2^d.
func decompress(y uint32, d uint) int16 {
	return int16((y*q + 1<<(d-1)) >> d)
}

// encode10 appends ByteEncode_10(Compress_10(p)): four coefficients in
// five bytes.
func encode10(b []byte, p *poly) []byte {
	for i := 0; i < 256; i += 4 {
		x := uint64(compress(p[i], 10)) | uint64(compress(p[i+1], 10))<<10 |
			uint64(compress(p[i+2], 10))<<20 | uint64(compress(p[i+3], 10))<<30
		b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24), byte(x>>32))
	}
	return b
}

// decode10 sets p to Decompress_10(ByteDecode_10(b)) of the 320 bytes of b.
func decode10(p *poly, b []byte) {
	b = b[:320]
	for i := 0; i < 256; i += 4 {
		c := b[5*i/4 : 5*i/4+5]
		x := uint64(c[0]) | uint64(c[1])<<8 | uint64(c[2])<<16 | uint64(c[3])<<24 | uint64(c[4])<<32
		for k := range 4 {
			p[i+k] = decompress(uint32(x>>(10*k))&0x3ff, 10)
		}
	}
}

// encode4 appends ByteEncode_4(Compress_4(p)): two coefficients a byte.
func encode4(b []byte, p *poly) []byte {
	for i := 0; i < 256; i += 2 {
		b = append(b, byte(compress(p[i], 4)|compress(p[i+1], 4)<<4))
	}
	return b
}

// decode4 sets p to Decompress_4(ByteDecode_4(b)) of the 128 bytes of b.
func decode4(p *poly, b []byte) {
	b = b[:128]
	for i, c := range b {
		p[2*i] = decompress(uint32(c&0xf), 4)
		p[2*i+1] = decompress(uint32(c>>4), 4)
	}
}

// encode1 sets m to ByteEncode_1(Compress_1(p)): one coefficient a bit.
func encode1(m *[32]byte, p *poly) {
	for i := range m {
		var c byte
		for k := range 8 {
			c |= byte(compress(p[8*i+k], 1)) << k
		}
		m[i] = c
	}
}

// decode1 sets p to Decompress_1(ByteDecode_1(m)): each bit of the secret
// m becomes 0 or 1665 by a multiplication, not a branch.
func decode1(p *poly, m *[32]byte) {
	for i, c := range m {
		for k := range 8 {
			p[8*i+k] = decompress(uint32(c>>k&1), 1)
		}
	}
}
