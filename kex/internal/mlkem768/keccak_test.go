package mlkem768

import (
	"bytes"
	"crypto/sha3"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestKeccakTables(t *testing.T) { // FIPS 202, Section 3.2.2 Table 2, and the round constants of the Keccak reference
	if got, want := rhoOffsets, [25]int{
		0, 1, 62, 28, 27,
		36, 44, 6, 55, 20,
		3, 10, 43, 25, 39,
		41, 45, 15, 21, 8,
		18, 2, 61, 56, 14,
	}; got != want {
		t.Errorf("rhoOffsets = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		ir   int
		want uint64
	}{{0, 0x1}, {1, 0x8082}, {2, 0x800000000000808a}, {12, 0x8000808b}, {23, 0x8000000080008008}} {
		if roundConstants[tt.ir] != tt.want {
			t.Errorf("roundConstants[%d] = %#x, want %#x", tt.ir, roundConstants[tt.ir], tt.want)
		}
	}
}

// shakeRef is SHAKE of msg, a sponge of the given rate over keccakF1600,
// written independently of absorbSeed and squeeze.
func shakeRef(rate int, msg []byte, outLen int) []byte {
	var a [25]uint64
	xorBlock := func(b []byte) {
		for w := 0; w < rate/8; w++ {
			a[w] ^= binary.LittleEndian.Uint64(b[8*w:])
		}
	}
	for len(msg) >= rate {
		xorBlock(msg)
		keccakF1600(&a)
		msg = msg[rate:]
	}
	last := make([]byte, rate)
	copy(last, msg)
	last[len(msg)] ^= 0x1f
	last[rate-1] ^= 0x80
	xorBlock(last)
	var out []byte
	for len(out) < outLen {
		keccakF1600(&a)
		for w := 0; w < rate/8; w++ {
			out = binary.LittleEndian.AppendUint64(out, a[w])
		}
	}
	return out[:outLen]
}

// TestKeccakF1600 checks the Go permutation, the reference for the
// assembly: the all-zero state's image against the Keccak team's known
// answer, and SHAKE128 and SHAKE256 built on it against crypto/sha3 for
// messages of 0 to 400 bytes, across several blocks in and out.
func TestKeccakF1600(t *testing.T) {
	var a [25]uint64
	keccakF1600(&a)
	if a[0] != 0xf1258f7940e1dde7 || a[24] != 0xeaf1ff7b5ceca249 {
		t.Errorf("Keccak-f[1600](0): lanes 0, 24 = %#x, %#x", a[0], a[24])
	}
	r := rand.New(newRand(t))
	for n := 0; n <= 400; n += 7 {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		want128, want256 := make([]byte, 500), make([]byte, 500)
		h := sha3.NewSHAKE128()
		h.Write(msg)
		h.Read(want128)
		h = sha3.NewSHAKE256()
		h.Write(msg)
		h.Read(want256)
		if got := shakeRef(rate128, msg, 500); !bytes.Equal(got, want128) {
			t.Fatalf("SHAKE128 of %d bytes differs from crypto/sha3", n)
		}
		if got := shakeRef(rate256, msg, 500); !bytes.Equal(got, want256) {
			t.Fatalf("SHAKE256 of %d bytes differs from crypto/sha3", n)
		}
	}
}

// TestKeccakX4 compares keccakF1600x4, on each path, with four scalar
// permutations: the all-zero state, random states, and each state fed
// back in so that the rounds run on their own outputs too.
func TestKeccakX4(t *testing.T) {
	forEachAVX2(t, func(t *testing.T) {
		r := rand.New(newRand(t))
		var s [25][4]uint64
		for it := range 5000 {
			if it > 0 && it%2 == 1 {
				for i := range s {
					for l := range s[i] {
						s[i][l] = r.Uint64()
					}
				}
			}
			var want [4][25]uint64
			for l := range want {
				for i := range want[l] {
					want[l][i] = s[i][l]
				}
				keccakF1600(&want[l])
			}
			keccakF1600x4(&s)
			for l := range want {
				for i := range want[l] {
					if s[i][l] != want[l][i] {
						t.Fatalf("iteration %d, state %d, lane %d: got %#x, want %#x", it, l, i, s[i][l], want[l][i])
					}
				}
			}
		}
	})
}

// blocksNeeded is how many SHAKE128 blocks sampleNTT(seed, i, j) reads.
func blocksNeeded(seed *[32]byte, i, j byte) int {
	xof := sha3.NewSHAKE128()
	xof.Write(seed[:])
	xof.Write([]byte{i, j})
	var p poly
	var buf [rate128]byte
	blocks, n := 0, 0
	for n < 256 {
		xof.Read(buf[:])
		n = rejectNTT(&p, n, buf[:])
		blocks++
	}
	return blocks
}

// TestSampleATx4 compares sampleATx4 with nine sampleNTT streams on random
// seeds, and on seeds found by search whose streams need a fourth block,
// so that the rare path that squeezes more for some lanes only is run,
// with the long stream in every batch (4 + 4 + 1) at least once.
func TestSampleATx4(t *testing.T) {
	r := rand.New(newRand(t))
	var seeds [][32]byte
	long := map[int]bool{} // batches that have had a long stream
	for tries := 0; len(long) < 3 || len(seeds) < 200; tries++ {
		if tries > 100000 {
			t.Fatalf("no seeds with a 4-block stream in each batch: %v", long)
		}
		var rho [32]byte
		for i := range rho {
			rho[i] = byte(r.Uint32())
		}
		found := false
		for s := range 9 {
			if blocksNeeded(&rho, byte(s/3), byte(s%3)) > 3 && !long[s/4] {
				long[s/4], found = true, true
			}
		}
		if found || len(seeds) < 200 {
			seeds = append(seeds, rho)
		}
	}
	forEachAVX2(t, func(t *testing.T) {
		for _, rho := range seeds {
			var want, got [3][3]poly
			for i := range 3 {
				for j := range 3 {
					sampleNTT(&want[i][j], &rho, byte(i), byte(j))
				}
			}
			sampleATx4(&got, &rho)
			if got != want {
				t.Fatalf("sampleATx4(%x) differs from sampleNTT", rho)
			}
		}
	})
}

// TestPRFx4 compares prfCBDx4 with prfCBD for each batch size and a few
// n (including 255 + 1, which wraps as the byte it is), and prfCBDs of
// the six and seven polynomials that key generation and encryption ask
// for with both settings of useKeccakX4.
func TestPRFx4(t *testing.T) {
	forEachAVX2(t, func(t *testing.T) {
		r := rand.New(newRand(t))
		for it := range 300 {
			var s [32]byte
			for i := range s {
				s[i] = byte(r.Uint32())
			}
			m := 1 + it%4
			n := []byte{0, 3, 4, 253, byte(r.Uint32())}[it%5]
			var got, want [4]poly
			out := []*poly{&got[0], &got[1], &got[2], &got[3]}
			prfCBDx4(out[:m], &s, n)
			for l := range m {
				prfCBD(&want[l], &s, n+byte(l))
			}
			if got != want {
				t.Fatalf("prfCBDx4(%x, n=%d, %d streams) differs from prfCBD", s, n, m)
			}
			var seven, seven1 [7]poly
			prfCBDs(&s, 0, &seven[0], &seven[1], &seven[2], &seven[3], &seven[4], &seven[5], &seven[6])
			for i := range seven1 {
				prfCBD(&seven1[i], &s, byte(i))
			}
			if seven != seven1 {
				t.Fatalf("prfCBDs of 7 (%x) differs from prfCBD", s)
			}
		}
	})
}

// TestSpongeAllocs checks that the batched sponges allocate nothing.
func TestSpongeAllocs(t *testing.T) {
	var at [3][3]poly
	var rho [32]byte
	var p [6]poly
	for _, x4 := range []bool{true, false} {
		saved := useKeccakX4
		useKeccakX4 = x4
		a := testing.AllocsPerRun(20, func() {
			sampleAT(&at, &rho)
			prfCBDs(&rho, 0, &p[0], &p[1], &p[2], &p[3], &p[4], &p[5])
		})
		useKeccakX4 = saved
		if a != 0 {
			t.Errorf("useKeccakX4 = %v: %v allocations per sampleAT and prfCBDs", x4, a)
		}
	}
}

func BenchmarkKeccakF1600x4(b *testing.B) {
	var s [25][4]uint64
	b.Run("avx2x4", func(b *testing.B) {
		if !haveAVX2 {
			b.Skip("the CPU has no AVX2")
		}
		b.ReportAllocs()
		for b.Loop() {
			keccakF1600x4AVX2(&s)
		}
	})
	// Four one-block SHAKE128 calls of crypto/sha3: four of its
	// permutations, and the sponge around them that sampleNTT pays too.
	b.Run("sha3x4", func(b *testing.B) {
		b.ReportAllocs()
		var in [34]byte
		var out [rate128]byte
		for b.Loop() {
			for range 4 {
				h := sha3.NewSHAKE128()
				h.Write(in[:])
				h.Read(out[:])
			}
		}
	})
	b.Run("genericx4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			keccakF1600x4Generic(&s)
		}
	})
}

func BenchmarkSampleAT(b *testing.B) {
	for _, x4 := range []bool{true, false} {
		b.Run(fmt.Sprintf("keccakx4=%v", x4), func(b *testing.B) {
			saved := useKeccakX4
			defer func() { useKeccakX4 = saved }()
			useKeccakX4 = x4
			b.ReportAllocs()
			var at [3][3]poly
			var rho [32]byte
			for b.Loop() {
				sampleAT(&at, &rho)
			}
		})
	}
}
