package cipher

import (
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the OpenSSH construction needs the raw one-time MAC
)

// chachaAEAD is chacha20-poly1305@openssh.com (OpenSSH
// PROTOCOL.chacha20poly1305). The 64 bytes of key material are K_2 (first
// 32 bytes, payload and Poly1305 key) and K_1 (last 32 bytes, packet
// length). The nonce is the sequence number as a uint64; the 64-bit nonce
// and block counter of the original ChaCha20 equal the IETF layout with
// four leading zero bytes as long as the counter stays below 2^32.
type chachaAEAD struct {
	k1, k2 [32]byte
}

func newChaCha(key, iv []byte) (AEAD, error) {
	if err := checkSizes(ChaCha20Poly1305, key, iv, 64, 0); err != nil {
		return nil, err
	}
	c := &chachaAEAD{}
	copy(c.k2[:], key[:32])
	copy(c.k1[:], key[32:])
	return c, nil
}

func chachaNonce(seq uint32) (n [12]byte) {
	binary.BigEndian.PutUint32(n[8:], seq) // uint64 seq: upper half is zero
	return n
}

// PacketLength decrypts the length with K_1 ("Packet Handling").
func (c *chachaAEAD) PacketLength(seq uint32, hdr []byte) uint32 {
	nonce := chachaNonce(seq)
	s, err := chacha20.NewUnauthenticatedCipher(c.k1[:], nonce[:])
	if err != nil {
		panic("cipher: chacha20: " + err.Error()) // sizes are fixed above
	}
	var b [4]byte
	s.XORKeyStream(b[:], hdr[:4])
	return binary.BigEndian.Uint32(b[:])
}

func (c *chachaAEAD) Seal(seq uint32, pkt []byte) {
	n := len(pkt) - poly1305.TagSize
	nonce := chachaNonce(seq)
	l, err := chacha20.NewUnauthenticatedCipher(c.k1[:], nonce[:])
	if err != nil {
		panic("cipher: chacha20: " + err.Error())
	}
	l.XORKeyStream(pkt[:4], pkt[:4])
	// K_2: the Poly1305 key is the first 32 bytes of block 0; the
	// payload is encrypted from block 1 on.
	s, err := chacha20.NewUnauthenticatedCipher(c.k2[:], nonce[:])
	if err != nil {
		panic("cipher: chacha20: " + err.Error())
	}
	var polyKey [32]byte
	s.XORKeyStream(polyKey[:], polyKey[:])
	s.SetCounter(1)
	s.XORKeyStream(pkt[4:n], pkt[4:n])
	var tag [poly1305.TagSize]byte
	poly1305.Sum(&tag, pkt[:n], &polyKey)
	copy(pkt[n:], tag[:])
}

func (c *chachaAEAD) Open(seq uint32, pkt []byte) error {
	n := len(pkt) - poly1305.TagSize
	if n < 4 {
		return ErrAuth
	}
	nonce := chachaNonce(seq)
	s, err := chacha20.NewUnauthenticatedCipher(c.k2[:], nonce[:])
	if err != nil {
		panic("cipher: chacha20: " + err.Error())
	}
	var polyKey [32]byte
	s.XORKeyStream(polyKey[:], polyKey[:])
	s.SetCounter(1)
	// The tag covers the encrypted length and payload and is checked
	// before anything is decrypted.
	var want [poly1305.TagSize]byte
	poly1305.Sum(&want, pkt[:n], &polyKey)
	if subtle.ConstantTimeCompare(want[:], pkt[n:]) != 1 {
		return ErrAuth
	}
	s.XORKeyStream(pkt[4:n], pkt[4:n])
	return nil
}

func init() {
	RegisterAlgorithm(&Algorithm{Name: ChaCha20Poly1305, KeySize: 64, BlockSize: 8,
		TagSize: poly1305.TagSize, NewAEAD: newChaCha})
}
