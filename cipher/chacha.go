package cipher

import (
	stdcipher "crypto/cipher"
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the OpenSSH construction needs the raw one-time MAC
)

// chachaAEAD is chacha20-poly1305@openssh.com (OpenSSH
// PROTOCOL.chacha20poly1305). The 64 bytes of key material are K_2 (first
// 32 bytes, payload and Poly1305 key) and K_1 (last 32 bytes, packet
// length). The nonce is the sequence number as a uint64; the 64-bit nonce
// and block counter of the original ChaCha20 equal the IETF layout
// (RFC 8439, Section 2.3) with four leading zero bytes as long as the
// counter stays below 2^32, that is for packets under 256 GiB.
//
// The payload keystream comes from one of two places. The portable path
// XORs it with x/crypto/chacha20, which has no amd64 assembly. The fast
// path (see docs/decisions/0010-chacha20-keystream.md) takes it from
// x/crypto's assembly RFC 8439 AEAD keyed with K_2: that AEAD encrypts its
// plaintext with K_2 from block counter 1 under the same 96-bit nonce,
// which is exactly the OpenSSH payload encryption, so the first len bytes
// of its output are the OpenSSH ciphertext (or, fed the ciphertext, the
// plaintext); its own tag is discarded. Both paths compute the OpenSSH
// tag with x/crypto/poly1305 and use x/crypto/chacha20 for the two single
// blocks each packet needs: K_1 block 0 (the length) and K_2 block 0 (the
// Poly1305 key).
type chachaAEAD struct {
	k1, k2 [32]byte

	// ietf is chacha20poly1305.New(K_2), used only as a keystream; nil
	// selects the portable path.
	ietf stdcipher.AEAD

	// nonce is scratch for the IETF nonce of the packet being sealed or
	// opened. It lives here, not on the stack, because passing it through
	// the ietf interface would make it escape and cost an allocation per
	// packet.
	nonce [12]byte
}

func newChaCha(key, iv []byte) (AEAD, error) {
	return newChaChaPath(key, iv, chachaFast)
}

// newChaChaPath builds the AEAD on the fast path if fast is set and
// x/crypto agrees (it refuses in FIPS 140-only mode, and the portable
// path is then used as before).
func newChaChaPath(key, iv []byte, fast bool) (*chachaAEAD, error) {
	if err := checkSizes(ChaCha20Poly1305, key, iv, 64, 0); err != nil {
		return nil, err
	}
	c := &chachaAEAD{}
	copy(c.k2[:], key[:32])
	copy(c.k1[:], key[32:])
	if fast {
		if a, err := chacha20poly1305.New(c.k2[:]); err == nil {
			c.ietf = a
		}
	}
	return c, nil
}

func chachaNonce(seq uint32) (n [12]byte) {
	binary.BigEndian.PutUint32(n[8:], seq) // uint64 seq: upper half is zero
	return n
}

// PacketLength decrypts the length with K_1 ("Packet Handling").
func (c *chachaAEAD) PacketLength(seq uint32, hdr []byte) uint32 {
	nonce := chachaNonce(seq)
	var b [4]byte
	// The sizes are fixed, so NewUnauthenticatedCipher cannot fail. It
	// is called directly, where it inlines and its Cipher stays on the
	// stack (TestChaChaAllocs).
	l, _ := chacha20.NewUnauthenticatedCipher(c.k1[:], nonce[:])
	l.XORKeyStream(b[:], hdr[:4])
	return binary.BigEndian.Uint32(b[:])
}

// xorPayload XORs K_2's keystream from block 1 into pkt[4:n], where n is
// len(pkt)-16, under c.nonce. s is K_2's stream at block 1 (portable path
// only). The fast path writes the IETF AEAD's discarded tag over pkt[n:],
// which the caller overwrites or restores: the destination is given a
// capacity of exactly len(pkt)-4, so that the AEAD can never allocate
// (which would leave pkt untouched) or write past the packet.
func (c *chachaAEAD) xorPayload(pkt []byte, n int, s *chacha20.Cipher) {
	if c.ietf == nil {
		s.SetCounter(1)
		s.XORKeyStream(pkt[4:n], pkt[4:n])
		return
	}
	c.ietf.Seal(pkt[4:4:len(pkt)], c.nonce[:], pkt[4:n], nil)
}

func (c *chachaAEAD) Seal(seq uint32, pkt []byte) {
	n := len(pkt) - poly1305.TagSize
	c.nonce = chachaNonce(seq)
	l, _ := chacha20.NewUnauthenticatedCipher(c.k1[:], c.nonce[:])
	l.XORKeyStream(pkt[:4], pkt[:4])
	// K_2: the Poly1305 key is the first 32 bytes of block 0; the
	// payload is encrypted from block 1 on.
	s, _ := chacha20.NewUnauthenticatedCipher(c.k2[:], c.nonce[:])
	var key [32]byte
	s.XORKeyStream(key[:], key[:])
	c.xorPayload(pkt, n, s)
	var tag [poly1305.TagSize]byte
	poly1305.Sum(&tag, pkt[:n], &key)
	copy(pkt[n:], tag[:])
}

func (c *chachaAEAD) Open(seq uint32, pkt []byte) error {
	n := len(pkt) - poly1305.TagSize
	if n < 4 {
		return ErrAuth
	}
	c.nonce = chachaNonce(seq)
	s, _ := chacha20.NewUnauthenticatedCipher(c.k2[:], c.nonce[:])
	var key [32]byte
	s.XORKeyStream(key[:], key[:])
	// The tag covers the encrypted length and payload and is checked
	// before anything is decrypted.
	var want [poly1305.TagSize]byte
	poly1305.Sum(&want, pkt[:n], &key)
	if subtle.ConstantTimeCompare(want[:], pkt[n:]) != 1 {
		return ErrAuth
	}
	copy(want[:], pkt[n:]) // the received tag, which the fast path overwrites
	c.xorPayload(pkt, n, s)
	copy(pkt[n:], want[:])
	return nil
}

func init() {
	RegisterAlgorithm(&Algorithm{Name: ChaCha20Poly1305, KeySize: 64, BlockSize: 8,
		TagSize: poly1305.TagSize, NewAEAD: newChaCha})
}
