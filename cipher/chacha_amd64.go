//go:build amd64 && !purego

package cipher

import "golang.org/x/sys/cpu"

// chachaFast selects the fast chacha20-poly1305 path where x/crypto's
// ChaCha20-Poly1305 runs its AVX2 assembly; without AVX2 and BMI2 it
// falls back to the same generic code as the portable path, and the
// fast path would only add a Poly1305 pass.
var chachaFast = cpu.X86.HasSSSE3 && cpu.X86.HasAVX2 && cpu.X86.HasBMI2
