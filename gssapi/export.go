package gssapi

import (
	"encoding/binary"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"
)

// Interprocess context token (GSS_Export_sec_context and
// GSS_Import_sec_context, RFC 2743, Sections 2.2.8 and 2.2.9). The
// format is this package's own (MIT's is private to MIT too):
//
//	"SSGC" 1 role(1) flags(4) expiry(8) sendSeq(8) recvNext(8) recvSeen(8)
//	key*3 (type int32, len uint16, bytes; accSubkey len 0 if absent)
//	initiator name, target name (len uint16, exported name)
//
// The token holds the context's keys in the clear: protect it like a
// keytab.

const exportMagic = "SSGC\x01"

// Export serializes an established context and deletes it, so only the
// importing process can use it. Errors: ErrNoContext, ErrUnavailable
// (not established).
func (c *Context) Export() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateEstablished {
		return nil, newError(StatusUnavailable, 0, "only an established context can be exported")
	}
	b := []byte(exportMagic)
	role := byte(0)
	if c.initiator {
		role = 1
	}
	b = append(b, role)
	b = binary.BigEndian.AppendUint32(b, uint32(c.flags))
	b = binary.BigEndian.AppendUint64(b, uint64(c.expiry.Unix()))
	b = binary.BigEndian.AppendUint64(b, c.sendSeq)
	b = binary.BigEndian.AppendUint64(b, c.recv.next)
	b = binary.BigEndian.AppendUint64(b, c.recv.seen)
	acc := c.accSubkey
	if !c.haveAccKey {
		acc = types.EncryptionKey{}
	}
	for _, k := range []types.EncryptionKey{c.sessionKey, c.initSubkey, acc} {
		b = binary.BigEndian.AppendUint32(b, uint32(k.KeyType))
		b = binary.BigEndian.AppendUint16(b, uint16(len(k.KeyValue)))
		b = append(b, k.KeyValue...)
	}
	for _, n := range []*Name{c.initName, c.targetName} {
		e, err := n.Export()
		if err != nil {
			return nil, err
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	c.state = stateDeleted
	return b, nil
}

// ImportContext recreates a context from Export's output. Errors:
// ErrDefectiveToken for a malformed token.
func ImportContext(b []byte) (*Context, error) {
	bad := func(what string) (*Context, error) {
		return nil, newError(StatusDefectiveToken, 0, "exported context: %s", what)
	}
	if len(b) < len(exportMagic)+1+4+8*5 || string(b[:len(exportMagic)]) != exportMagic {
		return bad("bad header")
	}
	p := b[len(exportMagic):]
	c := &Context{state: stateEstablished, initiator: p[0] == 1}
	if p[0] > 1 {
		return bad("bad role")
	}
	c.flags = Flags(binary.BigEndian.Uint32(p[1:]))
	c.expiry = time.Unix(int64(binary.BigEndian.Uint64(p[5:])), 0)
	c.sendSeq = binary.BigEndian.Uint64(p[13:])
	next, seen := binary.BigEndian.Uint64(p[21:]), binary.BigEndian.Uint64(p[29:])
	p = p[37:]
	var keys [3]types.EncryptionKey
	for i := range keys {
		if len(p) < 6 {
			return bad("truncated key")
		}
		keys[i].KeyType = int32(binary.BigEndian.Uint32(p))
		n := int(binary.BigEndian.Uint16(p[4:]))
		if len(p) < 6+n {
			return bad("truncated key")
		}
		keys[i].KeyValue = append([]byte(nil), p[6:6+n]...)
		p = p[6+n:]
	}
	var names [2]*Name
	for i := range names {
		if len(p) < 2 || len(p) < 2+int(binary.BigEndian.Uint16(p)) {
			return bad("truncated name")
		}
		n := int(binary.BigEndian.Uint16(p))
		name, err := importExportedName(p[2 : 2+n])
		if err != nil {
			return bad("bad name")
		}
		names[i] = name
		p = p[2+n:]
	}
	if len(p) != 0 {
		return bad("trailing bytes")
	}
	c.sessionKey, c.initSubkey = keys[0], keys[1]
	if keys[2].KeyType != 0 {
		c.accSubkey, c.haveAccKey = keys[2], true
	}
	c.initName, c.targetName = names[0], names[1]
	if err := c.establish(next); err != nil {
		return nil, newError(StatusDefectiveToken, 0, "exported context: %v", err)
	}
	c.recv.seen = seen
	return c, nil
}
