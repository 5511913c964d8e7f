package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

func FuzzParseGlobalRequest(f *testing.F)  { fuzzCase(f, "GLOBAL_REQUEST") }
func FuzzParseRequestSuccess(f *testing.F) { fuzzCase(f, "REQUEST_SUCCESS") }
func FuzzParseRequestFailure(f *testing.F) { fuzzCase(f, "REQUEST_FAILURE") }
func FuzzParseChannelOpen(f *testing.F)    { fuzzCase(f, "CHANNEL_OPEN") }
func FuzzParseChannelOpenConfirmation(f *testing.F) {
	fuzzCase(f, "CHANNEL_OPEN_CONFIRMATION")
}
func FuzzParseChannelOpenFailure(f *testing.F)  { fuzzCase(f, "CHANNEL_OPEN_FAILURE") }
func FuzzParseChannelWindowAdjust(f *testing.F) { fuzzCase(f, "CHANNEL_WINDOW_ADJUST") }
func FuzzParseChannelExtendedData(f *testing.F) { fuzzCase(f, "CHANNEL_EXTENDED_DATA") }
func FuzzParseChannelEOF(f *testing.F)          { fuzzCase(f, "CHANNEL_EOF") }
func FuzzParseChannelClose(f *testing.F)        { fuzzCase(f, "CHANNEL_CLOSE") }
func FuzzParseChannelRequest(f *testing.F)      { fuzzCase(f, "CHANNEL_REQUEST") }
func FuzzParseChannelSuccess(f *testing.F)      { fuzzCase(f, "CHANNEL_SUCCESS") }
func FuzzParseChannelFailure(f *testing.F)      { fuzzCase(f, "CHANNEL_FAILURE") }

// TestOpenMessageTail checks that the type-specific tail of the open
// connection messages round-trips and aliases the payload.
func TestOpenMessageTail(t *testing.T) {
	body := (&wire.PtyRequest{Term: "xterm", Columns: 80, Rows: 24, Modes: []byte{0}}).Append(nil)
	msgs := []struct {
		name  string
		msg   wire.Message
		parse parseFunc
	}{
		{"GLOBAL_REQUEST", &wire.GlobalRequest{Name: "x", Data: body}, parser(wire.ParseGlobalRequest)},
		{"REQUEST_SUCCESS", &wire.RequestSuccess{Data: body}, parser(wire.ParseRequestSuccess)},
		{"CHANNEL_OPEN", &wire.ChannelOpen{Type: "x", Extra: body}, parser(wire.ParseChannelOpen)},
		{"CHANNEL_OPEN_CONFIRMATION", &wire.ChannelOpenConfirmation{Extra: body}, parser(wire.ParseChannelOpenConfirmation)},
		{"CHANNEL_REQUEST", &wire.ChannelRequest{Type: wire.RequestPtyReq, Extra: body}, parser(wire.ParseChannelRequest)},
	}
	for _, tc := range msgs {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.msg.Append(nil)
			got, err := tc.parse(enc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.msg, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// bodyCase is a value of a type-specific data type (not a Message).
type bodyCase struct {
	name  string
	val   appender
	parse bodyParseFunc
}

type appender interface{ Append([]byte) []byte }

type bodyParseFunc func([]byte) (appender, error)

func bodyParser[T any, PT interface {
	*T
	appender
}](f func([]byte) (T, error)) bodyParseFunc {
	return func(b []byte) (appender, error) {
		m, err := f(b)
		if err != nil {
			return nil, err
		}
		return PT(&m), nil
	}
}

// bodyCases lists every channel-open, channel-request and global-request
// data type (RFC 4254, Sections 6 and 7; RFC 4335; OpenSSH PROTOCOL 2.4).
var bodyCases = []bodyCase{
	{"direct-tcpip", &wire.DirectTCPIP{Host: "example.org", Port: 22, OriginatorAddress: "127.0.0.1", OriginatorPort: 50000}, bodyParser(wire.ParseDirectTCPIP)},
	{"forwarded-tcpip", &wire.ForwardedTCPIP{Address: "0.0.0.0", Port: 8080, OriginatorAddress: "10.0.0.1", OriginatorPort: 1}, bodyParser(wire.ParseForwardedTCPIP)},
	{"x11", &wire.X11Open{OriginatorAddress: "127.0.0.1", OriginatorPort: 6010}, bodyParser(wire.ParseX11Open)},
	{"tun", &wire.TunOpen{Mode: wire.TunModePointToPoint, Unit: wire.TunUnitAny}, bodyParser(wire.ParseTunOpen)}, // OpenSSH PROTOCOL 2.3
	{"direct-streamlocal", &wire.DirectStreamLocal{SocketPath: "/run/s.sock", Reserved: "", ReservedPort: 0}, bodyParser(wire.ParseDirectStreamLocal)},
	{"forwarded-streamlocal", &wire.ForwardedStreamLocal{SocketPath: "/run/s.sock"}, bodyParser(wire.ParseForwardedStreamLocal)},
	{"pty-req", &wire.PtyRequest{Term: "xterm-256color", Columns: 80, Rows: 24, WidthPixels: 640, HeightPixels: 480,
		Modes: wire.AppendTerminalModes(nil, []wire.TerminalMode{{Opcode: wire.VINTR, Value: 3}, {Opcode: wire.ECHO, Value: 1}})}, bodyParser(wire.ParsePtyRequest)},
	{"x11-req", &wire.X11Request{SingleConnection: true, AuthProtocol: "MIT-MAGIC-COOKIE-1", AuthCookie: "hunter2cookie", Screen: 0}, bodyParser(wire.ParseX11Request)},
	{"env", &wire.EnvRequest{Name: "API_TOKEN", Value: "hunter2-env"}, bodyParser(wire.ParseEnvRequest)},
	{"exec", &wire.ExecRequest{Command: "uname -a"}, bodyParser(wire.ParseExecRequest)},
	{"subsystem", &wire.SubsystemRequest{Name: "sftp"}, bodyParser(wire.ParseSubsystemRequest)},
	{"window-change", &wire.WindowChange{Columns: 120, Rows: 40, WidthPixels: 1, HeightPixels: 2}, bodyParser(wire.ParseWindowChange)},
	{"xon-xoff", &wire.XonXoff{ClientCanDo: true}, bodyParser(wire.ParseXonXoff)},
	{"signal", &wire.SignalRequest{Signal: wire.SignalINT}, bodyParser(wire.ParseSignalRequest)},
	{"exit-status", &wire.ExitStatus{Status: 2}, bodyParser(wire.ParseExitStatus)},
	{"exit-signal", &wire.ExitSignal{Signal: wire.SignalSEGV, CoreDumped: true, Message: "boom", Language: "en"}, bodyParser(wire.ParseExitSignal)},
	{"break", &wire.BreakRequest{Length: 500}, bodyParser(wire.ParseBreakRequest)},
	{"tcpip-forward", &wire.TCPIPForward{BindAddress: "localhost", BindPort: 0}, bodyParser(wire.ParseTCPIPForward)},
	{"tcpip-forward reply", &wire.TCPIPForwardReply{BoundPort: 40000}, bodyParser(wire.ParseTCPIPForwardReply)},
	{"streamlocal-forward", &wire.StreamLocalForward{SocketPath: "/tmp/fwd.sock"}, bodyParser(wire.ParseStreamLocalForward)},
}

func bodyByName(name string) bodyCase {
	for _, bc := range bodyCases {
		if bc.name == name {
			return bc
		}
	}
	panic("no body case " + name)
}

// TestBodyCodec runs round trip, cut at every byte and trailing byte over
// every type-specific data type.
func TestBodyCodec(t *testing.T) {
	for _, bc := range bodyCases {
		t.Run(bc.name, func(t *testing.T) {
			enc := bc.val.Append(nil)
			got, err := bc.parse(enc)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if diff := cmp.Diff(bc.val, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			for i := 0; i < len(enc); i++ {
				_, err := bc.parse(enc[:i:i])
				var de *wire.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("cut at %d of %d: err = %v, want *DecodeError", i, len(enc), err)
				}
			}
			if _, err := bc.parse(append(enc, 0)); !errors.Is(err, wire.ErrTrailingData) {
				t.Errorf("trailing byte: err = %v, want ErrTrailingData", err)
			}
		})
	}
}

func fuzzBody(f *testing.F, name string) {
	bc := bodyByName(name)
	f.Add(bc.val.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := bc.parse(b)
		if err != nil {
			return
		}
		m2, err := bc.parse(m1.Append(nil))
		if err != nil || !cmp.Equal(m1, m2) {
			t.Fatalf("round trip: %v\n%s", err, cmp.Diff(m1, m2))
		}
	})
}

func FuzzParseDirectTCPIP(f *testing.F)          { fuzzBody(f, "direct-tcpip") }
func FuzzParseForwardedTCPIP(f *testing.F)       { fuzzBody(f, "forwarded-tcpip") }
func FuzzParseX11Open(f *testing.F)              { fuzzBody(f, "x11") }
func FuzzParseDirectStreamLocal(f *testing.F)    { fuzzBody(f, "direct-streamlocal") }
func FuzzParseTunOpen(f *testing.F)              { fuzzBody(f, "tun") }
func FuzzParseForwardedStreamLocal(f *testing.F) { fuzzBody(f, "forwarded-streamlocal") }
func FuzzParsePtyRequest(f *testing.F)           { fuzzBody(f, "pty-req") }
func FuzzParseX11Request(f *testing.F)           { fuzzBody(f, "x11-req") }
func FuzzParseEnvRequest(f *testing.F)           { fuzzBody(f, "env") }
func FuzzParseExecRequest(f *testing.F)          { fuzzBody(f, "exec") }
func FuzzParseSubsystemRequest(f *testing.F)     { fuzzBody(f, "subsystem") }
func FuzzParseWindowChange(f *testing.F)         { fuzzBody(f, "window-change") }
func FuzzParseXonXoff(f *testing.F)              { fuzzBody(f, "xon-xoff") }
func FuzzParseSignalRequest(f *testing.F)        { fuzzBody(f, "signal") }
func FuzzParseExitStatus(f *testing.F)           { fuzzBody(f, "exit-status") }
func FuzzParseExitSignal(f *testing.F)           { fuzzBody(f, "exit-signal") }
func FuzzParseBreakRequest(f *testing.F)         { fuzzBody(f, "break") }
func FuzzParseTCPIPForward(f *testing.F)         { fuzzBody(f, "tcpip-forward") }
func FuzzParseTCPIPForwardReply(f *testing.F)    { fuzzBody(f, "tcpip-forward reply") }
func FuzzParseStreamLocalForward(f *testing.F)   { fuzzBody(f, "streamlocal-forward") }

// TestHostKeys covers the OpenSSH PROTOCOL 2.5 key list, whose end is the
// end of the data.
func TestHostKeys(t *testing.T) {
	k1, k2 := []byte("key-one"), []byte{}
	enc := (&wire.HostKeys{Keys: [][]byte{k1, k2}}).Append(nil)
	got, err := wire.ParseHostKeys(enc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]byte{k1, k2}, got.Keys); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got, err := wire.ParseHostKeys(nil); err != nil || got.Keys != nil {
		t.Errorf("empty: %v, %v", got, err)
	}
	for _, bad := range [][]byte{
		enc[:len(enc)-1],                   // cut in the first key
		append(enc[:len(enc):len(enc)], 0), // a stray byte
		{0xff, 0xff, 0xff, 0xff, 'a'},      // length past end (docs/security.md#w1)
	} {
		if _, err := wire.ParseHostKeys(bad); !errors.Is(err, wire.ErrTruncated) {
			t.Errorf("%x: err = %v, want ErrTruncated", bad, err)
		}
	}
}

func FuzzParseHostKeys(f *testing.F) {
	f.Add((&wire.HostKeys{Keys: [][]byte{[]byte("a"), []byte("bc")}}).Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := wire.ParseHostKeys(b)
		if err != nil {
			return
		}
		if enc := m1.Append(nil); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs: %x, %x", b, enc)
		}
	})
}

// Requirement: 4254-8-modes
func TestTerminalModes(t *testing.T) {
	mode := func(op byte, v uint32) []byte { return wire.AppendUint32([]byte{op}, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	many := bytes.Repeat(mode(wire.VINTR, 3), wire.MaxTerminalModes)
	tests := []struct { // RFC 4254, Section 8; docs/security.md#c5
		name    string
		in      []byte
		want    []wire.TerminalMode
		wantErr error
	}{
		{"empty", nil, nil, nil},
		{"only end", []byte{0}, nil, nil},
		{"two", cat(mode(wire.VINTR, 3), mode(wire.TTY_OP_ISPEED, 38400), []byte{0}),
			[]wire.TerminalMode{{wire.VINTR, 3}, {wire.TTY_OP_ISPEED, 38400}}, nil},
		{"no end", mode(wire.ECHO, 1), []wire.TerminalMode{{wire.ECHO, 1}}, nil},
		{"bytes after end ignored", cat(mode(wire.ECHO, 0), []byte{0, 1, 2}), []wire.TerminalMode{{wire.ECHO, 0}}, nil},
		{"stop at 160", cat(mode(wire.ECHO, 1), []byte{160, 1}, mode(wire.VINTR, 3)), []wire.TerminalMode{{wire.ECHO, 1}}, nil},
		{"stop at 255", cat([]byte{255}, mode(wire.VINTR, 3)), nil, nil},
		{"159 takes uint32", cat(mode(159, 7), []byte{0}), []wire.TerminalMode{{159, 7}}, nil},
		{"truncated argument", []byte{wire.VINTR, 0, 0, 3}, nil, wire.ErrTruncated},
		{"truncated after one", cat(mode(wire.ECHO, 1), []byte{wire.VINTR, 0}), nil, wire.ErrTruncated},
		{"cap", cat(many, []byte{0}), nil, nil},
		{"cap+1", cat(many, mode(wire.ECHO, 1), []byte{0}), nil, wire.ErrTooLarge},
		{"10k modes", bytes.Repeat(mode(wire.ECHO, 1), 10000), nil, wire.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wire.ParseTerminalModes(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.name == "cap" {
				if len(got) != wire.MaxTerminalModes {
					t.Fatalf("len = %d, want %d", len(got), wire.MaxTerminalModes)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendTerminalModes(t *testing.T) {
	modes := []wire.TerminalMode{{wire.VINTR, 3}, {wire.TTY_OP_END, 9}, {200, 1}, {wire.TTY_OP_OSPEED, 9600}}
	got := wire.AppendTerminalModes(nil, modes)
	want := []byte{wire.VINTR, 0, 0, 0, 3, wire.TTY_OP_OSPEED, 0, 0, 0x25, 0x80, wire.TTY_OP_END}
	if !bytes.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
}

func FuzzParseTerminalModes(f *testing.F) {
	f.Add(wire.AppendTerminalModes(nil, []wire.TerminalMode{{wire.VINTR, 3}, {wire.ECHO, 1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := wire.ParseTerminalModes(b)
		if err != nil {
			return
		}
		if len(m1) > wire.MaxTerminalModes {
			t.Fatalf("%d modes", len(m1))
		}
		m2, err := wire.ParseTerminalModes(wire.AppendTerminalModes(nil, m1))
		if err != nil || !cmp.Equal(m1, m2) {
			t.Fatalf("round trip: %v\n%s", err, cmp.Diff(m1, m2))
		}
	})
}
