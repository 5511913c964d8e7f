//go:build amd64 && !purego

package x25519

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
)

var (
	bigP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// bigBound is the bound below which feMul, feSquare and feMulA24Add
	// leave their results, and feAdd and feSub take their inputs.
	bigBound = new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1<<23))
)

func (v *fe) big() *big.Int {
	var b [32]byte
	for i, l := range v {
		for j := range 8 {
			b[31-8*i-j] = byte(l >> (8 * j))
		}
	}
	return new(big.Int).SetBytes(b[:])
}

func feFromBig(x *big.Int) fe {
	var v fe
	for i, w := range x.Bits() { // below 2^256, so at most four words
		v[i] = uint64(w)
	}
	if bits.UintSize != 64 {
		panic("64-bit words only")
	}
	return v
}

// extremeFE are inputs at the edges of the limbs' range and of p's.
func extremeFE() []fe {
	one := big.NewInt(1)
	two256 := new(big.Int).Lsh(one, 256)
	two255 := new(big.Int).Lsh(one, 255)
	var vs []fe
	for _, x := range []*big.Int{
		big.NewInt(0), one, big.NewInt(2), big.NewInt(19), big.NewInt(37), big.NewInt(38), big.NewInt(39),
		new(big.Int).Sub(bigP, one), bigP, new(big.Int).Add(bigP, one),
		new(big.Int).Sub(two255, one), two255, new(big.Int).Add(two255, big.NewInt(18)),
		new(big.Int).Sub(new(big.Int).Lsh(bigP, 1), one), new(big.Int).Lsh(bigP, 1),
		new(big.Int).Sub(two256, big.NewInt(39)), new(big.Int).Sub(two256, big.NewInt(38)),
		new(big.Int).Sub(two256, big.NewInt(37)), new(big.Int).Sub(two256, big.NewInt(2)),
		new(big.Int).Sub(two256, one),
		new(big.Int).Sub(bigBound, one), new(big.Int).Sub(bigBound, big.NewInt(38)),
		new(big.Int).Add(two255, big.NewInt(1<<22)),
	} {
		vs = append(vs, feFromBig(x))
	}
	// Limbs of all ones, zero, 2^63 and 2^64-2 in every combination of
	// four (256 values).
	limbs := []uint64{0, 1<<64 - 1, 1 << 63, 1<<64 - 2}
	for i := range 256 {
		vs = append(vs, fe{limbs[i&3], limbs[i>>2&3], limbs[i>>4&3], limbs[i>>6&3]})
	}
	return vs
}

func randomFE(r *rand.Rand) fe {
	return fe{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
}

// randomBounded returns a random value below bigBound: below 2^255, or
// at most 2^23 above it.
func randomBounded(r *rand.Rand) fe {
	v := randomFE(r)
	if r.IntN(4) == 0 {
		return fe{v[0] & (1<<23 - 1), 0, 0, 1 << 63}
	}
	v[3] &= 1<<63 - 1
	return v
}

// TestFieldOps checks every field operation of ladder_amd64.s against
// math/big modulo p, for extreme inputs in all pairs and random ones,
// with the output aliasing each input too. feAdd and feSub get inputs
// below 2^255 + 2^23 only, the results of the other operations, which
// must stay below that.
func TestFieldOps(t *testing.T) {
	if !haveADX {
		t.Skip("no BMI2 and ADX")
	}
	r := rand.New(rand.NewPCG(1, 2))
	type pair struct{ a, b fe }
	makePairs := func(ext []fe, random func(*rand.Rand) fe) []pair {
		var pairs []pair
		for _, a := range ext {
			for _, b := range ext {
				pairs = append(pairs, pair{a, b})
			}
			pairs = append(pairs, pair{a, random(r)}, pair{random(r), a})
		}
		for range 20000 {
			pairs = append(pairs, pair{random(r), random(r)})
		}
		return pairs
	}
	ext := extremeFE()
	var bounded []fe
	for _, v := range ext {
		if v.big().Cmp(bigBound) < 0 {
			bounded = append(bounded, v)
		}
	}
	// Just below 2^255 too: the top limb 2^63-1 or 2^63-2.
	limbs := []uint64{0, 1<<64 - 1, 1 << 63, 1<<64 - 2}
	for i := range 128 {
		bounded = append(bounded, fe{limbs[i&3], limbs[i>>2&3], limbs[i>>4&3], 1<<63 - 1 - uint64(i>>6)})
	}
	all, small := makePairs(ext, randomFE), makePairs(bounded, randomBounded)
	mod := func(x *big.Int) *big.Int { return x.Mod(x, bigP) }
	ops := []struct {
		name    string
		asm     func(out, a, b *fe)
		want    func(a, b *big.Int) *big.Int
		bounded bool // inputs below bigBound only
		reduced bool // output below bigBound
		n       int  // pairs to try, 0 for all
	}{
		{"mul", feMul, func(a, b *big.Int) *big.Int { return mod(new(big.Int).Mul(a, b)) }, false, true, 0},
		{"add", feAdd, func(a, b *big.Int) *big.Int { return mod(new(big.Int).Add(a, b)) }, true, false, 0},
		{"sub", feSub, func(a, b *big.Int) *big.Int { return mod(new(big.Int).Sub(a, b)) }, true, false, 0},
		{"mulA24Add", feMulA24Add, func(e, bb *big.Int) *big.Int {
			return mod(new(big.Int).Add(bb, new(big.Int).Mul(e, big.NewInt(121666))))
		}, false, true, 0},
		{"square", func(out, a, _ *fe) { feSquare(out, a, 1) }, func(a, _ *big.Int) *big.Int { return mod(new(big.Int).Mul(a, a)) }, false, true, 0},
		{"square^3", func(out, a, _ *fe) { feSquare(out, a, 3) }, func(a, _ *big.Int) *big.Int {
			return new(big.Int).Exp(a, big.NewInt(8), bigP)
		}, false, true, 0},
		{"square^0", func(out, a, _ *fe) { feSquare(out, a, 0) }, func(a, _ *big.Int) *big.Int { return mod(new(big.Int).Set(a)) }, false, false, 0},
		{"invert", func(out, a, _ *fe) { out.invert(a) }, func(a, _ *big.Int) *big.Int {
			return new(big.Int).Exp(a, new(big.Int).Sub(bigP, big.NewInt(2)), bigP)
		}, false, true, len(ext) * 3},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			pairs := all
			if op.bounded {
				pairs = small
			}
			if op.n > 0 {
				pairs = pairs[:op.n]
			}
			for _, p := range pairs {
				want := op.want(p.a.big(), p.b.big())
				var got fe
				op.asm(&got, &p.a, &p.b)
				a, b := p.a, p.b
				op.asm(&a, &a, &b) // out aliases a
				a2, b2 := p.a, p.b
				op.asm(&b2, &a2, &b2) // out aliases b
				for _, g := range []*fe{&got, &a, &b2} {
					if mod(g.big()).Cmp(want) != 0 {
						t.Fatalf("%s(%x, %x) = %x, want %x mod p", op.name, p.a, p.b, *g, feFromBig(want))
					}
					if op.reduced && g.big().Cmp(bigBound) >= 0 {
						t.Fatalf("%s(%x, %x) = %x, not below 2^255 + 2^23", op.name, p.a, p.b, *g)
					}
				}
			}
		})
	}
}

// TestFieldBytes checks the canonical encoding against math/big.
func TestFieldBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vs := extremeFE()
	for range 10000 {
		vs = append(vs, randomFE(r))
	}
	for _, v := range vs {
		want := make([]byte, 32)
		new(big.Int).Mod(v.big(), bigP).FillBytes(want)
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			want[i], want[j] = want[j], want[i]
		}
		if got := v.bytes(); string(got) != string(want) {
			t.Fatalf("bytes(%x) = %x, want %x", v, got, want)
		}
	}
}
