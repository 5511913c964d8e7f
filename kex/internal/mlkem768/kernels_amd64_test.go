//go:build amd64 && !purego

package mlkem768

import (
	"math/rand/v2"
	"testing"
)

// TestKernelsAVX2 compares each assembly kernel with the Go one on
// random canonical polynomials and on the extremes (all zero, all q-1,
// where the bounds in gen_ntt.go are tightest).
func TestKernelsAVX2(t *testing.T) {
	if !haveAVX2 {
		t.Skip("the CPU has no AVX2")
	}
	r := rand.New(newRand(t))
	var top poly
	for i := range top {
		top[i] = q - 1
	}
	for it := 0; it < 3000; it++ {
		var p poly
		var x, y [3]poly
		switch it {
		case 0:
		case 1:
			p, x, y = top, [3]poly{top, top, top}, [3]poly{top, top, top}
		default:
			p = *randPoly(r)
			for k := range x {
				x[k], y[k] = *randPoly(r), *randPoly(r)
			}
		}
		want, got := p, p
		nttGeneric(&want)
		nttAVX2(&got)
		if got != want {
			t.Fatalf("nttAVX2 of %v...:\n got %v...\nwant %v...", p[:8], got[:8], want[:8])
		}
		want, got = p, p
		invNTTGeneric(&want)
		invNTTAVX2(&got)
		if got != want {
			t.Fatalf("invNTTAVX2 of %v...:\n got %v...\nwant %v...", p[:8], got[:8], want[:8])
		}
		basemulAccGeneric(&want, &x, &y)
		basemulAccAVX2(&got, &x, &y)
		if got != want {
			t.Fatalf("basemulAccAVX2:\n got %v...\nwant %v...", got[:8], want[:8])
		}
	}
}

// TestReduceAVX2 runs the kernels' final reduction over every int16.
func TestReduceAVX2(t *testing.T) {
	if !haveAVX2 {
		t.Skip("the CPU has no AVX2")
	}
	for base := 0; base < 1<<16; base += 256 {
		var p poly
		for i := range p {
			p[i] = int16(uint16(base + i))
		}
		got := p
		reduceAVX2(&got)
		for i, x := range p {
			if want := (int(x)%q + q) % q; int(got[i]) != want {
				t.Fatalf("reduce(%d) = %d, want %d", x, got[i], want)
			}
		}
	}
}

func BenchmarkKernelsAVX2(b *testing.B) {
	if !haveAVX2 {
		b.Skip("the CPU has no AVX2")
	}
	var p poly
	var x, y [3]poly
	b.Run("ntt", func(b *testing.B) {
		for b.Loop() {
			nttAVX2(&p)
		}
	})
	b.Run("invNTT", func(b *testing.B) {
		for b.Loop() {
			invNTTAVX2(&p)
		}
	})
	b.Run("basemulAcc", func(b *testing.B) {
		for b.Loop() {
			basemulAccAVX2(&p, &x, &y)
		}
	})
}
