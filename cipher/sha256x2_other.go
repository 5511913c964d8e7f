//go:build !amd64 || purego

package cipher

// Without the assembly, SumPair computes the two MACs one after the
// other.
const haveBlockx2 = false

func blockx2(da, db *[8]uint32, pa, pb *byte, n int) { panic("cipher: blockx2 without assembly") }
