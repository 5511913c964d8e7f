package shadow

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"strings"
)

// yescrypt, from the yescrypt reference implementation
// (github.com/openwall/yescrypt, yescrypt-ref.c and yescrypt-common.c),
// whose "$y$" encoding is the one libxcrypt writes. Only what crypt(3)
// strings can ask for is here: classic scrypt (flavor 0), WORM (1) and
// the one RW flavor the reference supports (pwxform with 2 simple
// lanes, 4 gathers, 6 rounds and a 12 KiB S-box), without ROM.

const yescryptPrefix = "$y$"

// Flags, as yescrypt.h numbers them.
const (
	yesWORM       = 0x001
	yesRW         = 0x002
	yesModeMask   = 0x003
	yesFlavorMask = 0x3fc
	yesRWDefaults = 0x0b6 // RW | ROUNDS_6 | GATHER_4 | SIMPLE_2 | SBOX_12K
	yesPrehash    = 0x10000000
	yesMaxSaltLen = 64
	yesHashLen    = 32
	yesPrehashKey = "yescrypt-prehash"
	yesClientKey  = "Client Key"
	yesBlockWords = 16 // one Salsa20 block: 64 bytes
)

// MaxYescryptMemory is the most memory one yescrypt computation may take
// (the N blocks of 128·r bytes plus the per-lane buffers and S-boxes).
// libxcrypt's largest setting (crypt_gensalt cost 11: N = 2^18, r = 32)
// needs 1 GiB and 16 KiB, which fits. The time a hash may take is bounded
// as well: r·N·max(t, 1) is at most 2^23 (that setting at t = 0 or 1).
const MaxYescryptMemory = 1<<30 + 1<<20

const maxYescryptWork = 1 << 23

// pwxform parameters of the supported flavor.
const (
	pwxSimple  = 2
	pwxGather  = 4
	pwxRounds  = 6
	sWidth     = 8
	pwxWords   = pwxGather * pwxSimple * 2 // 16 words: one pwxform block
	sboxLen    = (1 << sWidth) * pwxSimple // 512 64-bit entries per S-box
	sBytes     = 3 * sboxLen * 8           // the three S-boxes: 12 KiB
	sMask      = ((1 << sWidth) - 1) * pwxSimple * 8
	sInitCount = sBytes / 128 // 128-byte blocks that fill the S-boxes
)

type yescryptParams struct {
	flags   uint32
	nLog2   uint32
	r, p, t uint32
}

// parseYescrypt reads a "$y$" setting or hash: the parameters, then the
// salt up to the last '$'. It returns the parameters, the setting text
// that the result repeats, and the decoded salt.
func parseYescrypt(s string) (yescryptParams, string, []byte, error) {
	bad := func(what string) (yescryptParams, string, []byte, error) {
		return yescryptParams{}, "", nil, fmt.Errorf("%w: yescrypt %s", ErrFormat, what)
	}
	d := paramReader{s: s[len(yescryptPrefix):]}
	flavor := d.next(0)
	yp := yescryptParams{nLog2: d.next(1), r: d.next(1), p: 1}
	var g, nromLog2 uint32
	if !d.bad && d.peek() != '$' {
		have := d.next(1)
		if have&1 != 0 {
			yp.p = d.next(2)
		}
		if have&2 != 0 {
			yp.t = d.next(1)
		}
		if have&4 != 0 {
			g = d.next(1)
		}
		if have&8 != 0 {
			nromLog2 = d.next(1)
		}
	}
	if d.bad || d.peek() != '$' {
		return bad("parameters")
	}
	d.pos++
	switch {
	case flavor < yesRW:
		yp.flags = flavor
	case flavor <= yesRW+(yesFlavorMask>>2):
		yp.flags = yesRW + (flavor-yesRW)<<2
	default:
		return bad("flavor")
	}
	if g != 0 || nromLog2 != 0 {
		// Hash upgrades and ROMs: the reference itself refuses the
		// first, and a ROM is not something a shadow line can carry.
		return yescryptParams{}, "", nil, fmt.Errorf("%w: yescrypt upgrades or ROM", ErrUnsupported)
	}
	if err := yp.check(); err != nil {
		return yescryptParams{}, "", nil, err
	}
	prefixLen := len(yescryptPrefix) + d.pos
	saltStr := s[prefixLen:]
	if i := strings.LastIndexByte(saltStr, '$'); i >= 0 {
		saltStr = saltStr[:i]
	}
	salt, ok := decode64(saltStr, yesMaxSaltLen)
	if !ok {
		return bad("salt")
	}
	return yp, s[:prefixLen+len(saltStr)], salt, nil
}

// check applies the reference's parameter rules, then our cost limits.
func (yp yescryptParams) check() error {
	switch yp.flags & yesModeMask {
	case 0: // classic scrypt
		if yp.flags != 0 || yp.t != 0 {
			return fmt.Errorf("%w: yescrypt scrypt mode with yescrypt options", ErrFormat)
		}
	case yesWORM:
		if yp.flags != yesWORM {
			return fmt.Errorf("%w: yescrypt WORM flags", ErrFormat)
		}
	case yesRW:
		if yp.flags != yesRWDefaults {
			return fmt.Errorf("%w: yescrypt pwxform flavor %#x", ErrUnsupported, yp.flags)
		}
	default:
		return fmt.Errorf("%w: yescrypt mode", ErrFormat)
	}
	if yp.nLog2 < 1 || yp.nLog2 > 63 || yp.r < 1 || yp.p < 1 || uint64(yp.r)*uint64(yp.p) >= 1<<30 {
		return fmt.Errorf("%w: yescrypt N, r or p", ErrFormat)
	}
	if yp.flags&yesRW != 0 && yp.nLog2 < 63 && uint64(1)<<yp.nLog2/uint64(yp.p) <= 1 {
		return fmt.Errorf("%w: yescrypt N/p", ErrFormat)
	}
	// Our limits, before anything is multiplied out: N·r words fit
	// comfortably in 64 bits once both are below 2^24.
	if yp.nLog2 > 23 || yp.r > 1<<23 {
		return fmt.Errorf("%w: yescrypt N=2^%d r=%d", ErrCost, yp.nLog2, yp.r)
	}
	if mem := yp.memory(); mem > MaxYescryptMemory {
		return fmt.Errorf("%w: yescrypt needs %d bytes", ErrCost, mem)
	}
	if uint64(yp.r)<<yp.nLog2*uint64(max(yp.t, 1)) > maxYescryptWork {
		return fmt.Errorf("%w: yescrypt time cost t=%d", ErrCost, yp.t)
	}
	return nil
}

// memory is what kdfBody allocates: V, B, XY and the S-boxes.
func (yp yescryptParams) memory() uint64 {
	r, p := uint64(yp.r), uint64(yp.p)
	m := 128*r<<yp.nLog2 + 128*r*p + 256*r
	if yp.flags&yesRW != 0 {
		m += sBytes * p
	}
	return m
}

// paramReader decodes yescrypt's variable-length parameter numbers
// (decode64_uint32 in the reference): the first character both carries
// high bits and says how many characters follow. The first error
// sticks.
type paramReader struct {
	s   string
	pos int
	bad bool
}

func (d *paramReader) peek() byte {
	if d.pos < len(d.s) {
		return d.s[d.pos]
	}
	return 0
}

func (d *paramReader) next(base uint32) uint32 {
	if d.bad {
		return 0
	}
	c := atoi64(d.peek())
	if c > 63 {
		d.bad = true
		return 0
	}
	d.pos++
	// Values 0-47 in one character; 48-55 start two, 56-59 three,
	// 60-61 four, 62 five, 63 six.
	start, end, chars, shift := uint32(0), uint32(47), 1, uint32(0)
	v := base
	for c > end {
		v += (end + 1 - start) << shift
		start = end + 1
		end = start + (62-end)/2
		chars++
		shift += 6
	}
	v += (c - start) << shift
	for ; chars > 1; chars-- {
		c = atoi64(d.peek())
		if c > 63 {
			d.bad = true
			return 0
		}
		d.pos++
		shift -= 6
		v += c << shift
	}
	return v
}

// decode64 decodes yescrypt's little-endian base 64 (salts): groups of
// four characters give three bytes, a final group of two or three gives
// one or two, and its unused high bits must be zero.
func decode64(s string, maxLen int) ([]byte, bool) {
	out := make([]byte, 0, maxLen)
	for len(s) > 0 {
		n := min(4, len(s))
		if n == 1 {
			return nil, false
		}
		var v uint32
		for i := range n {
			c := atoi64(s[i])
			if c > 63 {
				return nil, false
			}
			v |= c << (6 * i)
		}
		for range 6 * n / 8 {
			out = append(out, byte(v))
			v >>= 8
		}
		if v != 0 || len(out) > maxLen {
			return nil, false
		}
		s = s[n:]
	}
	return out, true
}

// encode64 appends src in yescrypt's little-endian base 64.
func encode64(dst, src []byte) []byte {
	for len(src) > 0 {
		n := min(3, len(src))
		var v uint32
		for i := range n {
			v |= uint32(src[i]) << (8 * i)
		}
		dst = appendB64(dst, v, (8*n+5)/6)
		src = src[n:]
	}
	return dst
}

// yescryptCrypt computes the whole "$y$" string for password and setting.
func yescryptCrypt(password, setting string) (string, error) {
	yp, prefix, salt, err := parseYescrypt(setting)
	if err != nil {
		return "", err
	}
	dk, err := yescryptKDF([]byte(password), salt, yp, yesHashLen)
	if err != nil {
		return "", err
	}
	out := append([]byte(prefix), '$')
	return string(encode64(out, dk)), nil
}

// yescryptKDF is yescrypt_kdf: for large RW parameters, first a
// pre-hash pass at N/64 whose result replaces the password.
//
// At most kdfSlots computations run at once; the others wait. Hashing
// is CPU-bound, so this costs no throughput, and it keeps a burst of
// password attempts (MaxStartups allows 100 unauthenticated
// connections) from holding 100 V arrays of 16 MiB or more at once.
func yescryptKDF(passwd, salt []byte, yp yescryptParams, dkLen int) ([]byte, error) {
	kdfSlots <- struct{}{}
	defer func() { <-kdfSlots }()
	n := uint64(1) << yp.nLog2
	if yp.flags&yesRW != 0 && n/uint64(yp.p) >= 0x100 && n/uint64(yp.p)*uint64(yp.r) >= 0x20000 {
		pre := yp
		pre.flags |= yesPrehash
		pre.nLog2 -= 6
		pre.t = 0
		dk, err := kdfBody(passwd, salt, pre, 32)
		if err != nil {
			return nil, err
		}
		passwd = dk
	}
	return kdfBody(passwd, salt, yp, dkLen)
}

// kdfSlots bounds concurrent yescrypt computations to the CPUs Go uses.
var kdfSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// kdfBody is yescrypt_kdf_body without ROM: scrypt, or the yescrypt
// revision of it the flags ask for.
func kdfBody(passwd, salt []byte, yp yescryptParams, dkLen int) ([]byte, error) {
	n := uint64(1) << yp.nLog2
	r, p := int(yp.r), int(yp.p)
	rw := yp.flags&yesRW != 0
	if yp.flags != 0 {
		key := yesPrehashKey
		if yp.flags&yesPrehash == 0 {
			key = key[:8] // "yescrypt"
		}
		passwd = hmacSHA256([]byte(key), passwd)
	}
	bBytes, err := pbkdf2.Key(sha256.New, string(passwd), salt, 1, 128*r*p)
	if err != nil {
		return nil, fmt.Errorf("shadow: yescrypt: %v", err)
	}
	if yp.flags != 0 {
		// From here on the "password" is the first 32 bytes of B
		// (updated by the first lane's S-box setup in RW mode).
		passwd = append([]byte(nil), bBytes[:32]...)
	}
	b := make([]uint32, 32*r*p)
	for i := range b {
		b[i] = binary.LittleEndian.Uint32(bBytes[4*i:])
	}
	m := &mixer{r: r, v: make([]uint32, uint64(32*r)*n), x: make([]uint32, 32*r), y: make([]uint32, 32*r)}
	if rw {
		ctxs := make([]pwxform, p)
		for i := range ctxs {
			ctxs[i].s = make([]uint64, 3*sboxLen)
		}
		m.smix(b, n, p, yp.t, true, ctxs, passwd)
		for i := range ctxs {
			clear(ctxs[i].s)
		}
	} else {
		for i := range p {
			m.smix(b[32*r*i:32*r*(i+1)], n, 1, yp.t, false, nil, nil)
		}
	}
	for i, w := range b {
		binary.LittleEndian.PutUint32(bBytes[4*i:], w)
	}
	// Nothing derived from the password outlives the call but dk.
	defer func() {
		clear(bBytes)
		if yp.flags != 0 {
			clear(passwd) // our copy, not the caller's
		}
	}()
	clear(b)
	clear(m.v)
	clear(m.x)
	clear(m.y)
	dk, err := pbkdf2.Key(sha256.New, string(passwd), bBytes, 1, dkLen)
	if err != nil {
		return nil, fmt.Errorf("shadow: yescrypt: %v", err)
	}
	if yp.flags != 0 && yp.flags&yesPrehash == 0 {
		// SCRAM's last steps (RFC 5802): ClientKey, then StoredKey.
		full := dk
		if dkLen < 32 {
			if full, err = pbkdf2.Key(sha256.New, string(passwd), bBytes, 1, 32); err != nil {
				return nil, fmt.Errorf("shadow: yescrypt: %v", err)
			}
		}
		stored := sha256.Sum256(hmacSHA256(full[:32], []byte(yesClientKey)))
		copy(dk, stored[:])
	}
	return dk, nil
}

// A mixer holds one computation's V array and scratch blocks. Blocks are
// kept in the reference's "SIMD-shuffled" word order while they are
// mixed (word i of each 64-byte block holds the word i·5 mod 16 of the
// plain block), which is the order pwxform reads them in; salsa20
// undoes it around its rounds.
type mixer struct {
	r    int
	v    []uint32
	x, y []uint32 // 32·r words each
}

// smix is SMix: p lanes over one V, each filling its part of V
// (SMix1) and revisiting it (SMix2), then a last pass over all of V.
func (m *mixer) smix(b []uint32, n uint64, p int, t uint32, rw bool, ctxs []pwxform, passwd []byte) {
	s := 32 * m.r
	nchunk := n / uint64(p)
	nloopAll := nchunk
	switch {
	case rw && t <= 1:
		if t == 1 {
			nloopAll *= 2
		}
		nloopAll = (nloopAll + 2) / 3 // 1/3 or 2/3, rounded up
	case rw:
		nloopAll *= uint64(t - 1)
	case t == 1:
		nloopAll += (nloopAll + 1) / 2 // 1.5, rounded up
	case t > 1:
		nloopAll *= uint64(t)
	}
	var nloopRW uint64
	if rw {
		nloopRW = nloopAll / uint64(p)
	}
	nchunk &^= 1                   // down to even
	nloopAll = (nloopAll + 1) &^ 1 // up to even
	nloopRW = (nloopRW + 1) &^ 1   // up to even
	var vchunk uint64
	for i := range p {
		np := nchunk
		if i == p-1 {
			np = n - vchunk
		}
		bp := b[i*s : (i+1)*s]
		vp := m.v[vchunk*uint64(s):]
		var ctx *pwxform
		if rw {
			ctx = &ctxs[i]
			m.initSBoxes(bp, ctx)
			if i == 0 {
				last := make([]byte, 64)
				for k, w := range bp[s-16 : s] {
					binary.LittleEndian.PutUint32(last[4*k:], w)
				}
				copy(passwd, hmacSHA256(last, passwd))
			}
		}
		m.smix1(bp, m.r, np, rw, vp, ctx)
		m.smix2(bp, m.r, p2floor(np), nloopRW, rw, vp, ctx)
		vchunk += nchunk
	}
	for i := range p {
		var ctx *pwxform
		if rw {
			ctx = &ctxs[i]
		}
		m.smix2(b[i*s:(i+1)*s], m.r, n, nloopAll-nloopRW, false, m.v, ctx)
	}
}

// initSBoxes fills a lane's S-boxes with SMix1 of its first 128-byte
// block (r = 1, no flags), then lays them out as S2, S1, S0.
func (m *mixer) initSBoxes(bp []uint32, ctx *pwxform) {
	words := make([]uint32, sBytes/4)
	m.smix1(bp[:32], 1, sInitCount, false, words, nil)
	for e := range ctx.s {
		ctx.s[e] = uint64(words[2*e]) | uint64(words[2*e+1])<<32
	}
	ctx.s2, ctx.s1, ctx.s0 = 0, sboxLen, 2*sboxLen
	ctx.w = 0
}

// smix1 is SMix1: fill V with N successive states of B (in RW mode each
// also mixed with an earlier one).
func (m *mixer) smix1(b []uint32, r int, n uint64, rw bool, v []uint32, ctx *pwxform) {
	s := 32 * r
	x := m.x[:s]
	shuffle(x, b)
	for i := range n {
		copy(v[i*uint64(s):], x)
		if rw && i > 1 {
			j := wrap(integerify(x, r), i)
			xorWords(x, v[j*uint64(s):])
		}
		m.blockMix(x, r, ctx)
	}
	unshuffle(b, x)
}

// smix2 is SMix2: nloop data-dependent visits to V (writing back in RW
// mode).
func (m *mixer) smix2(b []uint32, r int, n, nloop uint64, rw bool, v []uint32, ctx *pwxform) {
	s := 32 * r
	x := m.x[:s]
	shuffle(x, b)
	for range nloop {
		j := integerify(x, r) & (n - 1)
		vj := v[j*uint64(s) : (j+1)*uint64(s)]
		xorWords(x, vj)
		if rw {
			copy(vj, x)
		}
		m.blockMix(x, r, ctx)
	}
	unshuffle(b, x)
}

func (m *mixer) blockMix(x []uint32, r int, ctx *pwxform) {
	if ctx != nil {
		ctx.blockMix(x, r)
		return
	}
	blockMixSalsa8(x, m.y[:32*r], r)
}

// shuffle copies plain blocks into the shuffled order; unshuffle back.
func shuffle(dst, src []uint32) {
	for k := 0; k < len(dst); k += yesBlockWords {
		for i := range yesBlockWords {
			dst[k+i] = src[k+i*5%16]
		}
	}
}

func unshuffle(dst, src []uint32) {
	for k := 0; k < len(src); k += yesBlockWords {
		for i := range yesBlockWords {
			dst[k+i*5%16] = src[k+i]
		}
	}
}

func xorWords(dst, src []uint32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// integerify reads the last 64-byte block's first 64 bits (words 0 and
// 1 of the plain block: 0 and 13 shuffled).
func integerify(x []uint32, r int) uint64 {
	last := x[(2*r-1)*16:]
	return uint64(last[13])<<32 | uint64(last[0])
}

// p2floor is the largest power of two not above x.
func p2floor(x uint64) uint64 {
	if x == 0 {
		return 0
	}
	return 1 << (63 - bits.LeadingZeros64(x))
}

// wrap maps x into [0, i): into the last p2floor(i) entries before i.
func wrap(x, i uint64) uint64 {
	n := p2floor(i)
	return x&(n-1) + (i - n)
}

// blockMixSalsa8 is scrypt's BlockMix with Salsa20/8; y is scratch of
// the same size as b.
func blockMixSalsa8(b, y []uint32, r int) {
	var x [16]uint32
	copy(x[:], b[(2*r-1)*16:])
	for i := range 2 * r {
		xorWords(x[:], b[i*16:])
		salsa20(&x, 8)
		copy(y[i*16:], x[:])
	}
	// Even blocks first, then odd ones.
	for i := range r {
		copy(b[i*16:(i+1)*16], y[2*i*16:])
		copy(b[(i+r)*16:(i+r+1)*16], y[(2*i+1)*16:])
	}
}

// salsa20 applies the Salsa20 core with the given number of rounds to a
// block in shuffled order.
func salsa20(b *[16]uint32, rounds int) {
	var x [16]uint32
	for i := range 16 {
		x[i*5%16] = b[i]
	}
	qr := func(a, b, c, d *uint32) {
		*b ^= bits.RotateLeft32(*a+*d, 7)
		*c ^= bits.RotateLeft32(*b+*a, 9)
		*d ^= bits.RotateLeft32(*c+*b, 13)
		*a ^= bits.RotateLeft32(*d+*c, 18)
	}
	for ; rounds > 0; rounds -= 2 {
		qr(&x[0], &x[4], &x[8], &x[12]) // columns
		qr(&x[5], &x[9], &x[13], &x[1])
		qr(&x[10], &x[14], &x[2], &x[6])
		qr(&x[15], &x[3], &x[7], &x[11])
		qr(&x[0], &x[1], &x[2], &x[3]) // rows
		qr(&x[5], &x[6], &x[7], &x[4])
		qr(&x[10], &x[11], &x[8], &x[9])
		qr(&x[15], &x[12], &x[13], &x[14])
	}
	for i := range 16 {
		b[i] += x[i*5%16]
	}
}

// pwxform is one lane's S-boxes and write position.
type pwxform struct {
	s          []uint64 // three S-boxes of sboxLen entries
	s0, s1, s2 int      // offsets of S0, S1, S2 in s
	w          int      // next entry of S2 to write
}

// transform is pwxform on one 64-byte block (shuffled words, read as
// four gathers of two 64-bit lanes, low word first): each lane becomes
// hi·lo + S0[...] xor S1[...], the S-box entries picked by the gather's
// first lane, and the middle rounds also write S2.
func (c *pwxform) transform(x *[pwxWords]uint32) {
	s0 := (*[sboxLen]uint64)(c.s[c.s0:])
	s1 := (*[sboxLen]uint64)(c.s[c.s1:])
	s2 := (*[sboxLen]uint64)(c.s[c.s2:])
	w := c.w
	for i := range pwxRounds {
		write := i != 0 && i != pwxRounds-1
		for j := 0; j < pwxWords; j += 2 * pwxSimple {
			p0 := (x[j] & sMask) / 8 // an even entry: lanes k use p0+k
			p1 := (x[j+1] & sMask) / 8
			v0 := (uint64(x[j+1])*uint64(x[j]) + s0[p0]) ^ s1[p1]
			v1 := (uint64(x[j+3])*uint64(x[j+2]) + s0[p0|1]) ^ s1[p1|1]
			x[j], x[j+1] = uint32(v0), uint32(v0>>32)
			x[j+2], x[j+3] = uint32(v1), uint32(v1>>32)
			if write {
				s2[w&(sboxLen-1)] = v0
				s2[(w+1)&(sboxLen-1)] = v1
				w += 2
			}
		}
	}
	c.s0, c.s1, c.s2 = c.s2, c.s0, c.s1
	c.w = w & (sboxLen - 1)
}

// blockMix is BlockMix_pwxform: pwxform over the 2r 64-byte blocks in a
// chain, then Salsa20/2 on the last.
func (c *pwxform) blockMix(b []uint32, r int) {
	r1 := 2 * r // 64-byte pwxform blocks; at least 2, so always chained
	var x [pwxWords]uint32
	copy(x[:], b[(r1-1)*pwxWords:])
	for i := range r1 {
		xorWords(x[:], b[i*pwxWords:])
		c.transform(&x)
		copy(b[i*pwxWords:], x[:])
	}
	last := (*[16]uint32)(b[(r1-1)*16 : r1*16])
	salsa20(last, 2)
}
