package wire

// Key exchange method messages (numbers 30-49, RFC 4250, Section 4.1.2).
// The same numbers mean different messages in different methods; the
// types here are named by method, and ParseMessage chooses among them by
// Context.

// KexDHInit is SSH_MSG_KEXDH_INIT (RFC 4253, Section 8).
type KexDHInit struct {
	E []byte // minimal big-endian magnitude of the mpint e; aliases the payload
}

// ParseKexDHInit decodes SSH_MSG_KEXDH_INIT. e must be a non-negative,
// minimally encoded mpint of at most MaxMPIntBits; the kex layer checks
// that it lies in [2, p-2] (docs/security.md#k8).
func ParseKexDHInit(p []byte) (KexDHInit, error) {
	var m KexDHInit
	r := Reader{b: p}
	r.Expect(MsgKexDHInit)
	m.E = r.MPIntBytes()
	return m, r.End("KEXDH_INIT")
}

func (m *KexDHInit) Num() MsgNum { return MsgKexDHInit }

func (m *KexDHInit) Append(b []byte) []byte {
	return AppendMPIntBytes(append(b, byte(MsgKexDHInit)), m.E)
}

// KexDHReply is SSH_MSG_KEXDH_REPLY (RFC 4253, Section 8).
type KexDHReply struct {
	HostKey   []byte // K_S, the host key blob
	F         []byte // minimal big-endian magnitude of the mpint f
	Signature []byte // signature blob of H
}

// ParseKexDHReply decodes SSH_MSG_KEXDH_REPLY. The slices alias the
// payload.
func ParseKexDHReply(p []byte) (KexDHReply, error) {
	var m KexDHReply
	r := Reader{b: p}
	r.Expect(MsgKexDHReply)
	m.HostKey = r.StringBytes()
	m.F = r.MPIntBytes()
	m.Signature = r.StringBytes()
	return m, r.End("KEXDH_REPLY")
}

func (m *KexDHReply) Num() MsgNum { return MsgKexDHReply }

func (m *KexDHReply) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgKexDHReply)), m.HostKey)
	b = AppendMPIntBytes(b, m.F)
	return AppendString(b, m.Signature)
}

// KexECDHInit is SSH_MSG_KEX_ECDH_INIT (RFC 5656, Section 7.1). The same
// layout serves curve25519-sha256 (RFC 8731) and the hybrid KEMs
// sntrup761x25519-sha512 and mlkem768x25519-sha256, where ClientPublic is
// the concatenated KEM public key and X25519 share.
type KexECDHInit struct {
	ClientPublic []byte // Q_C; aliases the payload; validated by kex
}

// ParseKexECDHInit decodes SSH_MSG_KEX_ECDH_INIT.
func ParseKexECDHInit(p []byte) (KexECDHInit, error) {
	var m KexECDHInit
	r := Reader{b: p}
	r.Expect(MsgKexECDHInit)
	m.ClientPublic = r.StringBytes()
	return m, r.End("KEX_ECDH_INIT")
}

func (m *KexECDHInit) Num() MsgNum { return MsgKexECDHInit }

func (m *KexECDHInit) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgKexECDHInit)), m.ClientPublic)
}

// KexECDHReply is SSH_MSG_KEX_ECDH_REPLY (RFC 5656, Section 7.1; same
// layout for RFC 8731 and the hybrid KEMs, where ServerPublic is the KEM
// ciphertext and X25519 share).
type KexECDHReply struct {
	HostKey      []byte // K_S
	ServerPublic []byte // Q_S; validated by kex
	Signature    []byte
}

// ParseKexECDHReply decodes SSH_MSG_KEX_ECDH_REPLY. The slices alias the
// payload.
func ParseKexECDHReply(p []byte) (KexECDHReply, error) {
	var m KexECDHReply
	r := Reader{b: p}
	r.Expect(MsgKexECDHReply)
	m.HostKey = r.StringBytes()
	m.ServerPublic = r.StringBytes()
	m.Signature = r.StringBytes()
	return m, r.End("KEX_ECDH_REPLY")
}

func (m *KexECDHReply) Num() MsgNum { return MsgKexECDHReply }

func (m *KexECDHReply) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgKexECDHReply)), m.HostKey)
	b = AppendString(b, m.ServerPublic)
	return AppendString(b, m.Signature)
}

// KexDHGexRequest is SSH_MSG_KEX_DH_GEX_REQUEST (RFC 4419, Section 3).
type KexDHGexRequest struct {
	Min uint32 // minimal size in bits of an acceptable group
	N   uint32 // preferred size in bits
	Max uint32 // maximal size in bits
}

// ParseKexDHGexRequest decodes SSH_MSG_KEX_DH_GEX_REQUEST.
func ParseKexDHGexRequest(p []byte) (KexDHGexRequest, error) {
	var m KexDHGexRequest
	r := Reader{b: p}
	r.Expect(MsgKexDHGexRequest)
	m.Min = r.Uint32()
	m.N = r.Uint32()
	m.Max = r.Uint32()
	return m, r.End("KEX_DH_GEX_REQUEST")
}

func (m *KexDHGexRequest) Num() MsgNum { return MsgKexDHGexRequest }

func (m *KexDHGexRequest) Append(b []byte) []byte {
	b = AppendUint32(append(b, byte(MsgKexDHGexRequest)), m.Min)
	return AppendUint32(AppendUint32(b, m.N), m.Max)
}

// KexDHGexRequestOld is SSH_MSG_KEX_DH_GEX_REQUEST_OLD (RFC 4419,
// Section 5), sent by old clients.
type KexDHGexRequestOld struct {
	N uint32 // preferred size in bits
}

// ParseKexDHGexRequestOld decodes SSH_MSG_KEX_DH_GEX_REQUEST_OLD.
func ParseKexDHGexRequestOld(p []byte) (KexDHGexRequestOld, error) {
	var m KexDHGexRequestOld
	r := Reader{b: p}
	r.Expect(MsgKexDHGexRequestOld)
	m.N = r.Uint32()
	return m, r.End("KEX_DH_GEX_REQUEST_OLD")
}

func (m *KexDHGexRequestOld) Num() MsgNum { return MsgKexDHGexRequestOld }

func (m *KexDHGexRequestOld) Append(b []byte) []byte {
	return AppendUint32(append(b, byte(MsgKexDHGexRequestOld)), m.N)
}

// KexDHGexGroup is SSH_MSG_KEX_DH_GEX_GROUP (RFC 4419, Section 3).
type KexDHGexGroup struct {
	P []byte // safe prime, minimal big-endian magnitude
	G []byte // generator, minimal big-endian magnitude
}

// ParseKexDHGexGroup decodes SSH_MSG_KEX_DH_GEX_GROUP. The kex layer
// checks the group size against the request.
func ParseKexDHGexGroup(p []byte) (KexDHGexGroup, error) {
	var m KexDHGexGroup
	r := Reader{b: p}
	r.Expect(MsgKexDHGexGroup)
	m.P = r.MPIntBytes()
	m.G = r.MPIntBytes()
	return m, r.End("KEX_DH_GEX_GROUP")
}

func (m *KexDHGexGroup) Num() MsgNum { return MsgKexDHGexGroup }

func (m *KexDHGexGroup) Append(b []byte) []byte {
	b = AppendMPIntBytes(append(b, byte(MsgKexDHGexGroup)), m.P)
	return AppendMPIntBytes(b, m.G)
}

// KexDHGexInit is SSH_MSG_KEX_DH_GEX_INIT (RFC 4419, Section 3).
type KexDHGexInit struct {
	E []byte // minimal big-endian magnitude of e
}

// ParseKexDHGexInit decodes SSH_MSG_KEX_DH_GEX_INIT.
func ParseKexDHGexInit(p []byte) (KexDHGexInit, error) {
	var m KexDHGexInit
	r := Reader{b: p}
	r.Expect(MsgKexDHGexInit)
	m.E = r.MPIntBytes()
	return m, r.End("KEX_DH_GEX_INIT")
}

func (m *KexDHGexInit) Num() MsgNum { return MsgKexDHGexInit }

func (m *KexDHGexInit) Append(b []byte) []byte {
	return AppendMPIntBytes(append(b, byte(MsgKexDHGexInit)), m.E)
}

// KexDHGexReply is SSH_MSG_KEX_DH_GEX_REPLY (RFC 4419, Section 3).
type KexDHGexReply struct {
	HostKey   []byte
	F         []byte // minimal big-endian magnitude of f
	Signature []byte
}

// ParseKexDHGexReply decodes SSH_MSG_KEX_DH_GEX_REPLY.
func ParseKexDHGexReply(p []byte) (KexDHGexReply, error) {
	var m KexDHGexReply
	r := Reader{b: p}
	r.Expect(MsgKexDHGexReply)
	m.HostKey = r.StringBytes()
	m.F = r.MPIntBytes()
	m.Signature = r.StringBytes()
	return m, r.End("KEX_DH_GEX_REPLY")
}

func (m *KexDHGexReply) Num() MsgNum { return MsgKexDHGexReply }

func (m *KexDHGexReply) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgKexDHGexReply)), m.HostKey)
	b = AppendMPIntBytes(b, m.F)
	return AppendString(b, m.Signature)
}

// KexGSSInit is SSH_MSG_KEXGSS_INIT (RFC 4462, Section 2.1; RFC 8732,
// Section 4).
type KexGSSInit struct {
	Token []byte // output_token of GSS_Init_sec_context; a secret
	// E is the raw contents of the second string: the encoded mpint e for
	// gss-group*-sha* and gss-gex-sha*, the public key Q_C for
	// gss-curve25519-sha256 and gss-nistp*-sha*. It is not checked here;
	// the kex method validates it.
	E []byte
}

// ParseKexGSSInit decodes SSH_MSG_KEXGSS_INIT.
func ParseKexGSSInit(p []byte) (KexGSSInit, error) {
	var m KexGSSInit
	r := Reader{b: p}
	r.Expect(MsgKexGSSInit)
	m.Token = r.StringBytes()
	m.E = r.StringBytes()
	return m, r.End("KEXGSS_INIT")
}

func (m *KexGSSInit) Num() MsgNum { return MsgKexGSSInit }

func (m *KexGSSInit) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgKexGSSInit)), m.Token)
	return AppendString(b, m.E)
}

// KexGSSContinue is SSH_MSG_KEXGSS_CONTINUE (RFC 4462, Section 2.1).
type KexGSSContinue struct {
	Token []byte // a secret
}

// ParseKexGSSContinue decodes SSH_MSG_KEXGSS_CONTINUE.
func ParseKexGSSContinue(p []byte) (KexGSSContinue, error) {
	var m KexGSSContinue
	r := Reader{b: p}
	r.Expect(MsgKexGSSContinue)
	m.Token = r.StringBytes()
	return m, r.End("KEXGSS_CONTINUE")
}

func (m *KexGSSContinue) Num() MsgNum { return MsgKexGSSContinue }

func (m *KexGSSContinue) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgKexGSSContinue)), m.Token)
}

// KexGSSComplete is SSH_MSG_KEXGSS_COMPLETE (RFC 4462, Section 2.1;
// RFC 8732, Section 4).
type KexGSSComplete struct {
	// F is the raw contents of the first string: the encoded mpint f for
	// the finite-field methods, Q_S for the ECDH methods. The kex method
	// validates it.
	F        []byte
	MIC      []byte // per_msg_token over H; a secret
	HasToken bool
	Token    []byte // output_token, present only if HasToken
}

// ParseKexGSSComplete decodes SSH_MSG_KEXGSS_COMPLETE.
func ParseKexGSSComplete(p []byte) (KexGSSComplete, error) {
	var m KexGSSComplete
	r := Reader{b: p}
	r.Expect(MsgKexGSSComplete)
	m.F = r.StringBytes()
	m.MIC = r.StringBytes()
	if m.HasToken = r.Bool(); m.HasToken {
		m.Token = r.StringBytes()
	}
	return m, r.End("KEXGSS_COMPLETE")
}

func (m *KexGSSComplete) Num() MsgNum { return MsgKexGSSComplete }

func (m *KexGSSComplete) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgKexGSSComplete)), m.F)
	b = AppendString(b, m.MIC)
	b = AppendBool(b, m.HasToken)
	if m.HasToken {
		b = AppendString(b, m.Token)
	}
	return b
}

// KexGSSHostKey is SSH_MSG_KEXGSS_HOSTKEY (RFC 4462, Section 2.1).
type KexGSSHostKey struct {
	HostKey []byte // K_S
}

// ParseKexGSSHostKey decodes SSH_MSG_KEXGSS_HOSTKEY.
func ParseKexGSSHostKey(p []byte) (KexGSSHostKey, error) {
	var m KexGSSHostKey
	r := Reader{b: p}
	r.Expect(MsgKexGSSHostKey)
	m.HostKey = r.StringBytes()
	return m, r.End("KEXGSS_HOSTKEY")
}

func (m *KexGSSHostKey) Num() MsgNum { return MsgKexGSSHostKey }

func (m *KexGSSHostKey) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgKexGSSHostKey)), m.HostKey)
}

// KexGSSError is SSH_MSG_KEXGSS_ERROR (RFC 4462, Section 2.1).
type KexGSSError struct {
	Major    uint32 // GSS-API major status
	Minor    uint32 // mechanism-specific minor status
	Message  string // peer text, not checked; sanitise before display
	Language string
}

// ParseKexGSSError decodes SSH_MSG_KEXGSS_ERROR.
func ParseKexGSSError(p []byte) (KexGSSError, error) {
	var m KexGSSError
	r := Reader{b: p}
	r.Expect(MsgKexGSSError)
	m.Major = r.Uint32()
	m.Minor = r.Uint32()
	m.Message = r.Text()
	m.Language = r.Text()
	return m, r.End("KEXGSS_ERROR")
}

func (m *KexGSSError) Num() MsgNum { return MsgKexGSSError }

func (m *KexGSSError) Append(b []byte) []byte {
	b = AppendUint32(append(b, byte(MsgKexGSSError)), m.Major)
	b = AppendUint32(b, m.Minor)
	return AppendString(AppendString(b, m.Message), m.Language)
}

// KexGSSGroupReq is SSH_MSG_KEXGSS_GROUPREQ (RFC 4462, Section 2.2).
type KexGSSGroupReq struct {
	Min uint32
	N   uint32
	Max uint32
}

// ParseKexGSSGroupReq decodes SSH_MSG_KEXGSS_GROUPREQ.
func ParseKexGSSGroupReq(p []byte) (KexGSSGroupReq, error) {
	var m KexGSSGroupReq
	r := Reader{b: p}
	r.Expect(MsgKexGSSGroupReq)
	m.Min = r.Uint32()
	m.N = r.Uint32()
	m.Max = r.Uint32()
	return m, r.End("KEXGSS_GROUPREQ")
}

func (m *KexGSSGroupReq) Num() MsgNum { return MsgKexGSSGroupReq }

func (m *KexGSSGroupReq) Append(b []byte) []byte {
	b = AppendUint32(append(b, byte(MsgKexGSSGroupReq)), m.Min)
	return AppendUint32(AppendUint32(b, m.N), m.Max)
}

// KexGSSGroup is SSH_MSG_KEXGSS_GROUP (RFC 4462, Section 2.2).
type KexGSSGroup struct {
	P []byte // minimal big-endian magnitude
	G []byte // minimal big-endian magnitude
}

// ParseKexGSSGroup decodes SSH_MSG_KEXGSS_GROUP.
func ParseKexGSSGroup(p []byte) (KexGSSGroup, error) {
	var m KexGSSGroup
	r := Reader{b: p}
	r.Expect(MsgKexGSSGroup)
	m.P = r.MPIntBytes()
	m.G = r.MPIntBytes()
	return m, r.End("KEXGSS_GROUP")
}

func (m *KexGSSGroup) Num() MsgNum { return MsgKexGSSGroup }

func (m *KexGSSGroup) Append(b []byte) []byte {
	b = AppendMPIntBytes(append(b, byte(MsgKexGSSGroup)), m.P)
	return AppendMPIntBytes(b, m.G)
}
