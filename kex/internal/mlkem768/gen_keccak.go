//go:build ignore

// gen_keccak writes keccak_amd64.s: Keccak-f[1600] (FIPS 202) on four
// states at once in AVX2 (decision 0044).
//
//	go run gen_keccak.go
//
// Lane i = x + 5y of the four states is one 32-byte row of the
// [25][4]uint64 the function takes, so one YMM register holds the same
// lane of all four states and every step is the scalar one, four wide.
// Sixteen registers cannot hold 25 lanes plus temporaries, so the state
// stays in memory and each round goes plane by plane:
//
//   - θ: the five column parities C[x] from memory, then
//     D[x] = C[x-1] ^ ROT(C[x+1], 1), which stay in Y5-Y9 for the round;
//   - for each output plane y: the five lanes that ρ and π bring to it
//     (output (X, Y) comes from input (X+3Y, X)), each XORed with its D
//     and rotated, then χ and, for lane 0, ι, stored.
//
// A plane reads lanes of every input plane, so a round cannot write over
// its input: rounds alternate between the caller's state and an 800-byte
// scratch state on the stack, an even number of times, so the result ends
// in the caller's. AVX2 has no 64-bit rotation: a rotation is two shifts
// and an OR, except by 8 and 56, which move whole bytes and are one
// VPSHUFB. Nothing branches or indexes memory on the data.
package main

import (
	"bytes"
	"fmt"
	"os"
)

// The tables of FIPS 202, computed as in keccak.go (Algorithms 2 and 5).
func keccakTables() (rho [25]int, rc [24]uint64) {
	x, y := 1, 0
	for t := range 24 {
		rho[x+5*y] = (t + 1) * (t + 2) / 2 % 64
		x, y = y, (2*x+3*y)%5
	}
	rcBit := func(t int) uint64 {
		r := uint(1)
		for range t % 255 {
			r <<= 1
			if r&0x100 != 0 {
				r ^= 0x171
			}
		}
		return uint64(r & 1)
	}
	for ir := range 24 {
		for j := range 7 {
			rc[ir] |= rcBit(j+7*ir) << (1<<j - 1)
		}
	}
	return rho, rc
}

var out bytes.Buffer

func emit(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }

func comment(s string) { fmt.Fprintf(&out, "\n\t// %s\n", s) }

func y(i int) string { return fmt.Sprintf("Y%d", i) }

// lane is the address of lane (x, y) of the state at base.
func lane(base string, x, yy int) string { return fmt.Sprintf("%d(%s)", 32*(x+5*yy), base) }

// Registers. During θ, C[x] is Y0-Y4 and the temporaries Y10, Y11; after
// it, the plane B[X] is Y0-Y4 and the temporary Y10. D[x] is Y5-Y9 from θ
// to the end of the round, the VPSHUFB masks Y12 and Y13 throughout.
const (
	regC    = 0
	regB    = 0
	regD    = 5
	regT    = 10
	regU    = 11
	regRot8 = 12
	regRo56 = 13
)

// Offsets in keccakTab: the round constants, each in all four lanes, then
// the two byte shuffles.
const (
	offRC   = 0
	offRot8 = 24 * 32
	offRo56 = offRot8 + 32
	tabSize = offRo56 + 32
)

// rotate rotates each 64-bit lane of register r left by n, with regT.
func rotate(r, n int) {
	switch n {
	case 0:
	case 8:
		emit("VPSHUFB %s, %s, %s", y(regRot8), y(r), y(r))
	case 56:
		emit("VPSHUFB %s, %s, %s", y(regRo56), y(r), y(r))
	default:
		emit("VPSLLQ $%d, %s, %s", n, y(r), y(regT))
		emit("VPSRLQ $%d, %s, %s", 64-n, y(r), y(r))
		emit("VPOR %s, %s, %s", y(regT), y(r), y(r))
	}
}

// round emits one round from the state at src to the one at dst, with
// the round constant at rc.
func round(rho *[25]int, src, dst, rc string) {
	comment("θ: C[x] is the parity of column x, D[x] = C[x-1] ^ ROT(C[x+1], 1)")
	for x := range 5 {
		emit("VMOVDQU %s, %s", lane(src, x, 0), y(regC+x))
		for yy := 1; yy < 5; yy++ {
			emit("VPXOR %s, %s, %s", lane(src, x, yy), y(regC+x), y(regC+x))
		}
	}
	for x := range 5 {
		c1 := y(regC + (x+1)%5)
		emit("VPSLLQ $1, %s, %s", c1, y(regT))
		emit("VPSRLQ $63, %s, %s", c1, y(regU))
		emit("VPOR %s, %s, %s", y(regU), y(regT), y(regD+x))
		emit("VPXOR %s, %s, %s", y(regC+(x+4)%5), y(regD+x), y(regD+x))
	}
	for Y := range 5 {
		comment(fmt.Sprintf("plane %d: B[X] = ROT(A[X+3*%d, X] ^ D[X+3*%d]), then χ", Y, Y, Y))
		for X := range 5 {
			x, yy := (X+3*Y)%5, X
			emit("VPXOR %s, %s, %s", lane(src, x, yy), y(regD+x), y(regB+X))
			rotate(regB+X, rho[x+5*yy])
		}
		for X := range 5 {
			emit("VPANDN %s, %s, %s", y(regB+(X+2)%5), y(regB+(X+1)%5), y(regT))
			emit("VPXOR %s, %s, %s", y(regB+X), y(regT), y(regT))
			if X == 0 && Y == 0 {
				emit("VPXOR %s, %s, %s", rc, y(regT), y(regT))
			}
			emit("VMOVDQU %s, %s", y(regT), lane(dst, X, Y))
		}
	}
}

func main() {
	rho, rc := keccakTables()

	fmt.Fprintf(&out, "\n// func keccakF1600x4AVX2(s *[25][4]uint64)\n")
	fmt.Fprintf(&out, "TEXT ·keccakF1600x4AVX2(SB), 0, $800-8\n")
	emit("MOVQ s+0(FP), DI")
	emit("MOVQ SP, SI // the scratch state")
	emit("LEAQ ·keccakTab(SB), R8")
	emit("VMOVDQU %d(R8), %s", offRot8, y(regRot8))
	emit("VMOVDQU %d(R8), %s", offRo56, y(regRo56))
	emit("MOVQ $12, CX")
	fmt.Fprintf(&out, "\nloop:\n")
	comment("an even round, from the state to the scratch state")
	round(&rho, "DI", "SI", "0(R8)")
	comment("an odd round, back")
	round(&rho, "SI", "DI", "32(R8)")
	emit("ADDQ $64, R8")
	emit("DECQ CX")
	emit("JNZ loop")
	emit("VZEROUPPER")
	emit("RET")

	var f bytes.Buffer
	fmt.Fprintf(&f, "// Code generated by gen_keccak.go. DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n")
	fmt.Fprintf(&f, "// The round constants of ι, each in four lanes, then the VPSHUFB masks\n// that rotate each 64-bit lane left by 8 and by 56.\n")
	data := func(off int, v uint64) { fmt.Fprintf(&f, "DATA ·keccakTab+%d(SB)/8, $0x%016x\n", off, v) }
	for ir, c := range rc {
		for l := range 4 {
			data(offRC+32*ir+8*l, c)
		}
	}
	for l := range 4 { // VPSHUFB indexes within each 128-bit half
		data(offRot8+8*l, 0x0605040302010007+0x0808080808080808*uint64(l%2))
	}
	for l := range 4 {
		data(offRo56+8*l, 0x0007060504030201+0x0808080808080808*uint64(l%2))
	}
	fmt.Fprintf(&f, "GLOBL ·keccakTab(SB), RODATA|NOPTR, $%d\n", tabSize)
	f.Write(out.Bytes())
	if err := os.WriteFile("keccak_amd64.s", f.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
