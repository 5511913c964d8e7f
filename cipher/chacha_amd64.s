//go:build amd64 && !purego

#include "textflag.h"

// ChaCha20 (RFC 8439, Section 2.3) with AVX2, written for
// chacha20-poly1305@openssh.com. Each YMM register holds one row of the
// 4x4 state of two consecutive blocks (low lane: counter c, high lane:
// c+1); three such pairs are interleaved for instruction-level
// parallelism. Rows b, c and d are rotated within each lane to turn the
// column round into the diagonal round and back.

// VPSHUFB masks that rotate every 32-bit word left by 16 and by 8.
DATA ·chachaRol16<>+0x00(SB)/8, $0x0504070601000302
DATA ·chachaRol16<>+0x08(SB)/8, $0x0D0C0F0E09080B0A
DATA ·chachaRol16<>+0x10(SB)/8, $0x0504070601000302
DATA ·chachaRol16<>+0x18(SB)/8, $0x0D0C0F0E09080B0A
GLOBL ·chachaRol16<>(SB), (NOPTR+RODATA), $32
DATA ·chachaRol8<>+0x00(SB)/8, $0x0605040702010003
DATA ·chachaRol8<>+0x08(SB)/8, $0x0E0D0C0F0A09080B
DATA ·chachaRol8<>+0x10(SB)/8, $0x0605040702010003
DATA ·chachaRol8<>+0x18(SB)/8, $0x0E0D0C0F0A09080B
GLOBL ·chachaRol8<>(SB), (NOPTR+RODATA), $32

// "expand 32-byte k" in both lanes.
DATA ·chachaSigma<>+0x00(SB)/8, $0x3320646e61707865
DATA ·chachaSigma<>+0x08(SB)/8, $0x6b20657479622d32
DATA ·chachaSigma<>+0x10(SB)/8, $0x3320646e61707865
DATA ·chachaSigma<>+0x18(SB)/8, $0x6b20657479622d32
GLOBL ·chachaSigma<>(SB), (NOPTR+RODATA), $32

// Counter increments: high lane +1; both lanes +2, +4, +6.
DATA ·chachaInc1<>+0x00(SB)/8, $0
DATA ·chachaInc1<>+0x08(SB)/8, $0
DATA ·chachaInc1<>+0x10(SB)/8, $1
DATA ·chachaInc1<>+0x18(SB)/8, $0
GLOBL ·chachaInc1<>(SB), (NOPTR+RODATA), $32
DATA ·chachaInc2<>+0x00(SB)/8, $2
DATA ·chachaInc2<>+0x08(SB)/8, $0
DATA ·chachaInc2<>+0x10(SB)/8, $2
DATA ·chachaInc2<>+0x18(SB)/8, $0
GLOBL ·chachaInc2<>(SB), (NOPTR+RODATA), $32
DATA ·chachaInc4<>+0x00(SB)/8, $4
DATA ·chachaInc4<>+0x08(SB)/8, $0
DATA ·chachaInc4<>+0x10(SB)/8, $4
DATA ·chachaInc4<>+0x18(SB)/8, $0
GLOBL ·chachaInc4<>(SB), (NOPTR+RODATA), $32
DATA ·chachaInc6<>+0x00(SB)/8, $6
DATA ·chachaInc6<>+0x08(SB)/8, $0
DATA ·chachaInc6<>+0x10(SB)/8, $6
DATA ·chachaInc6<>+0x18(SB)/8, $0
GLOBL ·chachaInc6<>(SB), (NOPTR+RODATA), $32

// The four steps of a quarter round (RFC 8439, Section 2.1) on whole
// rows; Y12 is scratch.
#define STEP16(a, b, d) VPADDD b, a, a; VPXOR a, d, d; VPSHUFB ·chachaRol16<>(SB), d, d
#define STEP12(c, d, b) VPADDD d, c, c; VPXOR c, b, b; VPSLLD $12, b, Y12; VPSRLD $20, b, b; VPXOR Y12, b, b
#define STEP8(a, b, d) VPADDD b, a, a; VPXOR a, d, d; VPSHUFB ·chachaRol8<>(SB), d, d
#define STEP7(c, d, b) VPADDD d, c, c; VPXOR c, b, b; VPSLLD $7, b, Y12; VPSRLD $25, b, b; VPXOR Y12, b, b

#define QR1(a, b, c, d) STEP16(a, b, d); STEP12(c, d, b); STEP8(a, b, d); STEP7(c, d, b)

#define QR3(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2) \
	VPADDD b0, a0, a0; VPADDD b1, a1, a1; VPADDD b2, a2, a2; \
	VPXOR a0, d0, d0; VPXOR a1, d1, d1; VPXOR a2, d2, d2; \
	VPSHUFB ·chachaRol16<>(SB), d0, d0; VPSHUFB ·chachaRol16<>(SB), d1, d1; VPSHUFB ·chachaRol16<>(SB), d2, d2; \
	VPADDD d0, c0, c0; VPADDD d1, c1, c1; VPADDD d2, c2, c2; \
	VPXOR c0, b0, b0; VPXOR c1, b1, b1; VPXOR c2, b2, b2; \
	VPSLLD $12, b0, Y12; VPSRLD $20, b0, b0; VPXOR Y12, b0, b0; \
	VPSLLD $12, b1, Y12; VPSRLD $20, b1, b1; VPXOR Y12, b1, b1; \
	VPSLLD $12, b2, Y12; VPSRLD $20, b2, b2; VPXOR Y12, b2, b2; \
	VPADDD b0, a0, a0; VPADDD b1, a1, a1; VPADDD b2, a2, a2; \
	VPXOR a0, d0, d0; VPXOR a1, d1, d1; VPXOR a2, d2, d2; \
	VPSHUFB ·chachaRol8<>(SB), d0, d0; VPSHUFB ·chachaRol8<>(SB), d1, d1; VPSHUFB ·chachaRol8<>(SB), d2, d2; \
	VPADDD d0, c0, c0; VPADDD d1, c1, c1; VPADDD d2, c2, c2; \
	VPXOR c0, b0, b0; VPXOR c1, b1, b1; VPXOR c2, b2, b2; \
	VPSLLD $7, b0, Y12; VPSRLD $25, b0, b0; VPXOR Y12, b0, b0; \
	VPSLLD $7, b1, Y12; VPSRLD $25, b1, b1; VPXOR Y12, b1, b1; \
	VPSLLD $7, b2, Y12; VPSRLD $25, b2, b2; VPXOR Y12, b2, b2

// Rotate rows b, c, d left by 1, 2, 3 words (columns to diagonals), and back.
#define DIAG(b, c, d) VPSHUFD $0x39, b, b; VPSHUFD $0x4E, c, c; VPSHUFD $0x93, d, d
#define UNDIAG(b, c, d) VPSHUFD $0x93, b, b; VPSHUFD $0x4E, c, c; VPSHUFD $0x39, d, d

// XOR the two blocks held in rows a, b, c, d into src+off and store them
// at dst+off: block one is the low lanes, block two the high lanes.
#define OUT(a, b, c, d, off) \
	VPERM2I128 $0x20, b, a, Y12; VPXOR off(SI), Y12, Y12; VMOVDQU Y12, off(DI); \
	VPERM2I128 $0x20, d, c, Y12; VPXOR off+32(SI), Y12, Y12; VMOVDQU Y12, off+32(DI); \
	VPERM2I128 $0x31, b, a, Y12; VPXOR off+64(SI), Y12, Y12; VMOVDQU Y12, off+64(DI); \
	VPERM2I128 $0x31, d, c, Y12; VPXOR off+96(SI), Y12, Y12; VMOVDQU Y12, off+96(DI)

// func xorBlocksAVX2(dst, src *byte, n int, state *[16]uint32)
TEXT ·xorBlocksAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ state+24(FP), DX

	// Y13, Y14: key rows; Y15: counter and nonce row of the next pair.
	VBROADCASTI128 16(DX), Y13
	VBROADCASTI128 32(DX), Y14
	VBROADCASTI128 48(DX), Y15
	VPADDD ·chachaInc1<>(SB), Y15, Y15

loop3:
	CMPQ CX, $384
	JB   loop1
	VMOVDQU ·chachaSigma<>(SB), Y0
	VMOVDQA Y13, Y1
	VMOVDQA Y14, Y2
	VMOVDQA Y15, Y3
	VMOVDQA Y0, Y4
	VMOVDQA Y13, Y5
	VMOVDQA Y14, Y6
	VPADDD  ·chachaInc2<>(SB), Y15, Y7
	VMOVDQA Y0, Y8
	VMOVDQA Y13, Y9
	VMOVDQA Y14, Y10
	VPADDD  ·chachaInc4<>(SB), Y15, Y11
	MOVQ    $10, BX

rounds3:
	QR3(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	DIAG(Y1, Y2, Y3)
	DIAG(Y5, Y6, Y7)
	DIAG(Y9, Y10, Y11)
	QR3(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	UNDIAG(Y1, Y2, Y3)
	UNDIAG(Y5, Y6, Y7)
	UNDIAG(Y9, Y10, Y11)
	DECQ BX
	JNZ  rounds3

	VPADDD ·chachaSigma<>(SB), Y0, Y0
	VPADDD Y13, Y1, Y1
	VPADDD Y14, Y2, Y2
	VPADDD Y15, Y3, Y3
	VPADDD ·chachaSigma<>(SB), Y4, Y4
	VPADDD Y13, Y5, Y5
	VPADDD Y14, Y6, Y6
	VPADDD Y15, Y7, Y7
	VPADDD ·chachaInc2<>(SB), Y7, Y7
	VPADDD ·chachaSigma<>(SB), Y8, Y8
	VPADDD Y13, Y9, Y9
	VPADDD Y14, Y10, Y10
	VPADDD Y15, Y11, Y11
	VPADDD ·chachaInc4<>(SB), Y11, Y11
	OUT(Y0, Y1, Y2, Y3, 0)
	OUT(Y4, Y5, Y6, Y7, 128)
	OUT(Y8, Y9, Y10, Y11, 256)

	VPADDD ·chachaInc6<>(SB), Y15, Y15
	ADDQ   $384, SI
	ADDQ   $384, DI
	SUBQ   $384, CX
	JMP    loop3

loop1:
	CMPQ CX, $128
	JB   done
	VMOVDQU ·chachaSigma<>(SB), Y0
	VMOVDQA Y13, Y1
	VMOVDQA Y14, Y2
	VMOVDQA Y15, Y3
	MOVQ    $10, BX

rounds1:
	QR1(Y0, Y1, Y2, Y3)
	DIAG(Y1, Y2, Y3)
	QR1(Y0, Y1, Y2, Y3)
	UNDIAG(Y1, Y2, Y3)
	DECQ BX
	JNZ  rounds1

	VPADDD ·chachaSigma<>(SB), Y0, Y0
	VPADDD Y13, Y1, Y1
	VPADDD Y14, Y2, Y2
	VPADDD Y15, Y3, Y3
	OUT(Y0, Y1, Y2, Y3, 0)

	VPADDD ·chachaInc2<>(SB), Y15, Y15
	ADDQ   $128, SI
	ADDQ   $128, DI
	SUBQ   $128, CX
	JMP    loop1

done:
	VZEROUPPER
	RET
