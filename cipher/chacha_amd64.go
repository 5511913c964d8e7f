//go:build amd64 && !purego

package cipher

import "golang.org/x/sys/cpu"

// xorBlocksAVX2 XORs n bytes of ChaCha20 keystream (n a multiple of 128:
// pairs of blocks) into src and writes them to dst, which may be src
// itself. The keystream starts at block state[12] of the RFC 8439 input
// state; state is not modified. The caller keeps the counter below 2^32.
//
//go:noescape
func xorBlocksAVX2(dst, src *byte, n int, state *[16]uint32)

func xorBlocks(dst, src *byte, n int, state *[16]uint32) { xorBlocksAVX2(dst, src, n, state) }

// chachaBest is the path newChaCha takes: this package's AVX2 assembly
// where the CPU has AVX2.
var chachaBest = func() chachaPath {
	if cpuHasAVX2() {
		return chachaAVX2
	}
	return chachaPortable
}()

// chachaHave reports whether path p can run here.
func chachaHave(p chachaPath) bool {
	switch p {
	case chachaAVX2:
		return cpuHasAVX2()
	}
	return true
}

func cpuHasAVX2() bool { return cpu.X86.HasAVX2 }
