package cipher

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"unsafe"
)

// A PairSummer is a MAC, as MAC.New returns it, that computes two
// packets' MACs at once. HMAC-SHA-256 does where the CPU has the SHA
// extensions: a SHA-256 block is one long chain of dependent rounds, and
// two independent messages hashed instruction by instruction side by side
// take little more time than one (decision 0037). Package packet uses it
// for packets of the same length sealed in one batch, and for the next
// packet when it is already buffered, with encrypt-then-MAC.
type PairSummer interface {
	hash.Hash
	// SumPair writes the MAC of seqA (four bytes, big-endian) followed
	// by pa to macA, and that of seqB followed by pb to macB, each
	// Size() bytes. It is fast when len(pa) == len(pb). The hash's
	// running state is left reset.
	SumPair(seqA uint32, pa []byte, seqB uint32, pb []byte, macA, macB []byte)
}

// hmacSHA256 is HMAC-SHA-256 (RFC 2104) with SumPair: the key's inner
// and outer padded blocks are compressed once, at New.
type hmacSHA256 struct {
	hash.Hash
	inner, outer [8]uint32 // SHA-256 state after the ipad and opad block
}

var _ PairSummer = (*hmacSHA256)(nil)

var sha256IV = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

func newHMACSHA256(key []byte) hash.Hash {
	h := &hmacSHA256{Hash: hmac.New(sha256.New, key)}
	if !haveBlockx2 {
		return h
	}
	if len(key) > sha256.BlockSize {
		s := sha256.Sum256(key)
		key = s[:]
	}
	var ipad, opad [sha256.BlockSize]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	h.inner, h.outer = sha256IV, sha256IV
	blockx2(&h.inner, &h.outer, &ipad[0], &opad[0], 1)
	return h
}

func (h *hmacSHA256) SumPair(seqA uint32, pa []byte, seqB uint32, pb []byte, macA, macB []byte) {
	if !haveBlockx2 || len(pa) != len(pb) {
		h.sumOne(seqA, pa, macA)
		h.sumOne(seqB, pb, macB)
		return
	}
	da, db := h.inner, h.inner
	n := len(pa)
	// The message is the sequence number and p, after the ipad block.
	var ba, bb [2 * sha256.BlockSize]byte
	binary.BigEndian.PutUint32(ba[:], seqA)
	binary.BigEndian.PutUint32(bb[:], seqB)
	head := 4
	if n >= sha256.BlockSize-4 {
		copy(ba[4:sha256.BlockSize], pa)
		copy(bb[4:sha256.BlockSize], pb)
		blockx2(&da, &db, &ba[0], &bb[0], 1)
		pa, pb = pa[sha256.BlockSize-4:], pb[sha256.BlockSize-4:]
		head = 0
	}
	if full := len(pa) / sha256.BlockSize; full > 0 {
		blockx2(&da, &db, unsafe.SliceData(pa), unsafe.SliceData(pb), full)
		pa, pb = pa[full*sha256.BlockSize:], pb[full*sha256.BlockSize:]
	}
	// The tail: what is left, 0x80, zeros and the length in bits of
	// everything hashed (ipad block, sequence number, data).
	t := head + copy(ba[head:], pa)
	copy(bb[head:], pb)
	ba[t], bb[t] = 0x80, 0x80
	end := sha256.BlockSize
	if t+1+8 > sha256.BlockSize {
		end = 2 * sha256.BlockSize
	}
	clear(ba[t+1 : end-8])
	clear(bb[t+1 : end-8])
	bits := uint64(sha256.BlockSize+4+n) * 8
	binary.BigEndian.PutUint64(ba[end-8:], bits)
	binary.BigEndian.PutUint64(bb[end-8:], bits)
	blockx2(&da, &db, &ba[0], &bb[0], end/sha256.BlockSize)
	// The outer hash: opad block, then the inner digest.
	for i := range 8 {
		binary.BigEndian.PutUint32(ba[4*i:], da[i])
		binary.BigEndian.PutUint32(bb[4*i:], db[i])
	}
	ba[32], bb[32] = 0x80, 0x80
	clear(ba[33:56])
	clear(bb[33:56])
	bits = uint64(sha256.BlockSize+sha256.Size) * 8
	binary.BigEndian.PutUint64(ba[56:], bits)
	binary.BigEndian.PutUint64(bb[56:], bits)
	da, db = h.outer, h.outer
	blockx2(&da, &db, &ba[0], &bb[0], 1)
	for i := range 8 {
		binary.BigEndian.PutUint32(macA[4*i:], da[i])
		binary.BigEndian.PutUint32(macB[4*i:], db[i])
	}
}

func (h *hmacSHA256) sumOne(seq uint32, p, mac []byte) {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], seq)
	h.Reset()
	h.Write(s[:])
	h.Write(p)
	var sum [sha256.Size]byte
	copy(mac, h.Sum(sum[:0]))
	h.Reset()
}
