//go:build amd64 && !purego

package ed25519

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

func scalarFromBig(x *big.Int) scalar { return scalar(feFromBig(x)) }

// TestBaseMult checks [x]B against the math/big reference for small x,
// x near L and 2^252, and random x below L.
func TestBaseMult(t *testing.T) {
	skipWithoutADX(t)
	r := rand.New(rand.NewPCG(27, 28))
	var xs []*big.Int
	for i := range int64(40) {
		xs = append(xs, big.NewInt(i))
	}
	for d := int64(1); d < 10; d++ {
		xs = append(xs, new(big.Int).Sub(refL, big.NewInt(d)), new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 252), big.NewInt(d-5)))
	}
	for range 100 {
		xs = append(xs, new(big.Int).Mod(new(big.Int).SetBytes(randomBytes(r, 32)), refL))
	}
	for _, x := range xs {
		s := scalarFromBig(x)
		var p point
		baseMult(&p, &s)
		var got [32]byte
		p.putBytes(&got)
		if want := refB.mul(x).bytes(); !bytes.Equal(got[:], want) {
			t.Fatalf("[%v]B = %x, want %x", x, got, want)
		}
	}
}

// TestDoubleScalarMult checks [s]B - [k]A against the reference, for
// zero, small and random scalars, A among B's multiples and the torsion
// points.
func TestDoubleScalarMult(t *testing.T) {
	skipWithoutADX(t)
	r := rand.New(rand.NewPCG(29, 30))
	points := refTorsion()
	for i := range 10 {
		points = append(points, refB.mul(big.NewInt(int64(i*i+1))))
	}
	scalars := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(127), big.NewInt(128),
		new(big.Int).Sub(refL, big.NewInt(1))}
	for range 10 {
		scalars = append(scalars, new(big.Int).Mod(new(big.Int).SetBytes(randomBytes(r, 32)), refL))
	}
	for i, ap := range points {
		var a, b point
		if okA, _ := decodePair(&a, &b, ap.bytes(), ap.bytes()); !okA {
			t.Fatalf("point %x does not decode", ap.bytes())
		}
		for j, kb := range scalars {
			sb := scalars[(i+3*j)%len(scalars)]
			k, s := scalarFromBig(kb), scalarFromBig(sb)
			var v point
			doubleScalarMult(&v, &k, &a, &s)
			var got [32]byte
			v.putBytes(&got)
			want := refB.mul(sb).add(ap.mul(kb).neg()).bytes()
			if !bytes.Equal(got[:], want) {
				t.Fatalf("[%v]B - [%v]%x = %x, want %x", sb, kb, ap.bytes(), got, want)
			}
		}
	}
}

// TestWNAF checks that the digits add up to the scalar, are odd, below
// 2^(w-1) in magnitude and at least w apart.
func TestWNAF(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := range 2000 {
		x := new(big.Int).Mod(new(big.Int).SetBytes(randomBytes(r, 32)), refL)
		if i < 3 {
			x = []*big.Int{big.NewInt(0), new(big.Int).Sub(refL, big.NewInt(1)), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 253), big.NewInt(1))}[i]
		}
		s := scalarFromBig(x)
		for _, w := range []uint{wA, wB} {
			var n naf
			n.wnaf(&s, w)
			sum, last := new(big.Int), -100
			for j, d8 := range n {
				d := int(d8)
				if d == 0 {
					continue
				}
				if d%2 == 0 || d >= 1<<(w-1) || d <= -(1<<(w-1)) || j-last < int(w) {
					t.Fatalf("wnaf(%v, %d): digit %d at %d", x, w, d, j)
				}
				last = j
				sum.Add(sum, new(big.Int).Lsh(big.NewInt(int64(d)), uint(j)))
			}
			if sum.Cmp(x) != 0 {
				t.Fatalf("wnaf(%v, %d) sums to %v", x, w, sum)
			}
		}
	}
}
