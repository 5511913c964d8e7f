//go:build amd64 && !purego

package cipher

func init() {
	polyImpls["scalar"] = polySumScalar
	if cpuHasAVX2() {
		polyImpls["avx2"] = polySumAVX2
	}
}
