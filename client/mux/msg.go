package mux

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// Message types of OpenSSH's PROTOCOL.mux, Section 11 (and MUX_C_PROXY,
// MUX_S_PROXY of mux.c).
const (
	MsgHello         uint32 = 0x00000001 // MUX_MSG_HELLO
	MsgNewSession    uint32 = 0x10000002 // MUX_C_NEW_SESSION
	MsgAliveCheck    uint32 = 0x10000004 // MUX_C_ALIVE_CHECK
	MsgTerminate     uint32 = 0x10000005 // MUX_C_TERMINATE
	MsgOpenFwd       uint32 = 0x10000006 // MUX_C_OPEN_FWD
	MsgCloseFwd      uint32 = 0x10000007 // MUX_C_CLOSE_FWD
	MsgNewStdioFwd   uint32 = 0x10000008 // MUX_C_NEW_STDIO_FWD
	MsgStopListening uint32 = 0x10000009 // MUX_C_STOP_LISTENING
	MsgProxy         uint32 = 0x1000000f // MUX_C_PROXY
	MsgOK            uint32 = 0x80000001 // MUX_S_OK
	MsgPermDenied    uint32 = 0x80000002 // MUX_S_PERMISSION_DENIED
	MsgFailure       uint32 = 0x80000003 // MUX_S_FAILURE
	MsgExit          uint32 = 0x80000004 // MUX_S_EXIT_MESSAGE
	MsgAlive         uint32 = 0x80000005 // MUX_S_ALIVE
	MsgSessionOpened uint32 = 0x80000006 // MUX_S_SESSION_OPENED
	MsgRemotePort    uint32 = 0x80000007 // MUX_S_REMOTE_PORT
	MsgTTYAllocFail  uint32 = 0x80000008 // MUX_S_TTY_ALLOC_FAIL
	MsgProxyOK       uint32 = 0x8000000f // MUX_S_PROXY
)

// Forwarding types of MUX_C_OPEN_FWD and MUX_C_CLOSE_FWD.
const (
	FwdLocal   uint32 = 1 // MUX_FWD_LOCAL, ssh -L
	FwdRemote  uint32 = 2 // MUX_FWD_REMOTE, ssh -R
	FwdDynamic uint32 = 3 // MUX_FWD_DYNAMIC, ssh -D
)

// Version is the mux protocol version spoken (PROTOCOL.mux, Section 1).
const Version = 4

// PortStreamLocal in a forward's port field says that its host field is
// a Unix socket path (PROTOCOL.mux, Section 6): (unsigned int) -2.
const PortStreamLocal uint32 = 0xfffffffe

// NoEscape is the escape character of a session without one.
const NoEscape uint32 = 0xffffffff

// Limits on what a peer may send. MaxPacket is the largest mux packet
// read, as the 256 KiB of OpenSSH's channel code; MaxEnv the number of
// environment strings of a session, as MUX_MAX_ENV_VARS.
const (
	MaxPacket = 256 << 10
	MaxEnv    = 4096
)

// Errors of the codec. A decoding error wraps one of wire's sentinels
// (wire.ErrTruncated, wire.ErrTrailingData, wire.ErrInvalid,
// wire.ErrTooLarge) as a *wire.DecodeError, or is ErrUnknownMessage.
var (
	ErrUnknownMessage = errors.New("mux: unknown message type")
	ErrPacketTooLarge = errors.New("mux: packet length over limit")
)

// A Message is one mux protocol message. Append appends its encoding,
// message type first, without the packet length.
type Message interface {
	Type() uint32
	Append(b []byte) []byte
}

// An Extension is a name/value pair of a hello (none are defined).
type Extension struct{ Name, Value string }

// Hello is MUX_MSG_HELLO, sent first by both sides.
type Hello struct {
	Version    uint32
	Extensions []Extension
}

// NewSession is MUX_C_NEW_SESSION (PROTOCOL.mux, Section 2). The three
// stdio descriptors follow it on the socket. The flags are uint32 on the
// wire, as mux.c writes them.
type NewSession struct {
	ReqID      uint32
	Reserved   string
	WantTTY    bool
	WantX11    bool
	WantAgent  bool
	Subsystem  bool
	EscapeChar uint32 // NoEscape for none
	Term       string
	Command    string
	Env        []string // NAME=value
}

// NewStdioFwd is MUX_C_NEW_STDIO_FWD (ssh -W), Section 3. Two
// descriptors (stdin, stdout) follow it.
type NewStdioFwd struct {
	ReqID    uint32
	Reserved string
	Host     string
	Port     uint32 // PortStreamLocal for a socket path
}

// A Request is a message made of its type and request id only:
// MUX_C_ALIVE_CHECK, MUX_C_TERMINATE, MUX_C_STOP_LISTENING and
// MUX_C_PROXY from the client, MUX_S_OK and MUX_S_PROXY from the master.
type Request struct {
	Kind  uint32
	ReqID uint32
}

// Fwd is MUX_C_OPEN_FWD or MUX_C_CLOSE_FWD (Sections 6 and 7).
type Fwd struct {
	Close       bool // MUX_C_CLOSE_FWD
	ReqID       uint32
	FwdType     uint32 // FwdLocal, FwdRemote or FwdDynamic
	ListenHost  string // "" for the default, "*" for every address, or a path
	ListenPort  uint32 // PortStreamLocal for a path
	ConnectHost string
	ConnectPort uint32
}

// Status is MUX_S_PERMISSION_DENIED or MUX_S_FAILURE, with a reason.
type Status struct {
	Kind   uint32
	ReqID  uint32
	Reason string
}

// Exit is MUX_S_EXIT_MESSAGE: a session's exit value.
type Exit struct {
	SessionID uint32
	Value     uint32
}

// Alive is MUX_S_ALIVE, the answer to an alive check.
type Alive struct {
	ReqID uint32
	PID   uint32
}

// SessionOpened is MUX_S_SESSION_OPENED.
type SessionOpened struct {
	ReqID     uint32
	SessionID uint32
}

// RemotePort is MUX_S_REMOTE_PORT: the port a server allocated for a
// remote forward of port 0.
type RemotePort struct {
	ReqID uint32
	Port  uint32
}

// TTYAllocFail is MUX_S_TTY_ALLOC_FAIL.
type TTYAllocFail struct{ SessionID uint32 }

func (m *Hello) Type() uint32         { return MsgHello }
func (m *NewSession) Type() uint32    { return MsgNewSession }
func (m *NewStdioFwd) Type() uint32   { return MsgNewStdioFwd }
func (m *Request) Type() uint32       { return m.Kind }
func (m *Status) Type() uint32        { return m.Kind }
func (m *Exit) Type() uint32          { return MsgExit }
func (m *Alive) Type() uint32         { return MsgAlive }
func (m *SessionOpened) Type() uint32 { return MsgSessionOpened }
func (m *RemotePort) Type() uint32    { return MsgRemotePort }
func (m *TTYAllocFail) Type() uint32  { return MsgTTYAllocFail }

func (m *Fwd) Type() uint32 {
	if m.Close {
		return MsgCloseFwd
	}
	return MsgOpenFwd
}

func u32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func flag(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

func (m *Hello) Append(b []byte) []byte {
	b = u32(u32(b, MsgHello), m.Version)
	for _, e := range m.Extensions {
		b = wire.AppendString(wire.AppendString(b, e.Name), e.Value)
	}
	return b
}

func (m *NewSession) Append(b []byte) []byte {
	b = u32(u32(b, MsgNewSession), m.ReqID)
	b = wire.AppendString(b, m.Reserved)
	b = u32(b, flag(m.WantTTY))
	b = u32(b, flag(m.WantX11))
	b = u32(b, flag(m.WantAgent))
	b = u32(b, flag(m.Subsystem))
	b = u32(b, m.EscapeChar)
	b = wire.AppendString(b, m.Term)
	b = wire.AppendString(b, m.Command)
	for _, e := range m.Env {
		b = wire.AppendString(b, e)
	}
	return b
}

func (m *NewStdioFwd) Append(b []byte) []byte {
	b = u32(u32(b, MsgNewStdioFwd), m.ReqID)
	b = wire.AppendString(b, m.Reserved)
	b = wire.AppendString(b, m.Host)
	return u32(b, m.Port)
}

func (m *Request) Append(b []byte) []byte { return u32(u32(b, m.Kind), m.ReqID) }

func (m *Fwd) Append(b []byte) []byte {
	b = u32(u32(b, m.Type()), m.ReqID)
	b = u32(b, m.FwdType)
	b = wire.AppendString(b, m.ListenHost)
	b = u32(b, m.ListenPort)
	b = wire.AppendString(b, m.ConnectHost)
	return u32(b, m.ConnectPort)
}

func (m *Status) Append(b []byte) []byte {
	return wire.AppendString(u32(u32(b, m.Kind), m.ReqID), m.Reason)
}

func (m *Exit) Append(b []byte) []byte { return u32(u32(u32(b, MsgExit), m.SessionID), m.Value) }
func (m *Alive) Append(b []byte) []byte {
	return u32(u32(u32(b, MsgAlive), m.ReqID), m.PID)
}
func (m *SessionOpened) Append(b []byte) []byte {
	return u32(u32(u32(b, MsgSessionOpened), m.ReqID), m.SessionID)
}
func (m *RemotePort) Append(b []byte) []byte {
	return u32(u32(u32(b, MsgRemotePort), m.ReqID), m.Port)
}
func (m *TTYAllocFail) Append(b []byte) []byte {
	return u32(u32(b, MsgTTYAllocFail), m.SessionID)
}

// cstring reads a string that OpenSSH reads as a C string: no NUL
// inside (sshbuf_get_cstring).
func cstring(r *wire.Reader, what string) string {
	b := r.StringBytes()
	if bytes.IndexByte(b, 0) >= 0 {
		r.Fail(wire.ErrInvalid, what+" contains NUL")
		return ""
	}
	return string(b)
}

// Parse decodes one message (the packet body: type first). Strings
// alias nothing: the result does not keep b. A message whose type is
// not in the protocol is ErrUnknownMessage; a malformed one is a
// *wire.DecodeError naming it.
func Parse(b []byte) (Message, error) {
	r := wire.NewReader(b)
	typ := r.Uint32()
	if err := r.Finish("mux message type"); err != nil {
		return nil, err
	}
	var m Message
	name := ""
	switch typ {
	case MsgHello:
		h := &Hello{Version: r.Uint32()}
		for r.Len() > 0 {
			if len(h.Extensions) >= 64 {
				r.Fail(wire.ErrTooLarge, "more than 64 extensions")
				break
			}
			h.Extensions = append(h.Extensions, Extension{Name: cstring(r, "extension name"), Value: r.Text()})
		}
		m, name = h, "MUX_MSG_HELLO"
	case MsgNewSession:
		s := &NewSession{ReqID: r.Uint32(), Reserved: r.Text()}
		s.WantTTY = r.Uint32() != 0
		s.WantX11 = r.Uint32() != 0
		s.WantAgent = r.Uint32() != 0
		s.Subsystem = r.Uint32() != 0
		s.EscapeChar = r.Uint32()
		s.Term = cstring(r, "terminal type")
		s.Command = cstring(r, "command")
		for r.Len() > 0 {
			if len(s.Env) >= MaxEnv {
				r.Fail(wire.ErrTooLarge, fmt.Sprintf("more than %d environment strings", MaxEnv))
				break
			}
			s.Env = append(s.Env, cstring(r, "environment string"))
		}
		m, name = s, "MUX_C_NEW_SESSION"
	case MsgNewStdioFwd:
		m, name = &NewStdioFwd{ReqID: r.Uint32(), Reserved: r.Text(), Host: cstring(r, "connect host"), Port: r.Uint32()}, "MUX_C_NEW_STDIO_FWD"
	case MsgAliveCheck, MsgTerminate, MsgStopListening, MsgProxy, MsgOK, MsgProxyOK:
		m, name = &Request{Kind: typ, ReqID: r.Uint32()}, fmt.Sprintf("mux message 0x%08x", typ)
	case MsgOpenFwd, MsgCloseFwd:
		f := &Fwd{Close: typ == MsgCloseFwd, ReqID: r.Uint32(), FwdType: r.Uint32()}
		f.ListenHost = cstring(r, "listen host")
		f.ListenPort = r.Uint32()
		f.ConnectHost = cstring(r, "connect host")
		f.ConnectPort = r.Uint32()
		if r.Err() == nil && (!validPort(f.ListenPort) || !validPort(f.ConnectPort)) {
			r.Fail(wire.ErrInvalid, "port over 65535")
		}
		m, name = f, map[bool]string{false: "MUX_C_OPEN_FWD", true: "MUX_C_CLOSE_FWD"}[f.Close]
	case MsgPermDenied, MsgFailure:
		m, name = &Status{Kind: typ, ReqID: r.Uint32(), Reason: r.Text()}, map[bool]string{false: "MUX_S_FAILURE", true: "MUX_S_PERMISSION_DENIED"}[typ == MsgPermDenied]
	case MsgExit:
		m, name = &Exit{SessionID: r.Uint32(), Value: r.Uint32()}, "MUX_S_EXIT_MESSAGE"
	case MsgAlive:
		m, name = &Alive{ReqID: r.Uint32(), PID: r.Uint32()}, "MUX_S_ALIVE"
	case MsgSessionOpened:
		m, name = &SessionOpened{ReqID: r.Uint32(), SessionID: r.Uint32()}, "MUX_S_SESSION_OPENED"
	case MsgRemotePort:
		m, name = &RemotePort{ReqID: r.Uint32(), Port: r.Uint32()}, "MUX_S_REMOTE_PORT"
	case MsgTTYAllocFail:
		m, name = &TTYAllocFail{SessionID: r.Uint32()}, "MUX_S_TTY_ALLOC_FAIL"
	default:
		return nil, fmt.Errorf("%w 0x%08x", ErrUnknownMessage, typ)
	}
	// Hello and new session end with their open lists; the rest end at
	// their last field.
	if err := r.End(name); err != nil {
		return nil, err
	}
	return m, nil
}

func validPort(p uint32) bool { return p <= 65535 || p == PortStreamLocal }

// AppendPacket appends m as a mux packet: its uint32 length, then m.
func AppendPacket(b []byte, m Message) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = m.Append(b)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// packetLen checks the length prefix of a packet.
func packetLen(hdr [4]byte) (int, error) {
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxPacket {
		return 0, fmt.Errorf("%w: %d bytes", ErrPacketTooLarge, n)
	}
	if n < 4 {
		return 0, fmt.Errorf("mux: packet of %d bytes: %w", n, wire.ErrTruncated)
	}
	return int(n), nil
}
