package gssapi

import (
	"encoding/binary"
)

// Credential token (gss_export_cred / gss_import_cred, as
// python-gssapi's Credentials.export and Credentials(token=)). The format
// is this package's own:
//
//	"SSGK" 1 usage(1)
//	ccache  (uint32 length, MIT version 4 cache; 0 for none)
//	keytab  (uint32 length, MIT keytab; 0 for none)
//	acceptor name (uint16 length, exported name; 0 for any)
//
// The token holds keys in the clear: protect it like a keytab.

const credMagic = "SSGK\x01"

// Export serializes the credential, its TGT and tickets and its keytab,
// for ImportCredential in another process.
func (c *Credential) Export() ([]byte, error) {
	b := append([]byte(credMagic), byte(c.usage))
	var cc []byte
	if c.canInitiate() && c.name != nil && len(c.tgt.SName.NameString) > 0 {
		var err error
		if cc, err = c.ccacheBytes(); err != nil {
			return nil, err
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(cc)))
	b = append(b, cc...)
	var kt []byte
	if c.keytab != nil {
		var err error
		if kt, err = c.keytab.Marshal(); err != nil {
			return nil, wrapError(StatusFailure, err, "encoding keytab")
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(kt)))
	b = append(b, kt...)
	var an []byte
	if c.acceptName != nil {
		an, _ = c.acceptName.Export()
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(an)))
	return append(b, an...), nil
}

// ImportCredential recreates a credential from Export's output. cfg may
// be nil (KRB5_CONFIG). Errors: ErrDefectiveCredential or
// ErrDefectiveToken for malformed input, ErrCredentialsExpired.
func ImportCredential(b []byte, cfg *Config) (*Credential, error) {
	bad := func(what string) (*Credential, error) {
		return nil, newError(StatusDefectiveToken, 0, "exported credential: %s", what)
	}
	if len(b) < len(credMagic)+1 || string(b[:len(credMagic)]) != credMagic {
		return bad("bad header")
	}
	c := &Credential{usage: Usage(b[len(credMagic)]), cfg: cfg, tickets: map[string]serviceTicket{}}
	if c.usage > UsageAccept {
		return bad("bad usage")
	}
	p := b[len(credMagic)+1:]
	field := func(n4 bool) ([]byte, bool) {
		hl := 2
		if n4 {
			hl = 4
		}
		if len(p) < hl {
			return nil, false
		}
		var n uint64
		if n4 {
			n = uint64(binary.BigEndian.Uint32(p))
		} else {
			n = uint64(binary.BigEndian.Uint16(p))
		}
		if uint64(len(p)-hl) < n {
			return nil, false
		}
		f := p[hl : hl+int(n)]
		p = p[hl+int(n):]
		return f, true
	}
	cc, ok1 := field(true)
	kt, ok2 := field(true)
	an, ok3 := field(false)
	if !ok1 || !ok2 || !ok3 || len(p) != 0 {
		return bad("truncated or trailing bytes")
	}
	if c.canInitiate() {
		if len(cc) == 0 {
			return bad("initiator credential without a cache")
		}
		if err := c.useCCache(cc, "exported credential"); err != nil {
			return nil, err
		}
	}
	if c.canAccept() {
		if len(kt) == 0 {
			return bad("acceptor credential without a keytab")
		}
		k, err := parseKeytab(kt, "exported credential")
		if err != nil {
			return nil, err
		}
		c.keytab = k
		if len(an) > 0 {
			n, err := importExportedName(an)
			if err != nil {
				return nil, err
			}
			c.acceptName = n
			if c.usage == UsageAccept {
				c.name = n
			}
		}
	}
	return c, nil
}
