package gssapi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// An OID is an ASN.1 object identifier in dotted form, such as
// "1.2.840.113554.1.2.2". The zero value is the empty OID, which stands
// for "the default mechanism" where an OID is optional (RFC 2743,
// Section 1.2.4).
type OID string

// Mechanism and name-type OIDs (RFC 2743, Section 4; RFC 1964,
// Section 2.1; RFC 4121, Section 1).
const (
	// MechKerberos5 is the Kerberos V5 mechanism (RFC 1964, RFC 4121).
	MechKerberos5 OID = "1.2.840.113554.1.2.2"

	// NameHostbasedService is GSS_C_NT_HOSTBASED_SERVICE,
	// "service@host" (RFC 2743, Section 4.1).
	NameHostbasedService OID = "1.2.840.113554.1.2.1.4"
	// NameUser is GSS_C_NT_USER_NAME, a local user name (RFC 2743,
	// Section 4.2).
	NameUser OID = "1.2.840.113554.1.2.1.1"
	// NameMachineUID is GSS_C_NT_MACHINE_UID_NAME, a numeric user ID as
	// 4 bytes in host byte order (RFC 2743, Section 4.3).
	NameMachineUID OID = "1.2.840.113554.1.2.1.2"
	// NameStringUID is GSS_C_NT_STRING_UID_NAME, a user ID as decimal
	// digits (RFC 2743, Section 4.4).
	NameStringUID OID = "1.2.840.113554.1.2.1.3"
	// NameAnonymous is GSS_C_NT_ANONYMOUS (RFC 2743, Section 4.6).
	NameAnonymous OID = "1.3.6.1.5.6.3"
	// NameExport is GSS_C_NT_EXPORT_NAME, the output of Name.Export
	// (RFC 2743, Section 4.7).
	NameExport OID = "1.3.6.1.5.6.4"
	// NameKerberosPrincipal is GSS_KRB5_NT_PRINCIPAL_NAME,
	// "name/instance@REALM" (RFC 1964, Section 2.1.1).
	NameKerberosPrincipal OID = "1.2.840.113554.1.2.2.1"
)

// ErrInvalidOID is returned by ParseOID and OIDFromDER for malformed input.
var ErrInvalidOID = errors.New("gssapi: invalid object identifier")

// maxOIDLen caps the DER content of an OID this package will decode.
const maxOIDLen = 64

// ParseOID checks a dotted-decimal OID and returns it.
func ParseOID(dotted string) (OID, error) {
	parts := strings.Split(dotted, ".")
	if len(parts) < 2 {
		return "", fmt.Errorf("%w: %q", ErrInvalidOID, dotted)
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || (p != "0" && p[0] == '0') {
			return "", fmt.Errorf("%w: %q", ErrInvalidOID, dotted)
		}
		if (i == 0 && v > 2) || (i == 1 && parts[0] != "2" && v > 39) {
			return "", fmt.Errorf("%w: %q", ErrInvalidOID, dotted)
		}
	}
	return OID(dotted), nil
}

// String returns the dotted form.
func (o OID) String() string { return string(o) }

// Bytes returns the DER contents octets of o (without tag and length),
// the form python-gssapi's OID.__bytes__ returns. It returns nil for an
// invalid OID.
func (o OID) Bytes() []byte {
	if o == "" {
		return nil
	}
	parts := strings.Split(string(o), ".")
	if len(parts) < 2 {
		return nil
	}
	var vals []uint64
	for _, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil
		}
		vals = append(vals, v)
	}
	b := appendBase128(nil, vals[0]*40+vals[1])
	for _, v := range vals[2:] {
		b = appendBase128(b, v)
	}
	return b
}

// DER returns the full DER encoding of o: tag 0x06, length, contents.
func (o OID) DER() []byte {
	c := o.Bytes()
	if c == nil || len(c) > 127 {
		return nil
	}
	return append([]byte{0x06, byte(len(c))}, c...)
}

func appendBase128(b []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(b, tmp[i:]...)
}

// OIDFromBytes decodes DER contents octets (no tag, no length) into an OID.
func OIDFromBytes(c []byte) (OID, error) {
	if len(c) == 0 || len(c) > maxOIDLen {
		return "", ErrInvalidOID
	}
	var sb strings.Builder
	var v uint64
	first := true
	for i, x := range c {
		if v == 0 && x == 0x80 {
			return "", ErrInvalidOID // non-minimal encoding
		}
		v = v<<7 | uint64(x&0x7f)
		if v > 1<<32 {
			return "", ErrInvalidOID
		}
		if x&0x80 != 0 {
			if i == len(c)-1 {
				return "", ErrInvalidOID
			}
			continue
		}
		if first {
			a, b := v/40, v%40
			if a > 2 {
				a, b = 2, v-80
			}
			sb.WriteString(strconv.FormatUint(a, 10))
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(b, 10))
			first = false
		} else {
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return OID(sb.String()), nil
}

// OIDFromDER decodes a full DER OID (tag 0x06, short-form length,
// contents) and returns it with the number of bytes consumed.
func OIDFromDER(b []byte) (OID, int, error) {
	if len(b) < 2 || b[0] != 0x06 || b[1] > 127 || int(b[1]) > len(b)-2 {
		return "", 0, ErrInvalidOID
	}
	n := int(b[1])
	o, err := OIDFromBytes(b[2 : 2+n])
	if err != nil {
		return "", 0, err
	}
	return o, 2 + n, nil
}

// An OIDSet is a set of OIDs (RFC 2743, Section 1.2.4). The methods keep
// it free of duplicates.
type OIDSet []OID

// Contains reports whether o is in s.
func (s OIDSet) Contains(o OID) bool {
	for _, x := range s {
		if x == o {
			return true
		}
	}
	return false
}

// Add returns s with o appended unless it is present already.
func (s OIDSet) Add(o OID) OIDSet {
	if s.Contains(o) {
		return s
	}
	return append(s, o)
}

// IndicateMechs returns the mechanisms this package implements
// (GSS_Indicate_mechs, RFC 2743, Section 2.4.2).
func IndicateMechs() OIDSet { return OIDSet{MechKerberos5} }

// InquireNamesForMech returns the name types the mechanism accepts
// (GSS_Inquire_names_for_mech, RFC 2743, Section 2.4.12).
func InquireNamesForMech(mech OID) (OIDSet, error) {
	if mech != MechKerberos5 {
		return nil, newError(StatusBadMech, 0, "mechanism %s not supported", mech)
	}
	return OIDSet{NameHostbasedService, NameUser, NameMachineUID, NameStringUID,
		NameAnonymous, NameExport, NameKerberosPrincipal}, nil
}
