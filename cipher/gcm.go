package cipher

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// gcmAEAD is AEAD_AES_128_GCM / AEAD_AES_256_GCM as SSH uses them
// (RFC 5647, Sections 7.1-7.3, under OpenSSH's names, PROTOCOL Section 1.6):
// packet_length is sent in the clear as additional authenticated data, and
// the 12-byte nonce is a 4-byte fixed field followed by an 8-byte
// invocation counter that is incremented after every packet.
//
// The AES-GCM itself comes from one of two places (gcmPath): crypto/cipher,
// or, on amd64 CPUs with VAES and VPCLMULQDQ, this package's assembly
// (gcm_vaes_amd64.s), which handles only what SSH sends: 4 bytes of
// additional data and a body of whole 16-byte blocks.
type gcmAEAD struct {
	// aead is crypto/cipher's GCM: set on the gcmStd path; on the
	// gcmVAES path built by std at the first Seal that needs the
	// fallback, which the packet layer never causes.
	aead  stdcipher.AEAD
	nonce [12]byte
	key   *gcmKey // set on the gcmVAES path
	nr    int     // AES rounds of key: 10 or 14
}

// A gcmPath is an implementation of AES-GCM.
type gcmPath int

const (
	// gcmStd is crypto/cipher's GCM (128-bit AES-NI and PCLMULQDQ on
	// amd64).
	gcmStd gcmPath = iota

	// gcmVAES is gcm_vaes_amd64.s: two blocks per YMM register, AES-CTR
	// and GHASH interleaved 16 blocks at a time (decision 0042).
	gcmVAES
)

// gcmBest is the path newAESGCM takes.
var gcmBest = func() gcmPath {
	if gcmHaveVAES {
		return gcmVAES
	}
	return gcmStd
}()

// gcmHave reports whether path p can run here.
func gcmHave(p gcmPath) bool { return p == gcmStd || gcmHaveVAES }

// maxVAES bounds the body the assembly takes: its counter is the low 32
// bits of the counter block, from 2, and must not wrap (SP 800-38D,
// Section 5.2.1.1 limits the plaintext to 2^32-2 blocks).
const maxVAES = (1<<32 - 3) * 16

func newAESGCM(name string, keySize int) func(key, iv []byte) (AEAD, error) {
	return func(key, iv []byte) (AEAD, error) { return newAESGCMPath(name, keySize, key, iv, gcmBest) }
}

func newAESGCMPath(name string, keySize int, key, iv []byte, p gcmPath) (*gcmAEAD, error) {
	if err := checkSizes(name, key, iv, keySize, 12); err != nil {
		return nil, err
	}
	g := &gcmAEAD{}
	copy(g.nonce[:], iv)
	if p == gcmVAES {
		g.key = new(gcmKey)
		g.nr = newGCMKey(g.key, key)
		return g, nil
	}
	a, err := newStdGCM(key)
	if err != nil {
		return nil, fmt.Errorf("cipher: %s: %w", name, err)
	}
	g.aead = a
	return g, nil
}

func newStdGCM(key []byte) (stdcipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return stdcipher.NewGCM(b)
}

// std returns crypto/cipher's GCM under g's key, building it from the
// round keys on the gcmVAES path the first time.
func (g *gcmAEAD) std() stdcipher.AEAD {
	if g.aead == nil {
		a, err := newStdGCM(g.key.key(g.nr))
		if err != nil { // a 16- or 32-byte key, which aes.NewCipher takes
			panic("cipher: AES-GCM fallback: " + err.Error())
		}
		g.aead = a
	}
	return g.aead
}

func (g *gcmAEAD) PacketLength(_ uint32, hdr []byte) uint32 {
	return binary.BigEndian.Uint32(hdr)
}

// next increments the invocation counter (RFC 5647, Section 7.1).
func (g *gcmAEAD) next() {
	ic := binary.BigEndian.Uint64(g.nonce[4:])
	binary.BigEndian.PutUint64(g.nonce[4:], ic+1)
}

// j0 returns the pre-counter block J0 = nonce || 0^31 || 1 (SP 800-38D,
// Section 7.1, for a 96-bit IV).
func (g *gcmAEAD) j0() (j [16]byte) {
	copy(j[:], g.nonce[:])
	j[15] = 1
	return j
}

func (g *gcmAEAD) Seal(seq uint32, pkt []byte) { g.SealTo(seq, pkt, pkt[:len(pkt)-16]) }

func (g *gcmAEAD) SealTo(_ uint32, dst, src []byte) {
	n := len(src) - 4
	// The packet layer pads every AEAD body to whole 16-byte blocks
	// (packet/conn.go, padFor with BlockSize 16), so the fallback serves
	// only other callers.
	if g.key == nil || n%16 != 0 || uint64(n) > maxVAES {
		copy(dst[:4], src[:4])
		g.std().Seal(dst[4:4], g.nonce[:], src[4:], src[:4])
		g.next()
		return
	}
	dst = dst[:4+n+16]
	copy(dst[:4], src[:4])
	from := &dst[4] // not read when n == 0, where src[4] does not exist
	if n > 0 {
		from = &src[4]
	}
	j := g.j0()
	gcmSealVAES(g.key, g.nr, &dst[4], from, n, &j, uint64(binary.BigEndian.Uint32(src))<<32, &dst[4+n])
	g.next()
}

// Open decrypts and verifies in one pass on the gcmVAES path; on a bad
// tag it zeroes the body it has decrypted, as crypto/cipher does on the
// other, so no plaintext of a forged packet is left. A body that is not
// whole 16-byte blocks is ErrAuth there: the packet layer never accepts
// one (packet/conn.go checks the length's alignment first).
func (g *gcmAEAD) Open(_ uint32, pkt []byte) error {
	if len(pkt) < 4+16 {
		return ErrAuth
	}
	n := len(pkt) - 4 - 16
	if g.key == nil {
		if _, err := g.aead.Open(pkt[4:4], g.nonce[:], pkt[4:], pkt[:4]); err != nil {
			return ErrAuth
		}
		g.next()
		return nil
	}
	if n%16 != 0 || uint64(n) > maxVAES {
		return ErrAuth
	}
	j := g.j0()
	var tag [16]byte
	gcmOpenVAES(g.key, g.nr, &pkt[4], &pkt[4], n, &j, uint64(binary.BigEndian.Uint32(pkt))<<32, &tag[0])
	if subtle.ConstantTimeCompare(tag[:], pkt[4+n:]) != 1 {
		clear(pkt[4 : 4+n])
		return ErrAuth
	}
	g.next()
	return nil
}

func init() {
	RegisterAlgorithm(&Algorithm{Name: AES128GCM, KeySize: 16, IVSize: 12, BlockSize: 16,
		TagSize: 16, NewAEAD: newAESGCM(AES128GCM, 16)})
	RegisterAlgorithm(&Algorithm{Name: AES256GCM, KeySize: 32, IVSize: 12, BlockSize: 16,
		TagSize: 16, NewAEAD: newAESGCM(AES256GCM, 32)})
}
