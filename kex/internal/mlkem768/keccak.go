package mlkem768

import (
	"encoding/binary"
	"math/bits"
)

// The Keccak-f[1600] permutation of FIPS 202 in Go, one state and four
// states at a time, and the sponges that ML-KEM runs on four states at
// once: the SHAKE128 streams of the matrix and the SHAKE256 PRF. The four
// states of a batch lie lane by lane, s[i][l] being lane i = x + 5y of
// state l, so that lane i of all four fills one YMM register in
// keccak_amd64.s (gen_keccak.go; decision docs/decisions/0044-keccak-x4.md).
//
// useKeccakX4 selects the batched sponges; when it is off, sampleAT and the
// PRF run one stream at a time through crypto/sha3, as before. The batched
// sponges run the assembly when useAVX2 is set and keccakF1600x4Generic
// otherwise, so the tests reach every combination. By default they are on
// only where the assembly runs, since only there are they faster.
var useKeccakX4 = haveAVX2

// rhoOffsets and roundConstants are the rotation offsets of ρ (FIPS 202,
// Algorithm 2) and the round constants of ι (Algorithm 6), computed as the
// standard computes them.
var rhoOffsets, roundConstants = keccakTables()

func keccakTables() (rho [25]int, rc [24]uint64) {
	x, y := 1, 0
	for t := range 24 {
		rho[x+5*y] = (t + 1) * (t + 2) / 2 % 64
		x, y = y, (2*x+3*y)%5
	}
	// rcBit is rc(t) of Algorithm 5: an LFSR over GF(2)[x]/(x^8+x^6+x^5+x^4+1).
	rcBit := func(t int) uint64 {
		r := uint(1)
		for range t % 255 {
			r <<= 1
			if r&0x100 != 0 {
				r ^= 0x171
			}
		}
		return uint64(r & 1)
	}
	for ir := range 24 {
		for j := range 7 {
			rc[ir] |= rcBit(j+7*ir) << (1<<j - 1)
		}
	}
	return rho, rc
}

// keccakF1600 is Keccak-f[1600] = Keccak-p[1600, 24] (FIPS 202, Section
// 3.3), written step by step from Section 3.2, on lanes a[x+5y].
func keccakF1600(a *[25]uint64) {
	for ir := range 24 {
		// θ
		var c [5]uint64
		for x := range 5 {
			c[x] = a[x] ^ a[x+5] ^ a[x+10] ^ a[x+15] ^ a[x+20]
		}
		for x := range 5 {
			d := c[(x+4)%5] ^ bits.RotateLeft64(c[(x+1)%5], 1)
			for y := range 5 {
				a[x+5*y] ^= d
			}
		}
		// ρ and π: lane (x, y) moves to (y, 2x+3y) rotated.
		var b [25]uint64
		for x := range 5 {
			for y := range 5 {
				b[y+5*((2*x+3*y)%5)] = bits.RotateLeft64(a[x+5*y], rhoOffsets[x+5*y])
			}
		}
		// χ
		for y := range 5 {
			for x := range 5 {
				a[x+5*y] = b[x+5*y] ^ ^b[(x+1)%5+5*y]&b[(x+2)%5+5*y]
			}
		}
		// ι
		a[0] ^= roundConstants[ir]
	}
}

// keccakF1600x4Generic is keccakF1600x4 as four keccakF1600.
func keccakF1600x4Generic(s *[25][4]uint64) {
	for l := range 4 {
		var a [25]uint64
		for i := range a {
			a[i] = s[i][l]
		}
		keccakF1600(&a)
		for i := range a {
			s[i][l] = a[i]
		}
	}
}

// keccakF1600x4 applies Keccak-f[1600] to the four states of s. It takes
// constant time.
func keccakF1600x4(s *[25][4]uint64) {
	if useAVX2 {
		keccakF1600x4AVX2(s)
	} else {
		keccakF1600x4Generic(s)
	}
}

// The SHAKE parameters (FIPS 202, Section 6.2): the rate in bytes, and
// the domain bits 1111 with the first bit of pad10*1.
const (
	rate128 = 168
	rate256 = 136
	dsSHAKE = 0x1f
)

// absorbSeed sets the four states of s to SHAKE(seed || b[l]), where b[l] is
// the two or one final bytes given by tail[l] (little-endian) and tailLen
// its length, padded for the rate, before the first permutation. The input
// fits one block: 32 + tailLen < rate - 1.
func absorbSeed(s *[25][4]uint64, seed *[32]byte, tail *[4]uint64, tailLen, rate int) {
	*s = [25][4]uint64{}
	for w := range 4 {
		v := binary.LittleEndian.Uint64(seed[8*w:])
		s[w] = [4]uint64{v, v, v, v}
	}
	for l := range 4 {
		s[4][l] = tail[l] | dsSHAKE<<(8*tailLen)
	}
	last := rate/8 - 1
	for l := range 4 {
		s[last][l] |= 0x80 << 56
	}
}

// squeeze writes the first len(b) bytes of the rate of state l to b.
func squeeze(b []byte, s *[25][4]uint64, l int) {
	for w := 0; 8*w < len(b); w++ {
		binary.LittleEndian.PutUint64(b[8*w:], s[w][l])
	}
}

// sampleNTTx4 is sampleNTT of (seed, ij[l]&0xff, ij[l]>>8) into out[l] for
// each l < len(out) (at most 4): the four SHAKE128 streams run together.
// Three blocks (504 bytes, 336 candidates for 256 coefficients) suffice
// for all but about one stream in 130; only then are more squeezed, for
// all four states but parsed only for the unfinished streams, until every
// stream is done. The seed is public, so the branches are fine.
func sampleNTTx4(out []*poly, seed *[32]byte, ij *[4]uint64) {
	var s [25][4]uint64
	absorbSeed(&s, seed, ij, 2, rate128)
	var buf [4][3 * rate128]byte
	for blk := range 3 {
		keccakF1600x4(&s)
		for l := range out {
			squeeze(buf[l][blk*rate128:(blk+1)*rate128], &s, l)
		}
	}
	var n [4]int
	more := false
	for l, p := range out {
		n[l] = rejectNTT(p, 0, buf[l][:])
		more = more || n[l] < 256
	}
	for more {
		keccakF1600x4(&s)
		more = false
		for l, p := range out {
			if n[l] < 256 {
				squeeze(buf[l][:rate128], &s, l)
				n[l] = rejectNTT(p, n[l], buf[l][:rate128])
				more = more || n[l] < 256
			}
		}
	}
}

// sampleATx4 is sampleAT with the nine streams run four at a time
// (4 + 4 + 1; the last batch has one stream, as a four-way permutation
// costs about what one scalar one does).
func sampleATx4(at *[3][3]poly, rho *[32]byte) {
	for b := 0; b < 9; b += 4 {
		var out [4]*poly
		var ij [4]uint64
		m := min(9-b, 4)
		for l := range m {
			i, j := (b+l)/3, (b+l)%3
			out[l] = &at[i][j]
			ij[l] = uint64(i) | uint64(j)<<8
		}
		sampleNTTx4(out[:m], rho, &ij)
	}
}

// prfCBDx4 is prfCBD(out[l], s, n+l) for each l < len(out) (at most 4),
// the SHAKE256 streams run together, one permutation for all. s is
// secret: nothing branches on it or indexes memory with it.
func prfCBDx4(out []*poly, s *[32]byte, n byte) {
	var st [25][4]uint64
	var tail [4]uint64
	for l := range tail {
		tail[l] = uint64(n + byte(l))
	}
	absorbSeed(&st, s, &tail, 1, rate256)
	keccakF1600x4(&st)
	var buf [128]byte
	for l, p := range out {
		squeeze(buf[:], &st, l)
		cbd2(p, &buf)
	}
}

// prfCBDs sets *out[i] = SamplePolyCBD_2(PRF_2(s, n+i)) for each i, four
// at a time when useKeccakX4 is set and one at a time (prfCBD) otherwise.
func prfCBDs(s *[32]byte, n byte, out ...*poly) {
	if !useKeccakX4 {
		for i, p := range out {
			prfCBD(p, s, n+byte(i))
		}
		return
	}
	for len(out) > 0 {
		m := min(len(out), 4)
		prfCBDx4(out[:m], s, n)
		out, n = out[m:], n+byte(m)
	}
}
