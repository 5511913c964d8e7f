//go:build amd64 && !purego

package cipher

func init() {
	if cpuHasAVX2() {
		polyImpls["avx2"] = polySumAVX2
	}
}
