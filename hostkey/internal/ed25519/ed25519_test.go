package ed25519

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(priv ed25519.PrivateKey, msg []byte) []byte {
	var sig [SignatureSize]byte
	Sign(&sig, priv, msg)
	return sig[:]
}

// TestRFC8032Vectors checks Sign and Verify on the vectors of RFC 8032,
// Section 7.1 (TEST 1, 2, 3, 1024 and SHA(abc)).
func TestRFC8032Vectors(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, v := range rfc8032Vectors {
			priv := ed25519.NewKeyFromSeed(unhex(t, v.seed))
			pub, msg, want := unhex(t, v.pub), unhex(t, v.msg), unhex(t, v.sig)
			if !bytes.Equal(priv[32:], pub) {
				t.Fatalf("%s: public key %x, want %x", v.name, priv[32:], pub)
			}
			if got := sign(priv, msg); !bytes.Equal(got, want) {
				t.Errorf("%s: Sign = %x, want %x", v.name, got, want)
			}
			if !Verify(pub, msg, want) {
				t.Errorf("%s: Verify rejects the signature", v.name)
			}
			bad := bytes.Clone(want)
			bad[10] ^= 1
			if Verify(pub, msg, bad) {
				t.Errorf("%s: Verify accepts a changed signature", v.name)
			}
		}
	})
}

func randomKey(r *rand.Rand) (ed25519.PublicKey, ed25519.PrivateKey) {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestSignMatches checks that Sign writes crypto/ed25519's bytes for
// random keys and messages of every length up to 300.
func TestSignMatches(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for i := range 3000 {
			_, priv := randomKey(r)
			msg := randomBytes(r, i%301)
			if got, want := sign(priv, msg), ed25519.Sign(priv, msg); !bytes.Equal(got, want) {
				t.Fatalf("Sign(%x, %x) = %x, want %x", priv, msg, got, want)
			}
		}
	})
}

// TestSignMismatchedPublicKey checks that Sign, like crypto/ed25519,
// hashes the public half of the private key as given, even when it is
// not the seed's.
func TestSignMismatchedPublicKey(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for range 50 {
			_, priv := randomKey(r)
			copy(priv[32:], randomBytes(r, 32))
			msg := randomBytes(r, 40)
			if got, want := sign(priv, msg), ed25519.Sign(priv, msg); !bytes.Equal(got, want) {
				t.Fatalf("Sign(%x, %x) = %x, want %x", priv, msg, got, want)
			}
		}
	})
}

// sameVerdict fails t unless Verify and crypto/ed25519.Verify agree on
// the input, and returns the verdict.
func sameVerdict(t *testing.T, pub, msg, sig []byte) bool {
	t.Helper()
	want := ed25519.Verify(pub, msg, sig)
	if got := Verify(pub, msg, sig); got != want {
		t.Fatalf("Verify(%x, %x, %x) = %v, crypto/ed25519 says %v", pub, msg, sig, got, want)
	}
	return want
}

// TestVerifyMatches checks good signatures of random keys, and every
// single-bit change of one signature, of its public key and of its
// message, plus random changes of the others.
func TestVerifyMatches(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for i := range 3000 {
			pub, priv := randomKey(r)
			msg := randomBytes(r, i%200)
			sig := ed25519.Sign(priv, msg)
			if !sameVerdict(t, pub, msg, sig) {
				t.Fatal("a good signature is rejected")
			}
			if i == 0 {
				for bit := range 8 * len(sig) {
					s := bytes.Clone(sig)
					s[bit/8] ^= 1 << (bit % 8)
					sameVerdict(t, pub, msg, s)
				}
				for bit := range 8 * len(pub) {
					p := bytes.Clone(pub)
					p[bit/8] ^= 1 << (bit % 8)
					sameVerdict(t, p, msg, sig)
				}
				for bit := range 8 * len(msg) {
					m := bytes.Clone(msg)
					m[bit/8] ^= 1 << (bit % 8)
					sameVerdict(t, pub, m, sig)
				}
				continue
			}
			s, p := bytes.Clone(sig), bytes.Clone(pub)
			switch i % 3 {
			case 0:
				s[r.IntN(64)] ^= byte(1 << r.IntN(8))
			case 1:
				p[r.IntN(32)] ^= byte(1 << r.IntN(8))
			case 2:
				p = randomBytes(r, 32) // most often no point at all
			}
			sameVerdict(t, p, msg, s)
		}
	})
}

// TestVerifyScalarEdges checks S at and around L, 2^252 and 2^253, and
// S + nL for a good S, which is the same residue but not canonical.
func TestVerifyScalarEdges(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(17, 18))
		pub, priv := randomKey(r)
		msg := []byte("scalar edges")
		sig := ed25519.Sign(priv, msg)
		good := new(big.Int).SetBytes(reversed(sig[32:]))
		one := big.NewInt(1)
		var ss []*big.Int
		for _, base := range []*big.Int{refL, new(big.Int).Lsh(one, 252), new(big.Int).Lsh(one, 253)} {
			for d := int64(-3); d <= 3; d++ {
				ss = append(ss, new(big.Int).Add(base, big.NewInt(d)))
			}
		}
		ss = append(ss, big.NewInt(0), new(big.Int).Sub(new(big.Int).Lsh(one, 256), one))
		for n := int64(1); n < 16; n++ {
			ss = append(ss, new(big.Int).Add(good, new(big.Int).Mul(refL, big.NewInt(n))))
		}
		for _, s := range ss {
			if s.BitLen() > 256 {
				continue
			}
			bad := bytes.Clone(sig)
			copy(bad[32:], refScalar(s))
			if sameVerdict(t, pub, msg, bad) {
				t.Fatalf("S = %v accepted", s)
			}
		}
	})
}

func reversed(b []byte) []byte {
	c := bytes.Clone(b)
	reverse(c)
	return c
}

// torsionSignature returns a signature of msg valid for the small-order
// public key a (of the torsion point ta), when one of the eight R =
// [S]B - [j]ta happens to have k = j modulo the order, and nil otherwise.
func torsionSignature(a []byte, ta refPoint, s *big.Int, msg []byte) []byte {
	sb := refB.mul(s)
	for j := range int64(8) {
		rp := sb.add(ta.mul(big.NewInt(j)).neg())
		rb := rp.bytes()
		k := refChallenge(rb, a, msg)
		if bytes.Equal(ta.mul(k).bytes(), ta.mul(big.NewInt(j)).bytes()) {
			return append(rb, refScalar(s)...)
		}
	}
	return nil
}

// nonCanonical returns the encodings of p that crypto/ed25519 also
// accepts: y + p where that is below 2^255, and the sign bit set on x = 0.
func nonCanonical(p refPoint) [][]byte {
	var out [][]byte
	yp := new(big.Int).Add(p.y, refP)
	if yp.BitLen() <= 255 {
		b := refScalar(yp)
		b[31] |= byte(p.x.Bit(0)) << 7
		out = append(out, b)
		if p.x.Sign() == 0 {
			c := bytes.Clone(b)
			c[31] |= 0x80
			out = append(out, c)
		}
	}
	if p.x.Sign() == 0 {
		b := p.bytes()
		b[31] |= 0x80
		out = append(out, b)
	}
	return out
}

// TestVerifySmallOrder checks the eight torsion points and their
// non-canonical encodings as A and as R, mixed-order public keys, and
// signatures that are only valid because A has small order, all against
// crypto/ed25519's verdict. It also requires some of them to verify, so
// that the acceptance rules, not only the rejections, are compared.
func TestVerifySmallOrder(t *testing.T) {
	torsion := refTorsion()
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 20))
		accepted := 0
		for ti, tp := range torsion {
			encs := append([][]byte{tp.bytes()}, nonCanonical(tp)...)
			for ei, a := range encs {
				for n := range 8 {
					msg := []byte{byte(ti), byte(ei), byte(n)}
					s := new(big.Int).SetBytes(randomBytes(r, 32))
					s.Mod(s, refL)
					if sig := torsionSignature(a, tp, s, msg); sig != nil {
						if !sameVerdict(t, a, msg, sig) {
							t.Fatalf("torsion key %x: a valid signature is rejected", a)
						}
						accepted++
					}
					// R a torsion point with S = 0: valid when [k]A = -R
					// and R is encoded canonically.
					for _, rt := range torsion {
						for _, re := range append([][]byte{rt.bytes()}, nonCanonical(rt)...) {
							sig := append(re, make([]byte, 32)...)
							if sameVerdict(t, a, msg, sig) {
								accepted++
							}
						}
					}
				}
			}
		}
		// Mixed-order keys A0 + T signed with A0's key: valid when [k]T
		// is the identity.
		for i := range 64 {
			_, priv := randomKey(r)
			a0, _ := refDecode(priv[32:])
			tp := torsion[i%8]
			a := a0.add(tp).bytes()
			msg := []byte{byte(i)}
			if sameVerdict(t, a, msg, ed25519.Sign(priv, msg)) {
				accepted++
			}
		}
		if accepted < 50 {
			t.Fatalf("only %d small-order cases verify", accepted)
		}
	})
}

// TestVerifyNonCanonicalA checks public keys whose y is p or more (they
// stand for y - p), on the identity, which any [S]B, S verifies against,
// and on y below 19 in general.
func TestVerifyNonCanonicalA(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		accepted := 0
		for c := int64(0); c < 19; c++ {
			for sign := range 2 {
				a := refScalar(new(big.Int).Add(refP, big.NewInt(c)))
				a[31] |= byte(sign) << 7
				s := new(big.Int).Mod(new(big.Int).SetBytes(randomBytes(r, 32)), refL)
				msg := []byte{byte(c), byte(sign)}
				sig := append(refB.mul(s).bytes(), refScalar(s)...)
				if sameVerdict(t, a, msg, sig) {
					accepted++
				}
				// A changed R and an A of small y that is on the curve.
				sig[0] ^= 1
				sameVerdict(t, a, msg, sig)
				if p, ok := refDecode(a); ok {
					if sig := torsionSignature(a, p, s, msg); sig != nil && p.mul(big.NewInt(8)).y.Cmp(big.NewInt(1)) == 0 {
						if !sameVerdict(t, a, msg, sig) {
							t.Fatalf("key %x: a valid signature is rejected", a)
						}
					}
				}
			}
		}
		// y = p+1 is the identity, with either sign bit.
		if accepted != 2 {
			t.Fatalf("%d signatures under non-canonical identities verify, want 2", accepted)
		}
	})
}

// TestVerifyOddInputs checks public keys off the curve, all-zero and
// all-0xff inputs, and wrong lengths, which must return false without a
// panic.
func TestVerifyOddInputs(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 24))
		pub, priv := randomKey(r)
		msg := []byte("odd inputs")
		sig := ed25519.Sign(priv, msg)
		offCurve := 0
		for range 200 {
			p := randomBytes(r, 32)
			if _, ok := refDecode(p); !ok {
				offCurve++
			}
			sameVerdict(t, p, msg, sig)
		}
		if offCurve < 50 {
			t.Fatalf("only %d keys off the curve", offCurve)
		}
		zero, ff := make([]byte, 64), bytes.Repeat([]byte{0xff}, 64)
		for _, p := range [][]byte{zero[:32], ff[:32], pub} {
			for _, s := range [][]byte{zero, ff, sig} {
				for _, m := range [][]byte{nil, zero, ff, msg} {
					sameVerdict(t, p, m, s)
				}
			}
		}
		for _, n := range []int{0, 31, 33, 64} {
			if Verify(make([]byte, n), msg, sig) {
				t.Errorf("Verify accepts a %d-byte key", n)
			}
		}
		for _, n := range []int{0, 63, 65, 128} {
			s := make([]byte, n)
			copy(s, sig)
			if Verify(pub, msg, s) {
				t.Errorf("Verify accepts a %d-byte signature", n)
			}
		}
	})
}

// TestSignPanicsOnBadKey checks that a private key of the wrong length
// panics, as crypto/ed25519.Sign does, rather than signing with part of
// one.
func TestSignPanicsOnBadKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var sig [SignatureSize]byte
	Sign(&sig, make([]byte, 32), nil)
}

// TestAllocs checks that Verify and Sign allocate nothing.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := rand.New(rand.NewPCG(25, 26))
	pub, priv := randomKey(r)
	msg := []byte("allocations")
	sig := ed25519.Sign(priv, msg)
	var out [SignatureSize]byte
	Sign(&out, priv, msg) // builds the tables once
	Verify(pub, msg, sig)
	if n := testing.AllocsPerRun(100, func() { Verify(pub, msg, sig) }); n != 0 {
		t.Errorf("Verify: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { Sign(&out, priv, msg) }); n != 0 {
		t.Errorf("Sign: %v allocations", n)
	}
}

// FuzzVerify compares Verify with crypto/ed25519.Verify on any input.
func FuzzVerify(f *testing.F) {
	for _, v := range rfc8032Vectors {
		f.Add(unhex(f, v.pub), unhex(f, v.msg), unhex(f, v.sig))
	}
	for _, tp := range refTorsion() {
		f.Add(tp.bytes(), []byte("m"), append(tp.bytes(), make([]byte, 32)...))
	}
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != PublicKeySize {
			if Verify(pub, msg, sig) {
				t.Fatal("Verify accepts a wrong-length key")
			}
			return
		}
		sameVerdict(t, pub, msg, sig)
	})
}

// FuzzSign compares Sign with crypto/ed25519.Sign, and checks that
// Verify accepts the result and rejects it for another message.
func FuzzSign(f *testing.F) {
	for _, v := range rfc8032Vectors {
		f.Add(unhex(f, v.seed), unhex(f, v.msg))
	}
	f.Fuzz(func(t *testing.T, seed, msg []byte) {
		s := sha512.Sum512(seed) // any bytes make a seed
		priv := ed25519.NewKeyFromSeed(s[:32])
		got, want := sign(priv, msg), ed25519.Sign(priv, msg)
		if !bytes.Equal(got, want) {
			t.Fatalf("Sign(%x, %x) = %x, want %x", priv, msg, got, want)
		}
		pub := priv[32:]
		if !Verify(pub, msg, got) || Verify(pub, append(msg, 0), got) {
			t.Fatal("Verify disagrees with the signature")
		}
	})
}
