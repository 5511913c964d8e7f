package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// parseFunc adapts a typed ParseT function to return a Message.
type parseFunc func([]byte) (wire.Message, error)

func parser[T any, PT interface {
	*T
	wire.Message
}](f func([]byte) (T, error)) parseFunc {
	return func(b []byte) (wire.Message, error) {
		m, err := f(b)
		if err != nil {
			return nil, err
		}
		return PT(&m), nil
	}
}

// codecCase is one message value and its parser. open is true for
// messages whose end is not defined (trailing data allowed).
type codecCase struct {
	name  string
	msg   wire.Message
	parse parseFunc
	open  bool
}

// codecCases lists a representative value of every message type. Every
// codec test below runs over all of them.
var codecCases = []codecCase{
	{"DISCONNECT", &wire.Disconnect{Reason: wire.ProtocolError, Description: "bye", Language: "en"}, parser(wire.ParseDisconnect), false},
	{"KEXINIT", &wire.KexInit{
		Cookie:                  [16]byte{1, 2, 3},
		KexAlgorithms:           []string{"curve25519-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"},
		ServerHostKeyAlgorithms: []string{"ssh-ed25519"},
		CiphersClientServer:     []string{"aes128-gcm@openssh.com"},
		CiphersServerClient:     []string{"aes128-gcm@openssh.com"},
		MACsClientServer:        []string{"hmac-sha2-256-etm@openssh.com"},
		MACsServerClient:        []string{"hmac-sha2-256-etm@openssh.com"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}, parser(wire.ParseKexInit), false},
	{"CHANNEL_DATA", &wire.ChannelData{Recipient: 7, Data: []byte("hunter2-data")}, parser(wire.ParseChannelData), false},

	// RFC 4253 transport, RFC 8308, OpenSSH ping.
	{"IGNORE", &wire.Ignore{Data: []byte("hunter2-ignore")}, parser(wire.ParseIgnore), false},
	{"UNIMPLEMENTED", &wire.Unimplemented{SeqNum: 42}, parser(wire.ParseUnimplemented), false},
	{"DEBUG", &wire.Debug{AlwaysDisplay: true, Message: "hello", Language: "en"}, parser(wire.ParseDebug), false},
	{"SERVICE_REQUEST", &wire.ServiceRequest{Service: wire.ServiceUserauth}, parser(wire.ParseServiceRequest), false},
	{"SERVICE_ACCEPT", &wire.ServiceAccept{Service: wire.ServiceUserauth}, parser(wire.ParseServiceAccept), false},
	{"NEWKEYS", &wire.NewKeys{}, parser(wire.ParseNewKeys), false},
	{"EXT_INFO", &wire.ExtInfo{Extensions: []wire.Extension{
		{Name: wire.ExtServerSigAlgs, Value: wire.NameListValue([]string{"ssh-ed25519", "rsa-sha2-256"})},
		{Name: wire.ExtPing, Value: []byte(wire.ExtVersion0)},
	}}, parser(wire.ParseExtInfo), false},
	{"NEWCOMPRESS", &wire.NewCompress{}, parser(wire.ParseNewCompress), false},
	{"PING", &wire.Ping{Data: []byte("hunter2-ping")}, parser(wire.ParsePing), false},
	{"PONG", &wire.Pong{Data: []byte("hunter2-pong")}, parser(wire.ParsePong), false},

	// Key exchange methods (30-49).
	{"KEXDH_INIT", &wire.KexDHInit{E: []byte{0x80, 1, 2, 3}}, parser(wire.ParseKexDHInit), false},
	{"KEXDH_REPLY", &wire.KexDHReply{HostKey: hostKeyBlob, F: []byte{0x7f, 9}, Signature: []byte("sig")}, parser(wire.ParseKexDHReply), false},
	{"KEX_ECDH_INIT", &wire.KexECDHInit{ClientPublic: make([]byte, 32)}, parser(wire.ParseKexECDHInit), false},
	{"KEX_ECDH_REPLY", &wire.KexECDHReply{HostKey: hostKeyBlob, ServerPublic: []byte{9, 9}, Signature: []byte("sig")}, parser(wire.ParseKexECDHReply), false},
	{"KEX_DH_GEX_REQUEST_OLD", &wire.KexDHGexRequestOld{N: 3072}, parser(wire.ParseKexDHGexRequestOld), false},
	{"KEX_DH_GEX_REQUEST", &wire.KexDHGexRequest{Min: 2048, N: 3072, Max: 8192}, parser(wire.ParseKexDHGexRequest), false},
	{"KEX_DH_GEX_GROUP", &wire.KexDHGexGroup{P: []byte{0xff, 0xfb}, G: []byte{2}}, parser(wire.ParseKexDHGexGroup), false},
	{"KEX_DH_GEX_INIT", &wire.KexDHGexInit{E: []byte{1, 2}}, parser(wire.ParseKexDHGexInit), false},
	{"KEX_DH_GEX_REPLY", &wire.KexDHGexReply{HostKey: hostKeyBlob, F: []byte{0x81}, Signature: []byte("sig")}, parser(wire.ParseKexDHGexReply), false},
	{"KEXGSS_INIT", &wire.KexGSSInit{Token: []byte("hunter2-token"), E: []byte{0, 0x80}}, parser(wire.ParseKexGSSInit), false},
	{"KEXGSS_CONTINUE", &wire.KexGSSContinue{Token: []byte("hunter2-token")}, parser(wire.ParseKexGSSContinue), false},
	{"KEXGSS_COMPLETE", &wire.KexGSSComplete{F: []byte{5}, MIC: []byte("hunter2-mic"), HasToken: true, Token: []byte("hunter2-token")}, parser(wire.ParseKexGSSComplete), false},
	{"KEXGSS_COMPLETE no token", &wire.KexGSSComplete{F: []byte{5}, MIC: []byte("hunter2-mic")}, parser(wire.ParseKexGSSComplete), false},
	{"KEXGSS_HOSTKEY", &wire.KexGSSHostKey{HostKey: hostKeyBlob}, parser(wire.ParseKexGSSHostKey), false},
	{"KEXGSS_ERROR", &wire.KexGSSError{Major: 0xd0000, Minor: 7, Message: "no credentials", Language: "en"}, parser(wire.ParseKexGSSError), false},
	{"KEXGSS_GROUPREQ", &wire.KexGSSGroupReq{Min: 2048, N: 4096, Max: 8192}, parser(wire.ParseKexGSSGroupReq), false},
	{"KEXGSS_GROUP", &wire.KexGSSGroup{P: []byte{0xff, 0xfb}, G: []byte{2}}, parser(wire.ParseKexGSSGroup), false},

	// User authentication (RFC 4252, RFC 4256, RFC 4462).
	{"USERAUTH_REQUEST none", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodNone}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST password", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodPassword, Password: "hunter2"}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST password change", &wire.UserauthRequest{User: "älice", Service: wire.ServiceConnection, Method: wire.MethodPassword,
		ChangePassword: true, Password: "hunter2", NewPassword: "hunter2-new"}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST publickey query", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodPublicKey,
		Algorithm: "ssh-ed25519", PublicKey: hostKeyBlob}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST publickey signed", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodPublicKey,
		HasSignature: true, Algorithm: "ssh-ed25519", PublicKey: hostKeyBlob, Signature: []byte("signature")}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST hostbased", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodHostbased,
		HasSignature: true, Algorithm: "ssh-ed25519", PublicKey: hostKeyBlob, ClientHost: "client.example.", ClientUser: "alice", Signature: []byte("signature")}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST keyboard-interactive", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive,
		Submethods: "pam"}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST gssapi-with-mic", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodGSSAPIWithMIC,
		Mechanisms: [][]byte{krb5OID, {0x06, 0x01, 0x00}}}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST gssapi-keyex", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodGSSAPIKeyex,
		MIC: []byte("hunter2-mic")}, parser(wire.ParseUserauthRequest), false},
	{"USERAUTH_REQUEST other", &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: "x-unknown@example.org"}, parser(wire.ParseUserauthRequest), true},
	{"USERAUTH_FAILURE", &wire.UserauthFailure{Methods: []string{wire.MethodPublicKey, wire.MethodPassword}, PartialSuccess: true}, parser(wire.ParseUserauthFailure), false},
	{"USERAUTH_SUCCESS", &wire.UserauthSuccess{}, parser(wire.ParseUserauthSuccess), false},
	{"USERAUTH_BANNER", &wire.UserauthBanner{Message: "welcome\n", Language: "en"}, parser(wire.ParseUserauthBanner), false},
	{"USERAUTH_PK_OK", &wire.UserauthPKOK{Algorithm: "ssh-ed25519", PublicKey: hostKeyBlob}, parser(wire.ParseUserauthPKOK), false},
	{"USERAUTH_PASSWD_CHANGEREQ", &wire.UserauthPasswdChangeReq{Prompt: "expired", Language: "en"}, parser(wire.ParseUserauthPasswdChangeReq), false},
	{"USERAUTH_INFO_REQUEST", &wire.UserauthInfoRequest{Name: "otp", Instruction: "enter code", Prompts: []wire.Prompt{{Text: "Password: "}, {Text: "Code: ", Echo: true}}}, parser(wire.ParseUserauthInfoRequest), false},
	{"USERAUTH_INFO_RESPONSE", &wire.UserauthInfoResponse{Responses: []string{"hunter2", "hunter2-otp"}}, parser(wire.ParseUserauthInfoResponse), false},
	{"USERAUTH_GSSAPI_RESPONSE", &wire.UserauthGSSAPIResponse{Mechanism: krb5OID}, parser(wire.ParseUserauthGSSAPIResponse), false},
	{"USERAUTH_GSSAPI_TOKEN", &wire.UserauthGSSAPIToken{Token: []byte("hunter2-token")}, parser(wire.ParseUserauthGSSAPIToken), false},
	{"USERAUTH_GSSAPI_EXCHANGE_COMPLETE", &wire.UserauthGSSAPIExchangeComplete{}, parser(wire.ParseUserauthGSSAPIExchangeComplete), false},
	{"USERAUTH_GSSAPI_ERROR", &wire.UserauthGSSAPIError{Major: 1, Minor: 2, Message: "bad", Language: "en"}, parser(wire.ParseUserauthGSSAPIError), false},
	{"USERAUTH_GSSAPI_ERRTOK", &wire.UserauthGSSAPIErrtok{Token: []byte("hunter2-token")}, parser(wire.ParseUserauthGSSAPIErrtok), false},
	{"USERAUTH_GSSAPI_MIC", &wire.UserauthGSSAPIMIC{MIC: []byte("hunter2-mic")}, parser(wire.ParseUserauthGSSAPIMIC), false},

	// RFC 4254 connection protocol. Open messages carry an empty tail here,
	// so that cutting them at any byte still cuts a fixed field.
	{"GLOBAL_REQUEST", &wire.GlobalRequest{Name: wire.GlobalKeepalive, WantReply: true}, parser(wire.ParseGlobalRequest), true},
	{"REQUEST_SUCCESS", &wire.RequestSuccess{}, parser(wire.ParseRequestSuccess), true},
	{"REQUEST_FAILURE", &wire.RequestFailure{}, parser(wire.ParseRequestFailure), false},
	{"CHANNEL_OPEN", &wire.ChannelOpen{Type: wire.ChannelTypeSession, Sender: 1, InitialWindow: 2 << 20, MaxPacket: 32 << 10}, parser(wire.ParseChannelOpen), true},
	{"CHANNEL_OPEN_CONFIRMATION", &wire.ChannelOpenConfirmation{Recipient: 1, Sender: 2, InitialWindow: 3, MaxPacket: 4}, parser(wire.ParseChannelOpenConfirmation), true},
	{"CHANNEL_OPEN_FAILURE", &wire.ChannelOpenFailure{Recipient: 1, Reason: wire.ConnectFailed, Description: "no route", Language: "en"}, parser(wire.ParseChannelOpenFailure), false},
	{"CHANNEL_WINDOW_ADJUST", &wire.ChannelWindowAdjust{Recipient: 1, Bytes: 1 << 20}, parser(wire.ParseChannelWindowAdjust), false},
	{"CHANNEL_EXTENDED_DATA", &wire.ChannelExtendedData{Recipient: 1, DataType: wire.ExtendedDataStderr, Data: []byte("hunter2-stderr")}, parser(wire.ParseChannelExtendedData), false},
	{"CHANNEL_EOF", &wire.ChannelEOF{Recipient: 1}, parser(wire.ParseChannelEOF), false},
	{"CHANNEL_CLOSE", &wire.ChannelClose{Recipient: 1}, parser(wire.ParseChannelClose), false},
	{"CHANNEL_REQUEST", &wire.ChannelRequest{Recipient: 1, Type: wire.RequestShell, WantReply: true}, parser(wire.ParseChannelRequest), true},
	{"CHANNEL_SUCCESS", &wire.ChannelSuccess{Recipient: 1}, parser(wire.ParseChannelSuccess), false},
	{"CHANNEL_FAILURE", &wire.ChannelFailure{Recipient: 1}, parser(wire.ParseChannelFailure), false},
}

// hostKeyBlob is an ssh-ed25519 public key blob (RFC 8709, Section 4)
// with a zero key.
var hostKeyBlob = wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), make([]byte, 32))

// krb5OID is the DER encoding of the Kerberos V5 mechanism OID
// 1.2.840.113554.1.2.2 (RFC 1964, Section 1).
var krb5OID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}

// caseByName returns the codecCases entry called name; fuzz targets take
// their seed from it.
func caseByName(name string) codecCase {
	for _, tc := range codecCases {
		if tc.name == name {
			return tc
		}
	}
	panic("no codec case " + name)
}

// fuzzCase runs fuzzRoundTrip seeded with the codecCases entry name.
func fuzzCase(f *testing.F, name string) {
	tc := caseByName(name)
	fuzzRoundTrip(f, tc.msg, tc.parse)
}

func TestCodecRoundTrip(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.msg.Append(nil)
			if got := wire.MsgNum(enc[0]); got != tc.msg.Num() {
				t.Fatalf("first byte %v, want %v", got, tc.msg.Num())
			}
			got, err := tc.parse(enc)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if diff := cmp.Diff(tc.msg, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if again := got.Append(nil); !bytes.Equal(again, enc) {
				t.Errorf("re-encoding differs:\n%x\n%x", enc, again)
			}
		})
	}
}

// TestCodecTruncation cuts every valid encoding at every byte and expects
// a typed error, never a panic (docs/architecture.md#tests; docs/security.md#w1).
func TestCodecTruncation(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.msg.Append(nil)
			for i := 0; i < len(enc); i++ {
				_, err := tc.parse(enc[:i:i])
				var de *wire.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("cut at %d of %d: err = %v, want *DecodeError", i, len(enc), err)
				}
			}
		})
	}
}

// TestCodecTrailing appends a byte to every encoding: closed messages must
// reject it (docs/security.md#w6).
func TestCodecTrailing(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			enc := append(tc.msg.Append(nil), 0)
			_, err := tc.parse(enc)
			if tc.open {
				if err != nil {
					t.Errorf("open message with trailing byte: %v", err)
				}
				return
			}
			if !errors.Is(err, wire.ErrTrailingData) {
				t.Errorf("err = %v, want ErrTrailingData", err)
			}
		})
	}
}

// TestCodecWrongNumber feeds every encoding with another message number.
func TestCodecWrongNumber(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.msg.Append(nil)
			enc[0]++
			if _, err := tc.parse(enc); !errors.Is(err, wire.ErrUnexpectedMessage) {
				t.Errorf("err = %v, want ErrUnexpectedMessage", err)
			}
		})
	}
}

// fuzzRoundTrip is the body of every codec fuzz target: whatever parses
// must re-encode to something that parses to an equal message.
func fuzzRoundTrip(f *testing.F, seed wire.Message, parse parseFunc) {
	f.Add(seed.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := parse(b)
		if err != nil {
			return
		}
		m2, err := parse(m1.Append(nil))
		if err != nil || !cmp.Equal(m1, m2) {
			t.Fatalf("round trip: %v\n%s", err, cmp.Diff(m1, m2))
		}
	})
}

func FuzzParseDisconnect(f *testing.F) {
	fuzzRoundTrip(f, codecCases[0].msg, parser(wire.ParseDisconnect))
}

func FuzzParseKexInit(f *testing.F) {
	fuzzRoundTrip(f, codecCases[1].msg, parser(wire.ParseKexInit))
}

func FuzzParseChannelData(f *testing.F) {
	fuzzRoundTrip(f, codecCases[2].msg, parser(wire.ParseChannelData))
}

func BenchmarkAppendChannelData(b *testing.B) {
	m := wire.ChannelData{Recipient: 1, Data: make([]byte, 32<<10)}
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Data)))
	for b.Loop() {
		buf = m.Append(buf[:0])
	}
}

func BenchmarkParseChannelData(b *testing.B) {
	m := wire.ChannelData{Recipient: 1, Data: make([]byte, 32<<10)}
	enc := m.Append(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Data)))
	for b.Loop() {
		if _, err := wire.ParseChannelData(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseKexInit(b *testing.B) {
	enc := codecCases[1].msg.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseKexInit(enc); err != nil {
			b.Fatal(err)
		}
	}
}
