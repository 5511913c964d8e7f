package packet

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/wire"
)

// Packet size limits (RFC 4253, Section 6.1).
const (
	// DefaultMaxPacketSize is the default largest packet_length accepted
	// and sent, as in OpenSSH (PACKET_MAX_SIZE) and x/crypto/ssh.
	DefaultMaxPacketSize = 256 << 10

	// MinMaxPacketSize is the smallest maximum a Conn can be configured
	// with: every implementation MUST handle packets of 35000 bytes.
	MinMaxPacketSize = 35000

	// initialReadBuffer is the read buffer a Conn starts with. It holds
	// the packets of a key exchange and user authentication; the buffer
	// grows to four packets of the largest validated length once bulk data
	// flows. Keeping it small keeps a connection held before
	// authentication cheap (docs/security.md#r1: at most 32 KiB each), and a
	// hostile length costs no more than this before it is rejected (docs/security.md#p1).
	initialReadBuffer = 4 << 10

	// maxMACSize bounds the MAC scratch space of a direction.
	maxMACSize = 64

	// disconnectTimeout bounds the best-effort DISCONNECT after a fatal
	// read error.
	disconnectTimeout = time.Second
)

// Config configures a Conn. The zero value is usable.
type Config struct {
	// MaxPacketSize is the largest packet_length (RFC 4253, Section 6.1)
	// accepted and sent. Zero means DefaultMaxPacketSize; smaller values
	// are raised to MinMaxPacketSize.
	MaxPacketSize int

	// Rand is the source of random padding. Nil means crypto/rand.
	Rand io.Reader

	// Server selects the server's rules in ExchangeVersions: the client
	// must send its identification string first thing, while a client
	// accepts up to 1024 other lines before the server's.
	Server bool

	// Trace, if set, receives every payload sent and received, described
	// by wire.Describe with secrets redacted (see wire.TraceDescriber).
	// It runs on the reading goroutine for received packets and under
	// the write lock for sent ones, so it must not call into the Conn.
	Trace wire.Tracer
}

// Counters are the traffic of one direction of a Conn, for rekeying
// decisions (RFC 4253, Section 9; RFC 4344, Section 3). Bytes count whole
// packets as sent on the wire, MAC included.
type Counters struct {
	Packets, Bytes       uint64 // since the Conn was created
	KeyPackets, KeyBytes uint64 // since this direction's keys last changed
}

// A Conn runs the binary packet protocol (RFC 4253, Section 6) over a
// net.Conn. It starts without encryption, MAC or compression; the key
// exchange switches each direction with SetReadKeys and SetWriteKeys when
// SSH_MSG_NEWKEYS passes (Section 7.3).
//
// One goroutine reads (ReadPacket, SetReadKeys, ResetReadSeq, ReadSeq,
// EnableDelayedCompression); any number may write, as writes are
// serialised. The reading goroutine's calls never wait for a write in
// progress, so a write blocked by a slow peer cannot stall reading. Close,
// Err, SessionID and the counters may be called from any goroutine. The first fatal error sticks: the Conn closes the
// net.Conn, and every later call returns that error.
type Conn struct {
	nc        net.Conn
	maxPacket int
	rand      io.Reader
	server    bool

	err       atomic.Pointer[error] // first fatal error
	closeOnce sync.Once
	closeErr  error

	initialKex  atomic.Bool // sequence wrap is fatal while set
	versionOnce atomic.Bool // ExchangeVersions has been called
	sessionMu   sync.Mutex
	sessionID   []byte // guarded by sessionMu

	// Read side, owned by the reading goroutine.
	rd         direction
	rbuf       []byte          // buffered input; rbuf[rpos:rend] not yet consumed
	raw        syscall.RawConn // nc's, for idle reads without a buffer; or nil
	rawRead    func(fd uintptr) bool
	rawN       int
	rawErr     error
	rpos, rend int
	inflate    inflater

	// Write side, guarded by wmu.
	wmu     sync.Mutex
	wr      direction
	wbuf    []byte
	corked  bool    // guarded by wmu: sealed packets go to held, not to nc
	held    []byte  // guarded by wmu: corked packets, in order
	heldBox *[]byte // guarded by wmu: held's heldPool entry, or nil
	padPool [512]byte
	padPos  int
	deflate deflater

	// afterAuth is set once user authentication has succeeded (see
	// EnableDelayedCompression). inflatePending and deflatePending ask the
	// reading goroutine's next packet and the next write to start delayed
	// compression, so that neither side waits for the other.
	afterAuth      atomic.Bool
	inflatePending atomic.Bool
	deflatePending atomic.Bool

	// trace and describer are set once by NewConn, or nil.
	trace     wire.Tracer
	describer *wire.TraceDescriber
}

var _ wire.Transport = (*Conn)(nil)

// direction is the protection state of one direction.
type direction struct {
	seq     uint32
	stream  cipher.Stream // nil for "none" and AEAD
	aead    cipher.AEAD
	mac     hash.Hash
	macSize int
	etm     bool
	block   int // alignment: max(8, cipher block size)
	tagSize int
	hdrLen  int // bytes to read before the length is known
	macBuf  [maxMACSize]byte
	seqBuf  [4]byte

	// sealTo is aead where it also seals from another buffer (decision
	// 0039).
	sealTo cipher.SealerTo
	// pair is mac where it computes two MACs at once and the MAC is
	// encrypt-then-MAC (decision 0037). Sending, a corked packet's MAC
	// waits in pend for the next packet of the same length; receiving,
	// the next packet's MAC is checked with the current one's when it is
	// already buffered, and ahead records that it passed.
	pair   cipher.PairSummer
	pend   pendingMAC
	ahead  aheadMAC
	paired uint64 // SumPair calls, for tests

	packets, bytes, keyPackets, keyBytes atomic.Uint64
}

func (d *direction) counters() Counters {
	return Counters{Packets: d.packets.Load(), Bytes: d.bytes.Load(),
		KeyPackets: d.keyPackets.Load(), KeyBytes: d.keyBytes.Load()}
}

// NewConn returns a Conn over nc. It does not start goroutines and does
// not touch nc until the first call. cfg may be nil.
func NewConn(nc net.Conn, cfg *Config) *Conn {
	c := &Conn{nc: nc, maxPacket: DefaultMaxPacketSize, rand: rand.Reader}
	if cfg != nil {
		if cfg.MaxPacketSize != 0 {
			c.maxPacket = max(cfg.MaxPacketSize, MinMaxPacketSize)
		}
		if cfg.Rand != nil {
			c.rand = cfg.Rand
		}
		c.server = cfg.Server
		if cfg.Trace != nil {
			c.trace = cfg.Trace
			c.describer = wire.NewTraceDescriber(cfg.Server)
		}
	}
	c.padPos = len(c.padPool)
	c.raw = rawConn(nc)
	c.rd.reset()
	c.wr.reset()
	return c
}

func (d *direction) reset() {
	d.block, d.hdrLen = 8, 4
}

// MaxPacketSize returns the largest packet_length the Conn accepts and
// sends.
func (c *Conn) MaxPacketSize() int { return c.maxPacket }

// SessionID returns the session identifier set with SetSessionID, or nil.
func (c *Conn) SessionID() []byte {
	c.sessionMu.Lock()
	defer c.sessionMu.Unlock()
	return c.sessionID
}

// SetSessionID records the session identifier, the exchange hash of the
// first key exchange (RFC 4253, Section 7.2), for SessionID. The key
// exchange calls it once; the Conn keeps its own copy.
func (c *Conn) SetSessionID(id []byte) {
	c.sessionMu.Lock()
	defer c.sessionMu.Unlock()
	c.sessionID = append([]byte(nil), id...)
}

// Close closes the underlying net.Conn. It is idempotent; later calls and
// any blocked or later ReadPacket and WritePacket return an error that
// wraps net.ErrClosed (or the earlier fatal error).
func (c *Conn) Close() error {
	c.setErr(fmt.Errorf("packet: connection closed: %w", net.ErrClosed))
	c.closeOnce.Do(func() { c.closeErr = c.nc.Close() })
	return c.closeErr
}

// Err returns the fatal error that ended the Conn, or nil.
func (c *Conn) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *Conn) setErr(err error) {
	c.err.CompareAndSwap(nil, &err)
}

// fail records err as the Conn's fatal error unless one is recorded, sends
// a best-effort DISCONNECT for protocol errors, closes the net.Conn and
// returns the recorded error.
func (c *Conn) fail(err error) error {
	if c.err.CompareAndSwap(nil, &err) {
		if reason := disconnectReason(err); reason != 0 {
			c.sendDisconnect(reason, err.Error())
		}
		c.closeOnce.Do(func() { c.closeErr = c.nc.Close() })
	}
	return c.Err()
}

// sendDisconnect writes SSH_MSG_DISCONNECT (RFC 4253, Section 11.1) if no
// other write is in progress, waiting at most disconnectTimeout.
func (c *Conn) sendDisconnect(reason wire.DisconnectReason, msg string) {
	if !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	m := wire.Disconnect{Reason: reason, Description: msg}
	c.nc.SetWriteDeadline(time.Now().Add(disconnectTimeout))
	c.writeLocked(m.Append(nil)) // best effort: the error is already recorded
}

// SetInitialKex marks whether the initial key exchange is in progress.
// While it is, a sequence number wrapping around to zero in either
// direction is fatal (ErrSeqWrap), as in OpenSSH; outside it, wrapping is
// silent (RFC 4253, Section 6.4).
func (c *Conn) SetInitialKex(inProgress bool) { c.initialKex.Store(inProgress) }

// ReadSeq returns the sequence number of the next packet ReadPacket will
// read. The packet last returned had ReadSeq()-1 (mod 2^32), unless
// ResetReadSeq was called since. Only the reading goroutine may call it.
func (c *Conn) ReadSeq() uint32 { return c.rd.seq }

// WriteSeq returns the sequence number of the next packet to be written.
func (c *Conn) WriteSeq() uint32 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.wr.seq
}

// ResetReadSeq sets the receive sequence number to zero. Strict key
// exchange (OpenSSH PROTOCOL, Section 1.9) calls it right after reading
// SSH_MSG_NEWKEYS; Keys.ResetSeq does the same as part of SetReadKeys.
// Only the reading goroutine may call it.
func (c *Conn) ResetReadSeq() { c.rd.seq, c.rd.ahead = 0, aheadMAC{} }

// ResetWriteSeq sets the send sequence number to zero. Strict key exchange
// calls it right after writing SSH_MSG_NEWKEYS; Keys.ResetSeq does the same
// as part of SetWriteKeys.
func (c *Conn) ResetWriteSeq() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wr.seq = 0
}

// ReadCounters returns the receive direction's counters. It is safe to
// call from any goroutine.
func (c *Conn) ReadCounters() Counters { return c.rd.counters() }

// WriteCounters returns the send direction's counters. It is safe to call
// from any goroutine.
func (c *Conn) WriteCounters() Counters { return c.wr.counters() }

// advance counts a packet of n wire bytes and increments the sequence
// number, which wraps silently except during the initial key exchange.
func (c *Conn) advance(d *direction, n int) error {
	d.packets.Add(1)
	d.keyPackets.Add(1)
	d.bytes.Add(uint64(n))
	d.keyBytes.Add(uint64(n))
	d.seq++
	if d.seq == 0 && c.initialKex.Load() {
		return ErrSeqWrap
	}
	return nil
}

// sum computes the MAC of seq || data into d.macBuf (RFC 4253,
// Section 6.4; for EtM, data is the length and ciphertext, PROTOCOL
// Section 1.5).
func (d *direction) sum(data []byte) []byte { return d.sumSeq(d.seq, data) }

func (d *direction) sumSeq(seq uint32, data []byte) []byte {
	binary.BigEndian.PutUint32(d.seqBuf[:], seq)
	d.mac.Reset()
	d.mac.Write(d.seqBuf[:])
	d.mac.Write(data)
	return d.mac.Sum(d.macBuf[:0])[:d.macSize]
}

// WritePacket pads, protects and sends one packet carrying payload, which
// starts with the message number (RFC 4253, Section 6). It does not retain
// payload. Packets are sent whole, in one Write on the net.Conn.
func (c *Conn) WritePacket(payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Err(); err != nil {
		return err
	}
	return c.writeLocked(payload)
}

// WritePacketSplit is WritePacket of the payload head followed by data
// (wire.SplitWriter): both are copied straight into the packet buffer.
func (c *Conn) WritePacketSplit(head, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Err(); err != nil {
		return err
	}
	if c.rarePath(head) {
		return c.writeLocked(joined(head, data))
	}
	return c.sealLocked(head, data)
}

// joined is head followed by data in new memory: the rare paths want the
// payload in one piece.
func joined(head, data []byte) []byte {
	return append(append(make([]byte, 0, len(head)+len(data)), head...), data...)
}

// rarePath reports whether a packet starting with head must go through
// writeLocked whole: compression, tracing, the server's USERAUTH_SUCCESS.
func (c *Conn) rarePath(head []byte) bool {
	return len(head) == 0 || c.deflate.on || c.deflatePending.Load() || c.trace != nil ||
		c.server && wire.MsgNum(head[0]) == wire.MsgUserauthSuccess
}

// WritePacketScratch is WritePacketSplit of head and buf[off:end], for a
// caller that lets the Conn use the bytes around the data: it may
// overwrite buf[:off] for good (the caller has sent or does not need
// them) and may change buf[end:] while it works, restoring them before it
// returns. The packet is put together around the data where it lies and
// encrypted straight into the write buffer, so the data is not copied
// first: by an AEAD that seals from one buffer into another
// (cipher.SealerTo: AES-GCM, chacha20-poly1305) or by a stream cipher
// (decision 0039). Other AEADs and "none" copy, as WritePacketSplit, and
// so does a buffer with less than wire.ScratchRoom around the data.
func (c *Conn) WritePacketScratch(head, buf []byte, off, end int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Err(); err != nil {
		return err
	}
	if c.rarePath(head) {
		return c.writeLocked(joined(head, buf[off:end]))
	}
	if c.wr.sealTo == nil && (c.wr.aead != nil || c.wr.stream == nil) {
		return c.sealLocked(head, buf[off:end]) // an AEAD that seals in place only, or "none"
	}
	return c.sealFromLocked(head, buf, off, end)
}

// packetBuf returns the total bytes a packet is sealed into: while
// corked, the end of what is held, so that a batch of packets costs no
// copy more than one packet does; else the write buffer. c.wmu held.
func (c *Conn) packetBuf(total int) []byte {
	if c.corked {
		c.takeHeld()
		off := len(c.held)
		c.held = slices.Grow(c.held, total)[:off+total]
		return c.held[off:]
	}
	if cap(c.wbuf) < total {
		c.wbuf = make([]byte, total, max(total, 2*cap(c.wbuf)))
	}
	return c.wbuf[:total]
}

// sealFromLocked is sealLocked for WritePacketScratch: the packet is
// put together around buf[off:end] and encrypted from there into the
// packet buffer, by the AEAD (cipher.SealerTo) or the stream cipher; the
// MAC, if any, is computed as sealLocked computes it.
func (c *Conn) sealFromLocked(head, buf []byte, off, end int) error {
	w := &c.wr
	n := len(head) + end - off
	pad, plen := w.padFor(n)
	start := off - len(head) - 5
	if plen > c.maxPacket || start < 0 || end+pad > len(buf) || pad > wire.ScratchRoom {
		return c.sealLocked(head, buf[off:end])
	}
	total := 4 + plen + w.macSize + w.tagSize
	b := c.packetBuf(total)
	var saved [wire.ScratchRoom]byte
	copy(saved[:pad], buf[end:])
	src := buf[start : end+pad]
	binary.BigEndian.PutUint32(src, uint32(plen))
	src[4] = byte(pad)
	copy(src[5:], head)
	err := c.padding(src[5+n:])
	if err == nil {
		switch {
		case w.sealTo != nil:
			w.sealTo.SealTo(w.seq, b, src)
		case w.etm:
			copy(b, src[:4])
			w.stream.CryptBlocks(b[4:4+plen], src[4:])
			c.etmMAC(b, plen, total)
		default:
			if w.mac != nil {
				copy(b[4+plen:], w.sum(src))
			}
			w.stream.CryptBlocks(b[:4+plen], src)
		}
	}
	copy(buf[end:], saved[:pad])
	if err != nil {
		return c.fail(err)
	}
	if err := c.emit(b); err != nil {
		return c.fail(fmt.Errorf("packet: writing: %w", err))
	}
	if err := c.advance(w, total); err != nil {
		return c.fail(err)
	}
	return nil
}

// padFor returns the padding for a payload of n bytes: at least 4
// bytes, so that the aligned part is a multiple of the block size (the
// length is outside it for EtM and AEAD), and the packet_length.
func (d *direction) padFor(n int) (pad, plen int) {
	aligned := 1 + n
	if d.aead == nil && !d.etm {
		aligned += 4
	}
	pad = d.block - aligned%d.block
	if pad < 4 {
		pad += d.block
	}
	return pad, 1 + n + pad
}

// etmMAC writes the MAC of the EtM packet b (length and ciphertext,
// plen bytes after the length) after it, or leaves it to pairMAC while
// corked; total is b's whole length, MAC included. c.wmu held.
func (c *Conn) etmMAC(b []byte, plen, total int) {
	w := &c.wr
	if c.corked && w.pair != nil {
		c.pairMAC(len(c.held)-total, 4+plen)
		return
	}
	copy(b[4+plen:], w.sum(b[:4+plen]))
}

func (c *Conn) writeLocked(payload []byte) error {
	if len(payload) == 0 {
		return ErrPayloadSize
	}
	if c.server && wire.MsgNum(payload[0]) == wire.MsgUserauthSuccess && !c.afterAuth.Load() {
		return c.writeAuthSuccessLocked(payload)
	}
	plain, seq := payload, c.wr.seq
	if c.deflatePending.Load() {
		c.deflatePending.Store(false)
		if c.deflate.method == CompressionDelayed && !c.deflate.on {
			c.deflate.start()
		}
	}
	if c.deflate.on {
		if 1+len(payload)+4 > c.maxPacket {
			return ErrPayloadSize // refused before the stream sees it
		}
		p, err := c.deflate.compress(payload)
		if err != nil {
			return c.fail(err)
		}
		payload = p
		if 1+len(payload)+4 > c.maxPacket {
			// The compressor's state now includes the payload: the
			// stream cannot continue without it.
			return c.fail(fmt.Errorf("%w: compressed payload of %d bytes", ErrPayloadSize, len(payload)))
		}
	}
	if err := c.sealLocked(payload, nil); err != nil {
		return err
	}
	if c.trace != nil {
		c.traceEvent(wire.DirSend, seq, plain)
	}
	return nil
}

// sealLocked frames, pads, seals and writes the payload head followed by
// data (RFC 4253, Section 6), copying each once into the write buffer.
func (c *Conn) sealLocked(head, data []byte) error {
	n := len(head) + len(data)
	w := &c.wr
	pad, plen := w.padFor(n)
	if plen > c.maxPacket {
		return ErrPayloadSize
	}
	total := 4 + plen + w.macSize + w.tagSize
	b := c.packetBuf(total)
	binary.BigEndian.PutUint32(b, uint32(plen))
	b[4] = byte(pad)
	copy(b[5+copy(b[5:], head):], data)
	if err := c.padding(b[5+n : 4+plen]); err != nil {
		return c.fail(err)
	}
	body := b[:4+plen]
	switch {
	case w.aead != nil:
		w.aead.Seal(w.seq, b)
	case w.etm:
		if w.stream != nil {
			w.stream.CryptBlocks(body[4:], body[4:])
		}
		c.etmMAC(b, plen, total)
	default:
		if w.mac != nil {
			copy(b[4+plen:], w.sum(body))
		}
		if w.stream != nil {
			w.stream.CryptBlocks(body, body)
		}
	}
	if err := c.emit(b); err != nil {
		return c.fail(fmt.Errorf("packet: writing: %w", err))
	}
	if err := c.advance(w, total); err != nil {
		return c.fail(err)
	}
	return nil
}

// maxHeld bounds the corked bytes; past it they are written at once. It
// takes a batch of eight 32 KiB channel packets (kex.Transport's
// WritePacketsSplit) in one write.
const maxHeld = 320 << 10

// heldPool keeps the buffers of corked packets between flushes, so that
// a connection that is not corked holds none and a bulk transfer that
// corks each batch allocates none.
var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// takeHeld gives c.held a buffer from heldPool if it has none; c.wmu held.
func (c *Conn) takeHeld() {
	if c.held == nil {
		c.heldBox = heldPool.Get().(*[]byte)
		c.held = (*c.heldBox)[:0]
	}
}

// returnHeld hands c.held back to heldPool; c.wmu held.
func (c *Conn) returnHeld() {
	if c.heldBox != nil {
		*c.heldBox = c.held[:0]
		heldPool.Put(c.heldBox)
	}
	c.held, c.heldBox = nil, nil
}

// emit writes the sealed packet b, or, while corked (b then already sits
// at the end of c.held), writes what is held once it passes maxHeld;
// c.wmu held.
func (c *Conn) emit(b []byte) error {
	if !c.corked {
		_, err := c.nc.Write(b)
		return err
	}
	if len(c.held) < maxHeld {
		return nil
	}
	return c.flushLocked()
}

// Cork makes WritePacket (and WriteNewKeys) hold the packets it seals
// instead of writing each at once, until Flush: a key exchange's reply,
// NEWKEYS and EXT_INFO then leave in one write, and the peer wakes once
// for them. Packets are sealed, numbered and counted as they are written;
// only the network write waits. At most maxHeld bytes are held.
func (c *Conn) Cork() {
	c.wmu.Lock()
	c.corked = true
	c.wmu.Unlock()
}

// Flush writes the packets held since Cork, in one write, and ends the
// cork. A write error is returned here (and is fatal, as for WritePacket).
func (c *Conn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.corked = false
	if err := c.flushLocked(); err != nil {
		return c.fail(fmt.Errorf("packet: writing: %w", err))
	}
	return nil
}

// A pendingMAC is a packet sealed into c.held, encrypted, whose MAC is
// not computed yet: it is computed with the next packet's if that has
// the same length, else alone, and always before the held bytes leave
// (flushLocked) or the keys change.
type pendingMAC struct {
	ok   bool
	off  int // in c.held
	blen int // length and ciphertext: what the MAC covers
	seq  uint32
}

// pairMAC gives the EtM packet just sealed at c.held[off:], covering
// blen bytes before its MAC, its MAC: with the pending packet's in one
// SumPair if their lengths match, else it becomes the pending one;
// c.wmu held, corked.
func (c *Conn) pairMAC(off, blen int) {
	w := &c.wr
	if p := w.pend; p.ok && p.blen == blen {
		w.pend.ok = false
		w.paired++
		w.pair.SumPair(p.seq, c.held[p.off:p.off+blen], w.seq, c.held[off:off+blen],
			c.held[p.off+blen:p.off+blen+w.macSize], c.held[off+blen:off+blen+w.macSize])
		return
	}
	c.finishMAC()
	w.pend = pendingMAC{ok: true, off: off, blen: blen, seq: w.seq}
}

// finishMAC computes the pending packet's MAC alone; c.wmu held.
func (c *Conn) finishMAC() {
	w := &c.wr
	if p := w.pend; p.ok {
		w.pend.ok = false
		copy(c.held[p.off+p.blen:], w.sumSeq(p.seq, c.held[p.off:p.off+p.blen]))
	}
}

// An aheadMAC records that the packet with sequence number seq and
// packet_length plen, the next in the read buffer, has had its MAC
// checked, with the one before it.
type aheadMAC struct {
	ok   bool
	seq  uint32
	plen uint32
}

// verifyETM checks the MAC of the EtM packet pkt (length, ciphertext,
// MAC) at c.rpos, reporting false on a mismatch. If the packet after it
// is buffered whole and has the same length, both MACs are computed in
// one SumPair and the second result is kept for the next call.
func (c *Conn) verifyETM(pkt []byte, plen uint32) bool {
	r := &c.rd
	blen := 4 + int(plen)
	if a := r.ahead; a.ok {
		r.ahead.ok = false
		if a.seq == r.seq && a.plen == plen {
			return true
		}
	}
	next := c.rbuf[c.rpos+len(pkt) : c.rend]
	if r.pair == nil || len(next) < len(pkt) || binary.BigEndian.Uint32(next) != plen {
		return subtle.ConstantTimeCompare(r.sum(pkt[:blen]), pkt[blen:]) == 1
	}
	var ma, mb [maxMACSize]byte
	r.paired++
	r.pair.SumPair(r.seq, pkt[:blen], r.seq+1, next[:blen], ma[:r.macSize], mb[:r.macSize])
	if subtle.ConstantTimeCompare(ma[:r.macSize], pkt[blen:]) != 1 {
		return false
	}
	// A mismatch here is not an error yet: the next packet may follow
	// NEWKEYS, under other keys; it is checked again when read.
	if subtle.ConstantTimeCompare(mb[:r.macSize], next[blen:len(pkt)]) == 1 {
		r.ahead = aheadMAC{ok: true, seq: r.seq + 1, plen: plen}
	}
	return true
}

func (c *Conn) flushLocked() error {
	c.finishMAC()
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.held)
	if !c.corked {
		c.returnHeld() // an idle connection holds no buffer
	} else {
		c.held = c.held[:0]
	}
	return err
}

// padding fills p with random bytes from a pool refilled from c.rand.
func (c *Conn) padding(p []byte) error {
	if c.padPos+len(p) > len(c.padPool) {
		if _, err := io.ReadFull(c.rand, c.padPool[:]); err != nil {
			return fmt.Errorf("packet: reading random padding: %w", err)
		}
		c.padPos = 0
	}
	c.padPos += copy(p, c.padPool[c.padPos:])
	return nil
}

// ReadPacket reads, verifies and decrypts the next binary packet (RFC 4253,
// Section 6) and returns its payload, message number first. The payload
// aliases an internal buffer and is valid only until the next call.
//
// The packet_length is checked against the maximum and the block size as
// soon as its first bytes arrive, before the rest is buffered (ErrLength).
// The MAC or AEAD tag is verified before any payload byte is used (ErrMAC;
// for EtM and AEAD, before anything but the length is decrypted). All
// errors are fatal.
func (c *Conn) ReadPacket() ([]byte, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	seq := c.rd.seq
	p, err := c.readPacket()
	if err != nil {
		return nil, c.fail(err)
	}
	if !c.server && wire.MsgNum(p[0]) == wire.MsgUserauthSuccess {
		c.EnableDelayedCompression()
	}
	if c.trace != nil {
		c.traceEvent(wire.DirRecv, seq, p)
	}
	return p, nil
}

func (c *Conn) readPacket() ([]byte, error) {
	r := &c.rd
	if err := c.fill(r.hdrLen); err != nil {
		return nil, err
	}
	hdr := c.rbuf[c.rpos : c.rpos+r.hdrLen]
	var plen uint32
	switch {
	case r.aead != nil:
		plen = r.aead.PacketLength(r.seq, hdr)
	case r.stream != nil && !r.etm:
		r.stream.CryptBlocks(hdr, hdr) // first block, to learn the length
		plen = binary.BigEndian.Uint32(hdr)
	default:
		plen = binary.BigEndian.Uint32(hdr)
	}
	// docs/security.md#p1, #p2: bound and align the length before buffering.
	aligned := uint64(plen)
	if r.aead == nil && !r.etm {
		aligned += 4
	}
	if plen > uint32(c.maxPacket) || plen < 5 || aligned%uint64(r.block) != 0 || int(aligned) < r.hdrLen {
		return nil, fmt.Errorf("%w: %d", ErrLength, plen)
	}
	total := 4 + int(plen) + r.macSize + r.tagSize
	if err := c.fill(total); err != nil {
		return nil, err
	}
	pkt := c.rbuf[c.rpos : c.rpos+total]
	body := pkt[:4+plen]
	switch {
	case r.aead != nil:
		if r.aead.Open(r.seq, pkt) != nil {
			return nil, ErrMAC
		}
	case r.etm:
		if !c.verifyETM(pkt, plen) {
			return nil, ErrMAC
		}
		if r.stream != nil {
			r.stream.CryptBlocks(body[4:], body[4:])
		}
	default:
		if r.stream != nil {
			rest := body[r.hdrLen:]
			r.stream.CryptBlocks(rest, rest)
		}
		if r.mac != nil && subtle.ConstantTimeCompare(r.sum(body), pkt[4+plen:]) != 1 {
			return nil, ErrMAC
		}
	}
	// docs/security.md#p3, #p4: at least 4 bytes of padding and a non-empty
	// payload; plen >= 5 was checked above, so body[4] exists.
	padLen := int(body[4])
	if padLen < 4 || padLen+1 >= int(plen) {
		return nil, fmt.Errorf("%w: %d of %d", ErrPadding, padLen, plen)
	}
	payload := body[5 : 4+int(plen)-padLen]
	c.rpos += total
	if err := c.advance(r, total); err != nil {
		return nil, err
	}
	if c.inflatePending.Load() {
		c.inflatePending.Store(false)
		if c.inflate.method == CompressionDelayed && !c.inflate.on {
			c.inflate.start()
		}
	}
	if c.inflate.on {
		return c.inflate.decompress(payload, c.maxPacket)
	}
	return payload, nil
}

// Buffered reports whether a whole packet is already buffered, so that
// the next ReadPacket returns without reading from the network. It is
// false when that cannot be told without decrypting the packet (a stream
// cipher with a MAC that is not EtM: the length is in the first
// encrypted block). A length that ReadPacket would reject counts as
// buffered: ReadPacket returns its error at once. Nothing is consumed,
// and the buffer is left as it is (chacha20-poly1305's length is
// decrypted aside). Reading goroutine only.
func (c *Conn) Buffered() bool {
	r := &c.rd
	if r.stream != nil && !r.etm && r.aead == nil {
		return false
	}
	if c.rend-c.rpos < r.hdrLen {
		return false
	}
	hdr := c.rbuf[c.rpos : c.rpos+r.hdrLen]
	var plen uint32
	if r.aead != nil {
		// PacketLength leaves hdr as it is (cipher.AEAD).
		plen = r.aead.PacketLength(r.seq, hdr)
	} else {
		plen = binary.BigEndian.Uint32(hdr)
	}
	if plen > uint32(c.maxPacket) {
		return true
	}
	return c.rend-c.rpos >= 4+int(plen)+r.macSize+r.tagSize
}

// KeepPayload makes the payload the last ReadPacket returned stay valid
// across later calls, for a reader that has to read on while another
// goroutine may still use it: the Conn moves the bytes it has buffered
// past the payload, and its decompression window, to new memory and
// leaves the old to the holder and the garbage collector. That costs an
// allocation of the read buffer's size (and the window's), so it is for
// the exception, not for every packet. Reading goroutine only.
func (c *Conn) KeepPayload() {
	if c.rbuf != nil {
		nb := make([]byte, max(len(c.rbuf), initialReadBuffer))
		c.rend = copy(nb, c.rbuf[c.rpos:c.rend])
		c.rpos = 0
		c.rbuf = nb
	}
	if c.inflate.z != nil {
		c.inflate.z.keep()
	}
}

// A readError is a failed read from the network: "packet: reading: "
// and the cause, which errors.Is and As see. Every connection ends with
// one, so it is built without fmt, whose deep frames would grow a
// small goroutine stack for an error that is rarely printed.
type readError struct{ err error }

func (e *readError) Error() string { return "packet: reading: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// fill makes sure at least n unread bytes are buffered, reading as much as
// the net.Conn has ready so that a whole packet usually takes one read.
func (c *Conn) fill(n int) error {
	if c.rpos == c.rend {
		c.rpos, c.rend = 0, 0
		if c.raw != nil && len(c.rbuf) <= initialReadBuffer {
			if err := c.readIdle(); err != nil {
				return &readError{err}
			}
		}
	}
	for c.rend-c.rpos < n {
		if c.rpos+n > len(c.rbuf) {
			// Room for four packets of this (validated) size, so that
			// bulk transfers rarely move a partial packet to the front;
			// at most twice the largest packet (docs/security.md#e0).
			if want := min(4*n, 2*(4+c.maxPacket+maxMACSize)); want > len(c.rbuf) {
				nb := make([]byte, max(want, initialReadBuffer))
				c.rend = copy(nb, c.rbuf[c.rpos:c.rend])
				if len(c.rbuf) == initialReadBuffer {
					readPool.Put((*[initialReadBuffer]byte)(c.rbuf))
				}
				c.rbuf = nb
			} else {
				c.rend = copy(c.rbuf, c.rbuf[c.rpos:c.rend])
			}
			c.rpos = 0
		}
		m, err := c.nc.Read(c.rbuf[c.rend:])
		c.rend += m
		if err != nil {
			if c.rend-c.rpos >= n {
				return nil
			}
			if errors.Is(err, io.EOF) && c.rend > c.rpos {
				err = io.ErrUnexpectedEOF
			}
			return &readError{err}
		}
	}
	return nil
}
