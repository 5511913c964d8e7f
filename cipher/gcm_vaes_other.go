//go:build !amd64 || purego

package cipher

// Without the assembly, AES-GCM is crypto/cipher's alone.
const gcmHaveVAES = false

func gcmSealVAES(k *gcmKey, rounds int, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte) {
	panic("cipher: AES-GCM assembly not built") // gcmHaveVAES is false
}

func gcmOpenVAES(k *gcmKey, rounds int, dst, src *byte, n int, j0 *[16]byte, aad uint64, tag *byte) {
	panic("cipher: AES-GCM assembly not built")
}

func encryptBlockVAES(k *gcmKey, rounds int, dst, src *byte) {
	panic("cipher: AES-GCM assembly not built")
}

func expandKeyVAES128(k *gcmKey, key *byte) { panic("cipher: AES-GCM assembly not built") }

func expandKeyVAES256(k *gcmKey, key *byte) { panic("cipher: AES-GCM assembly not built") }

func powersVAES(k *gcmKey, h *[16]byte) { panic("cipher: AES-GCM assembly not built") }
