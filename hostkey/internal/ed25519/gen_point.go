//go:build ignore

// gen_point writes point_amd64.s: arithmetic modulo p = 2^255-19 in
// radix 2^64 (four 64-bit limbs) with the BMI2 and ADX instructions
// MULX, ADCX and ADOX, and the point doubling and additions of
// edwards25519 in extended coordinates built from it (decision 0045).
//
//	go run gen_point.go
//
// The multiplication and squaring emitters are those of
// kex/internal/x25519/gen_ladder.go, repeated here because DESIGN forbids
// an internal package shared across modules.
//
// An element is held as four little-endian limbs, any value below 2^256
// that is congruent to it modulo p. mul, sqr and addR leave their result
// below 2^255 + 2^23 ("bounded"); add and sub take only bounded inputs and
// leave a result below 2^256, which may only go into mul, sqr or addR.
// The coordinates of a point are always bounded; those of a cached or an
// affine point may be any value below 2^256 (they only go into mul).
//
// Nothing below branches or indexes memory on its data: the only jumps
// are on the squaring counts of feSquare and feSquare2, and lookupAffine
// reads every entry and selects with CMOV. Sign relies on this.
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
// factor. SI and DI hold the pointers; BP is not used.
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

// reduce stores r[0..7] modulo p in dst, bounded.
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
// bounded: bit 255 and top come back as 19*(2*top + bit 255), below 2^23
// for top <= 38 (the largest, from reduce), and adding that to the low
// 255 bits cannot carry out of limb 3.
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

// sum leaves a+b in r[0..3] and the carry out in CF.
func sum(a, b fe) {
	for i := range 4 {
		emit("MOVQ %s, %s", a.limb(i), r[i])
	}
	emit("ADDQ %s, %s", b.limb(0), r[0])
	for i := 1; i < 4; i++ {
		emit("ADCQ %s, %s", b.limb(i), r[i])
	}
}

// add stores a+b in dst, for bounded a and b: a carry out leaves a sum
// below 2^24, to which the carry's 38 is added in limb 0 alone. The
// result is below 2^256.
func add(dst, a, b fe) {
	sum(a, b)
	emit("SBBQ %s, %s", lo, lo)
	emit("ANDQ $38, %s", lo)
	emit("ADDQ %s, %s", lo, r[0])
	store(dst)
}

// addR stores a+b in dst, bounded, for any a and b below 2^256: the carry
// out is folded with bit 255 (top = 1 at most).
func addR(dst, a, b fe) {
	sum(a, b)
	emit("SBBQ %s, %s", lo, lo)
	emit("NEGQ %s", lo)
	fold(lo, dst)
}

// sub stores a-b in dst, for bounded a and b: a borrow out means 2^256
// too much, so 38 is taken off, from a difference of at least
// 2^255 - 2^23, which cannot borrow again. The result is below 2^256.
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

// The layouts of point, cached and affine (ed25519_amd64.go): four or
// three elements of 32 bytes each.
func coord(base string, i int) fe { return fe{base, 32 * i} }

const (
	cX, cY, cZ, cT         = 0, 1, 2, 3 // point
	cYplusX, cYminusX      = 0, 1       // cached and affine
	cZ2, cT2d, cXY2d       = 2, 3, 2    // cached: 2Z, 2dT; affine: 2dxy
	frameElems             = 8
	tA, tB, tC, tD, tE, tF = 0, 1, 2, 3, 4, 5
	tG, tH                 = 6, 7
)

func tmp(i int) fe { return fe{"SP", 32 * i} }

// double emits out = 2p, with a = -1: "dbl-2008-hwcd" of Hisil, Wong,
// Carter and Dawson, with F, G, H and so all four coordinates negated,
// which is the same point, and E as 2XY rather than (X+Y)^2 - X^2 - Y^2:
// A = X^2, B = Y^2, C = 2Z^2, E = 2XY, G = B-A, H = A+B, F = C+A-B;
// X = E*F, Y = G*H, T = E*H, Z = F*G. The product for E comes first: it
// is on the longest chain, from the previous operation's X and Y to this
// one's X, and computing E this way makes that chain one multiplication
// and one addition. The products that do not need E are written first.
// T is skipped where the result is only doubled again.
func double(name string, withT bool) {
	fmt.Fprintf(&out, `
// func %s(out, p *point)
TEXT ·%s(SB), NOSPLIT, $%d-16
	MOVQ p+8(FP), SI
`, name, name, 32*frameElems)
	p := func(i int) fe { return coord("SI", i) }
	mul(tmp(tE), p(cX), p(cY))
	sqr(tmp(tA), p(cX))
	sqr(tmp(tB), p(cY))
	sqr(tmp(tC), p(cZ))
	add(tmp(tE), tmp(tE), tmp(tE))
	sub(tmp(tG), tmp(tB), tmp(tA))
	add(tmp(tH), tmp(tA), tmp(tB))
	add(tmp(tC), tmp(tC), tmp(tC))
	addR(tmp(tF), tmp(tC), tmp(tA))
	sub(tmp(tF), tmp(tF), tmp(tB))
	emit("MOVQ out+0(FP), SI")
	mul(coord("SI", cY), tmp(tG), tmp(tH))
	mul(coord("SI", cZ), tmp(tF), tmp(tG))
	mul(coord("SI", cX), tmp(tE), tmp(tF))
	if withT {
		mul(coord("SI", cT), tmp(tE), tmp(tH))
	}
	emit("RET")
}

// addition emits out = p ± q for a cached q (affine false) or an affine
// one ("add-2008-hwcd-3", a = -1): A = (Y1-X1)*(Y2-X2),
// B = (Y1+X1)*(Y2+X2), C = T1*2dT2, D = Z1*2Z2 (2Z1 for affine q),
// E = B-A, F = D-C, G = D+C, H = B+A; X = E*F, Y = G*H, T = E*H,
// Z = F*G. Subtracting -q swaps Y2+X2 with Y2-X2 and negates 2dT2,
// which swaps F and G. C and D come first, since Z needs only them.
func addition(name string, affine, minus bool) {
	kind := "cached"
	if affine {
		kind = "affine"
	}
	fmt.Fprintf(&out, `
// func %s(out, p *point, q *%s)
TEXT ·%s(SB), NOSPLIT, $%d-24
	MOVQ p+8(FP), SI
	MOVQ q+16(FP), DI
`, name, kind, name, 32*frameElems)
	p := func(i int) fe { return coord("SI", i) }
	q := func(i int) fe { return coord("DI", i) }
	qPlus, qMinus := q(cYplusX), q(cYminusX)
	if minus {
		qPlus, qMinus = qMinus, qPlus
	}
	if affine {
		mul(tmp(tC), p(cT), q(cXY2d))
		addR(tmp(tD), p(cZ), p(cZ))
	} else {
		mul(tmp(tC), p(cT), q(cT2d))
		mul(tmp(tD), p(cZ), q(cZ2))
	}
	f, g := tF, tG
	if minus {
		f, g = g, f
	}
	sub(tmp(f), tmp(tD), tmp(tC))
	add(tmp(g), tmp(tD), tmp(tC))
	sub(tmp(tA), p(cY), p(cX))
	mul(tmp(tA), tmp(tA), qMinus)
	add(tmp(tB), p(cY), p(cX))
	mul(tmp(tB), tmp(tB), qPlus)
	sub(tmp(tE), tmp(tB), tmp(tA))
	add(tmp(tH), tmp(tB), tmp(tA))
	emit("MOVQ out+0(FP), SI")
	mul(coord("SI", cZ), tmp(tF), tmp(tG))
	mul(coord("SI", cX), tmp(tE), tmp(tF))
	mul(coord("SI", cY), tmp(tG), tmp(tH))
	mul(coord("SI", cT), tmp(tE), tmp(tH))
	emit("RET")
}

// lookup emits lookupAffine(out, row, abs, neg): out = abs*row[0] for
// abs in [0, 8] (row[j] is (j+1)*row[0], and 0 gives the identity
// (1, 1, 0)), negated when neg is 1. It is Sign's table lookup on a
// secret digit, so it reads all eight entries and picks one with CMOV,
// whose load happens whatever the condition; the negation is a CMOV too.
func lookup() {
	fmt.Fprint(&out, `
// func lookupAffine(out *affine, row *[8]affine, abs, neg uint64)
TEXT ·lookupAffine(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ abs+16(FP), CX
`)
	for e := range 3 {
		comment(fmt.Sprintf("element %d: the identity's, then each entry's where abs is its index", e))
		for i := range 4 {
			if i == 0 && e < 2 {
				emit("MOVQ $1, %s", r[i])
			} else {
				emit("MOVQ $0, %s", r[i])
			}
		}
		for j := range 8 {
			emit("CMPQ CX, $%d", j+1)
			for i := range 4 {
				emit("CMOVQEQ %s, %s", fe{"SI", 96*j + 32*e}.limb(i), r[i])
			}
		}
		store(coord("DI", e))
	}
	comment("the negation of 2dxy, below 2^256 (the entries are canonical)")
	emit("XORQ %s, %s", r[0], r[0])
	for i := 1; i < 4; i++ {
		emit("MOVQ $0, %s", r[i])
	}
	xy := coord("DI", cXY2d)
	emit("SUBQ %s, %s", xy.limb(0), r[0])
	for i := 1; i < 4; i++ {
		emit("SBBQ %s, %s", xy.limb(i), r[i])
	}
	emit("SBBQ %s, %s", lo, lo)
	emit("ANDQ $38, %s", lo)
	emit("SUBQ %s, %s", lo, r[0])
	for i := 1; i < 4; i++ {
		emit("SBBQ $0, %s", r[i])
	}
	comment("where neg is 1: swap y+x and y-x, and take the negation")
	emit("MOVQ neg+24(FP), CX")
	emit("TESTQ CX, CX")
	plus, minus := coord("DI", cYplusX), coord("DI", cYminusX)
	for i := range 4 {
		emit("MOVQ %s, AX", plus.limb(i))
		emit("MOVQ %s, BX", minus.limb(i))
		emit("MOVQ AX, DX")
		emit("CMOVQNE BX, AX")
		emit("CMOVQNE DX, BX")
		emit("MOVQ AX, %s", plus.limb(i))
		emit("MOVQ BX, %s", minus.limb(i))
		emit("MOVQ %s, AX", xy.limb(i))
		emit("CMOVQNE %s, AX", r[i])
		emit("MOVQ AX, %s", xy.limb(i))
	}
	emit("RET")
}

// The field operations on their own, for the inversion, the square root,
// the conversions in Go and the tests.
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
	for i := range 4 {
		emit("MOVQ %s, %s", b.limb(i), lo)
		emit("MOVQ %s, %s", lo, a.limb(i))
	}
	emit("MOVQ n+16(FP), DI")
	emit("TESTQ DI, DI")
	emit("JLE sqrdone")
	fmt.Fprint(&out, "sqrloop:\n")
	sqr(a, a)
	emit("DECQ DI")
	emit("JNZ sqrloop")
	fmt.Fprint(&out, "sqrdone:\n")
	emit("RET")

	// feSquare2 runs two independent squaring chains side by side: one
	// chain waits on each squaring's latency, while the CPU overlaps the
	// two, so that the pair costs well under twice one.
	fmt.Fprint(&out, `
// func feSquare2(out, a *[2]fe, n int)
// out[i] = a[i]^(2^n) for i = 0, 1, n squarings each; a copy for n <= 0.
TEXT ·feSquare2(SB), NOSPLIT, $0-24
	MOVQ a+8(FP), DI
	MOVQ out+0(FP), SI
`)
	for i := range 8 {
		emit("MOVQ %d(DI), %s", 8*i, lo)
		emit("MOVQ %s, %d(SI)", lo, 8*i)
	}
	emit("MOVQ n+16(FP), DI")
	emit("TESTQ DI, DI")
	emit("JLE sqr2done")
	fmt.Fprint(&out, "sqr2loop:\n")
	sqr(a, a)
	sqr(fe{"SI", 32}, fe{"SI", 32})
	emit("DECQ DI")
	emit("JNZ sqr2loop")
	fmt.Fprint(&out, "sqr2done:\n")
	emit("RET")

	for _, f := range []struct {
		name string
		op   func(dst, a, b fe)
	}{{"feAdd", addR}, {"feSub", sub}} {
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
}

func main() {
	fmt.Fprint(&out, `// Code generated by gen_point.go; DO NOT EDIT.

//go:build amd64 && !purego

#include "textflag.h"
`)
	double("pointDouble", true)
	double("pointDoubleXYZ", false)
	addition("pointAddCached", false, false)
	addition("pointSubCached", false, true)
	addition("pointAddAffine", true, false)
	addition("pointSubAffine", true, true)
	lookup()
	functions()
	if err := os.WriteFile("point_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
