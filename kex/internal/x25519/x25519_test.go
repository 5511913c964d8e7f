package x25519

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"os"
	"testing"
)

// FuzzAgainstECDH: PublicKey and SharedSecret agree with crypto/ecdh for
// any scalar and any 32-byte point, including non-canonical and
// low-order ones, where both must refuse; with BMI2 and ADX, ladderADX
// (which SharedSecret then uses) agrees with ladderGeneric everywhere,
// low-order points included.
func FuzzAgainstECDH(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 32))
	nine := make([]byte, 32)
	nine[0] = 9
	f.Add(nine, nine)
	for range 8 {
		s, p := make([]byte, 32), make([]byte, 32)
		rand.Read(s)
		rand.Read(p)
		f.Add(s, p)
	}
	for _, p := range edgePoints() {
		f.Add(bytes.Repeat([]byte{0x5a}, 32), p)
	}
	f.Fuzz(func(t *testing.T, scalar, point []byte) {
		if len(scalar) != 32 || len(point) != 32 {
			return
		}
		if haveADX { // SharedSecret runs ladderADX; compare it with the Go ladder too
			if got, want := ladderADX(scalar, point), ladderGeneric(scalar, point); !bytes.Equal(got, want) {
				t.Fatalf("ladderADX(%x, %x) = %x, ladderGeneric says %x", scalar, point, got, want)
			}
		}
		priv, err := ecdh.X25519().NewPrivateKey(scalar)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := PublicKey(scalar), priv.PublicKey().Bytes(); !bytes.Equal(got, want) {
			t.Fatalf("PublicKey(%x) = %x, crypto/ecdh says %x", scalar, got, want)
		}
		got, err := SharedSecret(scalar, point)
		pub, perr := ecdh.X25519().NewPublicKey(point)
		var want []byte
		if perr == nil {
			want, perr = priv.ECDH(pub)
		}
		switch {
		case perr != nil && !errors.Is(err, ErrLowOrder):
			t.Fatalf("SharedSecret(%x, %x) = %x, %v; crypto/ecdh refuses: %v", scalar, point, got, err, perr)
		case perr == nil && (err != nil || !bytes.Equal(got, want)):
			t.Fatalf("SharedSecret(%x, %x) = %x, %v; crypto/ecdh says %x", scalar, point, got, err, want)
		}
	})
}

// TestRFC7748Vectors: the test vectors of RFC 7748, Sections 5.2 and 6.1.
func TestRFC7748Vectors(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, v := range []struct{ scalar, point, out string }{
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	} {
		got, err := SharedSecret(h(v.scalar), h(v.point))
		if err != nil || !bytes.Equal(got, h(v.out)) {
			t.Errorf("X25519(%s, %s) = %x, %v; want %s", v.scalar, v.point, got, err, v.out)
		}
	}
	alice := h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	bob := h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	alicePub, bobPub := PublicKey(alice), PublicKey(bob)
	if want := h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"); !bytes.Equal(alicePub, want) {
		t.Errorf("Alice's public key %x, want %x", alicePub, want)
	}
	if want := h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"); !bytes.Equal(bobPub, want) {
		t.Errorf("Bob's public key %x, want %x", bobPub, want)
	}
	k1, err1 := SharedSecret(alice, bobPub)
	k2, err2 := SharedSecret(bob, alicePub)
	if want := h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"); err1 != nil || err2 != nil || !bytes.Equal(k1, want) || !bytes.Equal(k2, want) {
		t.Errorf("shared secrets %x, %x (%v, %v), want %x", k1, k2, err1, err2, want)
	}
}

func hexBytes(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lowOrderPoints are the encodings of the points of small order on
// Curve25519 and their non-canonical twins below 2^255 (the list of
// libsodium's blocklist; RFC 7748, Section 6.1): each gives the all-zero
// output.
var lowOrderPoints = []string{
	"0000000000000000000000000000000000000000000000000000000000000000", // 0, order 4
	"0100000000000000000000000000000000000000000000000000000000000000", // 1, order 1
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p-1, order 2
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p = 0
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+1 = 1
}

// edgePoints are u-coordinates at the edges of the field and of the
// limbs, each also with the top bit set (which X25519 ignores).
func edgePoints() [][]byte {
	var ps [][]byte
	for _, s := range append([]string{
		"0200000000000000000000000000000000000000000000000000000000000000", // 2
		"0900000000000000000000000000000000000000000000000000000000000000", // 9, the base point
		"ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p-2
		"efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+2
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // 2^255-1
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // limbs of all ones
		"ffffffffffffffff000000000000000000000000000000000000000000000000",
		"0000000000000000ffffffffffffffff00000000000000000000000000000000",
		"00000000000000000000000000000000ffffffffffffffff0000000000000000",
		"000000000000000000000000000000000000000000000000ffffffffffffff7f",
		"ffffffffffffffff0000000000000000ffffffffffffffff0000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000040", // 2^254
	}, lowOrderPoints...) {
		b, _ := hex.DecodeString(s)
		top := bytes.Clone(b)
		top[31] |= 0x80
		ps = append(ps, b, top)
	}
	return ps
}

// TestLadderADXVectors: RFC 7748, Section 5.2, on ladderADX itself: the
// two scalar/point vectors and the 1 and 1,000 iteration results
// (1,000,000 iterations take about a minute, so only with
// SSHSTACK_X25519_MILLION=1).
func TestLadderADXVectors(t *testing.T) {
	if !haveADX {
		t.Skip("no BMI2 and ADX assembly here")
	}
	for _, v := range []struct{ scalar, point, out string }{
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	} {
		if got := ladderADX(hexBytes(t, v.scalar), hexBytes(t, v.point)); !bytes.Equal(got, hexBytes(t, v.out)) {
			t.Errorf("ladderADX(%s, %s) = %x, want %s", v.scalar, v.point, got, v.out)
		}
	}
	iterations := []struct {
		n    int
		want string
	}{
		{1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"},
		{1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"},
	}
	if os.Getenv("SSHSTACK_X25519_MILLION") == "1" {
		iterations = append(iterations, struct {
			n    int
			want string
		}{1000000, "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424"})
	}
	k := make([]byte, 32)
	k[0] = 9
	u := bytes.Clone(k)
	done := 0
	for _, it := range iterations {
		for ; done < it.n; done++ {
			k, u = ladderADX(k, u), k
		}
		if want := hexBytes(t, it.want); !bytes.Equal(k, want) {
			t.Errorf("after %d iterations: %x, want %x", it.n, k, want)
		}
	}
}

// TestLadderADX compares ladderADX with ladderGeneric and crypto/ecdh for
// random scalars and points and for edgePoints under several scalars.
// crypto/ecdh refuses an all-zero result, so low-order points are only
// compared with ladderGeneric, and SharedSecret must refuse them.
func TestLadderADX(t *testing.T) {
	if !haveADX {
		t.Skip("no BMI2 and ADX assembly here")
	}
	r := mrand.New(mrand.NewPCG(5, 6))
	random := func() []byte {
		b := make([]byte, 32)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	scalars := [][]byte{make([]byte, 32), bytes.Repeat([]byte{0xff}, 32)}
	for range 6 {
		scalars = append(scalars, random())
	}
	type tc struct{ scalar, point []byte }
	var cases []tc
	for _, p := range edgePoints() {
		for _, s := range scalars {
			cases = append(cases, tc{s, p})
		}
	}
	for range 2000 {
		cases = append(cases, tc{random(), random()})
	}
	for _, c := range cases {
		got, want := ladderADX(c.scalar, c.point), ladderGeneric(c.scalar, c.point)
		if !bytes.Equal(got, want) {
			t.Fatalf("ladderADX(%x, %x) = %x, ladderGeneric says %x", c.scalar, c.point, got, want)
		}
		priv, _ := ecdh.X25519().NewPrivateKey(c.scalar)
		pub, err := ecdh.X25519().NewPublicKey(c.point)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := priv.ECDH(pub); err == nil && !bytes.Equal(got, e) {
			t.Fatalf("ladderADX(%x, %x) = %x, crypto/ecdh says %x", c.scalar, c.point, got, e)
		} else if err != nil && !bytes.Equal(got, make([]byte, 32)) {
			t.Fatalf("ladderADX(%x, %x) = %x, crypto/ecdh refuses: %v", c.scalar, c.point, got, err)
		}
	}
	for _, s := range lowOrderPoints {
		p := hexBytes(t, s)
		for _, sc := range scalars {
			if _, err := SharedSecret(sc, p); !errors.Is(err, ErrLowOrder) {
				t.Errorf("SharedSecret(%x, %s): %v, want ErrLowOrder", sc, s, err)
			}
		}
	}
}

// BenchmarkKeygen compares GenerateKey with crypto/ecdh's in one run.
func BenchmarkKeygen(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			GenerateKey(rand.Reader)
		}
	})
	b.Run("crypto-ecdh", func(b *testing.B) {
		for b.Loop() {
			ecdh.X25519().GenerateKey(rand.Reader)
		}
	})
}

// BenchmarkSharedSecret compares SharedSecret (ladderADX where the CPU
// has BMI2 and ADX), ladderGeneric and crypto/ecdh's ECDH (whose private
// key construction computes the public key too, as a kex must when it
// uses crypto/ecdh for the shared secret alone).
func BenchmarkSharedSecret(b *testing.B) {
	s, p := make([]byte, 32), make([]byte, 32)
	rand.Read(s)
	_, p, _ = GenerateKey(rand.Reader)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			SharedSecret(s, p)
		}
	})
	b.Run("generic", func(b *testing.B) { // ours without the assembly
		for b.Loop() {
			ladderGeneric(s, p)
		}
	})
	priv, _ := ecdh.X25519().NewPrivateKey(s)
	pub, _ := ecdh.X25519().NewPublicKey(p)
	b.Run("crypto-ecdh", func(b *testing.B) {
		for b.Loop() {
			priv.ECDH(pub)
		}
	})
}
