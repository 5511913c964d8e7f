package wire

// RFC 4253 transport layer messages: Sections 7.1, 10, 11.

// Disconnect is SSH_MSG_DISCONNECT (RFC 4253, Section 11.1).
type Disconnect struct {
	Reason      DisconnectReason
	Description string // should be UTF-8 but not checked; sanitise before display
	Language    string // RFC 3066 tag
}

// ParseDisconnect decodes SSH_MSG_DISCONNECT. The description is not
// checked for UTF-8, so that a peer's disconnect is always recognised as
// one (docs/security.md#w4: display text is sanitised, not rejected).
func ParseDisconnect(p []byte) (Disconnect, error) {
	var m Disconnect
	r := Reader{b: p}
	r.Expect(MsgDisconnect)
	m.Reason = DisconnectReason(r.Uint32())
	m.Description = r.Text()
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

// Ignore is SSH_MSG_IGNORE (RFC 4253, Section 11.2).
type Ignore struct {
	Data []byte // aliases the payload
}

// ParseIgnore decodes SSH_MSG_IGNORE.
func ParseIgnore(p []byte) (Ignore, error) {
	var m Ignore
	r := Reader{b: p}
	r.Expect(MsgIgnore)
	m.Data = r.StringBytes()
	return m, r.End("IGNORE")
}

func (m *Ignore) Num() MsgNum { return MsgIgnore }

func (m *Ignore) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgIgnore)), m.Data)
}

// Unimplemented is SSH_MSG_UNIMPLEMENTED (RFC 4253, Section 11.4).
type Unimplemented struct {
	SeqNum uint32 // packet sequence number of the rejected message
}

// ParseUnimplemented decodes SSH_MSG_UNIMPLEMENTED without allocating.
func ParseUnimplemented(p []byte) (Unimplemented, error) {
	var m Unimplemented
	r := Reader{b: p}
	r.Expect(MsgUnimplemented)
	m.SeqNum = r.Uint32()
	return m, r.End("UNIMPLEMENTED")
}

func (m *Unimplemented) Num() MsgNum { return MsgUnimplemented }

func (m *Unimplemented) Append(b []byte) []byte {
	return AppendUint32(append(b, byte(MsgUnimplemented)), m.SeqNum)
}

// Debug is SSH_MSG_DEBUG (RFC 4253, Section 11.3).
type Debug struct {
	AlwaysDisplay bool
	Message       string // peer text, not checked; sanitise before display
	Language      string // RFC 3066 tag
}

// ParseDebug decodes SSH_MSG_DEBUG.
func ParseDebug(p []byte) (Debug, error) {
	var m Debug
	r := Reader{b: p}
	r.Expect(MsgDebug)
	m.AlwaysDisplay = r.Bool()
	m.Message = r.Text()
	m.Language = r.Text()
	return m, r.End("DEBUG")
}

func (m *Debug) Num() MsgNum { return MsgDebug }

func (m *Debug) Append(b []byte) []byte {
	b = AppendBool(append(b, byte(MsgDebug)), m.AlwaysDisplay)
	return AppendString(AppendString(b, m.Message), m.Language)
}

// Service names (RFC 4253, Section 10; RFC 4250, Section 4.9.1).
const (
	ServiceUserauth   = "ssh-userauth"
	ServiceConnection = "ssh-connection"
)

// ServiceRequest is SSH_MSG_SERVICE_REQUEST (RFC 4253, Section 10).
type ServiceRequest struct {
	Service string // e.g. ServiceUserauth
}

// ParseServiceRequest decodes SSH_MSG_SERVICE_REQUEST.
func ParseServiceRequest(p []byte) (ServiceRequest, error) {
	var m ServiceRequest
	r := Reader{b: p}
	r.Expect(MsgServiceRequest)
	m.Service = r.Text()
	return m, r.End("SERVICE_REQUEST")
}

func (m *ServiceRequest) Num() MsgNum { return MsgServiceRequest }

func (m *ServiceRequest) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgServiceRequest)), m.Service)
}

// ServiceAccept is SSH_MSG_SERVICE_ACCEPT (RFC 4253, Section 10).
type ServiceAccept struct {
	Service string
}

// ParseServiceAccept decodes SSH_MSG_SERVICE_ACCEPT.
func ParseServiceAccept(p []byte) (ServiceAccept, error) {
	var m ServiceAccept
	r := Reader{b: p}
	r.Expect(MsgServiceAccept)
	m.Service = r.Text()
	return m, r.End("SERVICE_ACCEPT")
}

func (m *ServiceAccept) Num() MsgNum { return MsgServiceAccept }

func (m *ServiceAccept) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgServiceAccept)), m.Service)
}

// NewKeys is SSH_MSG_NEWKEYS (RFC 4253, Section 7.3).
type NewKeys struct{}

// ParseNewKeys decodes SSH_MSG_NEWKEYS.
func ParseNewKeys(p []byte) (NewKeys, error) {
	r := Reader{b: p}
	r.Expect(MsgNewKeys)
	return NewKeys{}, r.End("NEWKEYS")
}

func (m *NewKeys) Num() MsgNum { return MsgNewKeys }

func (m *NewKeys) Append(b []byte) []byte { return append(b, byte(MsgNewKeys)) }

// Ping is SSH2_MSG_PING (OpenSSH PROTOCOL, Section 1.9 "transport: ping
// facility"). The receiver answers with a Pong carrying the same data, but
// not before authentication or during key exchange (docs/security.md#r5).
type Ping struct {
	Data []byte // aliases the payload
}

// ParsePing decodes SSH2_MSG_PING.
func ParsePing(p []byte) (Ping, error) {
	var m Ping
	r := Reader{b: p}
	r.Expect(MsgPing)
	m.Data = r.StringBytes()
	return m, r.End("PING")
}

func (m *Ping) Num() MsgNum { return MsgPing }

func (m *Ping) Append(b []byte) []byte { return AppendString(append(b, byte(MsgPing)), m.Data) }

// Pong is SSH2_MSG_PONG (OpenSSH PROTOCOL, Section 1.9).
type Pong struct {
	Data []byte // aliases the payload
}

// ParsePong decodes SSH2_MSG_PONG.
func ParsePong(p []byte) (Pong, error) {
	var m Pong
	r := Reader{b: p}
	r.Expect(MsgPong)
	m.Data = r.StringBytes()
	return m, r.End("PONG")
}

func (m *Pong) Num() MsgNum { return MsgPong }

func (m *Pong) Append(b []byte) []byte { return AppendString(append(b, byte(MsgPong)), m.Data) }
