package cipher

// ChaChaPaths names the keystream sources of chacha20-poly1305@openssh.com
// that can run in this build on this CPU, and NewChaChaPath builds the
// AEAD on one of them.
var ChaChaPaths = func() map[string]chachaPath {
	m := map[string]chachaPath{}
	for name, p := range map[string]chachaPath{"portable": chachaPortable, "avx2": chachaAVX2} {
		if chachaHave(p) {
			m[name] = p
		}
	}
	return m
}()

func NewChaChaPath(key []byte, p chachaPath) AEAD {
	c, err := newChaChaPath(key, nil, p)
	if err != nil {
		panic(err)
	}
	return c
}

// XORBlocks is the assembly keystream, for benchmarks; it panics where
// ChaChaPaths has no "avx2".
var XORBlocks = xorBlocks

// NewChaChaXPoly is NewChaChaPath with the tag always from
// x/crypto/poly1305, the code before decision 0025, for benchmarks.
func NewChaChaXPoly(key []byte, p chachaPath) AEAD {
	c, err := newChaChaPath(key, nil, p)
	if err != nil {
		panic(err)
	}
	c.xcryptoPoly = true
	return c
}

// PolySum is the Poly1305 the AEAD uses, and PolySums every
// implementation that can run here (polyImpls), for benchmarks.
var (
	PolySum  = polySum
	PolySums = polyImpls
)
