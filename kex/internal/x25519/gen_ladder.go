//go:build ignore

// gen_ladder writes ladder_amd64.s: arithmetic modulo p = 2^255-19 in
// radix 2^64 (four 64-bit limbs) with the BMI2 and ADX instructions
// MULX, ADCX and ADOX, and the whole X25519 Montgomery ladder (RFC 7748,
// Section 5) as one function built from it (decision 0040).
//
//	go run gen_ladder.go
//
// An element is held as four little-endian limbs, any value below 2^256
// that is congruent to it modulo p; only the Go code that encodes the
// result reduces it fully. A product of 4x4 limbs is schoolbook
// multiplication with two carry chains at once (ADCX uses CF, ADOX uses
// OF, MULX touches neither); its upper half comes back multiplied by 38
// (2^256 = 38 mod p), and what is left above bit 255 multiplied by 19
// (2^255 = 19), so that mul, sqr and mulA24Add leave their result below
// 2^255 + 2^23. add and sub take only such results, which lets them fold
// their carry or borrow (38 again) once, with no second carry possible;
// their own results, below 2^256, only go into mul, sqr and mulA24Add.
//
// Nothing below branches or indexes memory on a secret: the only jumps
// are on the ladder's bit position and the squaring count, and the
// conditional swap is done with masks.
package main

import (
	"bytes"
	"fmt"
	"os"
)

// An fe is the memory operand of a field element: four limbs at off(base).
type fe struct {
	base string
	off  int
}

func (f fe) limb(i int) string {
	if f.off+8*i == 0 {
		return "(" + f.base + ")"
	}
	return fmt.Sprintf("%d(%s)", f.off+8*i, f.base)
}

// The registers: r holds a product of up to eight limbs, lo and hi the
// halves of one MULX, and zero stays zero (XORing it with itself clears
// both CF and OF, starting two new carry chains). DX is MULX's implicit
// factor. SI and DI, and BX where hi is not used, are left for
// pointers and counters; BP is not used.
var r = [8]string{"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"}

const (
	lo   = "AX"
	hi   = "BX"
	zero = "CX"
)

var out bytes.Buffer

func emit(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }

func comment(s string) { fmt.Fprintf(&out, "\n\t// %s\n", s) }

// mulProduct leaves a*b in r[0..7].
func mulProduct(a, b fe) {
	// Row 0, one carry chain: r[0..4] = a0*b.
	emit("MOVQ %s, DX", a.limb(0))
	emit("MULXQ %s, %s, %s", b.limb(0), r[0], r[1])
	emit("MULXQ %s, %s, %s", b.limb(1), lo, r[2])
	emit("ADDQ %s, %s", lo, r[1])
	emit("MULXQ %s, %s, %s", b.limb(2), lo, r[3])
	emit("ADCQ %s, %s", lo, r[2])
	emit("MULXQ %s, %s, %s", b.limb(3), lo, r[4])
	emit("ADCQ %s, %s", lo, r[3])
	emit("ADCQ $0, %s", r[4])
	// Rows 1-3: r[i..i+4] += ai*b, the low halves on CF, the high halves
	// on OF. r[i+4] is new; it cannot overflow, since a*b fits in the
	// limbs so far.
	for i := 1; i < 4; i++ {
		emit("MOVQ %s, DX", a.limb(i))
		emit("XORQ %s, %s", zero, zero)
		for j := range 3 {
			emit("MULXQ %s, %s, %s", b.limb(j), lo, hi)
			emit("ADCXQ %s, %s", lo, r[i+j])
			emit("ADOXQ %s, %s", hi, r[i+j+1])
		}
		emit("MULXQ %s, %s, %s", b.limb(3), lo, r[i+4])
		emit("ADCXQ %s, %s", lo, r[i+3])
		emit("ADOXQ %s, %s", zero, r[i+4])
		emit("ADCXQ %s, %s", zero, r[i+4])
	}
}

// sqrProduct leaves a*a in r[0..7]: the six products of distinct limbs
// once, doubled, plus the four squares.
func sqrProduct(a fe) {
	// r[1..6] = sum of ai*aj*2^(64(i+j)) for i < j. First chain:
	// a0*a1, a0*a2, a0*a3 and a1*a3 (positions 1 to 5).
	emit("MOVQ %s, DX", a.limb(0))
	emit("MULXQ %s, %s, %s", a.limb(1), r[1], r[2])
	emit("MULXQ %s, %s, %s", a.limb(2), lo, r[3])
	emit("ADDQ %s, %s", lo, r[2])
	emit("MULXQ %s, %s, %s", a.limb(3), lo, r[4])
	emit("ADCQ %s, %s", lo, r[3])
	emit("MOVQ %s, DX", a.limb(1))
	emit("MULXQ %s, %s, %s", a.limb(3), lo, r[5])
	emit("ADCQ %s, %s", lo, r[4])
	emit("ADCQ $0, %s", r[5])
	// Second chain: a1*a2 (positions 3, 4) and a2*a3 (5, 6).
	emit("MULXQ %s, %s, %s", a.limb(2), lo, hi)
	emit("ADDQ %s, %s", lo, r[3])
	emit("ADCQ %s, %s", hi, r[4])
	emit("MOVQ %s, DX", a.limb(2))
	emit("MULXQ %s, %s, %s", a.limb(3), lo, r[6])
	emit("ADCQ %s, %s", lo, r[5])
	emit("ADCQ $0, %s", r[6])
	// Double r[1..6] on CF (into r[7]) and add the squares on OF.
	emit("XORQ %s, %s", zero, zero)
	emit("MOVQ %s, DX", a.limb(0))
	emit("MULXQ DX, %s, %s", r[0], lo)
	emit("ADCXQ %s, %s", r[1], r[1])
	emit("ADOXQ %s, %s", lo, r[1])
	for i := 1; i < 3; i++ {
		emit("MOVQ %s, DX", a.limb(i))
		emit("MULXQ DX, %s, %s", lo, hi)
		emit("ADCXQ %s, %s", r[2*i], r[2*i])
		emit("ADOXQ %s, %s", lo, r[2*i])
		emit("ADCXQ %s, %s", r[2*i+1], r[2*i+1])
		emit("ADOXQ %s, %s", hi, r[2*i+1])
	}
	emit("MOVQ %s, DX", a.limb(3))
	emit("MULXQ DX, %s, %s", lo, r[7])
	emit("ADCXQ %s, %s", r[6], r[6])
	emit("ADOXQ %s, %s", lo, r[6])
	emit("ADCXQ %s, %s", zero, r[7])
	emit("ADOXQ %s, %s", zero, r[7])
}

// reduce stores r[0..7] modulo p in dst, below 2^255 + 2^23.
func reduce(dst fe) {
	// r[0..4] = r[0..3] + 38*r[4..7], below 39*2^256: r[4] <= 38.
	emit("MOVQ $38, DX")
	emit("XORQ %s, %s", zero, zero)
	for j := range 3 {
		emit("MULXQ %s, %s, %s", r[4+j], lo, hi)
		emit("ADCXQ %s, %s", lo, r[j])
		emit("ADOXQ %s, %s", hi, r[j+1])
	}
	emit("MULXQ %s, %s, %s", r[7], lo, r[4])
	emit("ADCXQ %s, %s", lo, r[3])
	emit("ADOXQ %s, %s", zero, r[4])
	emit("ADCXQ %s, %s", zero, r[4])
	fold(r[4], dst)
}

// fold adds 2^256*top to r[0..3] and stores the sum modulo p in dst,
// below 2^255 + 2^23: bit 255 and top come back as 19*(2*top + bit 255),
// below 2^23 for top <= 121667 (the largest, from mulA24Add), and adding
// that to the low 255 bits cannot carry out of limb 3.
func fold(top string, dst fe) {
	emit("BTRQ $63, %s", r[3])
	emit("ADCQ %s, %s", top, top)
	emit("IMUL3Q $19, %s, %s", top, top)
	emit("ADDQ %s, %s", top, r[0])
	emit("ADCQ $0, %s", r[1])
	emit("ADCQ $0, %s", r[2])
	emit("ADCQ $0, %s", r[3])
	store(dst)
}

func store(dst fe) {
	for i := range 4 {
		emit("MOVQ %s, %s", r[i], dst.limb(i))
	}
}

func mul(dst, a, b fe) {
	mulProduct(a, b)
	reduce(dst)
}

func sqr(dst, a fe) {
	sqrProduct(a)
	reduce(dst)
}

// add stores a+b in dst, for a and b below 2^255 + 2^23 (results of
// mul, sqr and mulA24Add): a carry out leaves a sum below 2^24, to which
// the carry's 38 is added in limb 0 alone. The result is below 2^256.
func add(dst, a, b fe) {
	for i := range 4 {
		emit("MOVQ %s, %s", a.limb(i), r[i])
	}
	emit("ADDQ %s, %s", b.limb(0), r[0])
	for i := 1; i < 4; i++ {
		emit("ADCQ %s, %s", b.limb(i), r[i])
	}
	emit("SBBQ %s, %s", lo, lo)
	emit("ANDQ $38, %s", lo)
	emit("ADDQ %s, %s", lo, r[0])
	store(dst)
}

// sub stores a-b in dst, for a and b below 2^255 + 2^23: a borrow out
// means 2^256 too much, so 38 is taken off, from a difference of at
// least 2^255 - 2^23, which cannot borrow again. The result is below
// 2^256.
func sub(dst, a, b fe) {
	for i := range 4 {
		emit("MOVQ %s, %s", a.limb(i), r[i])
	}
	emit("SUBQ %s, %s", b.limb(0), r[0])
	for i := 1; i < 4; i++ {
		emit("SBBQ %s, %s", b.limb(i), r[i])
	}
	emit("SBBQ %s, %s", lo, lo)
	emit("ANDQ $38, %s", lo)
	emit("SUBQ %s, %s", lo, r[0])
	for i := 1; i < 4; i++ {
		emit("SBBQ $0, %s", r[i])
	}
	store(dst)
}

// a24 is (486662+2)/4, the constant of RFC 7748's ladder.
const a24 = 121666

// mulA24Add stores bb + a24*e in dst, below 121667*2^256 before the
// fold.
func mulA24Add(dst, e, bb fe) {
	emit("MOVQ $%d, DX", a24)
	emit("MULXQ %s, %s, %s", e.limb(0), r[0], r[1])
	emit("MULXQ %s, %s, %s", e.limb(1), lo, r[2])
	emit("ADDQ %s, %s", lo, r[1])
	emit("MULXQ %s, %s, %s", e.limb(2), lo, r[3])
	emit("ADCQ %s, %s", lo, r[2])
	emit("MULXQ %s, %s, %s", e.limb(3), lo, r[4])
	emit("ADCQ %s, %s", lo, r[3])
	emit("ADCQ $0, %s", r[4])
	emit("ADDQ %s, %s", bb.limb(0), r[0])
	for i := 1; i < 4; i++ {
		emit("ADCQ %s, %s", bb.limb(i), r[i])
	}
	emit("ADCQ $0, %s", r[4])
	fold(r[4], dst)
}

// cswap swaps x and y when mask is all ones and leaves them when it is
// zero, touching both the same way either way.
func cswap(mask string, x, y fe) {
	for i := range 4 {
		emit("MOVQ %s, %s", x.limb(i), r[0])
		emit("MOVQ %s, %s", y.limb(i), r[1])
		emit("MOVQ %s, %s", r[0], r[2])
		emit("XORQ %s, %s", r[1], r[2])
		emit("ANDQ %s, %s", mask, r[2])
		emit("XORQ %s, %s", r[2], r[0])
		emit("XORQ %s, %s", r[2], r[1])
		emit("MOVQ %s, %s", r[0], x.limb(i))
		emit("MOVQ %s, %s", r[1], y.limb(i))
	}
}

func copyFE(dst, src fe) {
	for i := range 4 {
		emit("MOVQ %s, %s", src.limb(i), lo)
		emit("MOVQ %s, %s", lo, dst.limb(i))
	}
}

// The ladder's frame: its five elements, the clamped scalar, the bit
// position, the previous bit, and the step's intermediate values, named
// as in RFC 7748, Section 5.
var (
	x1     = fe{"SP", 0}
	x2     = fe{"SP", 32}
	z2     = fe{"SP", 64}
	x3     = fe{"SP", 96}
	z3     = fe{"SP", 128}
	scalar = 160
	pos    = "192(SP)"
	swap   = "200(SP)"
	A      = fe{"SP", 208}
	B      = fe{"SP", 240}
	C      = fe{"SP", 272}
	D      = fe{"SP", 304}
	DA     = fe{"SP", 336}
	CB     = fe{"SP", 368}
	AA     = fe{"SP", 400}
	BB     = fe{"SP", 432}
	E      = fe{"SP", 464}
	F      = fe{"SP", 496}
	frame  = 528
)

func ladder() {
	fmt.Fprintf(&out, `
// func montLadder(x2, z2, x1 *fe, scalar *[32]byte)
// The ladder of RFC 7748, Section 5, over the clamped scalar's bits 254
// to 0; the result is x2/z2.
TEXT ·montLadder(SB), NOSPLIT, $%d-32
	MOVQ x1+16(FP), SI
	MOVQ scalar+24(FP), DI
`, frame)
	copyFE(x1, fe{"SI", 0})
	copyFE(fe{"SP", scalar}, fe{"DI", 0})
	emit("MOVQ $1, %s", x2.limb(0))
	emit("MOVQ $1, %s", z3.limb(0))
	for i := range 4 {
		if i > 0 {
			emit("MOVQ $0, %s", x2.limb(i))
			emit("MOVQ $0, %s", z3.limb(i))
		}
		emit("MOVQ $0, %s", z2.limb(i))
	}
	copyFE(x3, x1)
	emit("MOVQ $254, %s", pos)
	emit("MOVQ $0, %s", swap)
	fmt.Fprint(&out, "\nloop:\n")
	comment("b = bit pos of the scalar (pos is public); swap ^= b; mask = -swap")
	emit("MOVQ %s, CX", pos)
	emit("MOVQ CX, AX")
	emit("SHRQ $6, AX")
	emit("MOVQ %d(SP)(AX*8), BX", scalar)
	emit("SHRQ CX, BX")
	emit("ANDQ $1, BX")
	emit("MOVQ %s, SI", swap)
	emit("XORQ BX, SI")
	emit("MOVQ BX, %s", swap)
	emit("NEGQ SI")
	cswap("SI", x2, x3)
	cswap("SI", z2, z3)

	// The order is ladderGeneric's. It matters: an operation that
	// needs the one just before it waits for it (the RFC's order, each
	// square right after its sum, is 15% slower), while independent
	// ones overlap.
	comment("D = x3-z3, B = x2-z2, A = x2+z2, C = x3+z3")
	sub(D, x3, z3)
	sub(B, x2, z2)
	add(A, x2, z2)
	add(C, x3, z3)
	comment("DA = D*A, CB = C*B, BB = B^2, AA = A^2")
	mul(DA, D, A)
	mul(CB, C, B)
	sqr(BB, B)
	sqr(AA, A)
	comment("x3 = DA+CB, z3 = DA-CB")
	add(x3, DA, CB)
	sub(z3, DA, CB)
	comment("x2 = AA*BB, E = AA-BB")
	mul(x2, AA, BB)
	sub(E, AA, BB)
	comment("z3 = (DA-CB)^2, F = BB + a24*E, x3 = (DA+CB)^2")
	sqr(z3, z3)
	mulA24Add(F, E, BB)
	sqr(x3, x3)
	comment("z3 = x1*(DA-CB)^2, z2 = E*F")
	mul(z3, x1, z3)
	mul(z2, E, F)

	emit("DECQ %s", pos)
	emit("JGE loop")
	comment("the last swap")
	emit("MOVQ %s, SI", swap)
	emit("NEGQ SI")
	cswap("SI", x2, x3)
	cswap("SI", z2, z3)
	emit("MOVQ x2+0(FP), SI")
	emit("MOVQ z2+8(FP), DI")
	copyFE(fe{"SI", 0}, x2)
	copyFE(fe{"DI", 0}, z2)
	emit("RET")
}

// The field operations on their own, for the inversion and the tests.
func functions() {
	a, b := fe{"SI", 0}, fe{"DI", 0}

	fmt.Fprint(&out, `
// func feMul(out, a, b *fe)
TEXT ·feMul(SB), NOSPLIT, $0-24
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
`)
	mulProduct(a, b)
	emit("MOVQ out+0(FP), SI")
	reduce(a)
	emit("RET")

	fmt.Fprint(&out, `
// func feSquare(out, a *fe, n int)
// out = a^(2^n), n squarings; out = a for n <= 0.
TEXT ·feSquare(SB), NOSPLIT, $0-24
	MOVQ a+8(FP), DI
	MOVQ out+0(FP), SI
`)
	copyFE(a, b)
	emit("MOVQ n+16(FP), DI")
	emit("TESTQ DI, DI")
	emit("JLE sqrdone")
	fmt.Fprint(&out, "sqrloop:\n")
	sqr(a, a)
	emit("DECQ DI")
	emit("JNZ sqrloop")
	fmt.Fprint(&out, "sqrdone:\n")
	emit("RET")

	for _, f := range []struct {
		name string
		op   func(dst, a, b fe)
	}{{"feAdd", add}, {"feSub", sub}} {
		fmt.Fprintf(&out, `
// func %s(out, a, b *fe)
TEXT ·%s(SB), NOSPLIT, $0-24
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ out+0(FP), BX
`, f.name, f.name)
		f.op(fe{"BX", 0}, a, b)
		emit("RET")
	}

	fmt.Fprint(&out, `
// func feMulA24Add(out, e, bb *fe)
// out = bb + 121666*e.
TEXT ·feMulA24Add(SB), NOSPLIT, $0-24
	MOVQ e+8(FP), SI
	MOVQ bb+16(FP), DI
	MOVQ out+0(FP), BX
`)
	mulA24Add(fe{"BX", 0}, a, b)
	emit("RET")
}

func main() {
	fmt.Fprint(&out, `// Code generated by gen_ladder.go; DO NOT EDIT.

//go:build amd64 && !purego

#include "textflag.h"
`)
	ladder()
	functions()
	if err := os.WriteFile("ladder_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
