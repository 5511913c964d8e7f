package gssapi

import (
	"crypto/md5"
	"encoding/binary"
)

// ChannelBindings are the channel bindings of a context (RFC 2743,
// Section 1.1.6; gss_channel_bindings_struct of RFC 2744, Section 3.11).
// Address types are the GSS_C_AF_* values; most applications only set
// ApplicationData.
type ChannelBindings struct {
	InitiatorAddrType uint32
	InitiatorAddress  []byte
	AcceptorAddrType  uint32
	AcceptorAddress   []byte
	ApplicationData   []byte
}

// hash returns the 16-byte MD5 hash carried in the authenticator
// checksum (RFC 4121, Section 4.1.1.2). A nil ChannelBindings hashes to
// zeros.
func (cb *ChannelBindings) hash() [16]byte {
	var out [16]byte
	if cb == nil {
		return out
	}
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, cb.InitiatorAddrType)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.InitiatorAddress)))
	b = append(b, cb.InitiatorAddress...)
	b = binary.LittleEndian.AppendUint32(b, cb.AcceptorAddrType)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.AcceptorAddress)))
	b = append(b, cb.AcceptorAddress...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.ApplicationData)))
	b = append(b, cb.ApplicationData...)
	return md5.Sum(b)
}

// gssChecksumType is the authenticator checksum type of the Kerberos
// GSS mechanism (RFC 4121, Section 4.1.1).
const gssChecksumType = 0x8003

// A gssChecksum is the content of the 0x8003 authenticator checksum
// (RFC 4121, Section 4.1.1).
type gssChecksum struct {
	Bnd   [16]byte
	Flags uint32
	Deleg []byte // KRB-CRED, present when Flags has FlagDelegate
	Exts  []byte
}

func (c *gssChecksum) marshal() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 16)
	b = append(b, c.Bnd[:]...)
	b = binary.LittleEndian.AppendUint32(b, c.Flags)
	if c.Deleg != nil {
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(c.Deleg)))
		b = append(b, c.Deleg...)
	}
	return append(b, c.Exts...)
}

// parseGSSChecksum decodes the 0x8003 checksum.
func parseGSSChecksum(b []byte) (gssChecksum, error) {
	var c gssChecksum
	if len(b) < 24 {
		return c, newError(StatusDefectiveToken, krbAPErrInappCksum, "authenticator checksum of %d bytes", len(b))
	}
	if binary.LittleEndian.Uint32(b) != 16 {
		return c, newError(StatusDefectiveToken, krbAPErrInappCksum, "authenticator checksum Lgth %d", binary.LittleEndian.Uint32(b))
	}
	copy(c.Bnd[:], b[4:20])
	c.Flags = binary.LittleEndian.Uint32(b[20:])
	rest := b[24:]
	if c.Flags&uint32(FlagDelegate) != 0 && len(rest) > 0 {
		if len(rest) < 4 || binary.LittleEndian.Uint16(rest) != 1 {
			return c, newError(StatusDefectiveToken, krbAPErrInappCksum, "bad delegation option in authenticator checksum")
		}
		n := int(binary.LittleEndian.Uint16(rest[2:]))
		if len(rest) < 4+n {
			return c, newError(StatusDefectiveToken, krbAPErrInappCksum, "delegation truncated in authenticator checksum")
		}
		c.Deleg = rest[4 : 4+n]
		rest = rest[4+n:]
	}
	if len(rest) > 0 {
		c.Exts = rest
	}
	return c, nil
}
