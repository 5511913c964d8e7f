//go:build amd64 && !purego

package ed25519

import "testing"

// cpuHasADX is useADX as the CPU set it, before any test changed it.
var cpuHasADX = useADX

// forEachPath runs f with crypto/ed25519's path and, where the CPU has
// BMI2 and ADX, with the assembly's.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer func() { useADX = cpuHasADX }()
	useADX = false
	t.Run("crypto-ed25519", f)
	if !cpuHasADX {
		t.Log("no BMI2 and ADX: the assembly path is not tested")
		return
	}
	useADX = true
	t.Run("adx", f)
}
