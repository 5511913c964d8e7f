package cipher_test

import (
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the OpenSSH construction needs the raw one-time MAC

	"github.com/sshstack/sshstack/cipher"
)

// refChaCha is chacha20-poly1305@openssh.com written straight from
// PROTOCOL.chacha20poly1305 with x/crypto/chacha20 and poly1305, one
// primitive call per step of the document. It is the implementation this
// package shipped before the fast path, kept as the reference the fuzz
// test compares against.
type refChaCha struct {
	k1, k2 [32]byte // K_1: length key (key[32:]); K_2: main key (key[:32])
}

var _ cipher.AEAD = (*refChaCha)(nil)

func newRefChaCha(key []byte) *refChaCha {
	c := &refChaCha{}
	copy(c.k2[:], key[:32])
	copy(c.k1[:], key[32:64])
	return c
}

// stream returns ChaCha20 with key, nonce = seq as a 64-bit big-endian
// integer, block counter 0. The original ChaCha20's 64-bit counter and
// nonce equal the IETF 32-bit counter and 96-bit nonce with four zero
// bytes first while the counter is below 2^32.
func (c *refChaCha) stream(key *[32]byte, seq uint32) *chacha20.Cipher {
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[4:], uint64(seq))
	s, err := chacha20.NewUnauthenticatedCipher(key[:], nonce[:])
	if err != nil {
		panic(err)
	}
	return s
}

func (c *refChaCha) PacketLength(seq uint32, hdr []byte) uint32 {
	var b [4]byte
	c.stream(&c.k1, seq).XORKeyStream(b[:], hdr[:4])
	return binary.BigEndian.Uint32(b[:])
}

func (c *refChaCha) Seal(seq uint32, pkt []byte) {
	n := len(pkt) - 16
	c.stream(&c.k1, seq).XORKeyStream(pkt[:4], pkt[:4])
	s := c.stream(&c.k2, seq)
	var polyKey [32]byte
	s.XORKeyStream(polyKey[:], polyKey[:])
	s.SetCounter(1)
	s.XORKeyStream(pkt[4:n], pkt[4:n])
	var tag [16]byte
	poly1305.Sum(&tag, pkt[:n], &polyKey)
	copy(pkt[n:], tag[:])
}

func (c *refChaCha) Open(seq uint32, pkt []byte) error {
	n := len(pkt) - 16
	if n < 4 {
		return cipher.ErrAuth
	}
	s := c.stream(&c.k2, seq)
	var polyKey [32]byte
	s.XORKeyStream(polyKey[:], polyKey[:])
	s.SetCounter(1)
	var want [16]byte
	poly1305.Sum(&want, pkt[:n], &polyKey)
	if subtle.ConstantTimeCompare(want[:], pkt[n:]) != 1 {
		return cipher.ErrAuth
	}
	s.XORKeyStream(pkt[4:n], pkt[4:n])
	return nil
}
