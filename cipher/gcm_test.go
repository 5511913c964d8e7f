package cipher_test

import (
	"bytes"
	stdaes "crypto/aes"
	stdcipher "crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/cipher"
)

// gcmRef is the AES-GCM of SSH built straight from crypto/aes and
// crypto/cipher.NewGCM: the nonce is iv with its last 8 bytes counting
// packets (RFC 5647, Section 7.1), the AAD the 4-byte length.
type gcmRef struct {
	aead  stdcipher.AEAD
	nonce []byte
}

func newGCMRef(t testing.TB, key, iv []byte) *gcmRef {
	t.Helper()
	b, err := stdaes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := stdcipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmRef{aead: a, nonce: bytes.Clone(iv)}
}

// seal returns the sealed packet of plain (length, body, no tag room),
// and moves the counter on.
func (r *gcmRef) seal(plain []byte) []byte {
	out := r.aead.Seal(bytes.Clone(plain[:4]), r.nonce, plain[4:], plain[:4])
	binary.BigEndian.PutUint64(r.nonce[4:], binary.BigEndian.Uint64(r.nonce[4:])+1)
	return out
}

// gcmPaths returns every AES-GCM path that runs here, keyed.
func gcmPaths(key, iv []byte) map[string]cipher.AEAD {
	m := map[string]cipher.AEAD{}
	for name, p := range cipher.GCMPaths {
		m[name] = cipher.NewGCMPath(key, iv, p)
	}
	return m
}

func randBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

// gcmPlain returns a packet of body length n, without tag room: the
// length, then random bytes.
func gcmPlain(r *rand.ChaCha8, n int) []byte {
	p := randBytes(r, 4+n)
	binary.BigEndian.PutUint32(p, uint32(n))
	return p
}

// checkGCMPacket seals plain (a packet without tag room) with c by Seal
// and by SealTo, requires the bytes of want, src untouched and nothing
// written past the packet, and opens want.
func checkGCMPacket(t *testing.T, name string, c cipher.AEAD, seq uint32, plain, want []byte, seal bool) {
	t.Helper()
	n := len(plain) - 4
	if seal {
		got := guarded(append(bytes.Clone(plain), make([]byte, 16)...))
		c.Seal(seq, got)
		checkGuard(t, name+" Seal", got)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: Seal(body %d) differs from crypto/cipher:\n got %x\nwant %x", name, n, head(got), head(want))
		}
	} else {
		src := bytes.Clone(plain)
		dst := guarded(make([]byte, len(plain)+16))
		c.(cipher.SealerTo).SealTo(seq, dst, src)
		checkGuard(t, name+" SealTo", dst)
		if !bytes.Equal(dst, want) {
			t.Fatalf("%s: SealTo(body %d) differs from crypto/cipher:\n got %x\nwant %x", name, n, head(dst), head(want))
		}
		if !bytes.Equal(src, plain) {
			t.Fatalf("%s: SealTo(body %d) modified src", name, n)
		}
	}
}

func checkGCMOpen(t *testing.T, name string, c cipher.AEAD, seq uint32, plain, sealed []byte) {
	t.Helper()
	q := guarded(sealed)
	if err := c.Open(seq, q); err != nil {
		t.Fatalf("%s: Open(body %d): %v", name, len(plain)-4, err)
	}
	checkGuard(t, name+" Open", q)
	if !bytes.Equal(q[:len(plain)], plain) || !bytes.Equal(q[len(plain):], sealed[len(plain):]) {
		t.Fatalf("%s: Open(body %d) gave\n%x\nwant\n%x", name, len(plain)-4, head(q), head(plain))
	}
}

// gcmLens is every whole number of blocks up to 2048 bytes, then 32 KiB,
// 32 KiB+16, 64 KiB-16 and 256 KiB.
func gcmLens() []int {
	var lens []int
	for n := 0; n <= 2048; n += 16 {
		lens = append(lens, n)
	}
	return append(lens, 32<<10, 32<<10+16, 64<<10-16, 256<<10)
}

// TestGCMPathsAgainstStd compares every AES-GCM path with crypto/cipher
// for both key sizes: random key, IV and body for every body length of
// gcmLens, Seal, SealTo and Open, each path with a fresh instance.
func TestGCMPathsAgainstStd(t *testing.T) {
	t.Logf("AES-GCM paths in this build on this CPU: %v", cipher.GCMPaths)
	r := rand.NewChaCha8([32]byte{42})
	for _, ks := range []int{16, 32} {
		for _, n := range gcmLens() {
			key, iv := randBytes(r, ks), randBytes(r, 12)
			plain := gcmPlain(r, n)
			want := newGCMRef(t, key, iv).seal(plain)
			for name, p := range cipher.GCMPaths {
				name := fmt.Sprintf("aes%d/%s", 8*ks, name)
				for _, seal := range []bool{true, false} {
					checkGCMPacket(t, name, cipher.NewGCMPath(key, iv, p), 0, plain, want, seal)
				}
				checkGCMOpen(t, name, cipher.NewGCMPath(key, iv, p), 0, plain, want)
			}
		}
	}
}

// TestGCMCounterAcrossPackets seals 40 packets of assorted lengths
// through one instance of each path, by Seal and SealTo in turn, and
// opens them with another, packet by packet against crypto/cipher with
// the nonce counted by the test; the invocation counter starts 20
// packets below the wrap of its 64 bits.
func TestGCMCounterAcrossPackets(t *testing.T) {
	r := rand.NewChaCha8([32]byte{7})
	for _, ks := range []int{16, 32} {
		key := randBytes(r, ks)
		iv := append(randBytes(r, 4), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xec)
		ref := newGCMRef(t, key, iv)
		w, o := gcmPaths(key, iv), gcmPaths(key, iv)
		for i := range 40 {
			n := 16 * int(r.Uint64()%80)
			if i%7 == 3 {
				n = 32<<10 + 16*int(r.Uint64()%20)
			}
			plain := gcmPlain(r, n)
			want := ref.seal(plain)
			for path, c := range w {
				name := fmt.Sprintf("aes%d/%s/packet %d", 8*ks, path, i)
				checkGCMPacket(t, name, c, uint32(i), plain, want, i%2 == 0)
				checkGCMOpen(t, name, o[path], uint32(i), plain, want)
			}
		}
	}
}

// TestGCMForgery flips each bit of the length, the body and the tag of
// sealed packets (one block; 18 blocks, across the 16-block step of the
// assembly; 33 blocks) and requires ErrAuth from every path, with no
// plaintext left in the packet: the body zeroed, the length and tag as
// received (the AEAD contract in cipher.go). The counter must not move:
// the genuine packet opens after.
func TestGCMForgery(t *testing.T) {
	r := rand.NewChaCha8([32]byte{9})
	for _, ks := range []int{16, 32} {
		for _, n := range []int{16, 18 * 16, 33 * 16} {
			key, iv := randBytes(r, ks), randBytes(r, 12)
			plain := gcmPlain(r, n)
			sealed := newGCMRef(t, key, iv).seal(plain)
			for name, p := range cipher.GCMPaths {
				c := cipher.NewGCMPath(key, iv, p)
				for bit := range 8 * len(sealed) {
					q := bytes.Clone(sealed)
					q[bit/8] ^= 1 << (bit % 8)
					forged := bytes.Clone(q)
					if err := c.Open(0, q); !errors.Is(err, cipher.ErrAuth) {
						t.Fatalf("aes%d/%s body %d: Open with bit %d flipped = %v, want ErrAuth", 8*ks, name, n, bit, err)
					}
					if !bytes.Equal(q[:4], forged[:4]) || !bytes.Equal(q[4+n:], forged[4+n:]) ||
						!bytes.Equal(q[4:4+n], make([]byte, n)) {
						t.Fatalf("aes%d/%s body %d, bit %d: failed Open left\n%x\nwant the body zeroed, the rest as received",
							8*ks, name, n, bit, head(q))
					}
				}
				checkGCMOpen(t, name, c, 0, plain, sealed)
			}
		}
	}
}

// TestGCMPartialBlocks: a body that is not whole blocks, which the packet
// layer never produces, is sealed by crypto/cipher on every path (on the
// assembly path built from the key schedule at the first such Seal),
// and the assembly path's Open rejects it. Each key size seals on a fresh
// instance, then mixes whole and partial bodies through one instance,
// so the fallback is built once and the counter runs on across both.
func TestGCMPartialBlocks(t *testing.T) {
	r := rand.NewChaCha8([32]byte{11})
	for _, ks := range []int{16, 32} {
		for _, n := range []int{1, 15, 17, 300} {
			key, iv := randBytes(r, ks), randBytes(r, 12)
			plain := gcmPlain(r, n)
			want := newGCMRef(t, key, iv).seal(plain)
			for name, p := range cipher.GCMPaths {
				name := fmt.Sprintf("aes%d/%s", 8*ks, name)
				checkGCMPacket(t, name, cipher.NewGCMPath(key, iv, p), 0, plain, want, true)
				err := cipher.NewGCMPath(key, iv, p).Open(0, bytes.Clone(want))
				if strings.HasSuffix(name, "vaes") && !errors.Is(err, cipher.ErrAuth) || strings.HasSuffix(name, "std") && err != nil {
					t.Errorf("%s: Open(body %d) = %v", name, n, err)
				}
			}
		}
		key, iv := randBytes(r, ks), randBytes(r, 12)
		for name, p := range cipher.GCMPaths {
			ref, c := newGCMRef(t, key, iv), cipher.NewGCMPath(key, iv, p)
			for i, n := range []int{32, 5, 48, 0, 31, 16, 1000, 1024} {
				plain := gcmPlain(r, n)
				checkGCMPacket(t, fmt.Sprintf("aes%d/%s/packet %d", 8*ks, name, i), c, uint32(i), plain, ref.seal(plain), i%3 != 2)
			}
		}
	}
}

// TestGCMKeySchedule checks this package's AES key expansion (FIPS 197,
// Section 5.2) through the assembly's block function against crypto/aes,
// for random AES-128 and AES-256 keys and blocks.
func TestGCMKeySchedule(t *testing.T) {
	if _, ok := cipher.GCMPaths["vaes"]; !ok {
		t.Skip("no VAES path in this build on this CPU")
	}
	r := rand.NewChaCha8([32]byte{3})
	for _, ks := range []int{16, 32} {
		for range 200 {
			key, blk := randBytes(r, ks), randBytes(r, 16)
			b, _ := stdaes.NewCipher(key)
			want := make([]byte, 16)
			b.Encrypt(want, blk)
			if got := cipher.GCMKeyEncrypt(key, blk); !bytes.Equal(got, want) {
				t.Fatalf("AES-%d key %x, block %x: got %x, want %x", 8*ks, key, blk, got, want)
			}
		}
	}
}

// TestGCMPowers checks the powers of the hash key that the assembly
// computes at key setup (H^16..H^1 in the GHASH's representation, and
// their halves' XOR) against gcmPowersRef, SP 800-38D's Algorithm 1 in
// Go: for random AES-128 and AES-256 keys, H = AES_K(0^128) from
// crypto/aes, and for hash keys at the edges.
func TestGCMPowers(t *testing.T) {
	if _, ok := cipher.GCMPaths["vaes"]; !ok {
		t.Skip("no VAES path in this build on this CPU")
	}
	r := rand.NewChaCha8([32]byte{5})
	for _, ks := range []int{16, 32} {
		for range 500 {
			key := randBytes(r, ks)
			b, _ := stdaes.NewCipher(key)
			var h [16]byte
			b.Encrypt(h[:], h[:])
			wantH, wantK := cipher.GCMPowersRef(h)
			gotH, gotK := cipher.GCMPowers(key)
			if gotH != wantH || gotK != wantK {
				t.Fatalf("AES-%d key %x (H %x): powers differ from the reference\n got %x\nwant %x", 8*ks, key, h, gotH, wantH)
			}
		}
	}
	ones := [16]byte(bytes.Repeat([]byte{0xff}, 16))
	// Zero; one (x^0, the bit that R(H)·y folds back); x^127; all set.
	for _, h := range [][16]byte{{}, {0: 0x80}, {15: 1}, ones} {
		wantH, wantK := cipher.GCMPowersRef(h)
		if gotH, gotK := cipher.GCMPowersOf(h); gotH != wantH || gotK != wantK {
			t.Errorf("H %x: powers differ from the reference\n got %x\nwant %x", h, gotH, wantH)
		}
	}
}

// TestGCMAllocs checks that every path seals and opens without
// allocating.
func TestGCMAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts need a build without -race")
	}
	for name, c := range gcmPaths(make([]byte, 16), make([]byte, 12)) {
		for _, n := range []int{16, 1024, 32 << 10} {
			p := make([]byte, 4+n+16)
			dst := make([]byte, len(p))
			got := testing.AllocsPerRun(20, func() {
				binary.BigEndian.PutUint32(p, uint32(n))
				c.(cipher.SealerTo).SealTo(0, dst, p[:4+n])
				c.Seal(0, p)
				if err := c.Open(0, p); err == nil {
					t.Fatal("opened under a later counter")
				}
			})
			if got != 0 {
				t.Errorf("%s, body %d: %v allocations per packet, want 0", name, n, got)
			}
		}
	}
}

// TestGCMBuilds checks that the package builds and vets where the
// assembly is not built (arm64, and amd64 under the purego tag: the
// stubs of gcm_vaes_other.go) and that its files are gofmt-clean. It
// runs the go tool, so -short skips it.
func TestGCMBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool:", err)
	}
	for _, c := range []struct {
		name string
		env  string
		args []string
	}{
		{"arm64", "GOARCH=arm64", []string{"vet", "./..."}},
		{"purego", "", []string{"vet", "-tags", "purego", "./..."}},
	} {
		cmd := exec.Command(gotool, c.args...)
		cmd.Env = os.Environ()
		if c.env != "" {
			cmd.Env = append(cmd.Env, c.env)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: go %s: %v\n%s", c.name, strings.Join(c.args, " "), err, out)
		}
	}
	if gofmt, err := exec.LookPath("gofmt"); err == nil {
		out, err := exec.Command(gofmt, "-l", ".").CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Errorf("gofmt -l: %v\n%s", err, out)
		}
	}
}

// FuzzGCMVAES compares every path with crypto/cipher for a key (AES-128
// if up to 16 bytes, else AES-256, zero-padded), a 12-byte nonce and a
// body: Seal, SealTo and Open of the same packet. Bodies that are not
// whole blocks take the fallback.
func FuzzGCMVAES(f *testing.F) {
	for i, n := range []int{0, 16, 48, 255, 256, 272, 512, 4096} {
		f.Add(bytes.Repeat([]byte{byte(i)}, 16*(1+i%2)), bytes.Repeat([]byte{byte(i)}, 12), make([]byte, n))
	}
	f.Fuzz(func(t *testing.T, key, nonce, body []byte) {
		ks := 16
		if len(key) > 16 {
			ks = 32
		}
		key = append(bytes.Clone(key), make([]byte, 32)...)[:ks]
		nonce = append(bytes.Clone(nonce), make([]byte, 12)...)[:12]
		plain := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		plain = append(plain, body...)
		want := newGCMRef(t, key, nonce).seal(plain)
		for name, p := range cipher.GCMPaths {
			checkGCMPacket(t, name, cipher.NewGCMPath(key, nonce, p), 0, plain, want, true)
			checkGCMPacket(t, name, cipher.NewGCMPath(key, nonce, p), 0, plain, want, false)
			if len(body)%16 == 0 || name == "std" {
				checkGCMOpen(t, name, cipher.NewGCMPath(key, nonce, p), 0, plain, want)
			}
		}
	})
}

// BenchmarkGCM times aes128-gcm and aes256-gcm sealing and opening on
// each path, in one run. Sizes are the body length.
func BenchmarkGCM(b *testing.B) {
	for _, ks := range []int{16, 32} {
		for _, n := range []int{1 << 10, 32 << 10, 256 << 10} {
			for _, name := range []string{"std", "vaes"} {
				p, ok := cipher.GCMPaths[name]
				if !ok {
					continue
				}
				c := cipher.NewGCMPath(make([]byte, ks), make([]byte, 12), p)
				pkt := make([]byte, 4+n+16)
				binary.BigEndian.PutUint32(pkt, uint32(n))
				b.Run(fmt.Sprintf("aes%d/%d/%s/seal", 8*ks, n, name), func(b *testing.B) {
					b.SetBytes(int64(n))
					b.ReportAllocs()
					for b.Loop() {
						c.Seal(0, pkt)
					}
				})
				o := cipher.NewGCMPath(make([]byte, ks), make([]byte, 12), p)
				sealed := bytes.Clone(pkt)
				cipher.NewGCMPath(make([]byte, ks), make([]byte, 12), p).Seal(0, sealed)
				b.Run(fmt.Sprintf("aes%d/%d/%s/open", 8*ks, n, name), func(b *testing.B) {
					b.SetBytes(int64(n))
					b.ReportAllocs()
					for b.Loop() {
						copy(pkt, sealed)
						cipher.SetGCMNonce(o, make([]byte, 12))
						if err := o.Open(0, pkt); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkGCMVs runs the std and vaes paths round-robin within each
// iteration, timing each by the thread's CPU clock (as BenchmarkChaChaVs
// does), so that both see the same machine load; it reports each one's
// MB/s and vaes over std (-x-std).
func BenchmarkGCMVs(b *testing.B) {
	for _, ks := range []int{16, 32} {
		for _, n := range []int{1 << 10, 32 << 10, 256 << 10} {
			b.Run(fmt.Sprintf("aes%d/%d", 8*ks, n), func(b *testing.B) {
				var ops []timedOp
				pkt := make([]byte, 4+n+16)
				binary.BigEndian.PutUint32(pkt, uint32(n))
				zero := make([]byte, 12)
				for _, name := range []string{"std", "vaes"} {
					p, ok := cipher.GCMPaths[name]
					if !ok {
						continue
					}
					c := cipher.NewGCMPath(make([]byte, ks), make([]byte, 12), p)
					o := cipher.NewGCMPath(make([]byte, ks), make([]byte, 12), p)
					sealed := bytes.Clone(pkt)
					cipher.NewGCMPath(make([]byte, ks), make([]byte, 12), p).Seal(0, sealed)
					ops = append(ops, timedOp{name + "-seal", func() { c.Seal(0, pkt) }},
						timedOp{name + "-open", func() {
							copy(pkt, sealed)
							cipher.SetGCMNonce(o, zero)
							if err := o.Open(0, pkt); err != nil {
								b.Fatal(err)
							}
						}})
				}
				mbs := roundRobin(b, ops, n, max(1, (64<<10)/n))
				for _, d := range []string{"seal", "open"} {
					if v, ok := mbs["vaes-"+d]; ok {
						b.ReportMetric(v/mbs["std-"+d], "vaes-"+d+"-x-std")
					}
				}
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkGCMNew times the key setup of aes128-gcm and aes256-gcm on
// each path: what every new key (two per side at each key exchange)
// costs before its first packet.
func BenchmarkGCMNew(b *testing.B) {
	for _, ks := range []int{16, 32} {
		for _, name := range []string{"std", "vaes"} {
			p, ok := cipher.GCMPaths[name]
			if !ok {
				continue
			}
			key, iv := make([]byte, ks), make([]byte, 12)
			b.Run(fmt.Sprintf("aes%d/%s", 8*ks, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					key[0]++
					cipher.NewGCMPath(key, iv, p)
				}
			})
		}
	}
}
