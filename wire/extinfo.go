package wire

// RFC 8308 extension negotiation: SSH_MSG_EXT_INFO and SSH_MSG_NEWCOMPRESS.

// Extension names (RFC 8308, Section 3; OpenSSH PROTOCOL, Section 1.9).
const (
	ExtServerSigAlgs      = "server-sig-algs"                 // value: name-list (NameListValue)
	ExtDelayCompression   = "delay-compression"               // RFC 8308, Section 3.2
	ExtNoFlowControl      = "no-flow-control"                 // RFC 8308, Section 3.3; value "p" or "s"
	ExtElevation          = "elevation"                       // RFC 8308, Section 3.4
	ExtPublicKeyHostbound = "publickey-hostbound@openssh.com" // value ExtVersion0
	ExtPing               = "ping@openssh.com"                // value ExtVersion0
)

// ExtVersion0 is the value of the OpenSSH extensions that carry a version
// number, publickey-hostbound@openssh.com and ping@openssh.com.
const ExtVersion0 = "0"

// MaxExtensions caps nr-extensions in EXT_INFO (docs/security.md#w7,
// CVE-2026-55199).
const MaxExtensions = 256

// An Extension is one name and value of EXT_INFO. Value is the contents of
// the extension-value string and aliases the payload.
type Extension struct {
	Name  string
	Value []byte
}

// ExtInfo is SSH_MSG_EXT_INFO (RFC 8308, Section 2.3).
type ExtInfo struct {
	Extensions []Extension
}

// ParseExtInfo decodes SSH_MSG_EXT_INFO. nr-extensions is checked against
// the bytes that remain (8 bytes per extension at least) before anything
// is allocated, and more than MaxExtensions is an ErrTooLarge.
func ParseExtInfo(p []byte) (ExtInfo, error) {
	var m ExtInfo
	r := Reader{b: p}
	r.Expect(MsgExtInfo)
	if n := r.Count(8, MaxExtensions, "nr-extensions"); n > 0 {
		m.Extensions = make([]Extension, n)
		for i := range m.Extensions {
			m.Extensions[i].Name = r.Text()
			m.Extensions[i].Value = r.StringBytes()
		}
	}
	if err := r.End("EXT_INFO"); err != nil {
		return ExtInfo{}, err
	}
	return m, nil
}

func (m *ExtInfo) Num() MsgNum { return MsgExtInfo }

func (m *ExtInfo) Append(b []byte) []byte {
	b = AppendUint32(append(b, byte(MsgExtInfo)), uint32(len(m.Extensions)))
	for _, e := range m.Extensions {
		b = AppendString(AppendString(b, e.Name), e.Value)
	}
	return b
}

// Lookup returns the value of the first extension called name.
func (m *ExtInfo) Lookup(name string) (value []byte, ok bool) {
	for _, e := range m.Extensions {
		if e.Name == name {
			return e.Value, true
		}
	}
	return nil, false
}

// ParseNameListValue decodes an extension value that is a name-list, such
// as that of server-sig-algs (RFC 8308, Section 3.1): the value is the
// comma-separated names, with the checks and cap of Reader.NameList.
func ParseNameListValue(v []byte) ([]string, error) {
	r := Reader{b: AppendString(make([]byte, 0, 4+len(v)), v)}
	names := r.NameList()
	return names, r.End("extension value")
}

// NameListValue returns the extension value for names: the names joined
// by commas.
func NameListValue(names []string) []byte {
	return AppendNameList(nil, names)[4:]
}

// NewCompress is SSH_MSG_NEWCOMPRESS (RFC 8308, Section 3.2).
type NewCompress struct{}

// ParseNewCompress decodes SSH_MSG_NEWCOMPRESS.
func ParseNewCompress(p []byte) (NewCompress, error) {
	r := Reader{b: p}
	r.Expect(MsgNewCompress)
	return NewCompress{}, r.End("NEWCOMPRESS")
}

func (m *NewCompress) Num() MsgNum { return MsgNewCompress }

func (m *NewCompress) Append(b []byte) []byte { return append(b, byte(MsgNewCompress)) }
