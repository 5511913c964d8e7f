//go:build !amd64 || purego

package x25519

// Without the assembly there is no radix-2^64 arithmetic.
const haveADX = false
