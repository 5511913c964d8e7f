//go:build !amd64 || purego

package ed25519

import "testing"

// forEachPath runs f once: without the assembly there is only
// crypto/ed25519's path.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run("crypto-ed25519", f)
}
