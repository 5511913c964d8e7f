package cipher

import "encoding/binary"

// gcmPowersRef writes k.h[0..15] and k.hk[0..15] for the hash key h as
// the key setup in Go did before the assembly (decision 0042): the
// powers by SP 800-38D, Algorithm 1 (gfMul), each then put into the
// GHASH's representation, R(H^k)·y mod G (gen_gcm_vaes.go). It is the
// reference the assembly's powers are tested against.
func gcmPowersRef(k *gcmKey, hb [16]byte) {
	h := [2]uint64{binary.BigEndian.Uint64(hb[:8]), binary.BigEndian.Uint64(hb[8:])}
	p := h
	for i := 15; i >= 0; i-- { // p = H^(16-i)
		// R(p)·y mod G: shift left, and fold bit 128 back in as
		// y^127 + y^126 + y^121 + 1.
		m := -(p[0] >> 63)
		hi := p[0]<<1 | p[1]>>63 ^ 0xc200000000000000&m
		lo := p[1]<<1 ^ 1&m
		binary.LittleEndian.PutUint64(k.h[i][:8], lo)
		binary.LittleEndian.PutUint64(k.h[i][8:], hi)
		binary.LittleEndian.PutUint64(k.hk[i][:8], lo^hi)
		binary.LittleEndian.PutUint64(k.hk[i][8:], lo^hi)
		p = gfMul(p, h)
	}
}

// gfMul multiplies in GCM's field by SP 800-38D, Algorithm 1, with the
// blocks as big-endian halves ([0] holds bytes 0-7).
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
