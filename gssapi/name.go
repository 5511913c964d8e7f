package gssapi

import (
	"encoding/binary"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"
)

// A Name is a GSS-API internal name (RFC 2743, Section 1.1.5). A name
// made by NewName is not yet bound to a mechanism; Canonicalize makes a
// mechanism name (MN), a Kerberos principal with its realm. Names are
// immutable and safe for concurrent use.
type Name struct {
	display  string // as given, or the principal's display form for an MN
	nameType OID
	mech     OID // non-empty for a mechanism name

	// For a mechanism name: the Kerberos principal.
	principal types.PrincipalName
	realm     string
}

// Kerberos well-known anonymous principal (RFC 8062, Section 3).
const (
	anonymousRealm = "WELLKNOWN:ANONYMOUS"
	ntWellKnown    = 11 // KRB_NT_WELLKNOWN
)

// NewName imports a name (GSS_Import_name, RFC 2743, Section 2.4.5).
// nameType is one of the Name* OIDs; empty means NameKerberosPrincipal
// for strings containing '@' or '/', and NameUser otherwise, as
// MIT's default name type does. For NameMachineUID, s is the 4-byte UID
// in host byte order. For NameExport, s is the output of Export and the
// result is a mechanism name. Errors are ErrBadName or ErrBadNameType.
func NewName(s string, nameType OID) (*Name, error) {
	if nameType == "" {
		nameType = NameKerberosPrincipal
	}
	switch nameType {
	case NameHostbasedService, NameUser, NameKerberosPrincipal, NameStringUID, NameAnonymous:
		if s == "" && nameType != NameAnonymous {
			return nil, newError(StatusBadName, 0, "empty name")
		}
		return &Name{display: s, nameType: nameType}, nil
	case NameMachineUID:
		if len(s) != 4 {
			return nil, newError(StatusBadName, 0, "machine UID name must be 4 bytes, got %d", len(s))
		}
		return &Name{display: s, nameType: nameType}, nil
	case NameExport:
		return importExportedName([]byte(s))
	default:
		return nil, newError(StatusBadNameType, 0, "name type %s not supported", nameType)
	}
}

// HostbasedService returns the name "service@host".
func HostbasedService(service, host string) *Name {
	return &Name{display: service + "@" + host, nameType: NameHostbasedService}
}

// String returns the display form (GSS_Display_name).
func (n *Name) String() string {
	if n == nil {
		return ""
	}
	if n.nameType == NameMachineUID && n.mech == "" {
		return strconv.FormatUint(uint64(binary.NativeEndian.Uint32([]byte(n.display))), 10)
	}
	return n.display
}

// Type returns the name type OID. For a mechanism name it is
// NameKerberosPrincipal.
func (n *Name) Type() OID {
	if n == nil {
		return ""
	}
	return n.nameType
}

// Mech returns the mechanism of a mechanism name, or "" if n is not one.
func (n *Name) Mech() OID {
	if n == nil {
		return ""
	}
	return n.mech
}

// IsMechName reports whether n is a mechanism name (the result of
// Canonicalize, of a context's peer name or of a credential's name).
func (n *Name) IsMechName() bool { return n != nil && n.mech != "" }

// Canonicalize returns the mechanism name of n for mech
// (GSS_Canonicalize_name, RFC 2743, Section 2.4.14), using the default
// configuration (KRB5_CONFIG). A host-based service "svc@host" becomes
// "svc/host@REALM" with the realm from [domain_realm]; no DNS
// canonicalization is done, as with dns_canonicalize_hostname = false.
func (n *Name) Canonicalize(mech OID) (*Name, error) {
	return n.CanonicalizeConfig(nil, mech)
}

// CanonicalizeConfig is Canonicalize with an explicit configuration.
func (n *Name) CanonicalizeConfig(cfg *Config, mech OID) (*Name, error) {
	if n == nil {
		return nil, newError(StatusBadName, 0, "nil name")
	}
	if mech == "" {
		mech = MechKerberos5
	}
	if mech != MechKerberos5 {
		return nil, newError(StatusBadMech, 0, "mechanism %s not supported", mech)
	}
	if n.mech == mech {
		return n, nil
	}
	k, err := cfg.krb5()
	if err != nil {
		return nil, err
	}
	var pn types.PrincipalName
	var realm string
	switch n.nameType {
	case NameHostbasedService:
		svc, host, ok := strings.Cut(n.display, "@")
		if !ok || host == "" {
			host, _ = os.Hostname()
		}
		if svc == "" {
			return nil, newError(StatusBadName, 0, "empty service in %q", n.display)
		}
		host = canonicalHost(k, host)
		pn = types.PrincipalName{NameType: nametype.KRB_NT_SRV_HST, NameString: []string{svc, host}}
		realm = realmForHost(k, host)
		if net.ParseIP(host) != nil {
			realm = k.LibDefaults.DefaultRealm
		}
	case NameUser, NameKerberosPrincipal:
		pn, realm, err = parsePrincipal(n.display)
		if err != nil {
			return nil, err
		}
		if realm == "" {
			realm = k.LibDefaults.DefaultRealm
		}
	case NameStringUID, NameMachineUID:
		uid := n.display
		if n.nameType == NameMachineUID {
			uid = strconv.FormatUint(uint64(binary.NativeEndian.Uint32([]byte(n.display))), 10)
		}
		u, err := user.LookupId(uid)
		if err != nil {
			return nil, wrapError(StatusBadName, err, "no user with uid %s", uid)
		}
		pn = types.PrincipalName{NameType: nametype.KRB_NT_PRINCIPAL, NameString: []string{u.Username}}
		realm = k.LibDefaults.DefaultRealm
	case NameAnonymous:
		pn = types.PrincipalName{NameType: ntWellKnown, NameString: []string{"WELLKNOWN", "ANONYMOUS"}}
		realm = anonymousRealm
	default:
		return nil, newError(StatusBadNameType, 0, "name type %s not supported", n.nameType)
	}
	if realm == "" {
		return nil, newError(StatusBadName, 0, "no realm for %q (no default_realm in krb5.conf)", n.display)
	}
	return principalName(pn, realm), nil
}

// principalName returns the mechanism name of a Kerberos principal.
func principalName(pn types.PrincipalName, realm string) *Name {
	return &Name{
		display:   principalString(pn, realm),
		nameType:  NameKerberosPrincipal,
		mech:      MechKerberos5,
		principal: pn,
		realm:     realm,
	}
}

// principalString formats a principal as MIT's krb5_unparse_name does,
// escaping '/', '@' and '\' inside components.
func principalString(pn types.PrincipalName, realm string) string {
	var sb strings.Builder
	esc := strings.NewReplacer(`\`, `\\`, `/`, `\/`, `@`, `\@`, "\n", `\n`, "\t", `\t`, "\x00", `\0`)
	for i, c := range pn.NameString {
		if i > 0 {
			sb.WriteByte('/')
		}
		sb.WriteString(esc.Replace(c))
	}
	sb.WriteByte('@')
	sb.WriteString(strings.NewReplacer(`\`, `\\`, `@`, `\@`).Replace(realm))
	return sb.String()
}

// parsePrincipal parses "a/b@REALM" with MIT's escapes. The realm is ""
// if absent.
func parsePrincipal(s string) (types.PrincipalName, string, error) {
	var comps []string
	var cur strings.Builder
	realm, inRealm := "", false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			if i+1 >= len(s) {
				return types.PrincipalName{}, "", newError(StatusBadName, 0, "trailing backslash in %q", s)
			}
			i++
			switch s[i] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case '0':
				c = 0
			default:
				c = s[i]
			}
			cur.WriteByte(c)
			continue
		}
		switch {
		case c == '/' && !inRealm:
			comps = append(comps, cur.String())
			cur.Reset()
		case c == '@' && !inRealm:
			comps = append(comps, cur.String())
			cur.Reset()
			inRealm = true
		case c == '@':
			return types.PrincipalName{}, "", newError(StatusBadName, 0, "unescaped '@' in realm of %q", s)
		default:
			cur.WriteByte(c)
		}
	}
	if inRealm {
		realm = cur.String()
		if realm == "" {
			return types.PrincipalName{}, "", newError(StatusBadName, 0, "empty realm in %q", s)
		}
	} else {
		comps = append(comps, cur.String())
	}
	for _, c := range comps {
		if c == "" {
			return types.PrincipalName{}, "", newError(StatusBadName, 0, "empty component in %q", s)
		}
	}
	nt := nametype.KRB_NT_PRINCIPAL
	if len(comps) == 2 && comps[0] != "krbtgt" {
		nt = nametype.KRB_NT_SRV_HST
	} else if len(comps) == 2 {
		nt = nametype.KRB_NT_SRV_INST
	}
	return types.PrincipalName{NameType: nt, NameString: comps}, realm, nil
}

// Equal reports whether n and o name the same principal
// (GSS_Compare_name, RFC 2743, Section 2.4.3). Names that are not
// mechanism names are canonicalized for Kerberos first; names that
// cannot be canonicalized compare by type and display form.
func (n *Name) Equal(o *Name) bool {
	if n == nil || o == nil {
		return n == o
	}
	a, err1 := n.Canonicalize(MechKerberos5)
	b, err2 := o.Canonicalize(MechKerberos5)
	if err1 != nil || err2 != nil {
		return n.nameType == o.nameType && n.display == o.display
	}
	return a.realm == b.realm && a.principal.Equal(b.principal)
}

// Export returns the exported form of a mechanism name
// (GSS_Export_name, RFC 2743, Section 3.2): 04 01, the 2-byte length of
// the DER mechanism OID, the OID, the 4-byte length of the name and the
// name. It returns ErrNameNotMN for a name that is not a mechanism name.
func (n *Name) Export() ([]byte, error) {
	if n == nil {
		return nil, newError(StatusBadName, 0, "nil name")
	}
	if n.mech == "" {
		return nil, newError(StatusNameNotMN, 0, "%q is not a mechanism name", n.display)
	}
	der := n.mech.DER()
	b := []byte{0x04, 0x01}
	b = binary.BigEndian.AppendUint16(b, uint16(len(der)))
	b = append(b, der...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(n.display)))
	return append(b, n.display...), nil
}

// importExportedName parses the output of Export.
func importExportedName(b []byte) (*Name, error) {
	if len(b) < 4 || b[0] != 0x04 || b[1] != 0x01 {
		return nil, newError(StatusBadName, 0, "not an exported name")
	}
	ol := int(binary.BigEndian.Uint16(b[2:]))
	if len(b) < 4+ol+4 {
		return nil, newError(StatusBadName, 0, "exported name truncated")
	}
	mech, n, err := OIDFromDER(b[4 : 4+ol])
	if err != nil || n != ol {
		return nil, newError(StatusBadName, 0, "exported name has a bad mechanism OID")
	}
	if mech != MechKerberos5 {
		return nil, newError(StatusBadMech, 0, "exported name for mechanism %s", mech)
	}
	rest := b[4+ol:]
	nl := binary.BigEndian.Uint32(rest)
	if uint64(nl) != uint64(len(rest)-4) {
		return nil, newError(StatusBadName, 0, "exported name length mismatch")
	}
	pn, realm, err := parsePrincipal(string(rest[4:]))
	if err != nil {
		return nil, err
	}
	if realm == "" {
		return nil, newError(StatusBadName, 0, "exported name without realm")
	}
	return principalName(pn, realm), nil
}

// sameMN reports whether two mechanism names are the same principal.
func sameMN(a *Name, pn types.PrincipalName, realm string) bool {
	return a.realm == realm && a.principal.Equal(pn)
}

// DisplayAs returns the name in the syntax of another name type
// (gss_display_name_ext, python-gssapi's Name.display_as). A Kerberos
// mechanism name "svc/host@REALM" displays as NameHostbasedService
// "svc@host"; NameKerberosPrincipal gives String. Other conversions fail
// with ErrUnavailable.
func (n *Name) DisplayAs(nameType OID) (string, error) {
	if n == nil {
		return "", newError(StatusBadName, 0, "nil name")
	}
	switch {
	case nameType == n.nameType || nameType == NameKerberosPrincipal && n.mech != "":
		return n.String(), nil
	case nameType == NameHostbasedService && n.mech != "" && len(n.principal.NameString) == 2:
		return n.principal.NameString[0] + "@" + n.principal.NameString[1], nil
	case nameType == NameUser && n.mech != "" && len(n.principal.NameString) == 1:
		return n.principal.NameString[0], nil
	}
	return "", newError(StatusUnavailable, 0, "cannot display %q as %s", n, nameType)
}
