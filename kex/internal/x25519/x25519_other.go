//go:build !amd64 || purego

package x25519

// Without the assembly, ladder is always ladderGeneric.
const haveADX = false

func ladderADX(scalar, point []byte) []byte { panic("x25519: ladderADX without assembly") }
