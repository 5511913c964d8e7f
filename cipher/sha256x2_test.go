package cipher

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// pad returns m with SHA-256's padding.
func sha256Pad(m []byte) []byte {
	l := uint64(len(m)) * 8
	m = append(m, 0x80)
	for len(m)%64 != 56 {
		m = append(m, 0)
	}
	return binary.BigEndian.AppendUint64(m, l)
}

func TestBlockx2(t *testing.T) {
	if !haveBlockx2 {
		t.Skip("no SHA extensions")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 55, 56, 64, 100, 1000, 32768 + 13} {
		ma, mb := make([]byte, n), make([]byte, n)
		for i := range ma {
			ma[i], mb[i] = byte(r.Uint32()), byte(r.Uint32())
		}
		pa, pb := sha256Pad(ma), sha256Pad(mb)
		da, db := sha256IV, sha256IV
		blockx2(&da, &db, &pa[0], &pb[0], len(pa)/64)
		for _, c := range []struct {
			d [8]uint32
			m []byte
		}{{da, ma}, {db, mb}} {
			var got [32]byte
			for i, v := range c.d {
				binary.BigEndian.PutUint32(got[4*i:], v)
			}
			if want := sha256.Sum256(c.m); got != want {
				t.Fatalf("len %d: %x, want %x", n, got, want)
			}
		}
	}
}

func BenchmarkBlockx2(b *testing.B) {
	if !haveBlockx2 {
		b.Skip("no SHA extensions")
	}
	p := make([]byte, 32768)
	b.Run("x2", func(b *testing.B) {
		b.SetBytes(2 * int64(len(p)))
		da, db := sha256IV, sha256IV
		for b.Loop() {
			blockx2(&da, &db, &p[0], &p[0], len(p)/64)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			sha256.Sum256(p)
		}
	})
}

func refMAC(key []byte, seq uint32, p []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(binary.BigEndian.AppendUint32(nil, seq))
	h.Write(p)
	return h.Sum(nil)
}

func checkSumPair(t *testing.T, key []byte, seqA uint32, pa []byte, seqB uint32, pb []byte) {
	t.Helper()
	h := newHMACSHA256(key).(PairSummer)
	ma, mb := make([]byte, 32), make([]byte, 32)
	h.SumPair(seqA, pa, seqB, pb, ma, mb)
	if want := refMAC(key, seqA, pa); !bytes.Equal(ma, want) {
		t.Fatalf("len %d/%d: first MAC %x, want %x", len(pa), len(pb), ma, want)
	}
	if want := refMAC(key, seqB, pb); !bytes.Equal(mb, want) {
		t.Fatalf("len %d/%d: second MAC %x, want %x", len(pa), len(pb), mb, want)
	}
	// The hash.Hash side is still HMAC-SHA-256 of the same key.
	h.Write([]byte("abc"))
	ref := hmac.New(sha256.New, key)
	ref.Write([]byte("abc"))
	if !bytes.Equal(h.Sum(nil), ref.Sum(nil)) {
		t.Fatal("hash.Hash side differs after SumPair")
	}
}

func TestSumPair(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, kl := range []int{32, 64, 65, 100} {
		key := make([]byte, kl)
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		for n := range 300 {
			pa, pb := make([]byte, n), make([]byte, n)
			for i := range pa {
				pa[i], pb[i] = byte(r.Uint32()), byte(r.Uint32())
			}
			checkSumPair(t, key, r.Uint32(), pa, r.Uint32(), pb)
			checkSumPair(t, key, 7, pa, 8, pb[:n/2]) // unequal: one at a time
		}
		for _, n := range []int{32768 + 20, 35000 + 36} {
			pa, pb := make([]byte, n), make([]byte, n)
			for i := range pa {
				pa[i], pb[i] = byte(r.Uint32()), byte(r.Uint32())
			}
			checkSumPair(t, key, 0xffffffff, pa, 0, pb)
		}
	}
}

func FuzzSumPair(f *testing.F) {
	f.Add([]byte("key"), uint32(1), []byte("a packet"), []byte("b packet"))
	f.Fuzz(func(t *testing.T, key []byte, seq uint32, pa, pb []byte) {
		if len(pb) > len(pa) {
			pb = pb[:len(pa)]
		}
		if len(pb) == len(pa) || len(pb) == 0 {
			pb = append(pb[:0:0], pa...)
			for i := range pb {
				pb[i] ^= byte(seq)
			}
		}
		checkSumPair(t, key, seq, pa, seq+1, pb)
	})
}

func BenchmarkSumPair(b *testing.B) {
	key := make([]byte, 32)
	p := make([]byte, 32768+20)
	ma, mb := make([]byte, 32), make([]byte, 32)
	h := newHMACSHA256(key).(*hmacSHA256)
	b.Run("pair", func(b *testing.B) {
		b.SetBytes(2 * int64(len(p)))
		for b.Loop() {
			h.SumPair(1, p, 2, p, ma, mb)
		}
	})
	b.Run("one-by-one", func(b *testing.B) {
		b.SetBytes(2 * int64(len(p)))
		for b.Loop() {
			h.sumOne(1, p, ma)
			h.sumOne(2, p, mb)
		}
	})
}
