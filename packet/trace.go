package packet

import "github.com/sshstack/sshstack/wire"

// traceEvent hands one payload to the Config's Trace hook. The payload is
// the plaintext (before compression when sending, after decompression
// when receiving); seq is the sequence number it was carried under
// (RFC 4253, Section 6.4).
func (c *Conn) traceEvent(dir wire.Direction, seq uint32, payload []byte) {
	c.trace(c.describer.Event(dir, seq, payload))
}
