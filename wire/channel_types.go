package wire

// Channel-type and request-type specific data of RFC 4254, Sections 6 and
// 7, RFC 4335 and OpenSSH PROTOCOL, Section 2. Each type has a parser of
// the data alone (the Extra field of ChannelOpen or ChannelRequest) that
// rejects trailing bytes, and an Append that appends the data alone.

// Channel types (RFC 4254, Sections 6.1, 6.3.2, 7.1, 7.2; OpenSSH PROTOCOL).
const (
	ChannelTypeSession              = "session"                           // no data
	ChannelTypeX11                  = "x11"                               // X11Open
	ChannelTypeForwardedTCPIP       = "forwarded-tcpip"                   // ForwardedTCPIP
	ChannelTypeDirectTCPIP          = "direct-tcpip"                      // DirectTCPIP
	ChannelTypeDirectStreamLocal    = "direct-streamlocal@openssh.com"    // DirectStreamLocal
	ChannelTypeForwardedStreamLocal = "forwarded-streamlocal@openssh.com" // ForwardedStreamLocal
	ChannelTypeAuthAgent            = "auth-agent@openssh.com"            // no data (OpenSSH PROTOCOL.agent)
	ChannelTypeTun                  = "tun@openssh.com"                   // TunOpen
)

// Channel request types (RFC 4254, Section 6; RFC 4335; OpenSSH PROTOCOL).
const (
	RequestPtyReq       = "pty-req"                    // PtyRequest
	RequestX11Req       = "x11-req"                    // X11Request
	RequestEnv          = "env"                        // EnvRequest
	RequestShell        = "shell"                      // no data
	RequestExec         = "exec"                       // ExecRequest
	RequestSubsystem    = "subsystem"                  // SubsystemRequest
	RequestWindowChange = "window-change"              // WindowChange
	RequestXonXoff      = "xon-xoff"                   // XonXoff
	RequestSignal       = "signal"                     // SignalRequest
	RequestExitStatus   = "exit-status"                // ExitStatus
	RequestExitSignal   = "exit-signal"                // ExitSignal
	RequestBreak        = "break"                      // BreakRequest (RFC 4335)
	RequestAuthAgent    = "auth-agent-req@openssh.com" // no data
	RequestKeepalive    = "keepalive@openssh.com"      // no data
	RequestEOW          = "eow@openssh.com"            // no data (OpenSSH PROTOCOL 2.1)
)

// Signal names without the "SIG" prefix (RFC 4254, Section 6.10).
const (
	SignalABRT = "ABRT"
	SignalALRM = "ALRM"
	SignalFPE  = "FPE"
	SignalHUP  = "HUP"
	SignalILL  = "ILL"
	SignalINT  = "INT"
	SignalKILL = "KILL"
	SignalPIPE = "PIPE"
	SignalQUIT = "QUIT"
	SignalSEGV = "SEGV"
	SignalTERM = "TERM"
	SignalUSR1 = "USR1"
	SignalUSR2 = "USR2"
)

// DirectTCPIP is the CHANNEL_OPEN data of "direct-tcpip" (RFC 4254,
// Section 7.2).
type DirectTCPIP struct {
	Host              string // host to connect to
	Port              uint32 // port to connect to
	OriginatorAddress string
	OriginatorPort    uint32
}

// ParseDirectTCPIP decodes the data of a "direct-tcpip" CHANNEL_OPEN.
func ParseDirectTCPIP(b []byte) (DirectTCPIP, error) {
	var m DirectTCPIP
	r := Reader{b: b}
	m.Host = r.Text()
	m.Port = r.Uint32()
	m.OriginatorAddress = r.Text()
	m.OriginatorPort = r.Uint32()
	return m, r.End("direct-tcpip")
}

// Append appends the channel data (not a whole message) to b.
func (m *DirectTCPIP) Append(b []byte) []byte {
	b = AppendUint32(AppendString(b, m.Host), m.Port)
	return AppendUint32(AppendString(b, m.OriginatorAddress), m.OriginatorPort)
}

// ForwardedTCPIP is the CHANNEL_OPEN data of "forwarded-tcpip" (RFC 4254,
// Section 7.2).
type ForwardedTCPIP struct {
	Address           string // address that was connected
	Port              uint32 // port that was connected
	OriginatorAddress string
	OriginatorPort    uint32
}

// ParseForwardedTCPIP decodes the data of a "forwarded-tcpip"
// CHANNEL_OPEN.
func ParseForwardedTCPIP(b []byte) (ForwardedTCPIP, error) {
	var m ForwardedTCPIP
	r := Reader{b: b}
	m.Address = r.Text()
	m.Port = r.Uint32()
	m.OriginatorAddress = r.Text()
	m.OriginatorPort = r.Uint32()
	return m, r.End("forwarded-tcpip")
}

// Append appends the channel data (not a whole message) to b.
func (m *ForwardedTCPIP) Append(b []byte) []byte {
	b = AppendUint32(AppendString(b, m.Address), m.Port)
	return AppendUint32(AppendString(b, m.OriginatorAddress), m.OriginatorPort)
}

// X11Open is the CHANNEL_OPEN data of "x11" (RFC 4254, Section 6.3.2).
type X11Open struct {
	OriginatorAddress string
	OriginatorPort    uint32
}

// ParseX11Open decodes the data of an "x11" CHANNEL_OPEN.
func ParseX11Open(b []byte) (X11Open, error) {
	var m X11Open
	r := Reader{b: b}
	m.OriginatorAddress = r.Text()
	m.OriginatorPort = r.Uint32()
	return m, r.End("x11")
}

// Append appends the channel data (not a whole message) to b.
func (m *X11Open) Append(b []byte) []byte {
	return AppendUint32(AppendString(b, m.OriginatorAddress), m.OriginatorPort)
}

// DirectStreamLocal is the CHANNEL_OPEN data of
// "direct-streamlocal@openssh.com" (OpenSSH PROTOCOL, Section 2.4).
type DirectStreamLocal struct {
	SocketPath   string
	Reserved     string
	ReservedPort uint32
}

// ParseDirectStreamLocal decodes the data of a
// "direct-streamlocal@openssh.com" CHANNEL_OPEN.
func ParseDirectStreamLocal(b []byte) (DirectStreamLocal, error) {
	var m DirectStreamLocal
	r := Reader{b: b}
	m.SocketPath = r.Text()
	m.Reserved = r.Text()
	m.ReservedPort = r.Uint32()
	return m, r.End("direct-streamlocal")
}

// Append appends the channel data (not a whole message) to b.
func (m *DirectStreamLocal) Append(b []byte) []byte {
	b = AppendString(AppendString(b, m.SocketPath), m.Reserved)
	return AppendUint32(b, m.ReservedPort)
}

// Tunnel modes and the "any unit" of a "tun@openssh.com" open (OpenSSH
// PROTOCOL, Section 2.3; ssh -w, sshd PermitTunnel).
const (
	TunModePointToPoint uint32 = 1          // layer 3: IP packets
	TunModeEthernet     uint32 = 2          // layer 2: Ethernet frames
	TunUnitAny          uint32 = 0x7fffffff // the server picks the unit
)

// TunOpen is the CHANNEL_OPEN data of "tun@openssh.com" (OpenSSH
// PROTOCOL, Section 2.3): the tunnel mode and the server-side unit.
type TunOpen struct {
	Mode uint32 // TunModePointToPoint or TunModeEthernet
	Unit uint32 // device number, or TunUnitAny
}

// ParseTunOpen decodes the data of a "tun@openssh.com" CHANNEL_OPEN. It
// does not check the mode: the server refuses unknown ones.
func ParseTunOpen(b []byte) (TunOpen, error) {
	var m TunOpen
	r := Reader{b: b}
	m.Mode = r.Uint32()
	m.Unit = r.Uint32()
	return m, r.End("tun")
}

// Append appends the channel data (not a whole message) to b.
func (m *TunOpen) Append(b []byte) []byte {
	return AppendUint32(AppendUint32(b, m.Mode), m.Unit)
}

// ForwardedStreamLocal is the CHANNEL_OPEN data of
// "forwarded-streamlocal@openssh.com" (OpenSSH PROTOCOL, Section 2.4).
type ForwardedStreamLocal struct {
	SocketPath string
	Reserved   string
}

// ParseForwardedStreamLocal decodes the data of a
// "forwarded-streamlocal@openssh.com" CHANNEL_OPEN.
func ParseForwardedStreamLocal(b []byte) (ForwardedStreamLocal, error) {
	var m ForwardedStreamLocal
	r := Reader{b: b}
	m.SocketPath = r.Text()
	m.Reserved = r.Text()
	return m, r.End("forwarded-streamlocal")
}

// Append appends the channel data (not a whole message) to b.
func (m *ForwardedStreamLocal) Append(b []byte) []byte {
	return AppendString(AppendString(b, m.SocketPath), m.Reserved)
}

// PtyRequest is the data of "pty-req" (RFC 4254, Section 6.2). Modes is
// the encoded terminal modes blob (see ParseTerminalModes); it aliases the
// data. Dimensions are not range-checked here (docs/security.md#c5).
type PtyRequest struct {
	Term         string // TERM environment variable value, e.g. "vt100"
	Columns      uint32 // terminal width, characters
	Rows         uint32 // terminal height, rows
	WidthPixels  uint32
	HeightPixels uint32
	Modes        []byte
}

// ParsePtyRequest decodes the data of a "pty-req" request.
func ParsePtyRequest(b []byte) (PtyRequest, error) {
	var m PtyRequest
	r := Reader{b: b}
	m.Term = r.Text()
	m.Columns = r.Uint32()
	m.Rows = r.Uint32()
	m.WidthPixels = r.Uint32()
	m.HeightPixels = r.Uint32()
	m.Modes = r.StringBytes()
	return m, r.End("pty-req")
}

// Append appends the request data (not a whole message) to b.
func (m *PtyRequest) Append(b []byte) []byte {
	b = AppendString(b, m.Term)
	b = AppendUint32(b, m.Columns)
	b = AppendUint32(b, m.Rows)
	b = AppendUint32(b, m.WidthPixels)
	b = AppendUint32(b, m.HeightPixels)
	return AppendString(b, m.Modes)
}

// X11Request is the data of "x11-req" (RFC 4254, Section 6.3.1).
// AuthCookie is a secret.
type X11Request struct {
	SingleConnection bool
	AuthProtocol     string // e.g. "MIT-MAGIC-COOKIE-1"
	AuthCookie       string // hexadecimal
	Screen           uint32
}

// ParseX11Request decodes the data of an "x11-req" request.
func ParseX11Request(b []byte) (X11Request, error) {
	var m X11Request
	r := Reader{b: b}
	m.SingleConnection = r.Bool()
	m.AuthProtocol = r.Text()
	m.AuthCookie = r.Text()
	m.Screen = r.Uint32()
	return m, r.End("x11-req")
}

// Append appends the request data (not a whole message) to b.
func (m *X11Request) Append(b []byte) []byte {
	b = AppendBool(b, m.SingleConnection)
	b = AppendString(b, m.AuthProtocol)
	b = AppendString(b, m.AuthCookie)
	return AppendUint32(b, m.Screen)
}

// EnvRequest is the data of "env" (RFC 4254, Section 6.4).
type EnvRequest struct {
	Name  string
	Value string
}

// ParseEnvRequest decodes the data of an "env" request.
func ParseEnvRequest(b []byte) (EnvRequest, error) {
	var m EnvRequest
	r := Reader{b: b}
	m.Name = r.Text()
	m.Value = r.Text()
	return m, r.End("env")
}

// Append appends the request data (not a whole message) to b.
func (m *EnvRequest) Append(b []byte) []byte {
	return AppendString(AppendString(b, m.Name), m.Value)
}

// ExecRequest is the data of "exec" (RFC 4254, Section 6.5).
type ExecRequest struct {
	Command string
}

// ParseExecRequest decodes the data of an "exec" request.
func ParseExecRequest(b []byte) (ExecRequest, error) {
	var m ExecRequest
	r := Reader{b: b}
	m.Command = r.Text()
	return m, r.End("exec")
}

// Append appends the request data (not a whole message) to b.
func (m *ExecRequest) Append(b []byte) []byte { return AppendString(b, m.Command) }

// SubsystemRequest is the data of "subsystem" (RFC 4254, Section 6.5).
type SubsystemRequest struct {
	Name string // e.g. "sftp"
}

// ParseSubsystemRequest decodes the data of a "subsystem" request.
func ParseSubsystemRequest(b []byte) (SubsystemRequest, error) {
	var m SubsystemRequest
	r := Reader{b: b}
	m.Name = r.Text()
	return m, r.End("subsystem")
}

// Append appends the request data (not a whole message) to b.
func (m *SubsystemRequest) Append(b []byte) []byte { return AppendString(b, m.Name) }

// WindowChange is the data of "window-change" (RFC 4254, Section 6.7).
type WindowChange struct {
	Columns      uint32
	Rows         uint32
	WidthPixels  uint32
	HeightPixels uint32
}

// ParseWindowChange decodes the data of a "window-change" request.
func ParseWindowChange(b []byte) (WindowChange, error) {
	var m WindowChange
	r := Reader{b: b}
	m.Columns = r.Uint32()
	m.Rows = r.Uint32()
	m.WidthPixels = r.Uint32()
	m.HeightPixels = r.Uint32()
	return m, r.End("window-change")
}

// Append appends the request data (not a whole message) to b.
func (m *WindowChange) Append(b []byte) []byte {
	b = AppendUint32(b, m.Columns)
	b = AppendUint32(b, m.Rows)
	b = AppendUint32(b, m.WidthPixels)
	return AppendUint32(b, m.HeightPixels)
}

// XonXoff is the data of "xon-xoff" (RFC 4254, Section 6.8).
type XonXoff struct {
	ClientCanDo bool
}

// ParseXonXoff decodes the data of a "xon-xoff" request.
func ParseXonXoff(b []byte) (XonXoff, error) {
	var m XonXoff
	r := Reader{b: b}
	m.ClientCanDo = r.Bool()
	return m, r.End("xon-xoff")
}

// Append appends the request data (not a whole message) to b.
func (m *XonXoff) Append(b []byte) []byte { return AppendBool(b, m.ClientCanDo) }

// SignalRequest is the data of "signal" (RFC 4254, Section 6.9).
type SignalRequest struct {
	Signal string // without the "SIG" prefix, e.g. SignalINT
}

// ParseSignalRequest decodes the data of a "signal" request.
func ParseSignalRequest(b []byte) (SignalRequest, error) {
	var m SignalRequest
	r := Reader{b: b}
	m.Signal = r.Text()
	return m, r.End("signal")
}

// Append appends the request data (not a whole message) to b.
func (m *SignalRequest) Append(b []byte) []byte { return AppendString(b, m.Signal) }

// ExitStatus is the data of "exit-status" (RFC 4254, Section 6.10).
type ExitStatus struct {
	Status uint32
}

// ParseExitStatus decodes the data of an "exit-status" request.
func ParseExitStatus(b []byte) (ExitStatus, error) {
	var m ExitStatus
	r := Reader{b: b}
	m.Status = r.Uint32()
	return m, r.End("exit-status")
}

// Append appends the request data (not a whole message) to b.
func (m *ExitStatus) Append(b []byte) []byte { return AppendUint32(b, m.Status) }

// ExitSignal is the data of "exit-signal" (RFC 4254, Section 6.10).
type ExitSignal struct {
	Signal     string // without the "SIG" prefix
	CoreDumped bool
	Message    string // peer text, not checked; sanitise before display
	Language   string // RFC 3066 tag
}

// ParseExitSignal decodes the data of an "exit-signal" request.
func ParseExitSignal(b []byte) (ExitSignal, error) {
	var m ExitSignal
	r := Reader{b: b}
	m.Signal = r.Text()
	m.CoreDumped = r.Bool()
	m.Message = r.Text()
	m.Language = r.Text()
	return m, r.End("exit-signal")
}

// Append appends the request data (not a whole message) to b.
func (m *ExitSignal) Append(b []byte) []byte {
	b = AppendString(b, m.Signal)
	b = AppendBool(b, m.CoreDumped)
	b = AppendString(b, m.Message)
	return AppendString(b, m.Language)
}

// BreakRequest is the data of "break" (RFC 4335, Section 3).
type BreakRequest struct {
	Length uint32 // break length in milliseconds
}

// ParseBreakRequest decodes the data of a "break" request.
func ParseBreakRequest(b []byte) (BreakRequest, error) {
	var m BreakRequest
	r := Reader{b: b}
	m.Length = r.Uint32()
	return m, r.End("break")
}

// Append appends the request data (not a whole message) to b.
func (m *BreakRequest) Append(b []byte) []byte { return AppendUint32(b, m.Length) }
