//go:build amd64 && !purego

package ed25519

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

var (
	bigP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// bigBound is the bound below which feMul, feSquare and feAdd leave
	// their results, and feSub takes its inputs.
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
	var b [32]byte
	x.FillBytes(b[:])
	var v fe
	for i := range v {
		for j := range 8 {
			v[i] |= uint64(b[31-8*i-j]) << (8 * j)
		}
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

func skipWithoutADX(t *testing.T) {
	if !useADX {
		t.Skip("no BMI2 and ADX")
	}
}

// TestFieldOps checks every field operation of point_amd64.s against
// math/big modulo p, for extreme inputs in all pairs and random ones,
// with the output aliasing each input too. feSub gets bounded inputs
// only; feMul, feSquare and feAdd take anything and must return bounded
// results.
func TestFieldOps(t *testing.T) {
	skipWithoutADX(t)
	r := rand.New(rand.NewPCG(1, 2))
	type inputs struct{ a, b fe }
	makePairs := func(ext []fe, random func(*rand.Rand) fe) []inputs {
		var pairs []inputs
		for _, a := range ext {
			for _, b := range ext {
				pairs = append(pairs, inputs{a, b})
			}
			pairs = append(pairs, inputs{a, random(r)}, inputs{random(r), a})
		}
		for range 20000 {
			pairs = append(pairs, inputs{random(r), random(r)})
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
	exp := func(a *big.Int, e *big.Int) *big.Int { return new(big.Int).Exp(a, e, bigP) }
	ops := []struct {
		name    string
		asm     func(out, a, b *fe)
		want    func(a, b *big.Int) *big.Int
		bounded bool // inputs below bigBound only
		reduced bool // output below bigBound
		n       int  // pairs to try, 0 for all
	}{
		{"mul", feMul, func(a, b *big.Int) *big.Int { return mod(new(big.Int).Mul(a, b)) }, false, true, 0},
		{"add", feAdd, func(a, b *big.Int) *big.Int { return mod(new(big.Int).Add(a, b)) }, false, true, 0},
		{"sub", feSub, func(a, b *big.Int) *big.Int { return mod(new(big.Int).Sub(a, b)) }, true, false, 0},
		{"square", func(out, a, _ *fe) { feSquare(out, a, 1) }, func(a, _ *big.Int) *big.Int { return mod(new(big.Int).Mul(a, a)) }, false, true, 0},
		{"square^3", func(out, a, _ *fe) { feSquare(out, a, 3) }, func(a, _ *big.Int) *big.Int {
			return exp(a, big.NewInt(8))
		}, false, true, 0},
		{"square^0", func(out, a, _ *fe) { feSquare(out, a, 0) }, func(a, _ *big.Int) *big.Int { return mod(new(big.Int).Set(a)) }, false, false, 0},
		{"invert", func(out, a, _ *fe) { out.invert(a) }, func(a, _ *big.Int) *big.Int {
			return exp(a, new(big.Int).Sub(bigP, big.NewInt(2)))
		}, false, true, len(ext) * 3},
		// The pair operations, through their second lane (the first
		// holds b, so that the lanes differ).
		{"square2^3", func(out, a, b *fe) {
			p := pair{*b, *a}
			feSquare2(&p, &p, 3)
			*out = p[1]
		}, func(a, _ *big.Int) *big.Int { return exp(a, big.NewInt(8)) }, false, true, 0},
		{"pow22523", func(out, a, b *fe) {
			p := pair{*b, *a}
			p.pow22523(&p)
			*out = p[1]
		}, func(a, _ *big.Int) *big.Int {
			return exp(a, new(big.Int).Rsh(new(big.Int).Sub(bigP, big.NewInt(5)), 3))
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

// TestFieldCanonical checks canonical and putBytes against math/big.
func TestFieldCanonical(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vs := extremeFE()
	for range 10000 {
		vs = append(vs, randomFE(r))
	}
	for _, v := range vs {
		want := new(big.Int).Mod(v.big(), bigP)
		if got := v.canonical(); got.big().Cmp(want) != 0 {
			t.Fatalf("canonical(%x) = %x, want %x", v, got, feFromBig(want))
		}
		var b [32]byte
		v.putBytes(&b)
		var w [32]byte
		want.FillBytes(w[:])
		for i := range 16 {
			w[i], w[31-i] = w[31-i], w[i]
		}
		if b != w {
			t.Fatalf("putBytes(%x) = %x, want %x", v, b, w)
		}
	}
}

// TestSqrtRatio checks sqrtRatio against math/big: for u/v a square the
// non-negative (even) root, for a non-square false, and the constants
// it relies on.
func TestSqrtRatio(t *testing.T) {
	skipWithoutADX(t)
	if d := feD.big(); new(big.Int).Mod(new(big.Int).Mul(d, big.NewInt(121666)), bigP).Cmp(new(big.Int).Sub(bigP, big.NewInt(121665))) != 0 {
		t.Fatal("feD is not -121665/121666")
	}
	if new(big.Int).Mod(new(big.Int).Lsh(feD.big(), 1), bigP).Cmp(feD2.big()) != 0 {
		t.Fatal("feD2 is not 2d")
	}
	if s := feSqrtM1.big(); new(big.Int).Exp(s, big.NewInt(2), bigP).Cmp(new(big.Int).Sub(bigP, big.NewInt(1))) != 0 {
		t.Fatal("feSqrtM1 is not a root of -1")
	}
	r := rand.New(rand.NewPCG(5, 6))
	r0 := rand.New(rand.NewPCG(55, 66))
	ext := extremeFE()
	squares, nonSquares := 0, 0
	for i := range 3000 {
		u, v := randomFE(r), randomFE(r)
		if i < len(ext) {
			u = ext[i]
		}
		if i%7 == 0 {
			v = feOne
		}
		if v.big().Mod(v.big(), bigP).Sign() == 0 {
			continue
		}
		// Each lane in turn against an unrelated other.
		var got fe
		var ok bool
		lane := i % 2
		var r, up, vp pair
		up[lane], vp[lane] = u, v
		up[1-lane], vp[1-lane] = randomFE(r0), feOne
		ok = r.sqrtRatio(&up, &vp)[lane]
		got = r[lane]
		ub, vb := new(big.Int).Mod(u.big(), bigP), new(big.Int).Mod(v.big(), bigP)
		q := new(big.Int).Mul(ub, new(big.Int).ModInverse(vb, bigP))
		q.Mod(q, bigP)
		root := new(big.Int).ModSqrt(q, bigP)
		if ok != (root != nil) {
			t.Fatalf("sqrtRatio(%x, %x) reports %v", u, v, ok)
		}
		if root == nil {
			nonSquares++
			continue
		}
		squares++
		if root.Bit(0) == 1 {
			root.Sub(bigP, root)
		}
		if got.big().Cmp(root) != 0 {
			t.Fatalf("sqrtRatio(%x, %x) = %x, want %x", u, v, got, feFromBig(root))
		}
	}
	if squares < 1000 || nonSquares < 1000 {
		t.Fatalf("%d squares and %d non-squares", squares, nonSquares)
	}
}
