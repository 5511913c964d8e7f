package sntrup761

// The NTRU Prime variable-radix encoding (specification, Section 3.2,
// "Encode" and "Decode"): a list of integers 0 <= r[i] < m[i] < 2^14 is
// packed pairwise into base-256 digits, the low digits of each merged pair
// emitted first, then the list of pair quotients is encoded recursively.
// Only public data (public keys, ciphertexts) goes through these functions.

// encode appends the encoding of r (with moduli m) to out.
func encode(out []byte, r, m []uint16) []byte {
	if len(r) == 1 {
		rr, mm := uint32(r[0]), uint32(m[0])
		for mm > 1 {
			out = append(out, byte(rr))
			rr >>= 8
			mm = (mm + 255) >> 8
		}
		return out
	}
	n := (len(r) + 1) / 2
	r2 := make([]uint16, n)
	m2 := make([]uint16, n)
	for i := 0; i+1 < len(r); i += 2 {
		m0 := uint32(m[i])
		rr := uint32(r[i]) + uint32(r[i+1])*m0
		mm := uint32(m[i+1]) * m0
		for mm >= 16384 {
			out = append(out, byte(rr))
			rr >>= 8
			mm = (mm + 255) >> 8
		}
		r2[i/2], m2[i/2] = uint16(rr), uint16(mm)
	}
	if len(r)%2 == 1 {
		r2[n-1], m2[n-1] = r[len(r)-1], m[len(r)-1]
	}
	return encode(out, r2, m2)
}

// decode fills out from s, the inverse of encode. s must be exactly as
// long as the encoding of len(m) values with moduli m; values that are
// out of range in a malformed s are reduced, never rejected.
func decode(out []uint16, s []byte, m []uint16) {
	if len(m) == 1 {
		switch {
		case m[0] == 1:
			out[0] = 0
		case m[0] <= 256:
			out[0] = uint16(uint32(s[0]) % uint32(m[0]))
		default:
			out[0] = uint16((uint32(s[0]) | uint32(s[1])<<8) % uint32(m[0]))
		}
		return
	}
	n := (len(m) + 1) / 2
	m2 := make([]uint16, n)
	bottomR := make([]uint32, n)
	bottomT := make([]uint32, n)
	for i := 0; i+1 < len(m); i += 2 {
		mm := uint32(m[i]) * uint32(m[i+1])
		switch {
		case mm > 256*16383:
			bottomT[i/2] = 65536
			bottomR[i/2] = uint32(s[0]) | uint32(s[1])<<8
			s = s[2:]
			m2[i/2] = uint16((((mm + 255) >> 8) + 255) >> 8)
		case mm >= 16384:
			bottomT[i/2] = 256
			bottomR[i/2] = uint32(s[0])
			s = s[1:]
			m2[i/2] = uint16((mm + 255) >> 8)
		default:
			bottomT[i/2] = 1
			m2[i/2] = uint16(mm)
		}
	}
	if len(m)%2 == 1 {
		m2[n-1] = m[len(m)-1]
	}
	r2 := make([]uint16, n)
	decode(r2, s, m2)
	for i := 0; i+1 < len(m); i += 2 {
		r := bottomR[i/2] + bottomT[i/2]*uint32(r2[i/2])
		out[i] = uint16(r % uint32(m[i]))
		out[i+1] = uint16((r / uint32(m[i])) % uint32(m[i+1]))
	}
	if len(m)%2 == 1 {
		out[len(m)-1] = r2[n-1]
	}
}
