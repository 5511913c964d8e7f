//go:build ignore

// gen_ntt writes ntt_amd64.s: the NTT, the inverse NTT and the
// NTT-domain multiply-accumulate of ML-KEM (FIPS 203, Algorithms 9-12) in
// AVX2, sixteen 16-bit coefficients to a register (decision 0041).
//
//	go run gen_ntt.go
//
// Every function takes and leaves canonical coefficients (in [0, q)) in
// the standard order of FIPS 203, so that the Go code around them never
// sees a Montgomery factor or a permuted order. Inside, multiplication
// by a constant is Montgomery multiplication with R = 2^16 (VPMULLW by
// c*q^-1, VPMULHW by c, VPMULHW of the low product by q, one subtraction),
// the constants are stored already multiplied by R, and sums are brought
// back below 2q by Barrett reduction where they could otherwise leave
// int16; the comments at each step give the bounds.
//
// The first layers of the NTT pair whole registers. The last three pair
// coefficients 8, 4 and 2 apart inside one register: two registers are
// rearranged (VPERM2I128, VPUNPCK[LH]QDQ, and a 32-bit shift and
// VPBLENDD) so that the pairs line up across them, and put back after.
//
// Nothing branches or indexes memory on the data; the tables are
// addressed by constant offsets only.
package main

import (
	"bytes"
	"fmt"
	"os"
)

const (
	q    = 3329
	zeta = 17
	rMod = (1 << 16) % q // R mod q
)

// qinv is q^-1 mod 2^16.
var qinv = func() int {
	for x := 1; x < 1<<16; x += 2 {
		if (x*q)&0xffff == 1 {
			return x
		}
	}
	panic("no inverse")
}()

func pow(b, e int) int {
	r := 1
	for ; e > 0; e-- {
		r = r * b % q
	}
	return r
}

func bitrev7(i int) int {
	r := 0
	for b := 0; b < 7; b++ {
		r |= (i >> b & 1) << (6 - b)
	}
	return r
}

// zetaOf is the i-th constant of Algorithms 9 and 10: zeta^BitRev7(i).
func zetaOf(i int) int { return pow(zeta, bitrev7(i)) }

// gammaOf is the i-th constant of Algorithm 11: zeta^(2*BitRev7(i)+1).
func gammaOf(i int) int { return pow(zeta, 2*bitrev7(i)+1) }

// centered returns x mod q in (-q/2, q/2].
func centered(x int) int {
	x %= q
	if x < 0 {
		x += q
	}
	if x > q/2 {
		x -= q
	}
	return x
}

// mont returns the pair a Montgomery multiplication by c needs: c*R mod q
// (centered) and its product with q^-1 modulo 2^16.
func mont(c int) (int16, int16) {
	cr := centered(c * rMod)
	return int16(cr), int16(uint16(cr * qinv))
}

// The table: 32-byte vectors at offsets from SI, identical ones shared.
var (
	table       []int16
	offsets     = map[[16]int16]int{}
	montOffsets = map[[16]int]int{}
)

func vec(v [16]int16) int {
	if off, ok := offsets[v]; ok {
		return off
	}
	off := 2 * len(table)
	table = append(table, v[:]...)
	offsets[v] = off
	return off
}

func broadcast(x int16) (v [16]int16) {
	for i := range v {
		v[i] = x
	}
	return v
}

// montVec stores the Montgomery pairs of sixteen lane constants; the
// c*R vector is at the returned offset, the c*R*q^-1 one 32 bytes on.
// A pair already stored is shared.
func montVec(c [16]int) int {
	if off, ok := montOffsets[c]; ok {
		return off
	}
	var hi, lo [16]int16
	for i := range c {
		hi[i], lo[i] = mont(c[i])
	}
	off := 2 * len(table)
	table = append(table, hi[:]...)
	table = append(table, lo[:]...)
	montOffsets[c] = off
	return off
}

func montBroadcast(c int) int {
	var v [16]int
	for i := range v {
		v[i] = c
	}
	return montVec(v)
}

var out bytes.Buffer

func emit(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }

func comment(s string) { fmt.Fprintf(&out, "\n\t// %s\n", s) }

func y(i int) string { return fmt.Sprintf("Y%d", i) }

// Fixed registers: qReg holds q in every lane, vReg Barrett's constant.
const (
	qReg = 15
	vReg = 14
)

func tab(off int) string { return fmt.Sprintf("%d(SI)", off) }

// fqmul sets dst = a*c*R^-1 mod q for the Montgomery pair at off
// (c*R mod q centered, so |c*R| <= q/2): |hi(a*c*R)| <= |a|/39 and
// |hi(t*q)| <= q/2, so the result is below |a|/39 + q/2 + 1 in
// magnitude, below q for any int16 a. dst may be a.
func fqmul(dst, a, off, t int) {
	emit("VPMULLW %s, %s, %s", tab(off+32), y(a), y(t))
	emit("VPMULHW %s, %s, %s", tab(off), y(a), y(dst))
	emit("VPMULHW %s, %s, %s", y(qReg), y(t), y(t))
	emit("VPSUBW %s, %s, %s", y(t), y(dst), y(dst))
}

// ct is the butterfly of Algorithm 9: t = c*b, b = a-t, a = a+t.
func ct(a, b, off, t1, t2 int) {
	fqmul(t2, b, off, t1)
	emit("VPSUBW %s, %s, %s", y(t2), y(a), y(b))
	emit("VPADDW %s, %s, %s", y(t2), y(a), y(a))
}

// gs is the butterfly of Algorithm 10: t = b-a, a = a+b, b = c*t.
func gs(a, b, off, t1, t2 int) {
	emit("VPSUBW %s, %s, %s", y(a), y(b), y(t2))
	emit("VPADDW %s, %s, %s", y(b), y(a), y(a))
	fqmul(b, t2, off, t1)
}

// barrett leaves a congruent value in (-q, 2q) for any int16 a:
// a - floor(a*20159/2^26)*q, with 20159 = round(2^26/q).
func barrett(a, t int) {
	emit("VPMULHW %s, %s, %s", y(vReg), y(a), y(t))
	emit("VPSRAW $10, %s, %s", y(t), y(t))
	emit("VPMULLW %s, %s, %s", y(qReg), y(t), y(t))
	emit("VPSUBW %s, %s, %s", y(t), y(a), y(a))
}

// addQIfNegative maps (-q, q) onto [0, q).
func addQIfNegative(a, t int) {
	emit("VPSRAW $15, %s, %s", y(a), y(t))
	emit("VPAND %s, %s, %s", y(qReg), y(t), y(t))
	emit("VPADDW %s, %s, %s", y(t), y(a), y(a))
}

// canon maps (-q, 2q) onto [0, q).
func canon(a, t int) {
	addQIfNegative(a, t) // [0, 2q)
	emit("VPSUBW %s, %s, %s", y(qReg), y(a), y(a))
	addQIfNegative(a, t)
}

func reduce(a, t int) {
	barrett(a, t)
	canon(a, t)
}

func load(r int, base string, k int) { emit("VMOVDQU %d(%s), %s", 32*k, base, y(r)) }

func store(r int, base string, k int) { emit("VMOVDQU %s, %d(%s)", y(r), 32*k, base) }

// The in-register layouts. Two registers A and B (sixteen coefficients
// each, 0-15) become X = [A0-7 | B0-7], Y = [A8-15 | B8-15] (pairs 8
// apart), then X' = [A0-3 A8-11 | B0-3 B8-11], Y' = [A4-7 A12-15 | ...]
// (4 apart), then X” = [A01 A45 A89 A1213 | ...], Y” = [A23 A67 A1011
// A1415 | ...] (2 apart). Each step's inverse is the same kind of step.
func toPairs8(a, b, x, yy int) {
	emit("VPERM2I128 $0x20, %s, %s, %s", y(b), y(a), y(x))
	emit("VPERM2I128 $0x31, %s, %s, %s", y(b), y(a), y(yy))
}

func fromPairs8(x, yy, a, b int) { toPairs8(x, yy, a, b) }

func toPairs4(x, yy, x2, y2 int) {
	emit("VPUNPCKLQDQ %s, %s, %s", y(yy), y(x), y(x2))
	emit("VPUNPCKHQDQ %s, %s, %s", y(yy), y(x), y(y2))
}

func fromPairs4(x2, y2, x, yy int) { toPairs4(x2, y2, x, yy) }

func toPairs2(x2, y2, x3, y3, t int) {
	emit("VPSLLQ $32, %s, %s", y(y2), y(t))
	emit("VPBLENDD $0xAA, %s, %s, %s", y(t), y(x2), y(x3))
	emit("VPSRLQ $32, %s, %s", y(x2), y(t))
	emit("VPBLENDD $0xAA, %s, %s, %s", y(y2), y(t), y(y3))
}

func fromPairs2(x3, y3, x2, y2, t int) { toPairs2(x3, y3, x2, y2, t) }

// Lane constants of the three in-register layers for vectors ka and kb
// (coefficients 16k..16k+15), in the layouts above; f gives the constant
// of the group of coefficients starting at s with pairs len apart.
func lanes8(ka, kb int, f func(len, s int) int) (c [16]int) {
	for l := 0; l < 8; l++ {
		c[l] = f(8, 16*ka)
		c[8+l] = f(8, 16*kb)
	}
	return c
}

func lanes4(ka, kb int, f func(len, s int) int) (c [16]int) {
	for l := 0; l < 4; l++ {
		c[l] = f(4, 16*ka)
		c[4+l] = f(4, 16*ka+8)
		c[8+l] = f(4, 16*kb)
		c[12+l] = f(4, 16*kb+8)
	}
	return c
}

func lanes2(ka, kb int, f func(len, s int) int) (c [16]int) {
	for m := 0; m < 4; m++ {
		for l := 0; l < 2; l++ {
			c[2*m+l] = f(2, 16*ka+4*m)
			c[8+2*m+l] = f(2, 16*kb+4*m)
		}
	}
	return c
}

// fwd and inv are the zetas of Algorithms 9 and 10 for the group of
// pairs len apart that starts at coefficient s.
func fwd(len, s int) int { return zetaOf(128/len + s/(2*len)) }
func inv(len, s int) int { return zetaOf(256/len - 1 - s/(2*len)) }

func header(name, args string, size int) {
	fmt.Fprintf(&out, "\n// func %s\nTEXT ·%s(SB), NOSPLIT, $0-%d\n", args, name, size)
}

func setup() {
	emit("LEAQ ·mlkemTab(SB), SI")
	emit("VMOVDQU %s, %s", tab(vec(broadcast(q))), y(qReg))
	emit("VMOVDQU %s, %s", tab(vec(broadcast(20159))), y(vReg))
}

func genNTT() {
	header("nttAVX2", "nttAVX2(p *poly)", 8)
	emit("MOVQ p+0(FP), DI")
	setup()
	// Layers len=128 and 64 pair registers 8 and 4 apart: four groups
	// of four registers. Input below q in magnitude; each layer adds at
	// most q (fqmul's result is below q), so below 3q after these two.
	for g := 0; g < 4; g++ {
		comment(fmt.Sprintf("len 128 and 64, registers %d, %d, %d, %d", g, g+4, g+8, g+12))
		for i, k := range []int{g, g + 4, g + 8, g + 12} {
			load(i, "DI", k)
		}
		z1 := montBroadcast(fwd(128, 0))
		ct(0, 2, z1, 4, 5)
		ct(1, 3, z1, 6, 7)
		ct(0, 1, montBroadcast(fwd(64, 0)), 4, 5)
		ct(2, 3, montBroadcast(fwd(64, 128)), 6, 7)
		for i, k := range []int{g, g + 4, g + 8, g + 12} {
			store(i, "DI", k)
		}
	}
	// Layers len=32 and 16 pair registers 2 and 1 apart, then 8, 4, 2
	// inside registers; below 8q = 26632 after all seven.
	for b := 0; b < 4; b++ {
		comment(fmt.Sprintf("len 32 to 2, registers %d to %d", 4*b, 4*b+3))
		for i := 0; i < 4; i++ {
			load(i, "DI", 4*b+i)
		}
		z32 := montBroadcast(fwd(32, 64*b))
		ct(0, 2, z32, 4, 5)
		ct(1, 3, z32, 6, 7)
		ct(0, 1, montBroadcast(fwd(16, 64*b)), 4, 5)
		ct(2, 3, montBroadcast(fwd(16, 64*b+32)), 6, 7)
		for _, p := range [][2]int{{0, 1}, {2, 3}} {
			ka, kb := 4*b+p[0], 4*b+p[1]
			a, bb := p[0], p[1]
			toPairs8(a, bb, 4, 5)
			ct(4, 5, montVec(lanes8(ka, kb, fwd)), 6, 7)
			toPairs4(4, 5, 8, 9)
			ct(8, 9, montVec(lanes4(ka, kb, fwd)), 6, 7)
			toPairs2(8, 9, 10, 11, 6)
			ct(10, 11, montVec(lanes2(ka, kb, fwd)), 6, 7)
			reduce(10, 6)
			reduce(11, 7)
			fromPairs2(10, 11, 8, 9, 6)
			fromPairs4(8, 9, 4, 5)
			fromPairs8(4, 5, a, bb)
		}
		for i := 0; i < 4; i++ {
			store(i, "DI", 4*b+i)
		}
	}
	emit("VZEROUPPER")
	emit("RET")
}

func genInvNTT() {
	header("invNTTAVX2", "invNTTAVX2(p *poly)", 8)
	emit("MOVQ p+0(FP), DI")
	setup()
	// Input canonical. A layer at most doubles the bound of the sums and
	// leaves the products below q; the sums are Barrett-reduced (below
	// 2q) after len 4, 16 and 64, so nothing reaches 8q.
	for b := 0; b < 4; b++ {
		comment(fmt.Sprintf("len 2 to 32, registers %d to %d", 4*b, 4*b+3))
		for i := 0; i < 4; i++ {
			load(i, "DI", 4*b+i)
		}
		for _, p := range [][2]int{{0, 1}, {2, 3}} {
			ka, kb := 4*b+p[0], 4*b+p[1]
			a, bb := p[0], p[1]
			toPairs8(a, bb, 4, 5)
			toPairs4(4, 5, 8, 9)
			toPairs2(8, 9, 10, 11, 6)
			gs(10, 11, montVec(lanes2(ka, kb, inv)), 6, 7) // sums < 2q
			fromPairs2(10, 11, 8, 9, 6)
			gs(8, 9, montVec(lanes4(ka, kb, inv)), 6, 7) // sums < 4q
			barrett(8, 6)                                // < 2q
			fromPairs4(8, 9, 4, 5)
			gs(4, 5, montVec(lanes8(ka, kb, inv)), 6, 7) // < 4q
			fromPairs8(4, 5, a, bb)
		}
		gs(0, 1, montBroadcast(inv(16, 64*b)), 4, 5) // < 8q
		gs(2, 3, montBroadcast(inv(16, 64*b+32)), 6, 7)
		barrett(0, 4)
		barrett(2, 6) // < 2q
		z32 := montBroadcast(inv(32, 64*b))
		gs(0, 2, z32, 4, 5) // < 4q
		gs(1, 3, z32, 6, 7)
		for i := 0; i < 4; i++ {
			store(i, "DI", 4*b+i)
		}
	}
	f := montBroadcast(3303) // 128^-1 mod q
	for g := 0; g < 4; g++ {
		comment(fmt.Sprintf("len 64 and 128, registers %d, %d, %d, %d; times 1/128", g, g+4, g+8, g+12))
		for i, k := range []int{g, g + 4, g + 8, g + 12} {
			load(i, "DI", k)
		}
		gs(0, 1, montBroadcast(inv(64, 0)), 4, 5) // < 8q
		gs(2, 3, montBroadcast(inv(64, 128)), 6, 7)
		barrett(0, 4)
		barrett(2, 6) // < 2q
		z1 := montBroadcast(inv(128, 0))
		gs(0, 2, z1, 4, 5) // < 4q
		gs(1, 3, z1, 6, 7)
		for i := 0; i < 4; i++ {
			fqmul(i, i, f, 4+i) // below q in magnitude
			addQIfNegative(i, 4+i)
		}
		for i, k := range []int{g, g + 4, g + 8, g + 12} {
			store(i, "DI", k)
		}
	}
	emit("VZEROUPPER")
	emit("RET")
}

func genBasemul() {
	header("basemulAccAVX2", "basemulAccAVX2(out *poly, a, b *[3]poly)", 24)
	emit("MOVQ out+0(FP), DI")
	emit("MOVQ a+8(FP), AX")
	emit("MOVQ b+16(FP), BX")
	setup()
	var swap [16]int16 // VPSHUFB: swap the two words of each dword
	for i := 0; i < 8; i++ {
		lo := 4*(i%4) + 2
		swap[2*i] = int16(lo | (lo+1)<<8)
		swap[2*i+1] = int16((lo - 2) | (lo-1)<<8)
	}
	emit("VMOVDQU %s, Y13", tab(vec(swap)))
	emit("VMOVDQU %s, Y12", tab(vec(broadcast(int16(qinv)))))
	toNormal := montBroadcast(rMod) // times R: undoes the reduction's R^-1
	// For the pair (a0, a1), (b0, b1) with constant g, Algorithm 12 gives
	// c0 = a0*b0 + a1*b1*g and c1 = a0*b1 + a1*b0: VPMADDWD of a with
	// (b0, b1*g) and with (b1, b0). All factors are below q, so the three
	// sums stay below 6q^2 < 2^31 and within Montgomery reduction's range
	// (q*2^15); reduced, they carry a factor R^-1 that the last
	// multiplication by R removes.
	for v := 0; v < 16; v++ {
		comment(fmt.Sprintf("coefficients %d to %d", 16*v, 16*v+15))
		var g [16]int
		for m := 0; m < 8; m++ {
			g[2*m+1] = gammaOf(8*v + m)
		}
		goff := montVec(g)
		for i := 0; i < 3; i++ {
			emit("VMOVDQU %d(AX), Y2", 512*i+32*v)
			emit("VMOVDQU %d(BX), Y3", 512*i+32*v)
			fqmul(4, 3, goff, 5)
			emit("VPBLENDW $0xAA, Y4, Y3, Y4")
			emit("VPSHUFB Y13, Y3, Y5")
			if i == 0 {
				emit("VPMADDWD Y4, Y2, Y0")
				emit("VPMADDWD Y5, Y2, Y1")
			} else {
				emit("VPMADDWD Y4, Y2, Y6")
				emit("VPMADDWD Y5, Y2, Y7")
				emit("VPADDD Y6, Y0, Y0")
				emit("VPADDD Y7, Y1, Y1")
			}
		}
		// Montgomery reduction of each 32-bit sum s into its low word:
		// t = s*q^-1 mod 2^16; (s - t*q)/2^16 = hi(s) - hi(t*q).
		for _, c := range []int{0, 1} {
			emit("VPMULLW Y12, %s, Y6", y(c))
			emit("VPMULHW Y15, Y6, Y6")
			emit("VPSRAD $16, %s, %s", y(c), y(c))
			emit("VPSUBW Y6, %s, %s", y(c), y(c))
		}
		emit("VPSLLD $16, Y1, Y1")
		emit("VPBLENDW $0xAA, Y1, Y0, Y0")
		fqmul(0, 0, toNormal, 6)
		addQIfNegative(0, 6)
		store(0, "DI", v)
	}
	emit("VZEROUPPER")
	emit("RET")
}

func genReduce() {
	header("reduceAVX2", "reduceAVX2(p *poly)", 8)
	emit("MOVQ p+0(FP), DI")
	setup()
	for v := 0; v < 16; v++ {
		load(0, "DI", v)
		reduce(0, 1)
		store(0, "DI", v)
	}
	emit("VZEROUPPER")
	emit("RET")
}

func main() {
	genNTT()
	genInvNTT()
	genBasemul()
	genReduce()
	var f bytes.Buffer
	fmt.Fprintf(&f, "// Code generated by gen_ntt.go. DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n")
	fmt.Fprintf(&f, "// The constants, addressed from SI by the offsets gen_ntt.go assigned.\n")
	for i := 0; i < len(table); i += 4 {
		var w uint64
		for j := 0; j < 4; j++ {
			w |= uint64(uint16(table[i+j])) << (16 * j)
		}
		fmt.Fprintf(&f, "DATA ·mlkemTab+%d(SB)/8, $0x%016x\n", 2*i, w)
	}
	fmt.Fprintf(&f, "GLOBL ·mlkemTab(SB), RODATA|NOPTR, $%d\n", 2*len(table))
	f.Write(out.Bytes())
	if err := os.WriteFile("ntt_amd64.s", f.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
