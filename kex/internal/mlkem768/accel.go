package mlkem768

// Accelerated reports whether the kernels run as AVX2 assembly. Only
// then is this package faster than crypto/mlkem, so the key exchange
// uses it only then.
func Accelerated() bool { return useAVX2 }
