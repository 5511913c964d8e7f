package wire

// RFC 4254 connection protocol global requests, Section 4, and the
// request-specific data of Sections 7.1 and OpenSSH PROTOCOL 2.4, 2.5.

// Global request names (RFC 4254, Section 4, 7.1; OpenSSH PROTOCOL).
const (
	GlobalTCPIPForward             = "tcpip-forward"                          // RFC 4254, Section 7.1; body TCPIPForward
	GlobalCancelTCPIPForward       = "cancel-tcpip-forward"                   // RFC 4254, Section 7.1; body TCPIPForward
	GlobalStreamLocalForward       = "streamlocal-forward@openssh.com"        // OpenSSH PROTOCOL 2.4; body StreamLocalForward
	GlobalCancelStreamLocalForward = "cancel-streamlocal-forward@openssh.com" // OpenSSH PROTOCOL 2.4; body StreamLocalForward
	GlobalKeepalive                = "keepalive@openssh.com"                  // no body; any reply will do
	GlobalNoMoreSessions           = "no-more-sessions@openssh.com"           // OpenSSH PROTOCOL 2.2; no body
	GlobalHostKeys                 = "hostkeys-00@openssh.com"                // OpenSSH PROTOCOL 2.5; body HostKeys
	GlobalHostKeysProve            = "hostkeys-prove-00@openssh.com"          // OpenSSH PROTOCOL 2.5; body and reply HostKeys
)

// GlobalRequest is SSH_MSG_GLOBAL_REQUEST (RFC 4254, Section 4). Data
// holds the request-specific data; it aliases the payload and is nil when
// empty.
type GlobalRequest struct {
	Name      string // e.g. GlobalTCPIPForward
	WantReply bool
	Data      []byte
}

// ParseGlobalRequest decodes SSH_MSG_GLOBAL_REQUEST. The end is open: the
// request-specific data is returned unparsed in Data.
func ParseGlobalRequest(p []byte) (GlobalRequest, error) {
	var m GlobalRequest
	r := Reader{b: p}
	r.Expect(MsgGlobalRequest)
	m.Name = r.Text()
	m.WantReply = r.Bool()
	m.Data = r.rest()
	return m, r.Finish("GLOBAL_REQUEST")
}

func (m *GlobalRequest) Num() MsgNum { return MsgGlobalRequest }

func (m *GlobalRequest) Append(b []byte) []byte {
	b = append(b, byte(MsgGlobalRequest))
	b = AppendString(b, m.Name)
	b = AppendBool(b, m.WantReply)
	return append(b, m.Data...)
}

// RequestSuccess is SSH_MSG_REQUEST_SUCCESS (RFC 4254, Section 4). Data
// holds the response-specific data (TCPIPForwardReply, HostKeys); it
// aliases the payload and is nil when empty.
type RequestSuccess struct {
	Data []byte
}

// ParseRequestSuccess decodes SSH_MSG_REQUEST_SUCCESS. The end is open.
func ParseRequestSuccess(p []byte) (RequestSuccess, error) {
	var m RequestSuccess
	r := Reader{b: p}
	r.Expect(MsgRequestSuccess)
	m.Data = r.rest()
	return m, r.Finish("REQUEST_SUCCESS")
}

func (m *RequestSuccess) Num() MsgNum { return MsgRequestSuccess }

func (m *RequestSuccess) Append(b []byte) []byte {
	return append(append(b, byte(MsgRequestSuccess)), m.Data...)
}

// RequestFailure is SSH_MSG_REQUEST_FAILURE (RFC 4254, Section 4).
type RequestFailure struct{}

// ParseRequestFailure decodes SSH_MSG_REQUEST_FAILURE.
func ParseRequestFailure(p []byte) (RequestFailure, error) {
	r := Reader{b: p}
	r.Expect(MsgRequestFailure)
	return RequestFailure{}, r.End("REQUEST_FAILURE")
}

func (m *RequestFailure) Num() MsgNum { return MsgRequestFailure }

func (m *RequestFailure) Append(b []byte) []byte { return append(b, byte(MsgRequestFailure)) }

// TCPIPForward is the data of the "tcpip-forward" and
// "cancel-tcpip-forward" global requests (RFC 4254, Section 7.1).
type TCPIPForward struct {
	BindAddress string // "" means all addresses; see RFC 4254, Section 7.1
	BindPort    uint32 // 0 asks the server to choose (see TCPIPForwardReply)
}

// ParseTCPIPForward decodes the data of a "tcpip-forward" or
// "cancel-tcpip-forward" request.
func ParseTCPIPForward(b []byte) (TCPIPForward, error) {
	var m TCPIPForward
	r := Reader{b: b}
	m.BindAddress = r.Text()
	m.BindPort = r.Uint32()
	return m, r.End("tcpip-forward")
}

// Append appends the request data (not a whole message) to b.
func (m *TCPIPForward) Append(b []byte) []byte {
	return AppendUint32(AppendString(b, m.BindAddress), m.BindPort)
}

// TCPIPForwardReply is the REQUEST_SUCCESS data answering "tcpip-forward"
// with port 0 (RFC 4254, Section 7.1).
type TCPIPForwardReply struct {
	BoundPort uint32
}

// ParseTCPIPForwardReply decodes the data of the reply.
func ParseTCPIPForwardReply(b []byte) (TCPIPForwardReply, error) {
	var m TCPIPForwardReply
	r := Reader{b: b}
	m.BoundPort = r.Uint32()
	return m, r.End("tcpip-forward reply")
}

// Append appends the reply data (not a whole message) to b.
func (m *TCPIPForwardReply) Append(b []byte) []byte { return AppendUint32(b, m.BoundPort) }

// StreamLocalForward is the data of the "streamlocal-forward@openssh.com"
// and "cancel-streamlocal-forward@openssh.com" global requests (OpenSSH
// PROTOCOL, Section 2.4).
type StreamLocalForward struct {
	SocketPath string
}

// ParseStreamLocalForward decodes the request data.
func ParseStreamLocalForward(b []byte) (StreamLocalForward, error) {
	var m StreamLocalForward
	r := Reader{b: b}
	m.SocketPath = r.Text()
	return m, r.End("streamlocal-forward")
}

// Append appends the request data (not a whole message) to b.
func (m *StreamLocalForward) Append(b []byte) []byte { return AppendString(b, m.SocketPath) }

// HostKeys is a sequence of strings up to the end of the data: the host
// key blobs of "hostkeys-00@openssh.com" and
// "hostkeys-prove-00@openssh.com", and the signatures of the
// REQUEST_SUCCESS answering the latter (OpenSSH PROTOCOL, Section 2.5).
// The number of keys is bounded by the data length (4 bytes per key at
// least); Keys alias the data.
type HostKeys struct {
	Keys [][]byte
}

// ParseHostKeys decodes the data. It counts the strings first and
// allocates once.
func ParseHostKeys(b []byte) (HostKeys, error) {
	var m HostKeys
	r := Reader{b: b}
	n := 0
	for r.Len() > 0 && !r.Failed() {
		r.StringBytes()
		n++
	}
	if err := r.End("hostkeys"); err != nil {
		return m, err
	}
	if n == 0 {
		return m, nil
	}
	r.Reset(b)
	m.Keys = make([][]byte, 0, n)
	for r.Len() > 0 {
		m.Keys = append(m.Keys, r.StringBytes())
	}
	return m, nil
}

// Append appends the data (not a whole message) to b.
func (m *HostKeys) Append(b []byte) []byte {
	for _, k := range m.Keys {
		b = AppendString(b, k)
	}
	return b
}
