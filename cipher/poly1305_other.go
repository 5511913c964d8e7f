//go:build !amd64 || purego

package cipher

import "golang.org/x/crypto/poly1305" //lint:ignore SA1019 the OpenSSH construction needs the raw one-time MAC

// polySum writes the Poly1305 tag (RFC 8439, Section 2.5) of msg under
// the one-time key to out: x/crypto/poly1305, which has assembly for
// some architectures, but not ours.
func polySum(out *[16]byte, msg []byte, key *[32]byte) { poly1305.Sum(out, msg, key) }
