package wire_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// secret is the marker every secret in codecCases and bodyCases contains.
const secret = "hunter2"

// ctxFor returns the Context in which m's number means m.
func ctxFor(m wire.Message) wire.Context {
	switch m.(type) {
	case *wire.KexDHInit, *wire.KexDHReply:
		return wire.ContextKexDH
	case *wire.KexECDHInit, *wire.KexECDHReply:
		return wire.ContextKexECDH
	case *wire.KexDHGexRequestOld, *wire.KexDHGexRequest, *wire.KexDHGexGroup, *wire.KexDHGexInit, *wire.KexDHGexReply:
		return wire.ContextKexDHGex
	case *wire.KexGSSInit, *wire.KexGSSContinue, *wire.KexGSSComplete, *wire.KexGSSHostKey,
		*wire.KexGSSError, *wire.KexGSSGroupReq, *wire.KexGSSGroup:
		return wire.ContextKexGSS
	case *wire.UserauthPKOK:
		return wire.ContextAuthPublicKey
	case *wire.UserauthPasswdChangeReq:
		return wire.ContextAuthPassword
	case *wire.UserauthInfoRequest, *wire.UserauthInfoResponse:
		return wire.ContextAuthKeyboardInteractive
	case *wire.UserauthGSSAPIResponse, *wire.UserauthGSSAPIToken, *wire.UserauthGSSAPIExchangeComplete,
		*wire.UserauthGSSAPIError, *wire.UserauthGSSAPIErrtok, *wire.UserauthGSSAPIMIC:
		return wire.ContextAuthGSSAPI
	}
	return wire.ContextNone
}

func TestParseMessage(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.msg.Append(nil)
			ctx := ctxFor(tc.msg)
			got, err := wire.ParseMessage(enc, ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.msg, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n := tc.msg.Num(); n >= 30 && n <= 49 || n >= 60 && n <= 79 {
				if _, err := wire.ParseMessage(enc, wire.ContextNone); !errors.Is(err, wire.ErrUnexpectedMessage) {
					t.Errorf("ContextNone: err = %v, want ErrUnexpectedMessage", err)
				}
			}
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		ctx     wire.Context
		wantErr error
	}{
		{"empty", nil, wire.ContextNone, wire.ErrTruncated},
		{"unknown number", []byte{150}, wire.ContextNone, wire.ErrUnexpectedMessage},
		{"local extension number", []byte{250, 1}, wire.ContextNone, wire.ErrUnexpectedMessage},
		{"60 in kex context", []byte{60}, wire.ContextKexDH, wire.ErrUnexpectedMessage},
		{"61 in publickey", []byte{61}, wire.ContextAuthPublicKey, wire.ErrUnexpectedMessage},
		{"35 in dh", []byte{35}, wire.ContextKexDH, wire.ErrUnexpectedMessage},
		{"30 without context", (&wire.KexDHInit{E: []byte{1}}).Append(nil), wire.ContextNone, wire.ErrUnexpectedMessage},
		{"truncated known", []byte{byte(wire.MsgChannelData), 0}, wire.ContextNone, wire.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := wire.ParseMessage(tt.in, tt.ctx)
			var de *wire.DecodeError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &de) || m != nil {
				t.Fatalf("m, err = %v, %v, want nil, *DecodeError wrapping %v", m, err, tt.wantErr)
			}
		})
	}
}

// TestDescribeAll describes every message: no error, the RFC name, and no
// secret in any field (docs/security.md#w4; the secret test strings contain
// "hunter2").
func TestDescribeAll(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			d := wire.Describe(tc.msg.Append(nil), ctxFor(tc.msg))
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			if want := strings.Fields(tc.name)[0]; d.Name != want {
				t.Errorf("Name = %q, want %q", d.Name, want)
			}
			if d.Num != tc.msg.Num() {
				t.Errorf("Num = %v, want %v", d.Num, tc.msg.Num())
			}
			checkNoSecret(t, d)
		})
	}
}

func checkNoSecret(t *testing.T, d wire.Description) {
	t.Helper()
	for _, f := range d.Fields {
		if f.Name == "" {
			t.Errorf("empty field name in %v", d)
		}
		if strings.Contains(f.Value, secret) || strings.Contains(f.Name, secret) {
			t.Errorf("field %s=%q shows a secret", f.Name, f.Value)
		}
	}
	if s := d.String(); strings.Contains(s, secret) {
		t.Errorf("String() shows a secret: %s", s)
	}
}

// TestDescribeBodies wraps every type-specific data type in its message
// and checks that the describer decodes it and redacts its secrets.
func TestDescribeBodies(t *testing.T) {
	wrap := map[string]func([]byte) wire.Message{}
	for _, typ := range []string{"direct-tcpip", "forwarded-tcpip", "x11"} {
		wrap[typ] = func(b []byte) wire.Message { return &wire.ChannelOpen{Type: typ, Extra: b} }
	}
	wrap["direct-streamlocal"] = func(b []byte) wire.Message {
		return &wire.ChannelOpen{Type: wire.ChannelTypeDirectStreamLocal, Extra: b}
	}
	wrap["tun"] = func(b []byte) wire.Message { return &wire.ChannelOpen{Type: wire.ChannelTypeTun, Extra: b} }
	wrap["forwarded-streamlocal"] = func(b []byte) wire.Message {
		return &wire.ChannelOpen{Type: wire.ChannelTypeForwardedStreamLocal, Extra: b}
	}
	for _, typ := range []string{"pty-req", "x11-req", "env", "exec", "subsystem", "window-change", "xon-xoff", "signal", "exit-status", "exit-signal", "break"} {
		wrap[typ] = func(b []byte) wire.Message { return &wire.ChannelRequest{Type: typ, Extra: b} }
	}
	wrap["tcpip-forward"] = func(b []byte) wire.Message { return &wire.GlobalRequest{Name: wire.GlobalTCPIPForward, Data: b} }
	wrap["streamlocal-forward"] = func(b []byte) wire.Message {
		return &wire.GlobalRequest{Name: wire.GlobalStreamLocalForward, Data: b}
	}
	wrap["tcpip-forward reply"] = func(b []byte) wire.Message { return &wire.RequestSuccess{Data: b} }
	for _, bc := range bodyCases {
		t.Run(bc.name, func(t *testing.T) {
			w, ok := wrap[bc.name]
			if !ok {
				t.Fatalf("no wrapper for %s", bc.name)
			}
			body := bc.val.Append(nil)
			d := wire.Describe(w(body).Append(nil), wire.ContextNone)
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			checkNoSecret(t, d)
			if strings.Contains(d.String(), "malformed") {
				t.Errorf("body not decoded: %v", d)
			}
			// A cut body is shown as malformed, not as an error.
			if bc.name != "tcpip-forward reply" {
				d = wire.Describe(w(body[:len(body)-1]).Append(nil), wire.ContextNone)
				if d.Err != nil || !strings.Contains(d.String(), "malformed") {
					t.Errorf("cut body: %v", d)
				}
			}
		})
	}
}

func TestDescribeString(t *testing.T) {
	tests := []struct {
		name string
		msg  wire.Message
		ctx  wire.Context
		want string
	}{
		{"kexinit", &wire.KexInit{Cookie: [16]byte{1, 2, 3, 4, 5}, KexAlgorithms: []string{"curve25519-sha256", "ext-info-c"}},
			wire.ContextNone,
			`KEXINIT cookie=01020304… kex_algorithms=curve25519-sha256,ext-info-c server_host_key_algorithms="" ` +
				`encryption_algorithms_client_to_server="" encryption_algorithms_server_to_client="" ` +
				`mac_algorithms_client_to_server="" mac_algorithms_server_to_client="" ` +
				`compression_algorithms_client_to_server="" compression_algorithms_server_to_client="" ` +
				`languages_client_to_server="" languages_server_to_client="" first_kex_packet_follows=false`},
		{"password", &wire.UserauthRequest{User: "root", Service: "ssh-connection", Method: "password", Password: "hunter2"},
			wire.ContextNone,
			`USERAUTH_REQUEST user_name=root service_name=ssh-connection method_name=password change_password=false password="[redacted, 7 bytes]"`},
		{"debug escape", &wire.Debug{Message: "a\x1b[2Jb c"}, wire.ContextNone,
			`DEBUG always_display=false message="a\\u001b[2Jb c" language_tag=""`},
		{"gssapi response", &wire.UserauthGSSAPIResponse{Mechanism: krb5OID}, wire.ContextAuthGSSAPI,
			`USERAUTH_GSSAPI_RESPONSE mechanism_oid=1.2.840.113554.1.2.2`},
		{"data", &wire.ChannelData{Recipient: 3, Data: make([]byte, 100)}, wire.ContextNone,
			`CHANNEL_DATA recipient_channel=3 data="[100 bytes]"`},
		{"group", &wire.KexDHGexGroup{P: bytes.Repeat([]byte{0xff}, 256), G: []byte{2}}, wire.ContextKexDHGex,
			`KEX_DH_GEX_GROUP p="[256 bytes sha256:` + sha4(bytes.Repeat([]byte{0xff}, 256)) + `]" g=2`},
		{"pk ok", &wire.UserauthPKOK{Algorithm: "ssh-ed25519", PublicKey: hostKeyBlob}, wire.ContextAuthPublicKey,
			`USERAUTH_PK_OK public_key_algorithm_name=ssh-ed25519 public_key_blob="ssh-ed25519 [51 bytes sha256:` + sha4(hostKeyBlob) + `]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wire.Describe(tt.msg.Append(nil), tt.ctx).String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestDescribeUndecodable(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		ctx      wire.Context
		wantName string
	}{
		{"kex without context", (&wire.KexDHInit{E: []byte{1}}).Append(nil), wire.ContextNone, "KEX_30"},
		{"truncated", []byte{byte(wire.MsgChannelData), 0, 0}, wire.ContextNone, "CHANNEL_DATA"},
		{"unknown", []byte{200, 1, 2}, wire.ContextNone, "MSG_200"},
		{"empty", nil, wire.ContextNone, "EMPTY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := wire.Describe(tt.in, tt.ctx)
			var de *wire.DecodeError
			if !errors.As(d.Err, &de) {
				t.Fatalf("Err = %v, want *DecodeError", d.Err)
			}
			if d.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", d.Name, tt.wantName)
			}
			if s := d.String(); !strings.Contains(s, "error=") {
				t.Errorf("String() = %s, want an error", s)
			}
		})
	}
}

func TestDescribeLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	msg := caseByName("USERAUTH_REQUEST password change").msg
	log.Info("recv", "msg", wire.Describe(msg.Append(nil), wire.ContextNone))
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Errorf("log shows a secret: %s", out)
	}
	for _, want := range []string{`"type":"USERAUTH_REQUEST"`, `"user_name":"älice"`, `"password":"[redacted, 7 bytes]"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}
}

// FuzzDescribe checks that Describe never panics and that a description
// of any payload has a name.
func FuzzDescribe(f *testing.F) {
	for _, tc := range codecCases {
		f.Add(tc.msg.Append(nil), uint8(ctxFor(tc.msg)))
	}
	f.Fuzz(func(t *testing.T, b []byte, ctx uint8) {
		d := wire.Describe(b, wire.Context(ctx%9))
		if d.Name == "" {
			t.Fatal("empty name")
		}
		_ = d.String()
	})
}

func sha4(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}

// TestDescribeClips: hostile-size peer text is cut in a description, and
// odd extension names do not break the name=value layout.
func TestDescribeClips(t *testing.T) {
	term := strings.Repeat("x", 200<<10) // docs/security.md#c5: TERM of 200 KiB
	req := &wire.ChannelRequest{Type: wire.RequestPtyReq, Extra: (&wire.PtyRequest{Term: term}).Append(nil)}
	d := wire.Describe(req.Append(nil), wire.ContextNone)
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	if s := d.String(); len(s) > 1024 || !strings.Contains(s, "…[204800 bytes]") {
		t.Errorf("pty-req TERM not clipped: %d bytes", len(s))
	}
	ext := &wire.ExtInfo{Extensions: []wire.Extension{{Name: "a b=c", Value: []byte("v")}}}
	d = wire.Describe(ext.Append(nil), wire.ContextNone)
	want := []wire.Field{{Name: "nr_extensions", Value: "1"}, {Name: "extension_name", Value: "a b=c"}, {Name: "extension_value", Value: "v"}}
	if diff := cmp.Diff(want, d.Fields); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzParseMessage: whatever ParseMessage accepts in a context re-encodes
// to a payload that parses to an equal message.
func FuzzParseMessage(f *testing.F) {
	for _, tc := range codecCases {
		f.Add(tc.msg.Append(nil), uint8(ctxFor(tc.msg)))
	}
	f.Fuzz(func(t *testing.T, b []byte, c uint8) {
		ctx := wire.Context(c % 9)
		m1, err := wire.ParseMessage(b, ctx)
		if err != nil {
			return
		}
		m2, err := wire.ParseMessage(m1.Append(nil), ctx)
		if err != nil || !cmp.Equal(m1, m2) {
			t.Fatalf("round trip: %v\n%s", err, cmp.Diff(m1, m2))
		}
	})
}
