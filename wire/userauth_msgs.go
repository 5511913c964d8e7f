package wire

// User authentication messages: RFC 4252, RFC 4256 (keyboard-interactive)
// and RFC 4462, Sections 3 and 4 (gssapi-with-mic, gssapi-keyex).

// Authentication method names (RFC 4252, Sections 5.2, 7, 8, 9;
// RFC 4256; RFC 4462).
const (
	MethodNone                = "none"
	MethodPassword            = "password"
	MethodPublicKey           = "publickey"
	MethodHostbased           = "hostbased"
	MethodKeyboardInteractive = "keyboard-interactive"
	MethodGSSAPIWithMIC       = "gssapi-with-mic"
	MethodGSSAPIKeyex         = "gssapi-keyex"
)

// Caps on wire-supplied counts in user authentication messages
// (docs/security.md#w7, #g1).
const (
	// MaxGSSMechanisms caps the mechanism OIDs of a gssapi-with-mic
	// request, as x/crypto/ssh does since CVE-2025-58181.
	MaxGSSMechanisms = 64
	// MaxPrompts caps num-prompts of INFO_REQUEST and num-responses of
	// INFO_RESPONSE (RFC 4256).
	MaxPrompts = 100
)

// UserauthRequest is SSH_MSG_USERAUTH_REQUEST (RFC 4252, Section 5) with
// the method-specific fields of every method this package knows, in one
// flat struct. ParseUserauthRequest reads the fields of Method and leaves
// the others zero; Append writes the fields of Method. User, Password and
// NewPassword must be valid UTF-8 (RFC 4252, Sections 5 and 8;
// docs/security.md#w4). Byte slices alias the payload.
type UserauthRequest struct {
	User    string // UTF-8
	Service string // e.g. ServiceConnection
	Method  string // e.g. MethodPublicKey

	// publickey (RFC 4252, Section 7) and hostbased (Section 9).
	// HasSignature is the publickey boolean; for hostbased, which always
	// carries a signature, the parser sets it to true and Append ignores
	// it. With HasSignature false the request ends after PublicKey
	// (docs/security.md#a4).
	HasSignature bool
	Algorithm    string // public key algorithm name
	PublicKey    []byte // public key blob (or certificate)
	Signature    []byte
	ClientHost   string // hostbased: FQDN of the client host
	ClientUser   string // hostbased: user name on the client host

	// password (RFC 4252, Section 8). Secrets.
	ChangePassword bool
	Password       string // UTF-8
	NewPassword    string // UTF-8; present only if ChangePassword

	// keyboard-interactive (RFC 4256, Section 3.1).
	Language   string // deprecated; normally empty
	Submethods string

	// gssapi-with-mic (RFC 4462, Section 3.2): DER-encoded mechanism OIDs,
	// at most MaxGSSMechanisms. Not checked for DER validity here.
	Mechanisms [][]byte

	// gssapi-keyex (RFC 4462, Section 4). A secret.
	MIC []byte

	// Any other method: the method-specific fields, unparsed; nil if
	// empty.
	Rest []byte
}

// ParseUserauthRequest decodes SSH_MSG_USERAUTH_REQUEST with the fields of
// its method. Trailing bytes after the method's last field are rejected,
// except for unknown methods, whose fields are returned in Rest. For
// gssapi-with-mic the mechanism count is checked against the bytes that
// remain before anything is allocated and capped at MaxGSSMechanisms
// (ErrTooLarge; docs/security.md#g1, #w7).
func ParseUserauthRequest(p []byte) (UserauthRequest, error) {
	var m UserauthRequest
	r := Reader{b: p}
	r.Expect(MsgUserauthRequest)
	m.User = r.UTF8()
	m.Service = r.Text()
	m.Method = r.Text()
	switch m.Method {
	case MethodNone:
	case MethodPassword:
		m.ChangePassword = r.Bool()
		m.Password = r.UTF8()
		if m.ChangePassword {
			m.NewPassword = r.UTF8()
		}
	case MethodPublicKey:
		m.HasSignature = r.Bool()
		m.Algorithm = r.Text()
		m.PublicKey = r.StringBytes()
		if m.HasSignature {
			m.Signature = r.StringBytes()
		}
	case MethodHostbased:
		m.HasSignature = true
		m.Algorithm = r.Text()
		m.PublicKey = r.StringBytes()
		m.ClientHost = r.Text()
		m.ClientUser = r.Text()
		m.Signature = r.StringBytes()
	case MethodKeyboardInteractive:
		m.Language = r.Text()
		m.Submethods = r.Text()
	case MethodGSSAPIWithMIC:
		if n := r.Count(4, MaxGSSMechanisms, "gssapi mechanisms"); n > 0 {
			m.Mechanisms = make([][]byte, n)
			for i := range m.Mechanisms {
				m.Mechanisms[i] = r.StringBytes()
			}
		}
	case MethodGSSAPIKeyex:
		m.MIC = r.StringBytes()
	default:
		m.Rest = r.rest()
	}
	if err := r.End("USERAUTH_REQUEST"); err != nil {
		return UserauthRequest{}, err
	}
	return m, nil
}

func (m *UserauthRequest) Num() MsgNum { return MsgUserauthRequest }

func (m *UserauthRequest) Append(b []byte) []byte {
	b = append(b, byte(MsgUserauthRequest))
	b = AppendString(b, m.User)
	b = AppendString(b, m.Service)
	b = AppendString(b, m.Method)
	switch m.Method {
	case MethodNone:
	case MethodPassword:
		b = AppendBool(b, m.ChangePassword)
		b = AppendString(b, m.Password)
		if m.ChangePassword {
			b = AppendString(b, m.NewPassword)
		}
	case MethodPublicKey:
		b = AppendBool(b, m.HasSignature)
		b = AppendString(b, m.Algorithm)
		b = AppendString(b, m.PublicKey)
		if m.HasSignature {
			b = AppendString(b, m.Signature)
		}
	case MethodHostbased:
		b = AppendString(b, m.Algorithm)
		b = AppendString(b, m.PublicKey)
		b = AppendString(b, m.ClientHost)
		b = AppendString(b, m.ClientUser)
		b = AppendString(b, m.Signature)
	case MethodKeyboardInteractive:
		b = AppendString(b, m.Language)
		b = AppendString(b, m.Submethods)
	case MethodGSSAPIWithMIC:
		b = AppendUint32(b, uint32(len(m.Mechanisms)))
		for _, oid := range m.Mechanisms {
			b = AppendString(b, oid)
		}
	case MethodGSSAPIKeyex:
		b = AppendString(b, m.MIC)
	default:
		b = append(b, m.Rest...)
	}
	return b
}

// AppendPublicKeySignedData appends the data that a publickey request's
// signature covers (RFC 4252, Section 7): the session identifier, then
// the request up to and without the signature, with has-signature TRUE.
// If req.Method is MethodHostbased it appends the hostbased signed data of
// RFC 4252, Section 9 instead. The verifier must build this from its own
// session identifier, never from data in the request (docs/security.md#a4).
func AppendPublicKeySignedData(b, sessionID []byte, req *UserauthRequest) []byte {
	b = AppendString(b, sessionID)
	b = append(b, byte(MsgUserauthRequest))
	b = AppendString(b, req.User)
	b = AppendString(b, req.Service)
	if req.Method == MethodHostbased {
		b = AppendString(b, MethodHostbased)
		b = AppendString(b, req.Algorithm)
		b = AppendString(b, req.PublicKey)
		b = AppendString(b, req.ClientHost)
		return AppendString(b, req.ClientUser)
	}
	b = AppendString(b, MethodPublicKey)
	b = AppendBool(b, true)
	b = AppendString(b, req.Algorithm)
	return AppendString(b, req.PublicKey)
}

// AppendGSSAPIMICData appends the data that a GSS-API MIC in user
// authentication covers (RFC 4462, Section 3.5): session identifier, the
// SSH_MSG_USERAUTH_REQUEST byte, user name, service and method, where
// method is MethodGSSAPIWithMIC or, for the MIC of a gssapi-keyex request
// (Section 4), MethodGSSAPIKeyex.
func AppendGSSAPIMICData(b []byte, sessionID []byte, user, service, method string) []byte {
	b = AppendString(b, sessionID)
	b = append(b, byte(MsgUserauthRequest))
	b = AppendString(b, user)
	b = AppendString(b, service)
	return AppendString(b, method)
}

// UserauthFailure is SSH_MSG_USERAUTH_FAILURE (RFC 4252, Section 5.1).
type UserauthFailure struct {
	Methods        []string // authentications that can continue
	PartialSuccess bool
}

// ParseUserauthFailure decodes SSH_MSG_USERAUTH_FAILURE.
func ParseUserauthFailure(p []byte) (UserauthFailure, error) {
	var m UserauthFailure
	r := Reader{b: p}
	r.Expect(MsgUserauthFailure)
	m.Methods = r.NameList()
	m.PartialSuccess = r.Bool()
	return m, r.End("USERAUTH_FAILURE")
}

func (m *UserauthFailure) Num() MsgNum { return MsgUserauthFailure }

func (m *UserauthFailure) Append(b []byte) []byte {
	b = AppendNameList(append(b, byte(MsgUserauthFailure)), m.Methods)
	return AppendBool(b, m.PartialSuccess)
}

// UserauthSuccess is SSH_MSG_USERAUTH_SUCCESS (RFC 4252, Section 5.1).
// Only a server sends it (docs/security.md#a1).
type UserauthSuccess struct{}

// ParseUserauthSuccess decodes SSH_MSG_USERAUTH_SUCCESS.
func ParseUserauthSuccess(p []byte) (UserauthSuccess, error) {
	r := Reader{b: p}
	r.Expect(MsgUserauthSuccess)
	return UserauthSuccess{}, r.End("USERAUTH_SUCCESS")
}

func (m *UserauthSuccess) Num() MsgNum { return MsgUserauthSuccess }

func (m *UserauthSuccess) Append(b []byte) []byte { return append(b, byte(MsgUserauthSuccess)) }

// UserauthBanner is SSH_MSG_USERAUTH_BANNER (RFC 4252, Section 5.4).
type UserauthBanner struct {
	Message  string // peer text, not checked; sanitise before display (docs/security.md#w4)
	Language string
}

// ParseUserauthBanner decodes SSH_MSG_USERAUTH_BANNER.
func ParseUserauthBanner(p []byte) (UserauthBanner, error) {
	var m UserauthBanner
	r := Reader{b: p}
	r.Expect(MsgUserauthBanner)
	m.Message = r.Text()
	m.Language = r.Text()
	return m, r.End("USERAUTH_BANNER")
}

func (m *UserauthBanner) Num() MsgNum { return MsgUserauthBanner }

func (m *UserauthBanner) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgUserauthBanner)), m.Message)
	return AppendString(b, m.Language)
}

// UserauthPKOK is SSH_MSG_USERAUTH_PK_OK (RFC 4252, Section 7), number 60
// in ContextAuthPublicKey.
type UserauthPKOK struct {
	Algorithm string
	PublicKey []byte
}

// ParseUserauthPKOK decodes SSH_MSG_USERAUTH_PK_OK.
func ParseUserauthPKOK(p []byte) (UserauthPKOK, error) {
	var m UserauthPKOK
	r := Reader{b: p}
	r.Expect(MsgUserauthPKOK)
	m.Algorithm = r.Text()
	m.PublicKey = r.StringBytes()
	return m, r.End("USERAUTH_PK_OK")
}

func (m *UserauthPKOK) Num() MsgNum { return MsgUserauthPKOK }

func (m *UserauthPKOK) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgUserauthPKOK)), m.Algorithm)
	return AppendString(b, m.PublicKey)
}

// UserauthPasswdChangeReq is SSH_MSG_USERAUTH_PASSWD_CHANGEREQ
// (RFC 4252, Section 8), number 60 in ContextAuthPassword.
type UserauthPasswdChangeReq struct {
	Prompt   string // peer text, not checked; sanitise before display
	Language string
}

// ParseUserauthPasswdChangeReq decodes SSH_MSG_USERAUTH_PASSWD_CHANGEREQ.
func ParseUserauthPasswdChangeReq(p []byte) (UserauthPasswdChangeReq, error) {
	var m UserauthPasswdChangeReq
	r := Reader{b: p}
	r.Expect(MsgUserauthPasswdChangeReq)
	m.Prompt = r.Text()
	m.Language = r.Text()
	return m, r.End("USERAUTH_PASSWD_CHANGEREQ")
}

func (m *UserauthPasswdChangeReq) Num() MsgNum { return MsgUserauthPasswdChangeReq }

func (m *UserauthPasswdChangeReq) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgUserauthPasswdChangeReq)), m.Prompt)
	return AppendString(b, m.Language)
}

// A Prompt is one prompt of SSH_MSG_USERAUTH_INFO_REQUEST.
type Prompt struct {
	Text string // peer text, not checked; sanitise before display
	Echo bool
}

// UserauthInfoRequest is SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256,
// Section 3.2), number 60 in ContextAuthKeyboardInteractive.
type UserauthInfoRequest struct {
	Name        string // peer text; sanitise before display
	Instruction string // peer text; sanitise before display
	Language    string // deprecated
	Prompts     []Prompt
}

// ParseUserauthInfoRequest decodes SSH_MSG_USERAUTH_INFO_REQUEST.
// num-prompts is checked against the bytes that remain before anything is
// allocated and capped at MaxPrompts (ErrTooLarge).
func ParseUserauthInfoRequest(p []byte) (UserauthInfoRequest, error) {
	var m UserauthInfoRequest
	r := Reader{b: p}
	r.Expect(MsgUserauthInfoRequest)
	m.Name = r.Text()
	m.Instruction = r.Text()
	m.Language = r.Text()
	if n := r.Count(5, MaxPrompts, "num-prompts"); n > 0 {
		m.Prompts = make([]Prompt, n)
		for i := range m.Prompts {
			m.Prompts[i].Text = r.Text()
			m.Prompts[i].Echo = r.Bool()
		}
	}
	if err := r.End("USERAUTH_INFO_REQUEST"); err != nil {
		return UserauthInfoRequest{}, err
	}
	return m, nil
}

func (m *UserauthInfoRequest) Num() MsgNum { return MsgUserauthInfoRequest }

func (m *UserauthInfoRequest) Append(b []byte) []byte {
	b = AppendString(append(b, byte(MsgUserauthInfoRequest)), m.Name)
	b = AppendString(b, m.Instruction)
	b = AppendString(b, m.Language)
	b = AppendUint32(b, uint32(len(m.Prompts)))
	for _, pr := range m.Prompts {
		b = AppendBool(AppendString(b, pr.Text), pr.Echo)
	}
	return b
}

// UserauthInfoResponse is SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256,
// Section 3.4), number 61 in ContextAuthKeyboardInteractive. Responses
// are secrets and must be valid UTF-8.
type UserauthInfoResponse struct {
	Responses []string
}

// ParseUserauthInfoResponse decodes SSH_MSG_USERAUTH_INFO_RESPONSE.
// num-responses is checked against the bytes that remain and capped at
// MaxPrompts (ErrTooLarge); a response that is not UTF-8 is ErrInvalid.
func ParseUserauthInfoResponse(p []byte) (UserauthInfoResponse, error) {
	var m UserauthInfoResponse
	r := Reader{b: p}
	r.Expect(MsgUserauthInfoResponse)
	if n := r.Count(4, MaxPrompts, "num-responses"); n > 0 {
		m.Responses = make([]string, n)
		for i := range m.Responses {
			m.Responses[i] = r.UTF8()
		}
	}
	if err := r.End("USERAUTH_INFO_RESPONSE"); err != nil {
		return UserauthInfoResponse{}, err
	}
	return m, nil
}

func (m *UserauthInfoResponse) Num() MsgNum { return MsgUserauthInfoResponse }

func (m *UserauthInfoResponse) Append(b []byte) []byte {
	b = AppendUint32(append(b, byte(MsgUserauthInfoResponse)), uint32(len(m.Responses)))
	for _, s := range m.Responses {
		b = AppendString(b, s)
	}
	return b
}

// UserauthGSSAPIResponse is SSH_MSG_USERAUTH_GSSAPI_RESPONSE (RFC 4462,
// Section 3.3).
type UserauthGSSAPIResponse struct {
	Mechanism []byte // DER-encoded OID of the selected mechanism
}

// ParseUserauthGSSAPIResponse decodes SSH_MSG_USERAUTH_GSSAPI_RESPONSE.
func ParseUserauthGSSAPIResponse(p []byte) (UserauthGSSAPIResponse, error) {
	var m UserauthGSSAPIResponse
	r := Reader{b: p}
	r.Expect(MsgUserauthGSSAPIResponse)
	m.Mechanism = r.StringBytes()
	return m, r.End("USERAUTH_GSSAPI_RESPONSE")
}

func (m *UserauthGSSAPIResponse) Num() MsgNum { return MsgUserauthGSSAPIResponse }

func (m *UserauthGSSAPIResponse) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgUserauthGSSAPIResponse)), m.Mechanism)
}

// UserauthGSSAPIToken is SSH_MSG_USERAUTH_GSSAPI_TOKEN (RFC 4462,
// Section 3.4).
type UserauthGSSAPIToken struct {
	Token []byte // a secret
}

// ParseUserauthGSSAPIToken decodes SSH_MSG_USERAUTH_GSSAPI_TOKEN.
func ParseUserauthGSSAPIToken(p []byte) (UserauthGSSAPIToken, error) {
	var m UserauthGSSAPIToken
	r := Reader{b: p}
	r.Expect(MsgUserauthGSSAPIToken)
	m.Token = r.StringBytes()
	return m, r.End("USERAUTH_GSSAPI_TOKEN")
}

func (m *UserauthGSSAPIToken) Num() MsgNum { return MsgUserauthGSSAPIToken }

func (m *UserauthGSSAPIToken) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgUserauthGSSAPIToken)), m.Token)
}

// UserauthGSSAPIExchangeComplete is
// SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE (RFC 4462, Section 3.6). A
// server must not accept it in place of a MIC when the context offers
// integrity (docs/security.md#g3).
type UserauthGSSAPIExchangeComplete struct{}

// ParseUserauthGSSAPIExchangeComplete decodes
// SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE.
func ParseUserauthGSSAPIExchangeComplete(p []byte) (UserauthGSSAPIExchangeComplete, error) {
	r := Reader{b: p}
	r.Expect(MsgUserauthGSSAPIExchangeComplete)
	return UserauthGSSAPIExchangeComplete{}, r.End("USERAUTH_GSSAPI_EXCHANGE_COMPLETE")
}

func (m *UserauthGSSAPIExchangeComplete) Num() MsgNum { return MsgUserauthGSSAPIExchangeComplete }

func (m *UserauthGSSAPIExchangeComplete) Append(b []byte) []byte {
	return append(b, byte(MsgUserauthGSSAPIExchangeComplete))
}

// UserauthGSSAPIError is SSH_MSG_USERAUTH_GSSAPI_ERROR (RFC 4462,
// Section 3.8).
type UserauthGSSAPIError struct {
	Major    uint32
	Minor    uint32
	Message  string // peer text, not checked; sanitise before display
	Language string
}

// ParseUserauthGSSAPIError decodes SSH_MSG_USERAUTH_GSSAPI_ERROR.
func ParseUserauthGSSAPIError(p []byte) (UserauthGSSAPIError, error) {
	var m UserauthGSSAPIError
	r := Reader{b: p}
	r.Expect(MsgUserauthGSSAPIError)
	m.Major = r.Uint32()
	m.Minor = r.Uint32()
	m.Message = r.Text()
	m.Language = r.Text()
	return m, r.End("USERAUTH_GSSAPI_ERROR")
}

func (m *UserauthGSSAPIError) Num() MsgNum { return MsgUserauthGSSAPIError }

func (m *UserauthGSSAPIError) Append(b []byte) []byte {
	b = AppendUint32(append(b, byte(MsgUserauthGSSAPIError)), m.Major)
	b = AppendUint32(b, m.Minor)
	return AppendString(AppendString(b, m.Message), m.Language)
}

// UserauthGSSAPIErrtok is SSH_MSG_USERAUTH_GSSAPI_ERRTOK (RFC 4462,
// Section 3.9). A server does not feed it to the acceptor (docs/security.md#g4).
type UserauthGSSAPIErrtok struct {
	Token []byte // a secret
}

// ParseUserauthGSSAPIErrtok decodes SSH_MSG_USERAUTH_GSSAPI_ERRTOK.
func ParseUserauthGSSAPIErrtok(p []byte) (UserauthGSSAPIErrtok, error) {
	var m UserauthGSSAPIErrtok
	r := Reader{b: p}
	r.Expect(MsgUserauthGSSAPIErrtok)
	m.Token = r.StringBytes()
	return m, r.End("USERAUTH_GSSAPI_ERRTOK")
}

func (m *UserauthGSSAPIErrtok) Num() MsgNum { return MsgUserauthGSSAPIErrtok }

func (m *UserauthGSSAPIErrtok) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgUserauthGSSAPIErrtok)), m.Token)
}

// UserauthGSSAPIMIC is SSH_MSG_USERAUTH_GSSAPI_MIC (RFC 4462,
// Section 3.5). The MIC covers AppendGSSAPIMICData.
type UserauthGSSAPIMIC struct {
	MIC []byte // a secret
}

// ParseUserauthGSSAPIMIC decodes SSH_MSG_USERAUTH_GSSAPI_MIC.
func ParseUserauthGSSAPIMIC(p []byte) (UserauthGSSAPIMIC, error) {
	var m UserauthGSSAPIMIC
	r := Reader{b: p}
	r.Expect(MsgUserauthGSSAPIMIC)
	m.MIC = r.StringBytes()
	return m, r.End("USERAUTH_GSSAPI_MIC")
}

func (m *UserauthGSSAPIMIC) Num() MsgNum { return MsgUserauthGSSAPIMIC }

func (m *UserauthGSSAPIMIC) Append(b []byte) []byte {
	return AppendString(append(b, byte(MsgUserauthGSSAPIMIC)), m.MIC)
}
