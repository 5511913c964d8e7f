package x25519

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
)

// FuzzAgainstECDH: PublicKey and SharedSecret agree with crypto/ecdh for
// any scalar and any 32-byte point, including non-canonical and
// low-order ones, where both must refuse.
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
	f.Fuzz(func(t *testing.T, scalar, point []byte) {
		if len(scalar) != 32 || len(point) != 32 {
			return
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

// BenchmarkSharedSecret compares SharedSecret with crypto/ecdh's ECDH
// (whose private key construction computes the public key too, as a
// kex must when it uses crypto/ecdh for the shared secret alone).
func BenchmarkSharedSecret(b *testing.B) {
	s, p := make([]byte, 32), make([]byte, 32)
	rand.Read(s)
	_, p, _ = GenerateKey(rand.Reader)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			SharedSecret(s, p)
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
