package packet

import (
	"errors"
	"fmt"
)

// inflate is a streaming zlib (RFC 1950) / DEFLATE (RFC 1951) decoder for
// SSH compression (RFC 4253, Section 6.2). It exists because the peer's
// compressor flushes each packet with Z_PARTIAL_FLUSH (OpenSSH), which can
// leave a packet's last bits in the middle of an empty block that the next
// packet completes; compress/flate cannot pause there. The decoder works in
// restartable units (a block header, one literal or length/distance pair,
// a stored-block header): a unit that runs out of input is rolled back and
// its bytes are carried over to the next packet.
type inflate struct {
	in     []byte // current input: carry-over followed by the packet
	pos    int
	bits   uint64 // bit buffer, LSB first
	nbits  uint
	carry  []byte // unconsumed input of the previous packet
	inbuf  []byte // scratch for carry + packet
	header bool   // zlib header read
	final  bool   // the last block has ended: no more data is allowed
	state  int
	stored int // bytes left in the current stored block

	lit, dist huffman
	win       []byte // the last 32 KiB of output, then this packet's output
}

const (
	stateBlock   = iota // expecting a block header
	stateStored         // inside a stored block
	stateHuffman        // inside a Huffman-coded block
)

const (
	windowSize = 32 << 10
	maxCarry   = 1 << 10 // longest unit: a dynamic block header (~300 bytes)
)

var errCorrupt = errors.New("corrupt deflate stream")

// huffman is a canonical Huffman code in the form of RFC 1951,
// Section 3.2.2: counts of codes per length and symbols in code order.
type huffman struct {
	count  [16]uint16
	symbol [288]uint16
}

// build fills h from code lengths. It rejects over-subscribed codes.
func (h *huffman) build(lengths []uint8) error {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return errCorrupt
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.count[0] = 0
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	return nil
}

var fixedLit, fixedDist huffman

func init() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	fixedLit.build(l[:])
	var d [30]uint8
	for i := range d {
		d[i] = 5
	}
	fixedDist.build(d[:])
}

var (
	lenBase  = [...]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [...]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase = [...]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtr = [...]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder  = [...]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// reset starts a new stream (each key change restarts compression, as
// OpenSSH's start_compression_in does).
func (z *inflate) reset() {
	win := z.win[:0]
	*z = inflate{win: win, carry: z.carry[:0], inbuf: z.inbuf[:0]}
}

// need loads bits until n are buffered; false if the input ran out.
func (z *inflate) need(n uint) bool {
	for z.nbits < n {
		if z.pos >= len(z.in) {
			return false
		}
		z.bits |= uint64(z.in[z.pos]) << z.nbits
		z.pos++
		z.nbits += 8
	}
	return true
}

// take removes n buffered bits (need(n) must have succeeded).
func (z *inflate) take(n uint) uint32 {
	v := uint32(z.bits & (1<<n - 1))
	z.bits >>= n
	z.nbits -= n
	return v
}

// decode reads one symbol of h bit by bit (RFC 1951, Section 3.2.2).
// ok is false if the input ran out; err reports an invalid code.
func (z *inflate) decode(h *huffman) (sym int, ok bool, err error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		if !z.need(1) {
			return 0, false, nil
		}
		code |= int(z.take(1))
		count := int(h.count[l])
		if code-first < count {
			return int(h.symbol[index+code-first]), true, nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, true, errCorrupt
}

// mark is a restart point at the start of a unit.
type mark struct {
	pos   int
	bits  uint64
	nbits uint
}

func (z *inflate) mark() mark           { return mark{z.pos, z.bits, z.nbits} }
func (z *inflate) rollback(m mark)      { z.pos, z.bits, z.nbits = m.pos, m.bits, m.nbits }
func (z *inflate) outLen(start int) int { return len(z.win) - start }

// keep moves the window to new memory, so that the last output stays
// valid (Conn.KeepPayload).
func (z *inflate) keep() {
	nw := make([]byte, len(z.win), cap(z.win))
	copy(nw, z.win)
	z.win = nw
}

// decompress inflates one packet's payload p and returns the output, which
// aliases z's window and is valid until the next call. The output may not
// exceed limit bytes (docs/security.md#r7).
func (z *inflate) decompress(p []byte, limit int) ([]byte, error) {
	if len(z.win) > windowSize {
		z.win = z.win[:copy(z.win, z.win[len(z.win)-windowSize:])]
	}
	start := len(z.win)
	if len(z.carry) > 0 {
		z.inbuf = append(append(z.inbuf[:0], z.carry...), p...)
		z.in = z.inbuf
	} else {
		z.in = p
	}
	z.pos = 0
	if err := z.run(start, limit); err != nil {
		return nil, err
	}
	rest := z.in[z.pos:]
	if len(rest) > maxCarry {
		return nil, fmt.Errorf("%w: %d bytes of an unfinished deflate unit", ErrCompression, len(rest))
	}
	z.carry = append(z.carry[:0], rest...)
	z.in = nil
	return z.win[start:], nil
}

func (z *inflate) run(start, limit int) error {
	fail := func(err error) error { return fmt.Errorf("%w: %v", ErrCompression, err) }
	if !z.header {
		m := z.mark()
		if !z.need(16) {
			z.rollback(m)
			return nil
		}
		cmf, flg := z.take(8), z.take(8)
		if cmf&0x0f != 8 || cmf>>4 > 7 || (cmf<<8|flg)%31 != 0 || flg&0x20 != 0 {
			return fail(errors.New("bad zlib header"))
		}
		z.header = true
	}
	for {
		if z.outLen(start) > limit {
			return fmt.Errorf("%w: payload inflates past %d bytes", ErrCompression, limit)
		}
		switch z.state {
		case stateBlock:
			if z.pos == len(z.in) && z.nbits < 3 {
				return nil // a clean end between blocks
			}
			if z.final {
				return fail(errors.New("data after the final block"))
			}
			m := z.mark()
			ok, err := z.blockHeader()
			if err != nil {
				return fail(err)
			}
			if !ok {
				z.rollback(m)
				return nil
			}
		case stateStored:
			for z.stored > 0 && z.nbits >= 8 {
				z.win = append(z.win, byte(z.take(8)))
				z.stored--
			}
			n := min(z.stored, len(z.in)-z.pos, limit+1-z.outLen(start))
			z.win = append(z.win, z.in[z.pos:z.pos+n]...)
			z.pos += n
			z.stored -= n
			if z.stored > 0 {
				if z.outLen(start) > limit {
					continue
				}
				return nil // the block goes on in the next packet
			}
			z.state = stateBlock
		case stateHuffman:
			m := z.mark()
			done, ok, err := z.symbol()
			if err != nil {
				return fail(err)
			}
			if !ok {
				z.rollback(m)
				return nil
			}
			if done {
				z.state = stateBlock
			}
		}
	}
}

// blockHeader reads a block header (RFC 1951, Section 3.2.3) including a
// stored block's LEN/NLEN or a dynamic block's code lengths.
func (z *inflate) blockHeader() (bool, error) {
	if !z.need(3) {
		return false, nil
	}
	final := z.take(1) == 1
	switch z.take(2) {
	case 0:
		z.take(z.nbits & 7) // to a byte boundary
		if !z.need(32) {
			return false, nil
		}
		n, nn := z.take(16), z.take(16)
		if n != ^nn&0xffff {
			return true, errors.New("stored block length check")
		}
		z.stored, z.state = int(n), stateStored
	case 1:
		z.lit, z.dist = fixedLit, fixedDist
		z.state = stateHuffman
	case 2:
		ok, err := z.dynamic()
		if !ok || err != nil {
			return ok, err
		}
		z.state = stateHuffman
	default:
		return true, errors.New("reserved block type")
	}
	z.final = final
	return true, nil
}

// dynamic reads the code lengths of a dynamic block (RFC 1951,
// Section 3.2.7).
func (z *inflate) dynamic() (bool, error) {
	if !z.need(14) {
		return false, nil
	}
	nlen, ndist, ncode := int(z.take(5))+257, int(z.take(5))+1, int(z.take(4))+4
	if nlen > 286 || ndist > 30 {
		return true, errors.New("bad code counts")
	}
	var lengths [286 + 30]uint8
	for i := range ncode {
		if !z.need(3) {
			return false, nil
		}
		lengths[clOrder[i]] = uint8(z.take(3))
	}
	var cl huffman
	if err := cl.build(lengths[:19]); err != nil {
		return true, err
	}
	lengths = [286 + 30]uint8{}
	for i := 0; i < nlen+ndist; {
		sym, ok, err := z.decode(&cl)
		if !ok || err != nil {
			return ok, err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return true, errors.New("repeat with no previous length")
			}
			if !z.need(2) {
				return false, nil
			}
			val, rep = lengths[i-1], 3+int(z.take(2))
		case 17:
			if !z.need(3) {
				return false, nil
			}
			rep = 3 + int(z.take(3))
		default:
			if !z.need(7) {
				return false, nil
			}
			rep = 11 + int(z.take(7))
		}
		if i+rep > nlen+ndist {
			return true, errors.New("code lengths overflow")
		}
		for range rep {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return true, errors.New("no end-of-block code")
	}
	if err := z.lit.build(lengths[:nlen]); err != nil {
		return true, err
	}
	if err := z.dist.build(lengths[nlen : nlen+ndist]); err != nil {
		return true, err
	}
	return true, nil
}

// symbol decodes one literal, end of block or length/distance pair (RFC
// 1951, Section 3.2.5). done reports the end of the block.
func (z *inflate) symbol() (done, ok bool, err error) {
	sym, ok, err := z.decode(&z.lit)
	if !ok || err != nil {
		return false, ok, err
	}
	switch {
	case sym < 256:
		z.win = append(z.win, byte(sym))
		return false, true, nil
	case sym == 256:
		return true, true, nil
	case sym > 285:
		return false, true, errCorrupt
	}
	sym -= 257
	if !z.need(uint(lenExtra[sym])) {
		return false, false, nil
	}
	length := int(lenBase[sym]) + int(z.take(uint(lenExtra[sym])))
	ds, ok, err := z.decode(&z.dist)
	if !ok || err != nil {
		return false, ok, err
	}
	if ds > 29 {
		return false, true, errCorrupt
	}
	if !z.need(uint(distExtr[ds])) {
		return false, false, nil
	}
	dist := int(distBase[ds]) + int(z.take(uint(distExtr[ds])))
	if dist > len(z.win) {
		return false, true, errors.New("distance too far back")
	}
	from := len(z.win) - dist
	for i := range length { // byte by byte: the copy may overlap itself
		z.win = append(z.win, z.win[from+i])
	}
	return false, true, nil
}
