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
// and block counter of the original ChaCha20 equal the IETF layout
// (RFC 8439, Section 2.3) with four leading zero bytes as long as the
// counter stays below 2^32, that is for packets under 256 GiB.
//
// The keystream comes from one of two places (chachaPath, and
// docs/decisions/0010-chacha20-keystream.md). Both compute the tag with
// polySum: on amd64 this package's own Poly1305 for the shortest and
// (with AVX2) the longest packets, x/crypto/poly1305 otherwise
// (docs/decisions/0025-poly1305-avx2.md).
type chachaAEAD struct {
	k1, k2 [32]byte
	path   chachaPath

	// xcryptoPoly makes the tag always come from x/crypto/poly1305, as
	// before decision 0025; set only by benchmarks, to compare.
	xcryptoPoly bool

	// s1 and s2 are the RFC 8439 input states of K_1 and K_2 with block
	// counter and nonce zero, for chachaAVX2.
	s1, s2 [16]uint32

	// length and key are scratch for the decrypted length and the
	// Poly1305 key. They live here, not on the stack, because in the
	// purego build x/crypto's generic chacha20 and poly1305 leak their
	// arguments, which would cost an allocation each per packet.
	length [4]byte
	key    [32]byte
}

// A chachaPath is a source of the ChaCha20 keystream.
type chachaPath int

const (
	// chachaPortable uses x/crypto/chacha20, which has no amd64
	// assembly: the purego build, other architectures, CPUs without
	// AVX2.
	chachaPortable chachaPath = iota

	// chachaAVX2 uses this package's AVX2 assembly (chacha_amd64.s) for
	// every block: the length, the Poly1305 key and the payload.
	chachaAVX2
)

func newChaCha(key, iv []byte) (AEAD, error) {
	return newChaChaPath(key, iv, chachaBest)
}

// newChaChaPath builds the AEAD on path p, which the caller has checked
// with chachaHave.
func newChaChaPath(key, iv []byte, p chachaPath) (*chachaAEAD, error) {
	if err := checkSizes(ChaCha20Poly1305, key, iv, 64, 0); err != nil {
		return nil, err
	}
	c := &chachaAEAD{path: p}
	copy(c.k2[:], key[:32])
	copy(c.k1[:], key[32:])
	if p == chachaAVX2 {
		c.s1 = chachaState(&c.k1)
		c.s2 = chachaState(&c.k2)
	}
	return c, nil
}

// chachaState returns the RFC 8439 input state of key with counter and
// nonce zero.
func chachaState(key *[32]byte) (s [16]uint32) {
	s[0], s[1], s[2], s[3] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	for i := range 8 {
		s[4+i] = binary.LittleEndian.Uint32(key[4*i:])
	}
	return s
}

func chachaNonce(seq uint32) (n [12]byte) {
	binary.BigEndian.PutUint32(n[8:], seq) // uint64 seq: upper half is zero
	return n
}

// block0 returns blocks 0 and 1 of st's keystream for seq: K_1's block 0
// holds the length key, K_2's the Poly1305 key and block 1 the first 64
// bytes of payload keystream (chachaAVX2).
func block0(st *[16]uint32, seq uint32) (st2 [16]uint32, ks [128]byte) {
	st2 = *st
	st2[15] = seqWord(seq)
	xorBlocks(&ks[0], &ks[0], len(ks), &st2)
	return st2, ks
}

// seqWord is the last state word of the IETF nonce 0^4 || BE64(seq).
func seqWord(seq uint32) uint32 {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], seq)
	return binary.LittleEndian.Uint32(b[:])
}

// PacketLength decrypts the length with K_1 ("Packet Handling").
func (c *chachaAEAD) PacketLength(seq uint32, hdr []byte) uint32 {
	b := &c.length
	if c.path == chachaAVX2 {
		_, ks := block0(&c.s1, seq)
		for i := range b {
			b[i] = hdr[i] ^ ks[i]
		}
	} else {
		nonce := chachaNonce(seq)
		// The sizes are fixed, so NewUnauthenticatedCipher cannot fail.
		// It is called directly, where it inlines and its Cipher stays
		// on the stack (TestChaChaAllocs).
		l, _ := chacha20.NewUnauthenticatedCipher(c.k1[:], nonce[:])
		l.XORKeyStream(b[:], hdr[:4])
	}
	return binary.BigEndian.Uint32(b[:])
}

// chachaMaxPayload is the most payload bytes a 32-bit block counter
// starting at 1 can encrypt (2^32-1 blocks). Beyond it the IETF counter
// would wrap where OpenSSH's 64-bit one carries on, reusing keystream.
const chachaMaxPayload = (1<<32 - 1) * 64

func (c *chachaAEAD) Seal(seq uint32, pkt []byte) {
	c.seal(seq, pkt, pkt[:len(pkt)-poly1305.TagSize])
}

// SealTo is Seal from src into dst (cipher.SealerTo).
func (c *chachaAEAD) SealTo(seq uint32, dst, src []byte) { c.seal(seq, dst, src) }

// seal encrypts src, the length and the payload, into dst and writes the
// tag after it; dst may start at src.
func (c *chachaAEAD) seal(seq uint32, dst, src []byte) {
	n := len(src)
	if uint64(n-4) > chachaMaxPayload {
		panic("cipher: chacha20-poly1305 packet too large") // the packet layer bounds it long before
	}
	dst = dst[:n+poly1305.TagSize]
	key := &c.key
	if c.path == chachaAVX2 {
		_, ks := block0(&c.s1, seq)
		for i := range 4 {
			dst[i] = src[i] ^ ks[i]
		}
		st, ks := block0(&c.s2, seq)
		copy(key[:], ks[:32])
		xorPayloadAVX2(&st, &ks, dst[4:n], src[4:n])
	} else {
		nonce := chachaNonce(seq)
		l, _ := chacha20.NewUnauthenticatedCipher(c.k1[:], nonce[:])
		l.XORKeyStream(dst[:4], src[:4])
		// K_2: the Poly1305 key is the first 32 bytes of block 0; the
		// payload is encrypted from block 1 on.
		s, _ := chacha20.NewUnauthenticatedCipher(c.k2[:], nonce[:])
		*key = [32]byte{} // the keystream is XORed in
		s.XORKeyStream(key[:], key[:])
		s.SetCounter(1)
		s.XORKeyStream(dst[4:n], src[4:n])
	}
	var tag [poly1305.TagSize]byte
	c.sum(&tag, dst[:n])
	copy(dst[n:], tag[:])
}

func (c *chachaAEAD) Open(seq uint32, pkt []byte) error {
	n := len(pkt) - poly1305.TagSize
	if n < 4 || uint64(n-4) > chachaMaxPayload {
		return ErrAuth
	}
	key := &c.key
	var (
		s  *chacha20.Cipher
		st [16]uint32
		ks [128]byte
	)
	if c.path == chachaAVX2 {
		st, ks = block0(&c.s2, seq)
		copy(key[:], ks[:32])
	} else {
		nonce := chachaNonce(seq)
		s, _ = chacha20.NewUnauthenticatedCipher(c.k2[:], nonce[:])
		*key = [32]byte{} // the keystream is XORed in
		s.XORKeyStream(key[:], key[:])
	}
	// The tag covers the encrypted length and payload and is checked
	// before anything is decrypted.
	var want [poly1305.TagSize]byte
	c.sum(&want, pkt[:n])
	if subtle.ConstantTimeCompare(want[:], pkt[n:]) != 1 {
		return ErrAuth
	}
	if c.path == chachaAVX2 {
		xorPayloadAVX2(&st, &ks, pkt[4:n], pkt[4:n])
	} else {
		s.SetCounter(1)
		s.XORKeyStream(pkt[4:n], pkt[4:n])
	}
	return nil
}

// sum writes the Poly1305 tag of msg under c.key to out.
func (c *chachaAEAD) sum(out *[16]byte, msg []byte) {
	if c.xcryptoPoly {
		poly1305.Sum(out, msg, &c.key)
		return
	}
	polySum(out, msg, &c.key)
}

// xorPayloadAVX2 XORs K_2's keystream from block 1 into p: the first 64
// bytes from ks[64:], which block0 computed, the rest from block 2 on.
func xorPayloadAVX2(st *[16]uint32, ks *[128]byte, dst, src []byte) {
	// Byte by byte: crypto/subtle.XORBytes would make ks escape in the
	// purego build, whose generic XORBytes leaks its arguments.
	m := min(len(src), 64)
	for i := range m {
		dst[i] = src[i] ^ ks[64+i]
	}
	dst, src = dst[m:], src[m:]
	if len(src) == 0 {
		return
	}
	st[12] = 2
	full := len(src) &^ 127
	if full > 0 {
		xorBlocks(&dst[0], &src[0], full, st)
		st[12] += uint32(full / 64)
	}
	if rest := src[full:]; len(rest) > 0 {
		var b [128]byte
		copy(b[:], rest)
		xorBlocks(&b[0], &b[0], len(b), st)
		copy(dst[full:], b[:len(rest)])
	}
}

func init() {
	RegisterAlgorithm(&Algorithm{Name: ChaCha20Poly1305, KeySize: 64, BlockSize: 8,
		TagSize: poly1305.TagSize, NewAEAD: newChaCha})
}
