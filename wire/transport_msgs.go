package wire

// RFC 4253 transport layer messages: Sections 7.1, 10, 11.

// Disconnect is SSH_MSG_DISCONNECT (RFC 4253, Section 11.1).
type Disconnect struct {
	Reason      DisconnectReason
	Description string // ISO-10646 UTF-8; sanitise before display
	Language    string // RFC 3066 tag
}

// ParseDisconnect decodes SSH_MSG_DISCONNECT.
func ParseDisconnect(p []byte) (Disconnect, error) {
	var m Disconnect
	r := Reader{b: p}
	r.Expect(MsgDisconnect)
	m.Reason = DisconnectReason(r.Uint32())
	m.Description = r.UTF8()
	m.Language = r.Text()
	return m, r.End("DISCONNECT")
}

func (m *Disconnect) Num() MsgNum { return MsgDisconnect }

func (m *Disconnect) Append(b []byte) []byte {
	b = append(b, byte(MsgDisconnect))
	b = AppendUint32(b, uint32(m.Reason))
	b = AppendString(b, m.Description)
	return AppendString(b, m.Language)
}

// KexInit is SSH_MSG_KEXINIT (RFC 4253, Section 7.1).
type KexInit struct {
	Cookie                  [16]byte
	KexAlgorithms           []string
	ServerHostKeyAlgorithms []string
	CiphersClientServer     []string
	CiphersServerClient     []string
	MACsClientServer        []string
	MACsServerClient        []string
	CompressionClientServer []string
	CompressionServerClient []string
	LanguagesClientServer   []string
	LanguagesServerClient   []string
	FirstKexPacketFollows   bool
	Reserved                uint32 // must be 0 when sent; ignored when received
}

// ParseKexInit decodes SSH_MSG_KEXINIT.
func ParseKexInit(p []byte) (KexInit, error) {
	var m KexInit
	r := Reader{b: p}
	r.Expect(MsgKexInit)
	r.Bytes(m.Cookie[:])
	m.KexAlgorithms = r.NameList()
	m.ServerHostKeyAlgorithms = r.NameList()
	m.CiphersClientServer = r.NameList()
	m.CiphersServerClient = r.NameList()
	m.MACsClientServer = r.NameList()
	m.MACsServerClient = r.NameList()
	m.CompressionClientServer = r.NameList()
	m.CompressionServerClient = r.NameList()
	m.LanguagesClientServer = r.NameList()
	m.LanguagesServerClient = r.NameList()
	m.FirstKexPacketFollows = r.Bool()
	m.Reserved = r.Uint32()
	return m, r.End("KEXINIT")
}

func (m *KexInit) Num() MsgNum { return MsgKexInit }

func (m *KexInit) Append(b []byte) []byte {
	b = append(b, byte(MsgKexInit))
	b = append(b, m.Cookie[:]...)
	for _, l := range [...][]string{
		m.KexAlgorithms, m.ServerHostKeyAlgorithms,
		m.CiphersClientServer, m.CiphersServerClient,
		m.MACsClientServer, m.MACsServerClient,
		m.CompressionClientServer, m.CompressionServerClient,
		m.LanguagesClientServer, m.LanguagesServerClient,
	} {
		b = AppendNameList(b, l)
	}
	b = AppendBool(b, m.FirstKexPacketFollows)
	return AppendUint32(b, m.Reserved)
}
