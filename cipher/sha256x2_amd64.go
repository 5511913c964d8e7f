//go:build amd64 && !purego

package cipher

import "golang.org/x/sys/cpu"

//go:generate go run gen_sha256x2.go

// blockx2 runs the SHA-256 compression function over n 64-byte blocks
// of two messages at once, pa's into da and pb's into db, with the SHA
// extensions (sha256x2_amd64.s, written by gen_sha256x2.go).
//
//go:noescape
func blockx2(da, db *[8]uint32, pa, pb *byte, n int)

// cpuHasSHA reports the SHA extensions (CPUID.(EAX=7,ECX=0):EBX[29]).
func cpuHasSHA() bool

var haveBlockx2 = cpu.X86.HasSSE41 && cpu.X86.HasSSSE3 && cpuHasSHA()
