package cipher

import "unsafe"

// A gcmKey is an AES-GCM key laid out for gcm_vaes_amd64.s (the offsets
// are fixed there): the AES round keys (FIPS 197, Section 5.2), each
// written twice so that one 32-byte load gives it to both lanes of a YMM
// register, then the hash key's powers for 16 blocks.
type gcmKey struct {
	rk [15][32]byte // round keys 0..rounds
	// h[i] is R(H^(16-i))·y mod G for i < 16 (gen_gcm_vaes.go gives the
	// representation); h[16] is zero, read beside an odd last block.
	h [17][16]byte
	// hk[i] holds the XOR of the two halves of h[i], in both halves,
	// for Karatsuba multiplication.
	hk [17][16]byte
}

// The assembly reads h at 480 and hk at 752.
var (
	_ = [1]struct{}{}[unsafe.Offsetof(gcmKey{}.h)-480]
	_ = [1]struct{}{}[unsafe.Offsetof(gcmKey{}.hk)-752]
)

// newGCMKey sets up k, zero as allocated, for key (16 or 32 bytes) and
// returns the number of AES rounds, all in assembly and in constant
// time: the key schedule with AESKEYGENASSIST, the hash key
// H = AES_K(0^128) (SP 800-38D, Section 6.4), then its powers with
// PCLMULQDQ. h[16] and hk[16] stay zero.
func newGCMKey(k *gcmKey, key []byte) int {
	rounds := 10
	if len(key) == 32 {
		rounds = 14
		expandKeyVAES256(k, &key[0])
	} else {
		expandKeyVAES128(k, &key[0])
	}
	var zero, h [16]byte
	encryptBlockVAES(k, rounds, &h[0], &zero[0])
	powersVAES(k, &h)
	return rounds
}

// key returns the AES key k was set up with: the schedule's first Nk
// words are the key itself (FIPS 197, Section 5.2), in rk[0] and, for
// AES-256, rk[1].
func (k *gcmKey) key(rounds int) []byte {
	b := make([]byte, 0, 32)
	b = append(b, k.rk[0][:16]...)
	if rounds == 14 {
		b = append(b, k.rk[1][:16]...)
	}
	return b
}
