package wire

import (
	"encoding/binary"
	"math/big"
	"strings"
)

// AppendBool appends an RFC 4251 boolean; true is always encoded as 1.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendUint32 appends a big-endian uint32.
func AppendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// AppendUint64 appends a big-endian uint64.
func AppendUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// AppendString appends an RFC 4251 string: uint32 length, then bytes.
func AppendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// AppendNameList appends an RFC 4251 name-list. The caller ensures that
// no name is empty or contains a comma.
func AppendNameList(b []byte, names []string) []byte {
	n := 0
	for i, s := range names {
		if i > 0 {
			n++
		}
		n += len(s)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for i, s := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	return b
}

// AppendMPIntBytes appends an RFC 4251 mpint whose value is the unsigned
// big-endian magnitude mag (leading zero bytes are dropped, and a zero
// byte is added where the top bit is set). A shared secret from an ECDH or
// KEM exchange is encoded this way.
func AppendMPIntBytes(b []byte, mag []byte) []byte {
	for len(mag) > 0 && mag[0] == 0 {
		mag = mag[1:]
	}
	if len(mag) > 0 && mag[0]&0x80 != 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(len(mag)+1))
		b = append(b, 0)
		return append(b, mag...)
	}
	return AppendString(b, mag)
}

// AppendMPInt appends a non-negative *big.Int as an RFC 4251 mpint.
// It panics if v is negative, which is a programming error.
func AppendMPInt(b []byte, v *big.Int) []byte {
	if v.Sign() < 0 {
		panic("wire: AppendMPInt of a negative value")
	}
	n := (v.BitLen() + 7) / 8
	pad := 0
	if n > 0 && v.BitLen()%8 == 0 {
		pad = 1 // top bit set: a leading zero keeps it positive
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n+pad))
	if pad == 1 {
		b = append(b, 0)
	}
	start := len(b)
	b = append(b, make([]byte, n)...)
	v.FillBytes(b[start:])
	return b
}

// ValidName reports whether s can stand in a name-list: non-empty,
// printable US-ASCII, no commas, at most 64 characters (RFC 4251, Section 6).
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 || strings.IndexByte(s, ',') >= 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
