package cipher

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"encoding/binary"
	"fmt"
)

// gcmAEAD is AEAD_AES_128_GCM / AEAD_AES_256_GCM as SSH uses them
// (RFC 5647, Sections 7.1-7.3, under OpenSSH's names, PROTOCOL Section 1.6):
// packet_length is sent in the clear as additional authenticated data, and
// the 12-byte nonce is a 4-byte fixed field followed by an 8-byte
// invocation counter that is incremented after every packet.
type gcmAEAD struct {
	aead  stdcipher.AEAD
	nonce [12]byte
}

func newAESGCM(name string, keySize int) func(key, iv []byte) (AEAD, error) {
	return func(key, iv []byte) (AEAD, error) {
		if err := checkSizes(name, key, iv, keySize, 12); err != nil {
			return nil, err
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("cipher: %s: %w", name, err)
		}
		a, err := stdcipher.NewGCM(b)
		if err != nil {
			return nil, fmt.Errorf("cipher: %s: %w", name, err)
		}
		g := &gcmAEAD{aead: a}
		copy(g.nonce[:], iv)
		return g, nil
	}
}

func (g *gcmAEAD) PacketLength(_ uint32, hdr []byte) uint32 {
	return binary.BigEndian.Uint32(hdr)
}

// next increments the invocation counter (RFC 5647, Section 7.1).
func (g *gcmAEAD) next() {
	ic := binary.BigEndian.Uint64(g.nonce[4:])
	binary.BigEndian.PutUint64(g.nonce[4:], ic+1)
}

func (g *gcmAEAD) Seal(seq uint32, pkt []byte) { g.SealTo(seq, pkt, pkt[:len(pkt)-16]) }

func (g *gcmAEAD) SealTo(_ uint32, dst, src []byte) {
	copy(dst[:4], src[:4])
	g.aead.Seal(dst[4:4], g.nonce[:], src[4:], src[:4])
	g.next()
}

func (g *gcmAEAD) Open(_ uint32, pkt []byte) error {
	if len(pkt) < 4+16 {
		return ErrAuth
	}
	if _, err := g.aead.Open(pkt[4:4], g.nonce[:], pkt[4:], pkt[:4]); err != nil {
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
