//go:build !amd64 || purego

package cipher

// chachaFast is false where x/crypto's ChaCha20-Poly1305 has no assembly
// of its own (it is then x/crypto/chacha20 plus Poly1305, so the fast path
// would only add a Poly1305 pass) and under the purego build tag.
const chachaFast = false
