//go:build ignore

// gen_gcm_vaes writes gcm_vaes_amd64.s: AES-GCM (NIST SP 800-38D) for
// SSH's packets, with 256-bit VAES and VPCLMULQDQ (two blocks per YMM
// register, AVX2 width, no AVX-512).
//
//	go run gen_gcm_vaes.go
//
// The main loop takes 16 blocks (8 YMM registers) at a time and runs the
// AES-CTR rounds of those blocks interleaved with the GHASH of 16
// ciphertext blocks: the previous 16 when sealing, the same 16 when
// opening. The GHASH of 16 blocks multiplies each by its own power of H
// (H^16 for the first ... H^1 for the last), sums the unreduced products
// and reduces once (decision 0042).
//
// GHASH representation. A block b is loaded byte-reversed, so that the
// register holds b read as a big-endian 128-bit integer R(b): bit 127 is
// the coefficient of x^0 (SP 800-38D, Section 6.3). Read as a polynomial
// in y, R(a)R(b) = R(ab)·y^127 mod G(y), G = y^128 + y^127 + y^126 +
// y^121 + 1, the bit-reversal of the GCM polynomial. The table holds
// H'_k = R(H^k)·y mod G, so the carry-less product T = R(X)·H'_k
// (255 bits) times y^-128 mod G is R(X·H^k). The multiplication by
// y^-128 is a Montgomery reduction in two 64-bit folds: adding
// T0·G = T0 + T0·c·y^64 + T0·y^128 (c = y^57 + y^62 + y^63,
// 0xc200000000000000) clears the low 64 bits, and the same with the next
// 64 bits clears those; what is left, shifted down 128 bits, is the
// result.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

var out bytes.Buffer

func emit(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }
func label(l string)                  { fmt.Fprintf(&out, "%s:\n", l) }

// Registers. General: AX the key (gcmKey: round keys, then the powers of
// H), SI the source, DI the destination, CX the bytes left, DX the blocks
// being hashed, BX the powers of H for the tail, R8 the tag, R9 J0, R10
// and R11 scratch. Vector: Y0-Y7 the AES states (blocks 2j and 2j+1 in
// Yj), Y8 the blocks being hashed, Y9, Y10, Y11 the low, high and middle
// sums of the carry-less products, Y12 a temporary, Y13 the counter
// blocks (last word byte-swapped so that VPADDD counts), Y14 the
// byte-reversal mask, Y15 the running GHASH value (lane 0; lane 1 zero).
const (
	hOff  = 15 * 32      // offset of gcmKey.h: 15 round keys of 32 bytes
	hkOff = hOff + 17*16 // offset of gcmKey.hk
)

// mulAcc multiplies the two blocks in Y8 (byte-reversed) by the two
// powers at h (Karatsuba: the low and high halves, and the XOR of the
// halves by the powers' XOR of halves, at h+hkOff-hOff) and adds the
// products to Y9 (low), Y10 (high) and Y11 (Karatsuba middle); the first
// product of a group sets them instead. x is "Y" or "X", the width.
func mulAcc(x, h, hk string, first bool) {
	emit("VPSHUFD $0x4e, %s8, %s12", x, x)
	emit("VPXOR %s8, %s12, %s12", x, x, x)
	for _, p := range []struct{ imm, src, h, acc string }{
		{"0x00", "12", hk, "11"}, {"0x00", "8", h, "9"}, {"0x11", "8", h, "10"}} {
		if first {
			emit("VPCLMULQDQ $%s, %s, %s%s, %s%s", p.imm, p.h, x, p.src, x, p.acc)
		} else {
			emit("VPCLMULQDQ $%s, %s, %s%s, %s12", p.imm, p.h, x, p.src, x)
			emit("VPXOR %s12, %s%s, %s%s", x, x, p.acc, x, p.acc)
		}
	}
}

// ghashPair hashes the two blocks at data with the two powers at h (and
// their halves' XOR at hk); the first pair of a group takes in the
// running value Y15.
func ghashPair(data, h, hk string, first bool) {
	emit("VMOVDQU %s, Y8", data)
	emit("VPSHUFB Y14, Y8, Y8")
	if first {
		emit("VPXOR Y15, Y8, Y8")
	}
	mulAcc("Y", h, hk, first)
}

// reduce turns the Karatsuba middle sum into the middle product, folds
// it into the low and high sums, adds the two lanes and reduces the
// 256-bit sum modulo G into X15 (and zeroes the upper lane of Y15).
func reduce() {
	emit("VPXOR Y9, Y11, Y11")
	emit("VPXOR Y10, Y11, Y11")
	emit("VPSLLDQ $8, Y11, Y12")
	emit("VPXOR Y12, Y9, Y9")
	emit("VPSRLDQ $8, Y11, Y11")
	emit("VPXOR Y11, Y10, Y10")
	emit("VEXTRACTI128 $1, Y9, X12")
	emit("VPXOR X12, X9, X9")
	emit("VEXTRACTI128 $1, Y10, X12")
	emit("VPXOR X12, X10, X10")
	for range 2 {
		emit("VPCLMULQDQ $0x00, gcmPoly<>(SB), X9, X12")
		emit("VPSHUFD $0x4e, X9, X9")
		emit("VPXOR X12, X9, X9")
	}
	emit("VPXOR X10, X9, X15")
}

// mul1 sets X15 to (X15 + X8)·H, X8 a byte-reversed block.
func mul1() {
	emit("VPXOR X15, X8, X8")
	mulAcc("X", fmt.Sprintf("%d(AX)", hOff+15*16), fmt.Sprintf("%d(AX)", hkOff+15*16), true)
	reduce()
}

// ghash16 hashes the 16 blocks at ptr into X15, not interleaved.
func ghash16(ptr string) {
	for j := range 8 {
		ghashPair(fmt.Sprintf("%d(%s)", 32*j, ptr), fmt.Sprintf("%d(AX)", hOff+32*j), fmt.Sprintf("%d(AX)", hkOff+32*j), j == 0)
	}
	reduce()
}

// batch encrypts the next 16 counter blocks and XORs them with the 256
// bytes at SI into DI. With gh set, it hashes the 16 blocks at gh in
// the gaps: the GHASH instructions are spread evenly between the AES
// rounds' (the reduction last), so the AES and carry-less multiply
// units are fed together.
func batch(nr int, gh string) {
	for j := range 8 {
		emit("VPSHUFB gcmCtrSwap<>(SB), Y13, Y%d", j)
		emit("VPADDD gcmCtrTwo<>(SB), Y13, Y13")
	}
	for j := range 8 {
		emit("VPXOR (AX), Y%d, Y%d", j, j)
	}
	var g []string
	if gh != "" {
		g = capture(func() { ghash16(gh) })
	}
	var a []string
	for r := 1; r <= nr; r++ {
		op := "VAESENC"
		if r == nr {
			op = "VAESENCLAST"
		}
		for j := range 8 {
			a = append(a, fmt.Sprintf("\t%s %d(AX), Y%d, Y%d\n", op, 32*r, j, j))
		}
	}
	// The GHASH ends by the last round's start.
	span := len(a) - 8
	done := 0
	for i, l := range a {
		out.WriteString(l)
		for want := min(len(g), (i+1)*len(g)/span); done < want; done++ {
			out.WriteString(g[done])
		}
	}
	for j := range 8 {
		emit("VPXOR %d(SI), Y%d, Y%d", 32*j, j, j)
		emit("VMOVDQU Y%d, %d(DI)", j, 32*j)
	}
}

// capture returns the lines f emits, instead of emitting them.
func capture(f func()) []string {
	saved := out
	out = bytes.Buffer{}
	f()
	lines := strings.SplitAfter(out.String(), "\n")
	out = saved
	return lines[:len(lines)-1]
}

// rounds encrypts register x (X0 or Y0) with the nr rounds of the key.
func rounds(nr int, x string) {
	emit("VPXOR (AX), %s, %s", x, x)
	for r := 1; r < nr; r++ {
		emit("VAESENC %d(AX), %s, %s", 32*r, x, x)
	}
	emit("VAESENCLAST %d(AX), %s, %s", 32*nr, x, x)
}

// tailCTR encrypts the CX (< 256, a multiple of 16) bytes at SI into DI:
// the keystream of 8 counter blocks at once if that is enough, else of
// 16, as in batch; it loads and stores only the CX bytes.
func tailCTR(nr int) {
	emit("TESTQ CX, CX")
	emit("JZ ctrdone")
	emit("CMPQ CX, $128")
	emit("JA ctr16")
	tailCTRn(nr, 4, "ctr8")
	label("ctr16")
	tailCTRn(nr, 8, "ctr16")
	label("ctrdone")
}

// tailCTRn is tailCTR with m registers (CX <= 32m); it ends with a jump
// to ctrdone.
func tailCTRn(nr, m int, name string) {
	for j := range m {
		emit("VPSHUFB gcmCtrSwap<>(SB), Y13, Y%d", j)
		emit("VPADDD gcmCtrTwo<>(SB), Y13, Y13")
	}
	for j := range m {
		emit("VPXOR (AX), Y%d, Y%d", j, j)
	}
	for r := 1; r <= nr; r++ {
		op := "VAESENC"
		if r == nr {
			op = "VAESENCLAST"
		}
		for j := range m {
			emit("%s %d(AX), Y%d, Y%d", op, 32*r, j, j)
		}
	}
	for j := range m {
		emit("CMPQ CX, $%d", 32*j+32)
		emit("JB %shalf%d", name, j)
		emit("VPXOR %d(SI), Y%d, Y%d", 32*j, j, j)
		emit("VMOVDQU Y%d, %d(DI)", j, 32*j)
	}
	emit("JMP ctrdone") // CX == 32m
	for j := range m {
		label(fmt.Sprintf("%shalf%d", name, j))
		emit("CMPQ CX, $%d", 32*j)
		emit("JE ctrdone")
		emit("VPXOR %d(SI), X%d, X%d", 32*j, j, j)
		emit("VMOVDQU X%d, %d(DI)", j, 32*j)
		emit("JMP ctrdone")
	}
}

// tailGHASH hashes the R10 (< 256, a multiple of 16) bytes at DX into
// X15: block i of r multiplied by H^(r-i), with one reduction. A last
// single block is loaded into the low lane; the upper lane, zero, then
// meets gcmKey.h[16] and hk[16].
func tailGHASH() {
	emit("TESTQ R10, R10")
	emit("JZ ghdone")
	emit("LEAQ %d(AX), BX", hOff+256)
	emit("SUBQ R10, BX") // BX = &h[16-r]
	emit("VPXOR Y9, Y9, Y9")
	emit("VPXOR Y10, Y10, Y10")
	emit("VPXOR Y11, Y11, Y11")
	label("ghpair")
	emit("CMPQ R10, $32")
	emit("JB ghone")
	ghashPairTail("VMOVDQU (DX), Y8")
	emit("ADDQ $32, DX")
	emit("ADDQ $32, BX")
	emit("SUBQ $32, R10")
	emit("JMP ghpair")
	label("ghone")
	emit("TESTQ R10, R10")
	emit("JZ ghreduce")
	ghashPairTail("VMOVDQU (DX), X8")
	label("ghreduce")
	reduce()
	label("ghdone")
}

// ghashPairTail is ghashPair for the tail, where which pair is first is
// known only at run time: Y15 is added into every pair and cleared after.
func ghashPairTail(load string) {
	emit(load)
	emit("VPSHUFB Y14, Y8, Y8")
	emit("VPXOR Y15, Y8, Y8")
	emit("VPXOR Y15, Y15, Y15")
	mulAcc("Y", "(BX)", fmt.Sprintf("%d(BX)", hkOff-hOff), false)
}

// prologue loads the arguments, writes E_K(J0) to the tag, sets up the
// counter and hashes the AAD block (the 4-byte packet_length).
func prologue(nr int) {
	emit("MOVQ k+0(FP), AX")
	emit("MOVQ dst+8(FP), DI")
	emit("MOVQ src+16(FP), SI")
	emit("MOVQ n+24(FP), CX")
	emit("MOVQ j0+32(FP), R9")
	emit("MOVQ tag+48(FP), R8")
	emit("VMOVDQU (R9), X0")
	rounds(nr, "X0")
	emit("VMOVDQU X0, (R8)")
	emit("VMOVDQU gcmRev<>(SB), Y14")
	emit("VBROADCASTI128 (R9), Y13")
	emit("VPSHUFB gcmCtrSwap<>(SB), Y13, Y13")
	emit("VPADDD gcmCtrInit<>(SB), Y13, Y13") // counters 2 and 3
	emit("VPXOR Y15, Y15, Y15")
	emit("MOVQ aad+40(FP), R10") // R(A): packet_length in bits 96-127
	emit("VMOVQ R10, X8")
	emit("VPSLLDQ $8, X8, X8")
	mul1()
}

// epilogue hashes the lengths block and writes the tag.
func epilogue() {
	emit("MOVQ n+24(FP), R10")
	emit("SHLQ $3, R10")
	emit("VMOVQ R10, X8")
	emit("MOVQ $32, R11") // len(A) in bits
	emit("VPINSRQ $1, R11, X8, X8")
	mul1()
	emit("VPSHUFB X14, X15, X15")
	emit("VPXOR (R8), X15, X15")
	emit("VMOVDQU X15, (R8)")
	emit("VZEROUPPER")
	emit("RET")
}

const args = "$0-56"

func seal(name string, nr int) {
	fmt.Fprintf(&out, "\n// func %s(k *gcmKey, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte)\n", name)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, %s\n", name, args)
	prologue(nr)
	emit("CMPQ CX, $256")
	emit("JB tail")
	batch(nr, "")
	emit("ADDQ $256, SI")
	emit("ADDQ $256, DI")
	emit("SUBQ $256, CX")
	emit("LEAQ -256(DI), DX")
	label("loop")
	emit("CMPQ CX, $256")
	emit("JB last")
	batch(nr, "DX")
	emit("MOVQ DI, DX")
	emit("ADDQ $256, SI")
	emit("ADDQ $256, DI")
	emit("SUBQ $256, CX")
	emit("JMP loop")
	label("last")
	ghash16("DX")
	label("tail")
	emit("MOVQ DI, DX")
	emit("MOVQ CX, R10")
	tailCTR(nr)
	tailGHASH()
	epilogue()
}

func open(name string, nr int) {
	fmt.Fprintf(&out, "\n// func %s(k *gcmKey, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte)\n", name)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, %s\n", name, args)
	prologue(nr)
	label("loop")
	emit("CMPQ CX, $256")
	emit("JB tail")
	batch(nr, "SI")
	emit("ADDQ $256, SI")
	emit("ADDQ $256, DI")
	emit("SUBQ $256, CX")
	emit("JMP loop")
	label("tail")
	emit("MOVQ SI, DX")
	emit("MOVQ CX, R10")
	tailGHASH()
	tailCTR(nr)
	epilogue()
}

// storeRK writes the round key in X1 to both halves of slot r of
// gcmKey.rk.
func storeRK(r int) {
	emit("VMOVDQU X1, %d(AX)", 32*r)
	emit("VMOVDQU X1, %d(AX)", 32*r+16)
}

// keyStep turns the four words w[i-Nk..i-Nk+3] in x into w[i..i+3]
// (FIPS 197, Section 5.2), given the transformed temp word in all four
// words of X2: each word becomes the XOR of itself, the words before it
// in x and X2. This is the shift-and-XOR of Intel's AES-NI white paper;
// X3 is scratch.
func keyStep(x string) {
	emit("VPSLLDQ $4, %s, X3", x)
	emit("VPXOR X3, %s, %s", x, x)
	emit("VPSLLDQ $4, X3, X3")
	emit("VPXOR X3, %s, %s", x, x)
	emit("VPSLLDQ $4, X3, X3")
	emit("VPXOR X3, %s, %s", x, x)
	emit("VPXOR X2, %s, %s", x, x)
}

// Rcon[j] of FIPS 197, Section 5.2, as the byte AESKEYGENASSIST takes.
var rcon = []int{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36}

// expandKey128 and expandKey256 write the AES key schedule (FIPS 197,
// Section 5.2) of the key at SI into gcmKey.rk at AX, each round key in
// both halves of its slot. VAESKEYGENASSIST gives SubWord of words 1
// and 3 of its source, and RotWord of those XOR Rcon; VPSHUFD picks the
// one the step needs. No step looks up a table, so the time taken does
// not depend on the key.
func expandKey128() {
	emit("VMOVDQU (SI), X1")
	storeRK(0)
	for r := 1; r <= 10; r++ {
		// temp = SubWord(RotWord(w[i-1])) xor Rcon, i = 4r.
		emit("VAESKEYGENASSIST $0x%02x, X1, X2", rcon[r-1])
		emit("VPSHUFD $0xff, X2, X2")
		keyStep("X1")
		storeRK(r)
	}
}

func expandKey256() {
	emit("VMOVDQU (SI), X1")
	emit("VMOVDQU 16(SI), X4")
	storeRK(0)
	emit("VMOVDQU X4, 32(AX)")
	emit("VMOVDQU X4, 48(AX)")
	for j := 1; j <= 7; j++ {
		// i = 8j: temp = SubWord(RotWord(w[i-1])) xor Rcon, w[i-1]
		// the last word of X4.
		emit("VAESKEYGENASSIST $0x%02x, X4, X2", rcon[j-1])
		emit("VPSHUFD $0xff, X2, X2")
		keyStep("X1")
		storeRK(2 * j)
		if j == 7 {
			break
		}
		// i = 8j+4: temp = SubWord(w[i-1]), w[i-1] the last word of X1.
		emit("VAESKEYGENASSIST $0x00, X1, X2")
		emit("VPSHUFD $0xaa, X2, X2")
		keyStep("X4")
		emit("VMOVDQU X4, %d(AX)", 32*(2*j+1))
		emit("VMOVDQU X4, %d(AX)", 32*(2*j+1)+16)
	}
}

// powers writes gcmKey.h[0..15] and hk[0..15] at AX from the hash key H
// at SI: first H'_1 = R(H)·y mod G, a shift left with bit 128 folded
// back in as y^127 + y^126 + y^121 + 1 under a mask (no branch on the
// key), then H'_(k+1) as the GHASH's own multiplication of H'_k by H'_1
// (mul1): R(H^k)·y · R(H)·y · y^-128 = R(H^(k+1))·y^127·y^2·y^-128 =
// R(H^(k+1))·y. The reduction leaves a polynomial of degree below 128,
// so each power is exactly the bit-by-bit one.
func powers() {
	emit("VMOVDQU (SI), X0")
	emit("VPSHUFB gcmRev<>(SB), X0, X0") // R(H)
	emit("VPSHUFD $0xff, X0, X1")
	emit("VPSRAD $31, X1, X1") // all ones if bit 127 of R(H) is set
	emit("VPAND gcmPolyOne<>(SB), X1, X1")
	emit("VPSRLQ $63, X0, X2")
	emit("VPSLLQ $1, X0, X0")
	emit("VPSLLDQ $8, X2, X2") // bit 63 carried into bit 64
	emit("VPOR X2, X0, X0")
	emit("VPXOR X1, X0, X15")
	emit("LEAQ %d(AX), BX", hOff+15*16)
	emit("MOVQ $16, CX")
	emit("JMP store")
	label("next")
	emit("VPXOR X8, X8, X8")
	mul1() // X15 = H'_(k+1)
	label("store")
	emit("VMOVDQU X15, (BX)")
	emit("VPSHUFD $0x4e, X15, X1")
	emit("VPXOR X15, X1, X1")
	emit("VMOVDQU X1, %d(BX)", hkOff-hOff)
	emit("SUBQ $16, BX")
	emit("DECQ CX")
	emit("JNZ next")
	emit("VZEROUPPER")
	emit("RET")
}

func data(name string, qwords ...uint64) {
	for i, q := range qwords {
		fmt.Fprintf(&out, "DATA %s<>+%d(SB)/8, $0x%016x\n", name, 8*i, q)
	}
	fmt.Fprintf(&out, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n\n", name, 8*len(qwords))
}

func main() {
	fmt.Fprint(&out, `// Code generated by gen_gcm_vaes.go; DO NOT EDIT.

//go:build amd64 && !purego

#include "textflag.h"

`)
	// VPSHUFB masks: reverse the bytes of each lane; byte-swap the last
	// 32-bit word of each lane (the counter of a counter block).
	data("gcmRev", 0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607)
	data("gcmCtrSwap", 0x0706050403020100, 0x0c0d0e0f0b0a0908, 0x0706050403020100, 0x0c0d0e0f0b0a0908)
	// Counter increments (the last word of each lane): J0 to the first
	// two data blocks, and two blocks on.
	data("gcmCtrInit", 0, 1<<32, 0, 2<<32)
	data("gcmCtrTwo", 0, 2<<32, 0, 2<<32)
	// c = y^57 + y^62 + y^63, the reduction constant.
	data("gcmPoly", 0xc200000000000000, 0)
	// y^127 + y^126 + y^121 + 1: y^128 mod G, for the first power.
	data("gcmPolyOne", 1, 0xc200000000000000)

	seal("sealVAES128", 10)
	seal("sealVAES256", 14)
	open("openVAES128", 10)
	open("openVAES256", 14)

	fmt.Fprint(&out, "\n// func expandKeyVAES128(k *gcmKey, key *byte)\n")
	fmt.Fprint(&out, "TEXT ·expandKeyVAES128(SB), NOSPLIT, $0-16\n")
	emit("MOVQ k+0(FP), AX")
	emit("MOVQ key+8(FP), SI")
	expandKey128()
	emit("RET")
	fmt.Fprint(&out, "\n// func expandKeyVAES256(k *gcmKey, key *byte)\n")
	fmt.Fprint(&out, "TEXT ·expandKeyVAES256(SB), NOSPLIT, $0-16\n")
	emit("MOVQ k+0(FP), AX")
	emit("MOVQ key+8(FP), SI")
	expandKey256()
	emit("RET")
	fmt.Fprint(&out, "\n// func powersVAES(k *gcmKey, h *[16]byte)\n")
	fmt.Fprint(&out, "TEXT ·powersVAES(SB), NOSPLIT, $0-16\n")
	emit("MOVQ k+0(FP), AX")
	emit("MOVQ h+8(FP), SI")
	powers()
	fmt.Fprint(&out, `
// func encryptBlockVAES(k *gcmKey, rounds int, dst, src *byte): one AES
// block with the key schedule in k, for the hash key and the tests.
TEXT ·encryptBlockVAES(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), AX
	MOVQ rounds+8(FP), CX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	VMOVDQU (SI), X0
	VPXOR (AX), X0, X0
	ADDQ $32, AX
	DECQ CX
round:
	VAESENC (AX), X0, X0
	ADDQ $32, AX
	DECQ CX
	JNZ round
	VAESENCLAST (AX), X0, X0
	VMOVDQU X0, (DI)
	RET

// func cpuHasVAES() bool: CPUID leaf 7, sub-leaf 0, ECX bits 9 (VAES) and
// 10 (VPCLMULQDQ).
TEXT ·cpuHasVAES(SB), NOSPLIT, $0-1
	MOVL $0, AX
	CPUID
	CMPL AX, $7
	JB no
	MOVL $7, AX
	MOVL $0, CX
	CPUID
	SHRL $9, CX
	ANDL $3, CX
	CMPL CX, $3
	JNE no
	MOVB $1, ret+0(FP)
	RET
no:
	MOVB $0, ret+0(FP)
	RET
`)
	if err := os.WriteFile("gcm_vaes_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
