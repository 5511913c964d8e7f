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

// GCMPaths names the AES-GCM implementations that can run in this build
// on this CPU, and NewGCMPath builds aes{128,256}-gcm@openssh.com (by key
// length) on one of them.
var GCMPaths = func() map[string]gcmPath {
	m := map[string]gcmPath{}
	for name, p := range map[string]gcmPath{"std": gcmStd, "vaes": gcmVAES} {
		if gcmHave(p) {
			m[name] = p
		}
	}
	return m
}()

func NewGCMPath(key, iv []byte, p gcmPath) AEAD {
	name := AES128GCM
	if len(key) == 32 {
		name = AES256GCM
	}
	g, err := newAESGCMPath(name, len(key), key, iv, p)
	if err != nil {
		panic(err)
	}
	return g
}

// GCMKeyEncrypt encrypts one block with this package's AES key schedule
// and the assembly block function; it panics where GCMPaths has no
// "vaes".
func GCMKeyEncrypt(key, block []byte) []byte {
	var k gcmKey
	rounds := newGCMKey(&k, key)
	for r := range k.rk {
		if [16]byte(k.rk[r][:16]) != [16]byte(k.rk[r][16:]) {
			panic("cipher: round key not in both halves of its slot")
		}
	}
	out := make([]byte, 16)
	encryptBlockVAES(&k, rounds, &out[0], &block[0])
	return out
}

// GCMPowers returns the powers of the hash key and their halves' XOR
// (gcmKey.h and hk) that the assembly computes for key, and
// GCMPowersRef those that gcmPowersRef computes for the hash key h.
func GCMPowers(key []byte) (h, hk [17][16]byte) {
	var k gcmKey
	newGCMKey(&k, key)
	return k.h, k.hk
}

func GCMPowersRef(h [16]byte) (hs, hk [17][16]byte) {
	var k gcmKey
	gcmPowersRef(&k, h)
	return k.h, k.hk
}

// GCMPowersOf is GCMPowers from the hash key h itself.
func GCMPowersOf(h [16]byte) (hs, hk [17][16]byte) {
	var k gcmKey
	powersVAES(&k, &h)
	return k.h, k.hk
}

// SetGCMNonce sets the nonce of an AES-GCM AEAD, for benchmarks that
// open one packet again and again.
func SetGCMNonce(a AEAD, iv []byte) { copy(a.(*gcmAEAD).nonce[:], iv) }
