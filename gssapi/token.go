package gssapi

import (
	"encoding/binary"
)

// Token identifiers of the Kerberos mechanism (RFC 4121, Section 4.1
// and Section 4.2.6; RFC 1964, Section 1.1).
const (
	tokAPReq    uint16 = 0x0100
	tokAPRep    uint16 = 0x0200
	tokKRBError uint16 = 0x0300
	tokMIC      uint16 = 0x0404
	tokWrap     uint16 = 0x0504
)

// maxTokenLen caps every token this package parses: an AP-REQ with a
// large PAC and a forwarded TGT stays far below it.
const maxTokenLen = 1 << 20

// wrapInitialToken frames a context-establishment token (RFC 2743,
// Section 3.1): [APPLICATION 0] { mech OID, TOK_ID, inner }.
func wrapInitialToken(tokID uint16, inner []byte) []byte {
	oid := MechKerberos5.DER()
	n := len(oid) + 2 + len(inner)
	b := []byte{0x60}
	b = appendDERLength(b, n)
	b = append(b, oid...)
	b = binary.BigEndian.AppendUint16(b, tokID)
	return append(b, inner...)
}

func appendDERLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// parseDERLength reads a definite DER length and returns it with the
// number of bytes it took.
func parseDERLength(b []byte) (int, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, true
	}
	nb := int(b[0] & 0x7f)
	if nb == 0 || nb > 4 || len(b) < 1+nb {
		return 0, 0, false
	}
	n := 0
	for _, x := range b[1 : 1+nb] {
		n = n<<8 | int(x)
	}
	if n < 0x80 || n > maxTokenLen {
		return 0, 0, false // non-minimal or too large
	}
	return n, 1 + nb, true
}

// ParseInitialToken splits a framed context token (RFC 2743, Section
// 3.1) into its mechanism OID, the Kerberos TOK_ID and the inner
// message. It returns ErrDefectiveToken for bad framing, trailing data
// or truncation, and ErrBadMech (with the OID) when the mechanism is not
// Kerberos 5.
func ParseInitialToken(b []byte) (mech OID, tokID uint16, inner []byte, err error) {
	if len(b) > maxTokenLen+16 {
		return "", 0, nil, newError(StatusDefectiveToken, 0, "token of %d bytes too large", len(b))
	}
	if len(b) < 2 || b[0] != 0x60 {
		return "", 0, nil, newError(StatusDefectiveToken, 0, "token does not start with [APPLICATION 0]")
	}
	n, l, ok := parseDERLength(b[1:])
	if !ok || 1+l+n != len(b) {
		return "", 0, nil, newError(StatusDefectiveToken, 0, "bad token length")
	}
	body := b[1+l:]
	mech, m, err2 := OIDFromDER(body)
	if err2 != nil {
		return "", 0, nil, newError(StatusDefectiveToken, 0, "bad mechanism OID in token")
	}
	if mech != MechKerberos5 {
		return mech, 0, nil, newError(StatusBadMech, 0, "token for mechanism %s", mech)
	}
	body = body[m:]
	if len(body) < 2 {
		return mech, 0, nil, newError(StatusDefectiveToken, 0, "token truncated before TOK_ID")
	}
	return mech, binary.BigEndian.Uint16(body), body[2:], nil
}
