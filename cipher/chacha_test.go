package cipher_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 raw primitive for comparison

	"github.com/sshstack/sshstack/cipher"
)

// chachaImpls are the implementations compared against refChaCha: the
// registered one, each keystream path that this build and CPU have, built
// explicitly, and the rejected ietfChaCha.
func chachaImpls(t testing.TB, key []byte) map[string]cipher.AEAD {
	t.Helper()
	a, _ := cipher.LookupAlgorithm(cipher.ChaCha20Poly1305)
	reg, err := a.NewAEAD(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	impls := map[string]cipher.AEAD{"registered": reg, "ietf": newIETFChaCha(key)}
	for name, p := range cipher.ChaChaPaths {
		impls[name] = cipher.NewChaChaPath(key, p)
	}
	return impls
}

// guard is the byte written past the end of each test packet, in its
// spare capacity, to catch writes beyond len(pkt).
const guard = 0xa5

// chachaPacket returns a packet of body length n (4-byte length, body,
// 16 tag bytes) filled from r, with 32 guard bytes of spare capacity.
func chachaPacket(r *rand.ChaCha8, n int) []byte {
	buf := make([]byte, 4+n+16+32)
	r.Read(buf[4 : 4+n])
	for i := 4 + n + 16; i < len(buf); i++ {
		buf[i] = guard
	}
	pkt := buf[:4+n+16]
	binary.BigEndian.PutUint32(pkt, uint32(n))
	return pkt
}

// guarded returns a copy of p with 32 guard bytes of spare capacity.
func guarded(p []byte) []byte {
	q := append(make([]byte, 0, len(p)+32), p...)
	for range 32 {
		q = append(q, guard)
	}
	return q[:len(p)]
}

func checkGuard(t testing.TB, what string, pkt []byte) {
	t.Helper()
	for i, b := range pkt[len(pkt):cap(pkt)] {
		if b != guard {
			t.Fatalf("%s wrote past the packet at +%d", what, i)
		}
	}
}

// checkChaCha seals one packet of body length n at seq with refChaCha and
// every implementation and requires identical bytes; opens each output
// with every other implementation; and requires that flipping bit flip
// (mod the packet's bit length) makes every implementation's Open fail
// with ErrAuth and leave the packet as it was.
func checkChaCha(t testing.TB, key []byte, seq uint32, n int, seed uint64, flip uint32) {
	t.Helper()
	ref := newRefChaCha(key)
	impls := chachaImpls(t, key)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24),
		byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)})
	plain := chachaPacket(r, n)
	want := guarded(plain)
	ref.Seal(seq, want)
	checkGuard(t, "ref Seal", want)
	sealed := map[string][]byte{"ref": want}
	for name, c := range impls {
		got := guarded(plain)
		c.Seal(seq, got)
		checkGuard(t, name+" Seal", got)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: Seal(seq %d, body %d) differs from the reference:\n got %x\nwant %x",
				name, seq, n, head(got), head(want))
		}
		sealed[name] = got
		// SealTo from another buffer: the same bytes, src untouched.
		if st, ok := c.(cipher.SealerTo); ok {
			src := bytes.Clone(plain[:len(plain)-16])
			dst := guarded(make([]byte, len(plain)))
			st.SealTo(seq, dst, src)
			checkGuard(t, name+" SealTo", dst)
			if !bytes.Equal(dst, want) || !bytes.Equal(src, plain[:len(plain)-16]) {
				t.Fatalf("%s: SealTo(seq %d, body %d) differs from Seal", name, seq, n)
			}
		}
	}
	all := map[string]cipher.AEAD{"ref": ref}
	for name, c := range impls {
		all[name] = c
	}
	for from, p := range sealed {
		for name, c := range all {
			q := guarded(p)
			if got := c.PacketLength(seq, q); got != uint32(n) {
				t.Fatalf("%s: PacketLength of %s's packet = %d, want %d", name, from, got, n)
			}
			if err := c.Open(seq, q); err != nil {
				t.Fatalf("%s: Open of %s's packet (seq %d, body %d): %v", name, from, seq, n, err)
			}
			checkGuard(t, name+" Open", q)
			if !bytes.Equal(q[4:4+n], plain[4:4+n]) || !bytes.Equal(q[:4], p[:4]) || !bytes.Equal(q[4+n:], p[4+n:]) {
				t.Fatalf("%s: Open of %s's packet (seq %d, body %d) gave\n%x\nwant\n%x",
					name, from, seq, n, head(q), head(append(append(bytes.Clone(p[:4]), plain[4:4+n]...), p[4+n:]...)))
			}
		}
	}
	bit := int(flip % uint32(8*len(want)))
	for name, c := range all {
		q := bytes.Clone(want)
		q[bit/8] ^= 1 << (bit % 8)
		tampered := bytes.Clone(q)
		if err := c.Open(seq, q); !errors.Is(err, cipher.ErrAuth) {
			t.Fatalf("%s: Open with bit %d flipped (seq %d, body %d) = %v, want ErrAuth", name, bit, seq, n, err)
		}
		if !bytes.Equal(q, tampered) {
			t.Fatalf("%s: failed Open modified the packet", name)
		}
		if seq != 0 {
			q := bytes.Clone(want)
			if err := c.Open(seq-1, q); !errors.Is(err, cipher.ErrAuth) {
				t.Fatalf("%s: Open under seq %d of a packet sealed at %d = %v, want ErrAuth", name, seq-1, seq, err)
			}
		}
	}
}

func head(b []byte) []byte { return b[:min(len(b), 96)] }

var chachaSeqs = []uint32{0, 1, 2, 1<<31 - 1, 1 << 31, 1<<32 - 2, 1<<32 - 1}

// chachaLens covers the boundaries of ChaCha20 blocks and Poly1305 blocks
// and the size classes of x/crypto's amd64 AEAD code (up to 128, 256, 384,
// 512 bytes and more), plus the largest packets.
var chachaLens = []int{0, 1, 3, 4, 5, 11, 12, 13, 15, 16, 17, 31, 32, 33, 44, 59, 60, 61, 63, 64, 65,
	112, 124, 127, 128, 129, 191, 192, 193, 252, 255, 256, 257, 320, 383, 384, 385, 447, 448, 449,
	511, 512, 513, 1000, 1024, 4096, 16381, 32768, 32771, 35000, 65535, 65536}

// TestChaChaEqualsReference runs checkChaCha over every length up to
// 1 KiB and the boundary lengths, at sequence numbers around 0, 2^31 and
// 2^32-1.
// Requirement: chacha20poly1305-aead
func TestChaChaEqualsReference(t *testing.T) {
	key := make([]byte, 64)
	for i := range key {
		key[i] = byte(i*7 + 1)
	}
	t.Logf("keystream paths in this build on this CPU: %v", cipher.ChaChaPaths)
	lens := append([]int{}, chachaLens...)
	for n := range 1025 {
		lens = append(lens, n)
	}
	for i, n := range lens {
		seq := chachaSeqs[i%len(chachaSeqs)]
		t.Run(fmt.Sprintf("len=%d/seq=%d", n, seq), func(t *testing.T) {
			checkChaCha(t, key, seq, n, uint64(i), uint32(i)*2654435761)
		})
	}
}

// FuzzChaCha compares the registered and both explicit implementations of
// chacha20-poly1305@openssh.com with refChaCha for random keys, sequence
// numbers and body lengths up to 64 KiB: byte-identical Seal output, each
// opens the others' packets, and a flipped bit is rejected.
func FuzzChaCha(f *testing.F) {
	for i, n := range chachaLens {
		f.Add(bytes.Repeat([]byte{byte(i)}, 64), chachaSeqs[i%len(chachaSeqs)], uint32(n), uint64(i), uint32(i*31))
	}
	f.Fuzz(func(t *testing.T, key []byte, seq, n uint32, seed uint64, flip uint32) {
		if len(key) < 64 {
			key = append(key, make([]byte, 64-len(key))...)
		}
		checkChaCha(t, key[:64], seq, int(n%(64<<10+1)), seed, flip)
	})
}

// TestChaChaAllocs checks that both paths seal, measure and open packets
// of every size class without allocating.
func TestChaChaAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts need a build without -race")
	}
	key := make([]byte, 64)
	for name, c := range chachaImpls(t, key) {
		if name == "ietf" {
			continue // a test reference, built on refChaCha, which allocates
		}
		for _, n := range []int{0, 60, 1020, 32 << 10} {
			p := make([]byte, 4+n+16)
			var seq uint32
			got := testing.AllocsPerRun(50, func() {
				binary.BigEndian.PutUint32(p, uint32(n))
				c.Seal(seq, p)
				c.PacketLength(seq, p)
				if err := c.Open(seq, p); err != nil {
					t.Fatal(err)
				}
				seq++
			})
			if got != 0 {
				t.Errorf("%s, body %d: %v allocations per packet, want 0", name, n, got)
			}
		}
	}
}

// BenchmarkChaCha compares, in one run, chacha20-poly1305@openssh.com
// sealing and opening (length, Poly1305 key, payload, tag) on each path
// with the reference (the code shipped before the fast path), and with
// two ceilings: x/crypto/chacha20 XOR plus one Poly1305 pass over the same
// bytes (the primitives of the portable path, without framing), and the
// x/crypto RFC 8439 AEAD sealing the same bytes (the fast path's
// keystream source on its own). Sizes are the body length.
func BenchmarkChaCha(b *testing.B) {
	key := make([]byte, 64)
	for _, n := range []int{64, 1 << 10, 32 << 10} {
		pkt := make([]byte, 4+n+16)
		binary.BigEndian.PutUint32(pkt, uint32(n))
		impls := chachaImpls(b, key)
		impls["ref"] = newRefChaCha(key)
		for _, name := range []string{"ref", "portable", "ietf", "avx2"} {
			c, ok := impls[name]
			if !ok {
				continue
			}
			b.Run(fmt.Sprintf("%d/%s/seal", n, name), func(b *testing.B) {
				b.SetBytes(int64(n))
				b.ReportAllocs()
				var seq uint32
				for b.Loop() {
					c.Seal(seq, pkt)
					seq++
				}
			})
			sealed := bytes.Clone(pkt)
			c.Seal(7, sealed)
			b.Run(fmt.Sprintf("%d/%s/open", n, name), func(b *testing.B) {
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					copy(pkt, sealed)
					c.PacketLength(7, pkt)
					if err := c.Open(7, pkt); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("%d/raw-chacha20+poly1305", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			nonce := make([]byte, 12)
			var tag [16]byte
			var pk [32]byte
			for b.Loop() {
				s, _ := chacha20.NewUnauthenticatedCipher(key[:32], nonce)
				s.SetCounter(1)
				s.XORKeyStream(pkt[4:4+n], pkt[4:4+n])
				poly1305.Sum(&tag, pkt[:4+n], &pk)
			}
		})
		b.Run(fmt.Sprintf("%d/ietf-aead", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			a, _ := chacha20poly1305.New(key[:32])
			nonce := make([]byte, 12)
			for b.Loop() {
				a.Seal(pkt[4:4], nonce, pkt[4:4+n], nil)
			}
		})
	}
}

// BenchmarkChaChaVs runs every variant of BenchmarkChaCha round-robin
// within each iteration, timing each by the thread's CPU clock, so that
// all of them see the same machine load and time spent waiting for a core
// on the shared benchmark machine is not counted. It reports each
// variant's MB/s (MB per CPU-second) and each path's speed relative to
// the reference (x-ref) and to the bare AEAD (x-aead). ks-avx2 is the
// assembly keystream alone over the body's whole 128-byte pairs. xpoly is
// the avx2 path with x/crypto's Poly1305 on every packet, the code before
// decision 0025 (avx2-seal-x-xpoly is the gain of polySum); poly1305 and
// polysum are x/crypto's Poly1305 and polySum over the MAC input.
func BenchmarkChaChaVs(b *testing.B) {
	key := make([]byte, 64)
	for _, n := range []int{64, 1 << 10, 32 << 10, 256 << 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			pkt := make([]byte, 4+n+16)
			binary.BigEndian.PutUint32(pkt, uint32(n))
			impls := chachaImpls(b, key)
			impls["ref"] = newRefChaCha(key)
			if p, ok := cipher.ChaChaPaths["avx2"]; ok {
				impls["xpoly"] = cipher.NewChaChaXPoly(key, p)
			}
			var ops []timedOp
			for _, name := range []string{"ref", "portable", "ietf", "avx2", "xpoly"} {
				c, ok := impls[name]
				if !ok {
					continue
				}
				var seq uint32
				ops = append(ops, timedOp{name + "-seal", func() { c.Seal(seq, pkt); seq++ }})
				sealed := bytes.Clone(pkt)
				c.Seal(7, sealed)
				ops = append(ops, timedOp{name + "-open", func() {
					copy(pkt, sealed)
					c.PacketLength(7, pkt)
					if err := c.Open(7, pkt); err != nil {
						b.Fatal(err)
					}
				}})
			}
			nonce := make([]byte, 12)
			var tag [16]byte
			var pk [32]byte
			ops = append(ops, timedOp{"raw", func() {
				s, _ := chacha20.NewUnauthenticatedCipher(key[:32], nonce)
				s.SetCounter(1)
				s.XORKeyStream(pkt[4:4+n], pkt[4:4+n])
				poly1305.Sum(&tag, pkt[:4+n], &pk)
			}})
			if _, ok := cipher.ChaChaPaths["avx2"]; ok {
				var st [16]uint32
				ops = append(ops, timedOp{"ks-avx2", func() {
					if m := n &^ 127; m > 0 {
						cipher.XORBlocks(&pkt[4], &pkt[4], m, &st)
					}
				}})
			}
			ops = append(ops, timedOp{"poly1305", func() { poly1305.Sum(&tag, pkt[:4+n], &pk) }})
			ops = append(ops, timedOp{"polysum", func() { cipher.PolySum(&tag, pkt[:4+n], &pk) }})
			a, _ := chacha20poly1305.New(key[:32])
			ops = append(ops, timedOp{"aead", func() { a.Seal(pkt[4:4], nonce, pkt[4:4+n], nil) }})
			mbs := roundRobin(b, ops, n, max(1, (16<<10)/n)) // about 16 KiB per timed batch
			for _, p := range []string{"portable", "ietf", "avx2"} {
				for _, d := range []string{"seal", "open"} {
					if v, ok := mbs[p+"-"+d]; ok {
						b.ReportMetric(v/mbs["ref-"+d], p+"-"+d+"-x-ref")
						b.ReportMetric(v/mbs["aead"], p+"-"+d+"-x-aead")
					}
				}
			}
			b.ReportMetric(mbs["polysum"]/mbs["poly1305"], "polysum-x-poly1305")
			for _, d := range []string{"seal", "open"} {
				if v, ok := mbs["xpoly-"+d]; ok {
					b.ReportMetric(mbs["avx2-"+d]/v, "avx2-"+d+"-x-xpoly")
				}
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkPoly1305Vs times, round-robin by the thread's CPU clock as
// BenchmarkChaChaVs does, every Poly1305 implementation that can run here
// (polySum, which the AEAD calls, and the AVX2 code at every length)
// against x/crypto/poly1305, around the length where polySum switches to
// AVX2 and at packet sizes. It reports each one's MB/s and its ratio to
// x/crypto (-x-xcrypto).
func BenchmarkPoly1305Vs(b *testing.B) {
	for _, n := range []int{64, 128, 256, 512, 1 << 10, 1280, 1536, 2 << 10, 4 << 10, 32 << 10, 256 << 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			msg := make([]byte, n)
			var key [32]byte
			var tag [16]byte
			names := []string{"xcrypto"}
			fs := []func(*[16]byte, []byte, *[32]byte){poly1305.Sum}
			for _, name := range []string{"polySum", "avx2", "scalar"} {
				if f, ok := cipher.PolySums[name]; ok {
					names = append(names, name)
					fs = append(fs, f)
				}
			}
			reps := max(1, (16<<10)/n)
			spent := make([]time.Duration, len(fs))
			defer lockThread()()
			for b.Loop() {
				for i, f := range fs {
					key[0]++
					t0 := threadCPU()
					for range reps {
						f(&tag, msg, &key)
					}
					spent[i] += threadCPU() - t0
				}
			}
			mbs := make([]float64, len(fs))
			for i, name := range names {
				mbs[i] = float64(b.N*reps*n) / 1e6 / spent[i].Seconds()
				b.ReportMetric(mbs[i], name+"-MB/s")
				if i > 0 {
					b.ReportMetric(mbs[i]/mbs[0], name+"-x-xcrypto")
				}
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
