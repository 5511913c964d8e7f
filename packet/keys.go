package packet

import (
	"fmt"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/wire"
)

// Keys are the negotiated algorithms and key material of one direction,
// as the key exchange derives them (RFC 4253, Section 7.2): IV is key A or
// B, Key is C or D, MACKey is E or F, each exactly as long as the
// algorithm's cipher.Algorithm.IVSize, KeySize and cipher.MAC.KeySize.
// The Conn does not retain the slices: the caller may wipe them after the
// call.
type Keys struct {
	Cipher string // encryption algorithm name, looked up with cipher.LookupAlgorithm
	MAC    string // MAC name; ignored for AEAD ciphers, may be empty only with "none"
	IV     []byte
	Key    []byte
	MACKey []byte

	// Compression is the negotiated compression method: "" or "none",
	// "zlib" (starts with these keys) or "zlib@openssh.com" (starts when
	// EnableDelayedCompression is called after user authentication).
	Compression string

	// ResetSeq restarts this direction's sequence number at zero with
	// these keys, as strict key exchange requires after every NEWKEYS
	// (OpenSSH PROTOCOL, Section 1.9).
	ResetSeq bool
}

// newDirection builds the protection state for k; decrypt selects the
// receiving side.
func newDirection(k Keys, decrypt bool) (*direction, error) {
	alg, ok := cipher.LookupAlgorithm(k.Cipher)
	if !ok {
		return nil, fmt.Errorf("%w: unknown cipher %q", ErrAlgorithm, k.Cipher)
	}
	d := &direction{block: max(8, alg.BlockSize), hdrLen: 4}
	var err error
	if alg.AEAD() {
		d.aead, err = alg.NewAEAD(k.Key, k.IV)
		d.tagSize = alg.TagSize
	} else {
		var s cipher.Stream
		s, err = alg.NewStream(k.Key, k.IV, decrypt)
		if k.Cipher != cipher.None {
			d.stream = s
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAlgorithm, err)
	}
	if alg.AEAD() {
		return d, nil
	}
	if k.MAC == "" {
		if k.Cipher != cipher.None {
			return nil, fmt.Errorf("%w: cipher %q needs a MAC", ErrAlgorithm, k.Cipher)
		}
		return d, nil
	}
	m, ok := cipher.LookupMAC(k.MAC)
	if !ok {
		return nil, fmt.Errorf("%w: unknown MAC %q", ErrAlgorithm, k.MAC)
	}
	if len(k.MACKey) != m.KeySize || m.Size > maxMACSize {
		return nil, fmt.Errorf("%w: %s needs a %d-byte key, got %d", ErrAlgorithm, m.Name, m.KeySize, len(k.MACKey))
	}
	d.mac, d.macSize, d.etm = m.New(k.MACKey), m.Size, m.ETM
	if d.stream != nil && !d.etm {
		d.hdrLen = d.block // the first block is decrypted to learn the length
	}
	return d, nil
}

// install moves the new protection state into d, keeping the sequence
// number (unless reset) and the total counters.
func (d *direction) install(n *direction, resetSeq bool) {
	seq := d.seq
	if resetSeq {
		seq = 0
	}
	d.seq = seq
	d.stream, d.aead, d.mac = n.stream, n.aead, n.mac
	d.macSize, d.etm, d.block, d.tagSize, d.hdrLen = n.macSize, n.etm, n.block, n.tagSize, n.hdrLen
	d.pair, d.pend, d.ahead = nil, pendingMAC{}, aheadMAC{}
	d.sealTo, _ = n.aead.(cipher.SealerTo)
	if ps, ok := n.mac.(cipher.PairSummer); ok && n.etm {
		d.pair = ps
	}
	d.keyPackets.Store(0)
	d.keyBytes.Store(0)
}

// SetReadKeys switches the receive direction to k. The key exchange calls
// it after ReadPacket has returned SSH_MSG_NEWKEYS and before the next
// ReadPacket (RFC 4253, Section 7.3); bytes already buffered are decrypted
// with k. Only the reading goroutine may call it. Errors wrap ErrAlgorithm
// and leave the Conn unchanged.
func (c *Conn) SetReadKeys(k Keys) error {
	d, err := newDirection(k, true)
	if err != nil {
		return err
	}
	if err := c.inflate.set(k.Compression, c.afterAuth.Load()); err != nil {
		return err
	}
	c.rd.install(d, k.ResetSeq)
	return nil
}

// SetWriteKeys switches the send direction to k. The key exchange calls it
// right after writing SSH_MSG_NEWKEYS (RFC 4253, Section 7.3) and must keep
// other writers out in between; WriteNewKeys does both in one step. Errors
// wrap ErrAlgorithm and leave the Conn unchanged.
func (c *Conn) SetWriteKeys(k Keys) error {
	d, err := newDirection(k, false)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.deflate.set(k.Compression, c.afterAuth.Load()); err != nil {
		return err
	}
	c.finishMAC()
	c.wr.install(d, k.ResetSeq)
	return nil
}

// WriteNewKeys writes SSH_MSG_NEWKEYS under the current keys and switches
// the send direction to k before any other packet can be written
// (RFC 4253, Section 7.3). k is checked first: on an ErrAlgorithm error
// nothing is written.
func (c *Conn) WriteNewKeys(k Keys) error {
	d, err := newDirection(k, false)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.deflate.check(k.Compression); err != nil {
		return err
	}
	if err := c.Err(); err != nil {
		return err
	}
	newKeys := [1]byte{byte(wire.MsgNewKeys)}
	if err := c.writeLocked(newKeys[:]); err != nil {
		return err
	}
	c.deflate.set(k.Compression, c.afterAuth.Load()) // checked above
	c.finishMAC()                                    // NEWKEYS's, under the old key
	c.wr.install(d, k.ResetSeq)
	return nil
}
