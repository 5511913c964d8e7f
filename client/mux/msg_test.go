package mux

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// messages has one of each message type, with the field values OpenSSH
// 9.2's mux.c sends (ssh -S SOCK -O check, host cmd, -O forward -R 0:...).
var messages = []struct {
	name string
	m    Message
}{
	{"hello", &Hello{Version: 4}},
	{"hello with extension", &Hello{Version: 4, Extensions: []Extension{{"x@example.com", "v"}}}},
	{"new session", &NewSession{ReqID: 1, WantTTY: true, Subsystem: false, EscapeChar: '~', Term: "xterm", Command: "echo hi", Env: []string{"LANG=C"}}},
	{"new session no escape", &NewSession{ReqID: 1, EscapeChar: NoEscape}},
	{"stdio fwd", &NewStdioFwd{ReqID: 2, Host: "localhost", Port: 22}},
	{"stdio fwd path", &NewStdioFwd{ReqID: 2, Host: "/tmp/s", Port: PortStreamLocal}},
	{"alive check", &Request{Kind: MsgAliveCheck, ReqID: 0}},
	{"terminate", &Request{Kind: MsgTerminate, ReqID: 1}},
	{"stop listening", &Request{Kind: MsgStopListening, ReqID: 1}},
	{"proxy", &Request{Kind: MsgProxy, ReqID: 1}},
	{"ok", &Request{Kind: MsgOK, ReqID: 7}},
	{"proxy ok", &Request{Kind: MsgProxyOK, ReqID: 7}},
	{"open fwd", &Fwd{ReqID: 1, FwdType: FwdLocal, ListenHost: "", ListenPort: 8080, ConnectHost: "localhost", ConnectPort: 80}},
	{"close fwd", &Fwd{Close: true, ReqID: 1, FwdType: FwdRemote, ListenHost: "*", ListenPort: 0, ConnectHost: "h", ConnectPort: 22}},
	{"open fwd paths", &Fwd{ReqID: 1, FwdType: FwdLocal, ListenHost: "/a", ListenPort: PortStreamLocal, ConnectHost: "/b", ConnectPort: PortStreamLocal}},
	{"denied", &Status{Kind: MsgPermDenied, ReqID: 3, Reason: "Permission denied"}},
	{"failure", &Status{Kind: MsgFailure, ReqID: 3, Reason: "port not forwarded"}},
	{"exit", &Exit{SessionID: 1, Value: 7}},
	{"alive", &Alive{ReqID: 0, PID: 4242}},
	{"session opened", &SessionOpened{ReqID: 1, SessionID: 5}},
	{"remote port", &RemotePort{ReqID: 1, Port: 40000}},
	{"tty alloc fail", &TTYAllocFail{SessionID: 5}},
}

func TestRoundTrip(t *testing.T) {
	for _, tt := range messages {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.m.Append(nil))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.m, got); diff != "" {
				t.Errorf("Parse(Append) (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncoding checks bytes against the layout of PROTOCOL.mux: uint32
// type, uint32 request id, then the fields; bools as uint32.
func TestEncoding(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want []byte
	}{
		{"alive check packet", nil, []byte{0, 0, 0, 8, 0x10, 0, 0, 4, 0, 0, 0, 9}},
		{"hello", &Hello{Version: 4}, []byte{0, 0, 0, 1, 0, 0, 0, 4}},
		{"exit", &Exit{SessionID: 2, Value: 255}, []byte{0x80, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 255}},
		{"session", &NewSession{ReqID: 1, WantTTY: true, EscapeChar: NoEscape, Term: "t", Command: "c"}, []byte{
			0x10, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, // reserved ""
			0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
			0, 0, 0, 1, 't', 0, 0, 0, 1, 'c'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			if tt.m == nil {
				got = AppendPacket(nil, &Request{Kind: MsgAliveCheck, ReqID: 9})
			} else {
				got = tt.m.Append(nil)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTruncated cuts every valid encoding at every byte.
func TestTruncated(t *testing.T) {
	for _, tt := range messages {
		b := tt.m.Append(nil)
		for n := 0; n < len(b); n++ {
			m, err := Parse(b[:n])
			// Hello and new session end with open lists: a cut at a
			// list element's boundary is a shorter valid message.
			if err == nil {
				short := false
				switch m := m.(type) {
				case *Hello:
					short = len(m.Extensions) < len(tt.m.(*Hello).Extensions)
				case *NewSession:
					short = len(m.Env) < len(tt.m.(*NewSession).Env)
				}
				if !short {
					t.Errorf("%s cut at %d: parsed as %#v", tt.name, n, m)
				}
				continue
			}
			var de *wire.DecodeError
			if !errors.As(err, &de) {
				t.Errorf("%s cut at %d: %v is not a *wire.DecodeError", tt.name, n, err)
			}
		}
	}
}

func TestHostile(t *testing.T) {
	u32 := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = appendU32(b, x)
		}
		return b
	}
	env := u32(MsgNewSession, 1, 0, 0, 0, 0, 0, 0, 0, 0)
	for i := 0; i <= MaxEnv; i++ {
		env = append(env, 0, 0, 0, 1, 'x')
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"unknown type", u32(0x12345678, 1), ErrUnknownMessage},
		{"trailing data", append(u32(MsgAliveCheck, 1), 0), wire.ErrTrailingData},
		{"string past end", u32(MsgFailure, 1, 100), wire.ErrTruncated},
		{"port over 65535", append(append(u32(MsgOpenFwd, 1, FwdLocal, 0), u32(65536, 0)...), 0, 0, 0, 80), wire.ErrInvalid},
		{"NUL in command", append(u32(MsgNewSession, 1, 0, 0, 0, 0, 0, 0, 0), 0, 0, 0, 3, 'a', 0, 'b'), wire.ErrInvalid},
		{"too many env", env, wire.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("Parse: %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := packetLen([4]byte{0, 0x10, 0, 1}); !errors.Is(err, ErrPacketTooLarge) {
		t.Errorf("packetLen(1 MiB): %v", err)
	}
	if _, err := packetLen([4]byte{0, 0, 0, 3}); !errors.Is(err, wire.ErrTruncated) {
		t.Errorf("packetLen(3): %v", err)
	}
}

func appendU32(b []byte, v uint32) []byte { return u32(b, v) }

func FuzzParse(f *testing.F) {
	for _, tt := range messages {
		f.Add(tt.m.Append(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := Parse(b)
		if err != nil {
			return
		}
		m2, err := Parse(m1.Append(nil))
		if err != nil || !cmp.Equal(m1, m2) {
			t.Fatalf("round trip: %v\n%s", err, cmp.Diff(m1, m2))
		}
	})
}

// BenchmarkSessionRequest encodes and decodes a MUX_C_NEW_SESSION, the
// message of every shared session. The baseline is wire's codec of the
// SSH "exec" request that the session becomes, in the same run.
func BenchmarkSessionRequest(b *testing.B) {
	m := &NewSession{ReqID: 1, EscapeChar: '~', Term: "xterm-256color", Command: "make -j2 test", Env: []string{"LANG=C.UTF-8", "LC_ALL=C"}}
	b.Run("mux", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendPacket(buf[:0], m)
			if _, err := Parse(buf[4:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-wire-exec", func(b *testing.B) {
		req := wire.ChannelRequest{Recipient: 1, Type: wire.RequestExec, WantReply: true, Extra: (&wire.ExecRequest{Command: m.Command}).Append(nil)}
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = req.Append(buf[:0])
			if _, err := wire.ParseChannelRequest(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
