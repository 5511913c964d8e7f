package mlkem768

// The three kernels below carry all of the polynomial arithmetic of the
// package, so that the AVX2 assembly (ntt_amd64.s) replaces only them and
// everything else stays the same Go on every platform. The contract, which
// the assembly must keep exactly:
//
//   - every poly passed in and out is canonical: each coefficient in [0, q);
//   - coefficients are in the normal domain: no Montgomery factor enters or
//     leaves a kernel, whatever the kernel does inside;
//   - the NTT order is the standard one of FIPS 203 (Algorithms 9 to 12), so
//     that ByteEncode12 of an NTT gives the bytes of crypto/mlkem;
//   - no branch and no memory index depends on a coefficient.
//
// useAVX2 is a variable, set once at init from haveAVX2, so that the tests
// can run each kernel path in turn (forEachKernel in mlkem768_test.go).

// ntt replaces p with its NTT (FIPS 203, Algorithm 9), output in the
// standard order of FIPS 203. p is canonical in and canonical out.
func ntt(p *poly) {
	if useAVX2 {
		nttAVX2(p)
	} else {
		nttGeneric(p)
	}
}

// invNTT replaces p with its inverse NTT (FIPS 203, Algorithm 10),
// including the final multiplication by 3303 = 128^-1 mod q. p is
// canonical in and canonical out.
func invNTT(p *poly) {
	if useAVX2 {
		invNTTAVX2(p)
	} else {
		invNTTGeneric(p)
	}
}

// basemulAcc sets out to the sum over i < 3 of MultiplyNTTs(a[i], b[i])
// (FIPS 203, Algorithms 11 and 12): one row of a matrix-vector product in
// the NTT domain, fused so that only one reduction per coefficient is
// needed. All inputs and the output are canonical; out may not alias a or b.
func basemulAcc(out *poly, a, b *[3]poly) {
	if useAVX2 {
		basemulAccAVX2(out, a, b)
	} else {
		basemulAccGeneric(out, a, b)
	}
}
