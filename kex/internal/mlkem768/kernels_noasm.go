//go:build !amd64 || purego

package mlkem768

// Without the assembly the kernels are always the generic ones. useAVX2
// is a variable only so that the tests can switch it the same way on every
// platform; haveAVX2 false makes them skip the AVX2 path.
const haveAVX2 = false

var useAVX2 = false

func nttAVX2(p *poly)                         { panic("unreachable") }
func invNTTAVX2(p *poly)                      { panic("unreachable") }
func basemulAccAVX2(out *poly, a, b *[3]poly) { panic("unreachable") }
