package cipher

import (
	"encoding/binary"
	"unsafe"
)

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

// newGCMKey expands key (16 or 32 bytes) and returns the number of AES
// rounds. encrypt is the block function over the schedule, used for the
// hash key H = AES_K(0^128) (SP 800-38D, Section 6.4).
func newGCMKey(k *gcmKey, key []byte, encrypt func(k *gcmKey, rounds int, dst, src *byte)) int {
	rounds := expandKey(k, key)
	var zero, hb [16]byte
	encrypt(k, rounds, &hb[0], &zero[0])
	h := [2]uint64{binary.BigEndian.Uint64(hb[:8]), binary.BigEndian.Uint64(hb[8:])}
	p := h
	for i := 15; i >= 0; i-- { // p = H^(16-i)
		// R(p)·y mod G: shift left, and fold bit 128 back in as
		// y^127 + y^126 + y^121 + 1.
		m := -(p[0] >> 63) // no branch on the key
		hi := p[0]<<1 | p[1]>>63 ^ 0xc200000000000000&m
		lo := p[1]<<1 ^ 1&m
		binary.LittleEndian.PutUint64(k.h[i][:8], lo)
		binary.LittleEndian.PutUint64(k.h[i][8:], hi)
		binary.LittleEndian.PutUint64(k.hk[i][:8], lo^hi)
		binary.LittleEndian.PutUint64(k.hk[i][8:], lo^hi)
		p = gfMul(p, h)
	}
	return rounds
}

// gfMul multiplies in GCM's field by SP 800-38D, Algorithm 1, with the
// blocks as big-endian halves ([0] holds bytes 0-7). It runs once per
// power at key setup, in constant time.
func gfMul(x, y [2]uint64) [2]uint64 {
	var z [2]uint64
	v := y
	for i := range 128 {
		bit := x[i/64] >> (63 - i%64) & 1
		m := -bit
		z[0] ^= v[0] & m
		z[1] ^= v[1] & m
		r := -(v[1] & 1)
		v[1] = v[1]>>1 | v[0]<<63
		v[0] = v[0]>>1 ^ 0xe100000000000000&r
	}
	return z
}

// expandKey writes the AES key schedule of key (FIPS 197, Section 5.2)
// into k, each round key twice, and returns the number of rounds. The
// S-box is computed, not looked up, so the key does not index memory.
func expandKey(k *gcmKey, key []byte) int {
	nk := len(key) / 4
	rounds := nk + 6
	var w [60]uint32
	for i := range nk {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := nk; i < 4*(rounds+1); i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = subWord(t<<8|t>>24) ^ rcon<<24
			rcon = uint32(xtime(byte(rcon)))
		case nk > 6 && i%nk == 4:
			t = subWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	for r := 0; r <= rounds; r++ {
		for c := range 4 {
			binary.BigEndian.PutUint32(k.rk[r][4*c:], w[4*r+c])
			binary.BigEndian.PutUint32(k.rk[r][16+4*c:], w[4*r+c])
		}
	}
	return rounds
}

func subWord(w uint32) uint32 {
	return uint32(sbox(byte(w>>24)))<<24 | uint32(sbox(byte(w>>16)))<<16 |
		uint32(sbox(byte(w>>8)))<<8 | uint32(sbox(byte(w)))
}

// sbox is the AES S-box (FIPS 197, Section 5.1.1): the inverse in
// GF(2^8), b^254, then the affine map.
func sbox(b byte) byte {
	inv := byte(1)
	p := b
	for range 7 { // b^2 · b^4 · ... · b^128
		p = gf8Mul(p, p)
		inv = gf8Mul(inv, p)
	}
	s := inv
	for i := 1; i <= 4; i++ {
		s ^= inv<<i | inv>>(8-i)
	}
	return s ^ 0x63
}

func gf8Mul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1)
		a = xtime(a)
		b >>= 1
	}
	return p
}

func xtime(a byte) byte { return a<<1 ^ 0x1b&-(a>>7) }
