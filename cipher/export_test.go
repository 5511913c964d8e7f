package cipher

// NewChaChaPath builds chacha20-poly1305@openssh.com on the fast path if
// fast is set and this build and CPU have it, else on the portable path.
// It reports whether the fast path was taken.
func NewChaChaPath(key []byte, fast bool) (AEAD, bool) {
	c, err := newChaChaPath(key, nil, fast && chachaFast)
	if err != nil {
		panic(err)
	}
	return c, c.ietf != nil
}
