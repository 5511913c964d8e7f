//go:build !amd64 || purego

package cipher

// chachaBest is chachaPortable where this package has no assembly, or
// under the purego build tag.
const chachaBest = chachaPortable

func chachaHave(p chachaPath) bool { return p != chachaAVX2 }

func xorBlocks(dst, src *byte, n int, state *[16]uint32) {
	panic("cipher: chacha20 assembly not built") // chachaHave(chachaAVX2) is false
}
