//go:build amd64 && !purego

package mlkem768

import "golang.org/x/sys/cpu"

//go:generate go run gen_ntt.go

// haveAVX2 reports whether the CPU (and the OS, for the YMM state) runs
// ntt_amd64.s. useAVX2 selects it; the tests turn it off to run the Go
// kernels on the same inputs.
var (
	haveAVX2 = cpu.X86.HasAVX2
	useAVX2  = haveAVX2
)

// The kernels of ntt_amd64.s (gen_ntt.go): the same contract as the Go
// ones in kernels_generic.go, canonical coefficients in and out.
//
//go:noescape
func nttAVX2(p *poly)

//go:noescape
func invNTTAVX2(p *poly)

//go:noescape
func basemulAccAVX2(out *poly, a, b *[3]poly)

// reduceAVX2 is the Barrett reduction and canonicalization the kernels
// end with, on its own, for the tests: any int16 in, x mod q out.
//
//go:noescape
func reduceAVX2(p *poly)
