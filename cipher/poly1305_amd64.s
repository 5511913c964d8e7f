//go:build amd64 && !purego

#include "textflag.h"

// Poly1305 (RFC 8439, Section 2.5) with AVX2, four blocks at a time. The
// accumulator is kept as four independent accumulators, one per 64-bit
// lane, each as five 26-bit limbs in Y5..Y9 (limb i of every lane in one
// register). Each 64-byte chunk adds block 4c+j to lane j and multiplies
// every lane by r^4; the last chunk multiplies lane j by r^(4-j) instead,
// so that the sum of the lanes is the Poly1305 accumulator of the whole
// input. Limb products are 32x32->64-bit VPMULUDQ with the 2^130 = 5
// wrap-around folded into the precomputed 5*r_i.
//
// On CPUs whose vector units are 128 bits wide (this one: Zen 1) that
// code is bound by the vector pipes while the integer multiplier idles,
// so the same loop also runs ordinary scalar Poly1305 (64-bit limbs,
// MULQ) over a second stretch of the message, three blocks per chunk;
// the caller joins the two accumulators.

// The 26-bit limb mask and the 2^128 pad bit as limb 4 sees it, in each
// lane.
DATA ·polyMask<>+0x00(SB)/8, $0x3ffffff
DATA ·polyMask<>+0x08(SB)/8, $0x3ffffff
DATA ·polyMask<>+0x10(SB)/8, $0x3ffffff
DATA ·polyMask<>+0x18(SB)/8, $0x3ffffff
GLOBL ·polyMask<>(SB), (NOPTR+RODATA), $32
DATA ·polyPad<>+0x00(SB)/8, $0x1000000
DATA ·polyPad<>+0x08(SB)/8, $0x1000000
DATA ·polyPad<>+0x10(SB)/8, $0x1000000
DATA ·polyPad<>+0x18(SB)/8, $0x1000000
GLOBL ·polyPad<>(SB), (NOPTR+RODATA), $32

// Offsets into a multiplier table on the stack: the limbs r_0..r_4 of the
// multiplier in each lane, then 5*r_1..5*r_4 (the 2^130 = 5 wrap-around);
// every entry is 32 bytes. The table at 0(SP) has r^4 in every lane, for
// all chunks but the last; the one at LAST(SP) has r^4, r^3, r^2, r^1 in
// lanes 0 to 3, for the last.
#define R0 0
#define R1 32
#define R2 64
#define R3 96
#define R4 128
#define S1 160
#define S2 192
#define S3 224
#define S4 256
#define LAST 288

// TABLE stores limb i of the powers (32 bytes at q+32i) as entry R of the
// last-chunk table, and limb i of r^4 (its lane 0) in every lane as entry
// R of the loop table.
#define TABLE(i, R) \
	VMOVDQU      (32*i)(AX), Y0 \
	VMOVDQU      Y0, (LAST+R)(SP) \
	VPBROADCASTQ (32*i)(AX), Y1 \
	VMOVDQU      Y1, R(SP)

// TABLE5 is TABLE for 5 times limb i, as entry S.
#define TABLE5(i, S) \
	VMOVDQU      (32*i)(AX), Y0 \
	VPSLLQ       $2, Y0, Y2 \
	VPADDQ       Y2, Y0, Y0 \
	VMOVDQU      Y0, (LAST+S)(SP) \
	VPBROADCASTQ (32*i)(AX), Y1 \
	VPSLLQ       $2, Y1, Y2 \
	VPADDQ       Y2, Y1, Y1 \
	VMOVDQU      Y1, S(SP)

// SBLOCK runs scalar Poly1305 over the 16-byte block at R9 and advances
// R9: h = (h + block + 2^128) * r mod 2^130-5, partially reduced, with h
// in R10, R11, R12 (64-bit limbs, R12 at most 7) and r_0, r_1 at RS(SP).
// It uses the integer multiplier, which the vector code leaves idle.
#define SBLOCK \
	ADDQ  0(R9), R10 \
	ADCQ  8(R9), R11 \
	ADCQ  $1, R12 \
	ADDQ  $16, R9 \
	MOVQ  RS(SP), AX \
	MULQ  R10 \
	MOVQ  AX, BX \
	MOVQ  DX, R13 \
	MOVQ  (RS+8)(SP), AX \
	MULQ  R10 \
	ADDQ  AX, R13 \
	ADCQ  $0, DX \
	MOVQ  DX, DI \
	XORQ  R14, R14 \
	MOVQ  RS(SP), AX \
	MULQ  R11 \
	ADDQ  AX, R13 \
	ADCQ  DX, DI \
	ADCQ  $0, R14 \
	MOVQ  (RS+8)(SP), AX \
	MULQ  R11 \
	ADDQ  AX, DI \
	ADCQ  DX, R14 \
	MOVQ  RS(SP), AX \
	IMULQ R12, AX \
	ADDQ  AX, DI \
	ADCQ  $0, R14 \
	MOVQ  (RS+8)(SP), AX \
	IMULQ R12, AX \
	ADDQ  AX, R14 \
	MOVQ  BX, R10 \
	MOVQ  R13, R11 \
	MOVQ  DI, R12 \
	ANDQ  $3, R12 \
	ANDQ  $-4, DI \
	ADDQ  DI, R10 \
	ADCQ  R14, R11 \
	ADCQ  $0, R12 \
	SHRQ  $2, R14, DI \
	SHRQ  $2, R14 \
	ADDQ  DI, R10 \
	ADCQ  R14, R11 \
	ADCQ  $0, R12

#define RS 576

// func polyBlocksHybridAVX2(h *[5]uint64, hs *[3]uint64, q *[5][4]uint64, r *[2]uint64, a, b *byte, n int)
//
// polyBlocksHybridAVX2: see poly1305_amd64.go. Vector state: Y5..Y9 the
// accumulator limbs, R8 the multiplier table, SI the chunks, CX the chunks
// left. Scalar state: R10..R12 the accumulator, R9 the blocks.
TEXT ·polyBlocksHybridAVX2(SB), NOSPLIT, $592-56
	MOVQ q+16(FP), AX
	MOVQ r+24(FP), BX
	MOVQ 0(BX), DX
	MOVQ DX, RS(SP)
	MOVQ 8(BX), DX
	MOVQ DX, (RS+8)(SP)
	MOVQ a+32(FP), SI
	MOVQ b+40(FP), R9
	MOVQ n+48(FP), CX

	TABLE(0, R0)
	TABLE(1, R1)
	TABLE(2, R2)
	TABLE(3, R3)
	TABLE(4, R4)
	TABLE5(1, S1)
	TABLE5(2, S2)
	TABLE5(3, S3)
	TABLE5(4, S4)

	LEAQ    0(SP), R8
	VMOVDQU ·polyMask<>(SB), Y15
	VPXOR   Y5, Y5, Y5
	VPXOR   Y6, Y6, Y6
	VPXOR   Y7, Y7, Y7
	VPXOR   Y8, Y8, Y8
	VPXOR   Y9, Y9, Y9
	XORQ    R10, R10
	XORQ    R11, R11
	XORQ    R12, R12

hloop:
	CMPQ CX, $1
	JNE  hchunk
	ADDQ $LAST, R8 // last chunk: lane j times r^(4-j)

hchunk:
	// Split blocks 0..3 into 26-bit limbs, block j in lane j:
	// lo/hi are the low and high 64 bits of each 16-byte block.
	VMOVDQU     (SI), X10
	VINSERTI128 $1, 32(SI), Y10, Y10 // blocks 0 | 2
	VMOVDQU     16(SI), X11
	VINSERTI128 $1, 48(SI), Y11, Y11 // blocks 1 | 3
	VPUNPCKHQDQ Y11, Y10, Y12        // hi of blocks 0, 1, 2, 3
	VPUNPCKLQDQ Y11, Y10, Y10        // lo of blocks 0, 1, 2, 3

	VPSRLQ $40, Y12, Y14
	VPOR   ·polyPad<>(SB), Y14, Y14 // limb 4: bits 104..127 and the 2^128 pad bit
	VPSRLQ $14, Y12, Y13
	VPAND  Y15, Y13, Y13       // limb 3: bits 78..103
	VPSLLQ $12, Y12, Y12
	VPSRLQ $52, Y10, Y11
	VPOR   Y11, Y12, Y12
	VPAND  Y15, Y12, Y12       // limb 2: bits 52..77
	VPSRLQ $26, Y10, Y11
	VPAND  Y15, Y11, Y11       // limb 1: bits 26..51
	VPAND  Y15, Y10, Y10       // limb 0: bits 0..25

	// h += m
	VPADDQ Y10, Y5, Y0
	VPADDQ Y11, Y6, Y1
	VPADDQ Y12, Y7, Y2
	VPADDQ Y13, Y8, Y3
	VPADDQ Y14, Y9, Y4

	// d = h * r (mod 2^130-5, limbs not carried):
	// d0 = h0 r0 + h1 s4 + h2 s3 + h3 s2 + h4 s1
	// d1 = h0 r1 + h1 r0 + h2 s4 + h3 s3 + h4 s2
	// d2 = h0 r2 + h1 r1 + h2 r0 + h3 s4 + h4 s3
	// d3 = h0 r3 + h1 r2 + h2 r1 + h3 r0 + h4 s4
	// d4 = h0 r4 + h1 r3 + h2 r2 + h3 r1 + h4 r0
	VPMULUDQ R0(R8), Y0, Y5
	VPMULUDQ R1(R8), Y0, Y6
	VPMULUDQ R2(R8), Y0, Y7
	VPMULUDQ R3(R8), Y0, Y8
	VPMULUDQ R4(R8), Y0, Y9

	VPMULUDQ S4(R8), Y1, Y10
	VPMULUDQ R0(R8), Y1, Y11
	VPMULUDQ R1(R8), Y1, Y12
	VPMULUDQ R2(R8), Y1, Y13
	VPMULUDQ R3(R8), Y1, Y14
	VPADDQ   Y10, Y5, Y5
	VPADDQ   Y11, Y6, Y6
	VPADDQ   Y12, Y7, Y7
	VPADDQ   Y13, Y8, Y8
	VPADDQ   Y14, Y9, Y9

	SBLOCK

	VPMULUDQ S3(R8), Y2, Y10
	VPMULUDQ S4(R8), Y2, Y11
	VPMULUDQ R0(R8), Y2, Y12
	VPMULUDQ R1(R8), Y2, Y13
	VPMULUDQ R2(R8), Y2, Y14
	VPADDQ   Y10, Y5, Y5
	VPADDQ   Y11, Y6, Y6
	VPADDQ   Y12, Y7, Y7
	VPADDQ   Y13, Y8, Y8
	VPADDQ   Y14, Y9, Y9

	VPMULUDQ S2(R8), Y3, Y10
	VPMULUDQ S3(R8), Y3, Y11
	VPMULUDQ S4(R8), Y3, Y12
	VPMULUDQ R0(R8), Y3, Y13
	VPMULUDQ R1(R8), Y3, Y14
	VPADDQ   Y10, Y5, Y5
	VPADDQ   Y11, Y6, Y6
	VPADDQ   Y12, Y7, Y7
	VPADDQ   Y13, Y8, Y8
	VPADDQ   Y14, Y9, Y9

	SBLOCK

	VPMULUDQ S1(R8), Y4, Y10
	VPMULUDQ S2(R8), Y4, Y11
	VPMULUDQ S3(R8), Y4, Y12
	VPMULUDQ S4(R8), Y4, Y13
	VPMULUDQ R0(R8), Y4, Y14
	VPADDQ   Y10, Y5, Y5
	VPADDQ   Y11, Y6, Y6
	VPADDQ   Y12, Y7, Y7
	VPADDQ   Y13, Y8, Y8
	VPADDQ   Y14, Y9, Y9

	// Partial carry, leaving every limb below 2^26 + 2^10 (products
	// stay below 2^58 on the next round): d3->d4 and d0->d1, d4->d0 (times
	// 5) and d1->d2, d2->d3 and d0->d1, d3->d4.
	VPSRLQ $26, Y8, Y10
	VPAND  Y15, Y8, Y8
	VPADDQ Y10, Y9, Y9
	VPSRLQ $26, Y5, Y11
	VPAND  Y15, Y5, Y5
	VPADDQ Y11, Y6, Y6

	VPSRLQ $26, Y9, Y10
	VPAND  Y15, Y9, Y9
	VPSLLQ $2, Y10, Y12
	VPADDQ Y12, Y10, Y10
	VPADDQ Y10, Y5, Y5
	VPSRLQ $26, Y6, Y11
	VPAND  Y15, Y6, Y6
	VPADDQ Y11, Y7, Y7

	VPSRLQ $26, Y7, Y10
	VPAND  Y15, Y7, Y7
	VPADDQ Y10, Y8, Y8
	VPSRLQ $26, Y5, Y11
	VPAND  Y15, Y5, Y5
	VPADDQ Y11, Y6, Y6

	VPSRLQ $26, Y8, Y10
	VPAND  Y15, Y8, Y8
	VPADDQ Y10, Y9, Y9

	SBLOCK

	ADDQ $64, SI
	DECQ CX
	JNZ  hloop

	MOVQ hs+8(FP), DI
	MOVQ R10, 0(DI)
	MOVQ R11, 8(DI)
	MOVQ R12, 16(DI)
	MOVQ h+0(FP), DI

	// Sum the four lanes of each limb into h.
	VEXTRACTI128 $1, Y5, X10
	VPADDQ       X10, X5, X5
	VPSHUFD      $0x4e, X5, X10
	VPADDQ       X10, X5, X5
	MOVQ         X5, 0(DI)
	VEXTRACTI128 $1, Y6, X10
	VPADDQ       X10, X6, X6
	VPSHUFD      $0x4e, X6, X10
	VPADDQ       X10, X6, X6
	MOVQ         X6, 8(DI)
	VEXTRACTI128 $1, Y7, X10
	VPADDQ       X10, X7, X7
	VPSHUFD      $0x4e, X7, X10
	VPADDQ       X10, X7, X7
	MOVQ         X7, 16(DI)
	VEXTRACTI128 $1, Y8, X10
	VPADDQ       X10, X8, X8
	VPSHUFD      $0x4e, X8, X10
	VPADDQ       X10, X8, X8
	MOVQ         X8, 24(DI)
	VEXTRACTI128 $1, Y9, X10
	VPADDQ       X10, X9, X9
	VPSHUFD      $0x4e, X9, X10
	VPADDQ       X10, X9, X9
	MOVQ         X9, 32(DI)

	VZEROUPPER
	RET
