//go:build amd64 && !purego

package cipher

import "golang.org/x/sys/cpu"

//go:generate go run gen_gcm_vaes.go

// sealVAES128 and sealVAES256 encrypt the n bytes at src (n a multiple of
// 16) into dst with AES-128 or AES-256 in GCM (gcm_vaes_amd64.s, written
// by gen_gcm_vaes.go), the counter blocks from inc32(j0), and write the
// 16-byte tag to tag; the additional data is the 4-byte packet_length,
// passed as aad = packet_length<<32. openVAES128 and openVAES256 decrypt
// instead and write the tag of the ciphertext at src; the caller
// compares it. dst may be src itself; tag must not overlap either.
//
//go:noescape
func sealVAES128(k *gcmKey, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte)

//go:noescape
func sealVAES256(k *gcmKey, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte)

//go:noescape
func openVAES128(k *gcmKey, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte)

//go:noescape
func openVAES256(k *gcmKey, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte)

// encryptBlockVAES encrypts one block with the key schedule in k.
//
//go:noescape
func encryptBlockVAES(k *gcmKey, rounds int, dst, src *byte)

// expandKeyVAES128 and expandKeyVAES256 write the AES key schedule of
// the 16- or 32-byte key at key into k.rk (FIPS 197, Section 5.2), with
// AESKEYGENASSIST.
//
//go:noescape
func expandKeyVAES128(k *gcmKey, key *byte)

//go:noescape
func expandKeyVAES256(k *gcmKey, key *byte)

// powersVAES writes k.h[0..15] and k.hk[0..15] for the hash key h, with
// PCLMULQDQ and the GHASH's own reduction.
//
//go:noescape
func powersVAES(k *gcmKey, h *[16]byte)

// cpuHasVAES reports VAES and VPCLMULQDQ (CPUID.(EAX=7,ECX=0):ECX[9]
// and [10]). golang.org/x/sys/cpu reports them only with AVX-512.
func cpuHasVAES() bool

// gcmHaveVAES: the YMM forms need AVX2 (which x/sys/cpu reports only if
// the OS saves YMM state), AES-NI and PCLMULQDQ besides.
var gcmHaveVAES = cpu.X86.HasAVX2 && cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ && cpuHasVAES()

func gcmSealVAES(k *gcmKey, rounds int, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte) {
	if rounds == 10 {
		sealVAES128(k, dst, src, n, j0, aad, tag)
	} else {
		sealVAES256(k, dst, src, n, j0, aad, tag)
	}
}

func gcmOpenVAES(k *gcmKey, rounds int, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte) {
	if rounds == 10 {
		openVAES128(k, dst, src, n, j0, aad, tag)
	} else {
		openVAES256(k, dst, src, n, j0, aad, tag)
	}
}
