//go:build amd64 && !purego

package ed25519

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

var bigL, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

func (s *scalar) big() *big.Int { return (*fe)(s).big() }

func leBig(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

// wideEdges are 512-bit inputs at the edges: 0, 1, L-1, L, L+1, 2^252,
// 2^253, 2^256-1, L*2^256, 2^512-1, and limbs of all ones or zeros.
func wideEdges() [][64]byte {
	one := big.NewInt(1)
	var out [][64]byte
	for _, x := range []*big.Int{
		big.NewInt(0), one, new(big.Int).Sub(bigL, one), bigL, new(big.Int).Add(bigL, one),
		new(big.Int).Lsh(one, 252), new(big.Int).Lsh(one, 253), new(big.Int).Sub(new(big.Int).Lsh(one, 256), one),
		new(big.Int).Lsh(bigL, 256), new(big.Int).Mul(bigL, bigL), new(big.Int).Sub(new(big.Int).Lsh(one, 512), one),
	} {
		var b, le [64]byte
		x.FillBytes(b[:])
		for i := range b {
			le[i] = b[63-i]
		}
		out = append(out, le)
	}
	for i := range 256 {
		var b [64]byte
		for j := range 8 {
			if i>>j&1 == 1 {
				for k := range 8 {
					b[8*j+k] = 0xff
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// TestScalarReduceWide checks reduceWide against math/big.
func TestScalarReduceWide(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	ins := wideEdges()
	for range 20000 {
		var b [64]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		ins = append(ins, b)
	}
	for _, b := range ins {
		want := new(big.Int).Mod(leBig(b[:]), bigL)
		if got := reduceWide(&b); got.big().Cmp(want) != 0 {
			t.Fatalf("reduceWide(%x) = %x, want %x", b, got, want)
		}
	}
}

// TestScalarMulAdd checks mulAdd against math/big, with s up to 2^255-1
// as the clamped secret scalar may be, and k and r below L.
func TestScalarMulAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	lm1 := scalar{scL[0] - 1, scL[1], scL[2], scL[3]}
	edges := []scalar{{}, {1}, lm1, {1<<64 - 1, 1<<64 - 1, 1<<64 - 1, 1<<63 - 1}, {0, 0, 0, 1 << 62}}
	rnd := func(max *big.Int) scalar {
		var b [64]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		x := new(big.Int).Mod(leBig(b[:]), max)
		return scalar(feFromBig(x))
	}
	two255 := new(big.Int).Lsh(big.NewInt(1), 255)
	for i := range 20000 {
		k, s, x := rnd(bigL), rnd(two255), rnd(bigL)
		if i < 125 {
			k, s, x = edges[i%5], edges[i/5%5], edges[i/25]
			if x == edges[3] || x == edges[4] {
				x = lm1
			}
			if k == edges[3] || k == edges[4] {
				k = lm1
			}
		}
		want := new(big.Int).Mul(k.big(), s.big())
		want.Add(want, x.big()).Mod(want, bigL)
		if got := mulAdd(&k, &s, &x); got.big().Cmp(want) != 0 {
			t.Fatalf("mulAdd(%x, %x, %x) = %x, want %x", k, s, x, got, want)
		}
	}
}

// TestScalarCanonical checks the S < L test at and around L.
func TestScalarCanonical(t *testing.T) {
	one := big.NewInt(1)
	for _, c := range []struct {
		x    *big.Int
		want bool
	}{
		{big.NewInt(0), true}, {new(big.Int).Sub(bigL, one), true}, {bigL, false},
		{new(big.Int).Add(bigL, one), false}, {new(big.Int).Lsh(one, 252), true},
		{new(big.Int).Sub(new(big.Int).Lsh(one, 253), one), false}, {new(big.Int).Lsh(one, 253), false},
		{new(big.Int).Sub(new(big.Int).Lsh(one, 256), one), false},
		{new(big.Int).Sub(bigL, new(big.Int).Lsh(one, 200)), true},
		{new(big.Int).Add(bigL, new(big.Int).Lsh(one, 200)), false},
	} {
		var b [32]byte
		c.x.FillBytes(b[:])
		for i := range 16 {
			b[i], b[31-i] = b[31-i], b[i]
		}
		if got := isCanonical(b[:]); got != c.want {
			t.Errorf("isCanonical(%x) = %v", c.x, got)
		}
	}
	if scL.big().Cmp(bigL) != 0 {
		t.Fatal("scL is not L")
	}
}
