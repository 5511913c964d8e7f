package hostkey_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"math/big"
	"slices"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// h4Samples is the number of signatures per curve (docs/security.md#h4):
// 10k, or 1000 under the race detector (see race_test.go).
const h4Samples = h4SamplesRace

// h4TopBits is how many of the top bits of the nonce must vary.
const h4TopBits = 16

// TestH4ECDSANonces recovers the nonce k = s^-1 (e + r d) mod n of 10k
// signatures per curve made through our Signer and checks that none of
// its top bits is constant and short nonces are as rare as chance allows
// (CVE-2024-31497: PuTTY's P-521 nonces had 9 zero top bits). Signing the
// same message twice must give different r (hedged nonces).
func TestH4ECDSANonces(t *testing.T) {
	if testing.Short() {
		t.Skip("10k signatures per curve")
	}
	for _, kt := range []string{hostkey.ECDSAP256, hostkey.ECDSAP384, hostkey.ECDSAP521} {
		t.Run(kt, func(t *testing.T) {
			t.Parallel()
			s := signerFor(t, kt)
			priv := s.Crypto().(*ecdsa.PrivateKey)
			n := priv.Curve.Params().N
			bits := n.BitLen()
			h := map[string]func([]byte) []byte{
				hostkey.ECDSAP256: func(b []byte) []byte { x := sha256Sum(b); return x },
				hostkey.ECDSAP384: func(b []byte) []byte { x := sha512.Sum384(b); return x[:] },
				hostkey.ECDSAP521: func(b []byte) []byte { x := sha512.Sum512(b); return x[:] },
			}[kt]
			db, err := priv.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			d := new(big.Int).SetBytes(db)
			var ones [h4TopBits]int
			short := 0
			var firstR *big.Int
			msg := make([]byte, 8)
			for i := 0; i < h4Samples; i++ {
				binary.BigEndian.PutUint64(msg, uint64(i%2)) // half the messages repeat
				sig, err := s.Sign(rand.Reader, msg)
				if err != nil {
					t.Fatal(err)
				}
				rd := wire.NewReader(sig.Blob)
				r, sv := rd.MPInt(), rd.MPInt()
				e := new(big.Int).SetBytes(h(msg))
				k := new(big.Int).Mul(r, d)
				k.Add(k, e)
				k.Mul(k, new(big.Int).ModInverse(sv, n))
				k.Mod(k, n)
				for j := 0; j < h4TopBits; j++ {
					ones[j] += int(k.Bit(bits - 1 - j))
				}
				if k.BitLen() <= bits-8 {
					short++
				}
				if i == 0 {
					firstR = r
				} else if i%2 == 0 && r.Cmp(firstR) == 0 {
					t.Fatal("same message gave the same r twice: nonces are not hedged")
				}
			}
			for j, c := range ones {
				if c == 0 || c == h4Samples {
					t.Errorf("nonce bit %d from the top is constant over %d signatures", j, h4Samples)
				}
			}
			// P(k < 2^(bits-8)) is about 2^-8: 39 of 10k expected.
			if short > 200 {
				t.Errorf("%d of %d nonces have 8 or more leading zero bits", short, h4Samples)
			}
		})
	}
}

// TestH4Ed25519Nonces recovers r = S - h a mod L (RFC 8032, Section 5.1.6)
// from 10k signatures and checks that its top bits vary, and that
// signing is deterministic (the same message gives the same signature).
func TestH4Ed25519Nonces(t *testing.T) {
	if testing.Short() {
		t.Skip("10k signatures")
	}
	t.Parallel()
	s := signerFor(t, hostkey.ED25519)
	priv := s.Crypto().(ed25519.PrivateKey)
	L, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	le := func(b []byte) *big.Int { c := slices.Clone(b); slices.Reverse(c); return new(big.Int).SetBytes(c) }
	hs := sha512.Sum512(priv.Seed())
	hs[0] &= 248
	hs[31] &= 127
	hs[31] |= 64
	a := le(hs[:32])
	A := priv.Public().(ed25519.PublicKey)
	var ones [h4TopBits]int
	msg := make([]byte, 8)
	for i := 0; i < h4Samples; i++ {
		binary.BigEndian.PutUint64(msg, uint64(i))
		sig, err := s.Sign(rand.Reader, msg)
		if err != nil {
			t.Fatal(err)
		}
		R, S := sig.Blob[:32], sig.Blob[32:]
		hh := sha512.New()
		hh.Write(R)
		hh.Write(A)
		hh.Write(msg)
		k := le(hh.Sum(nil))
		k.Mul(k, a)
		k.Sub(le(S), k)
		k.Mod(k, L)
		// r < L < 2^253 and bit 252 is set with probability 2^-125, so
		// look at bits 251 and below.
		for j := 0; j < h4TopBits; j++ {
			ones[j] += int(k.Bit(251 - j))
		}
		if i < 10 {
			again, _ := s.Sign(rand.Reader, msg)
			if string(again.Blob) != string(sig.Blob) {
				t.Fatal("ed25519 signing is not deterministic")
			}
		}
	}
	for j, c := range ones {
		if c == 0 || c == h4Samples {
			t.Errorf("nonce bit %d is constant over %d signatures", 251-j, h4Samples)
		}
	}
}
