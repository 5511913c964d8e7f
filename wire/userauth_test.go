package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

func FuzzParseUserauthRequest(f *testing.F) {
	for _, tc := range codecCases {
		if _, ok := tc.msg.(*wire.UserauthRequest); ok {
			f.Add(tc.msg.Append(nil))
		}
	}
	fuzzCase(f, "USERAUTH_REQUEST gssapi-with-mic")
}
func FuzzParseUserauthFailure(f *testing.F)         { fuzzCase(f, "USERAUTH_FAILURE") }
func FuzzParseUserauthSuccess(f *testing.F)         { fuzzCase(f, "USERAUTH_SUCCESS") }
func FuzzParseUserauthBanner(f *testing.F)          { fuzzCase(f, "USERAUTH_BANNER") }
func FuzzParseUserauthPKOK(f *testing.F)            { fuzzCase(f, "USERAUTH_PK_OK") }
func FuzzParseUserauthPasswdChangeReq(f *testing.F) { fuzzCase(f, "USERAUTH_PASSWD_CHANGEREQ") }
func FuzzParseUserauthInfoRequest(f *testing.F)     { fuzzCase(f, "USERAUTH_INFO_REQUEST") }
func FuzzParseUserauthInfoResponse(f *testing.F)    { fuzzCase(f, "USERAUTH_INFO_RESPONSE") }
func FuzzParseUserauthGSSAPIResponse(f *testing.F)  { fuzzCase(f, "USERAUTH_GSSAPI_RESPONSE") }
func FuzzParseUserauthGSSAPIToken(f *testing.F)     { fuzzCase(f, "USERAUTH_GSSAPI_TOKEN") }
func FuzzParseUserauthGSSAPIExchangeComplete(f *testing.F) {
	fuzzCase(f, "USERAUTH_GSSAPI_EXCHANGE_COMPLETE")
}
func FuzzParseUserauthGSSAPIError(f *testing.F)  { fuzzCase(f, "USERAUTH_GSSAPI_ERROR") }
func FuzzParseUserauthGSSAPIErrtok(f *testing.F) { fuzzCase(f, "USERAUTH_GSSAPI_ERRTOK") }
func FuzzParseUserauthGSSAPIMIC(f *testing.F)    { fuzzCase(f, "USERAUTH_GSSAPI_MIC") }

// authHeader returns a USERAUTH_REQUEST payload up to the method name.
func authHeader(user, method string) []byte {
	b := []byte{byte(wire.MsgUserauthRequest)}
	b = wire.AppendString(b, user)
	b = wire.AppendString(b, wire.ServiceConnection)
	return wire.AppendString(b, method)
}

// TestUserauthRequestHostile covers the hostile-peer cases of
// docs/security.md#g1, #w4, #w6, #w7 and #a4 for USERAUTH_REQUEST.
func TestUserauthRequestHostile(t *testing.T) {
	gss := func(n uint32, oids int) []byte {
		b := wire.AppendUint32(authHeader("alice", wire.MethodGSSAPIWithMIC), n)
		for i := 0; i < oids; i++ {
			b = wire.AppendString(b, krb5OID)
		}
		return b
	}
	password := func(user, pw string) []byte {
		b := wire.AppendBool(authHeader(user, wire.MethodPassword), false)
		return wire.AppendString(b, pw)
	}
	pkQuery := wire.AppendString(wire.AppendString(wire.AppendBool(authHeader("alice", wire.MethodPublicKey), false), "ssh-ed25519"), hostKeyBlob)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"gss 0 mechanisms", gss(0, 0), nil},
		{"gss 64 mechanisms", gss(64, 64), nil},
		{"gss 65 mechanisms", gss(65, 65), wire.ErrTooLarge},
		{"gss 0xffffffff mechanisms", gss(0xffffffff, 3), wire.ErrTruncated},
		{"gss 100k OIDs", gss(100000, 100000), wire.ErrTooLarge},
		{"gss count past end", gss(2, 1), wire.ErrTruncated},
		{"gss trailing bytes", append(gss(1, 1), 0), wire.ErrTrailingData},
		{"gss OID length past end", wire.AppendUint32(wire.AppendUint32(authHeader("a", wire.MethodGSSAPIWithMIC), 1), 0x7fffffff), wire.ErrTruncated},
		{"user not UTF-8", password("al\xffice", "pw"), wire.ErrInvalid},
		{"password not UTF-8", password("alice", "pw\xc3"), wire.ErrInvalid},
		{"user with escape is UTF-8", password("al\x1bice", "pw"), nil},
		{"publickey query", pkQuery, nil},
		{"publickey query with signature", wire.AppendString(pkQuery, "sig"), wire.ErrTrailingData},
		{"none with trailing", append(authHeader("alice", wire.MethodNone), 0), wire.ErrTrailingData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := wire.ParseUserauthRequest(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(m.Mechanisms) > wire.MaxGSSMechanisms {
				t.Errorf("%d mechanisms parsed", len(m.Mechanisms))
			}
		})
	}
}

// TestUserauthRequestBoolean: a boolean byte 2..255 reads as true and
// re-encodes as 1 (docs/security.md#w5).
// Requirement: 4251-5-boolean
func TestUserauthRequestBoolean(t *testing.T) {
	b := wire.AppendBool(authHeader("alice", wire.MethodPublicKey), true)
	b[len(b)-1] = 7
	b = wire.AppendString(wire.AppendString(wire.AppendString(b, "ssh-ed25519"), hostKeyBlob), "sig")
	m, err := wire.ParseUserauthRequest(b)
	if err != nil || !m.HasSignature {
		t.Fatalf("HasSignature = %v, err = %v", m.HasSignature, err)
	}
	enc := m.Append(nil)
	if i := len(authHeader("alice", wire.MethodPublicKey)); enc[i] != 1 {
		t.Errorf("boolean re-encoded as %d", enc[i])
	}
}

func TestInfoRequestCount(t *testing.T) {
	req := func(n uint32, prompts int) []byte {
		b := []byte{byte(wire.MsgUserauthInfoRequest)}
		b = wire.AppendString(wire.AppendString(wire.AppendString(b, "n"), "i"), "")
		b = wire.AppendUint32(b, n)
		for i := 0; i < prompts; i++ {
			b = wire.AppendBool(wire.AppendString(b, "p"), false)
		}
		return b
	}
	resp := func(n uint32, responses int) []byte {
		b := wire.AppendUint32([]byte{byte(wire.MsgUserauthInfoResponse)}, n)
		for i := 0; i < responses; i++ {
			b = wire.AppendString(b, "r")
		}
		return b
	}
	tests := []struct {
		name    string
		parse   func([]byte) error
		in      []byte
		wantErr error
	}{
		{"request 100", infoReq, req(100, 100), nil},
		{"request 101", infoReq, req(101, 101), wire.ErrTooLarge},
		{"request 0xffffffff", infoReq, req(0xffffffff, 2), wire.ErrTruncated},
		{"request trailing", infoReq, append(req(1, 1), 0), wire.ErrTrailingData},
		{"response 100", infoResp, resp(100, 100), nil},
		{"response 101", infoResp, resp(101, 101), wire.ErrTooLarge},
		{"response 0xffffffff", infoResp, resp(0xffffffff, 2), wire.ErrTruncated},
		{"response not UTF-8", infoResp, wire.AppendString(wire.AppendUint32([]byte{byte(wire.MsgUserauthInfoResponse)}, 1), "\xff"), wire.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.in); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func infoReq(b []byte) error  { _, err := wire.ParseUserauthInfoRequest(b); return err }
func infoResp(b []byte) error { _, err := wire.ParseUserauthInfoResponse(b); return err }

// TestSignedData checks the RFC 4252, Section 7 and 9 and RFC 4462,
// Section 3.5 signed data byte by byte, written out from the RFC text.
// Requirement: protocol-3.1-hostbound
func TestSignedData(t *testing.T) {
	sid := []byte{0xaa, 0xbb}
	str := func(s string) []byte { return wire.AppendString(nil, s) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	req := caseByName("USERAUTH_REQUEST publickey signed").msg.(*wire.UserauthRequest)
	want := cat(str("\xaa\xbb"), []byte{50}, str("alice"), str("ssh-connection"), str("publickey"), []byte{1},
		str("ssh-ed25519"), str(string(hostKeyBlob)))
	if got := wire.AppendPublicKeySignedData(nil, sid, req); !bytes.Equal(got, want) {
		t.Errorf("publickey:\n got %x\nwant %x", got, want)
	}
	// A query (has-signature false) signs the same data.
	q := *req
	q.HasSignature, q.Signature = false, nil
	if got := wire.AppendPublicKeySignedData(nil, sid, &q); !bytes.Equal(got, want) {
		t.Errorf("publickey query: got %x", got)
	}
	hb := caseByName("USERAUTH_REQUEST hostbased").msg.(*wire.UserauthRequest)
	want = cat(str("\xaa\xbb"), []byte{50}, str("alice"), str("ssh-connection"), str("hostbased"),
		str("ssh-ed25519"), str(string(hostKeyBlob)), str("client.example."), str("alice"))
	if got := wire.AppendPublicKeySignedData(nil, sid, hb); !bytes.Equal(got, want) {
		t.Errorf("hostbased:\n got %x\nwant %x", got, want)
	}
	want = cat(str("\xaa\xbb"), []byte{50}, str("alice"), str("ssh-connection"), str("gssapi-with-mic"))
	if got := wire.AppendGSSAPIMICData(nil, sid, "alice", "ssh-connection", wire.MethodGSSAPIWithMIC); !bytes.Equal(got, want) {
		t.Errorf("gssapi MIC data:\n got %x\nwant %x", got, want)
	}
}

// TestUserauthRequestOnlyMethodFields checks that the parser leaves the
// fields of other methods zero, so a caller cannot act on stale data.
func TestUserauthRequestOnlyMethodFields(t *testing.T) {
	full := wire.UserauthRequest{User: "u", Service: "s", HasSignature: true, Algorithm: "a", PublicKey: []byte("k"),
		Signature: []byte("s"), ClientHost: "h", ClientUser: "c", ChangePassword: true, Password: "p", NewPassword: "n",
		Language: "l", Submethods: "m", Mechanisms: [][]byte{krb5OID}, MIC: []byte("mic")}
	want := map[string]wire.UserauthRequest{
		wire.MethodNone:                {User: "u", Service: "s", Method: wire.MethodNone},
		wire.MethodPassword:            {User: "u", Service: "s", Method: wire.MethodPassword, ChangePassword: true, Password: "p", NewPassword: "n"},
		wire.MethodKeyboardInteractive: {User: "u", Service: "s", Method: wire.MethodKeyboardInteractive, Language: "l", Submethods: "m"},
		wire.MethodGSSAPIKeyex:         {User: "u", Service: "s", Method: wire.MethodGSSAPIKeyex, MIC: []byte("mic")},
	}
	for method, w := range want {
		m := full
		m.Method = method
		got, err := wire.ParseUserauthRequest(m.Append(nil))
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", method, diff)
		}
	}
}
