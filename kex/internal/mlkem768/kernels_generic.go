package mlkem768

// The generic kernels follow FIPS 203 line by line, reducing with % by the
// constant q, which the compiler turns into a multiplication and a shift:
// no division instruction, no branch and no table index that depends on a
// coefficient, so they are constant time. They are the reference the AVX2
// kernels are tested against, so they favour plainness over speed.

// zetas[i] is ζ^BitRev7(i) mod q and gammas[i] is ζ^(2·BitRev7(i)+1) mod q,
// with ζ = 17 (FIPS 203, Appendix A). They are computed at init rather
// than typed in, so that they cannot hold a typo; the tests check them
// against entries of Appendix A.
var zetas, gammas [128]uint32

func init() {
	var pow [256]uint32 // pow[k] = ζ^k mod q
	pow[0] = 1
	for k := 1; k < 256; k++ {
		pow[k] = pow[k-1] * 17 % q
	}
	for i := range 128 {
		r := bitRev7(uint8(i))
		zetas[i] = pow[r]
		gammas[i] = pow[2*int(r)+1]
	}
}

// bitRev7 reverses the seven low bits of i.
func bitRev7(i uint8) uint8 {
	var r uint8
	for b := range 7 {
		r |= (i >> b & 1) << (6 - b)
	}
	return r
}

// nttGeneric is FIPS 203, Algorithm 9.
func nttGeneric(p *poly) {
	k := 1
	for n := 128; n >= 2; n /= 2 {
		for start := 0; start < 256; start += 2 * n {
			zeta := zetas[k]
			k++
			for j := start; j < start+n; j++ {
				t := zeta * uint32(p[j+n]) % q
				f := uint32(p[j])
				p[j+n] = int16((f + q - t) % q)
				p[j] = int16((f + t) % q)
			}
		}
	}
}

// invNTTGeneric is FIPS 203, Algorithm 10.
func invNTTGeneric(p *poly) {
	k := 127
	for n := 2; n <= 128; n *= 2 {
		for start := 0; start < 256; start += 2 * n {
			zeta := zetas[k]
			k--
			for j := start; j < start+n; j++ {
				t := uint32(p[j])
				f := uint32(p[j+n])
				p[j] = int16((t + f) % q)
				p[j+n] = int16(zeta * (f + q - t) % q)
			}
		}
	}
	for i := range p {
		p[i] = int16(uint32(p[i]) * 3303 % q)
	}
}

// basemulAccGeneric is FIPS 203, Algorithms 11 and 12, summed over the
// three pairs. Each product is below q² < 2^24 and there are at most six
// terms per coefficient before the reduction, so uint32 cannot overflow.
func basemulAccGeneric(out *poly, a, b *[3]poly) {
	for i := range 128 {
		var c0, c1 uint32
		for k := range 3 {
			a0, a1 := uint32(a[k][2*i]), uint32(a[k][2*i+1])
			b0, b1 := uint32(b[k][2*i]), uint32(b[k][2*i+1])
			c0 += a0*b0 + a1*b1%q*gammas[i]
			c1 += a0*b1 + a1*b0
		}
		out[2*i] = int16(c0 % q)
		out[2*i+1] = int16(c1 % q)
	}
}
