package wire_test

import (
	"errors"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

func FuzzParseKexDHInit(f *testing.F)          { fuzzCase(f, "KEXDH_INIT") }
func FuzzParseKexDHReply(f *testing.F)         { fuzzCase(f, "KEXDH_REPLY") }
func FuzzParseKexECDHInit(f *testing.F)        { fuzzCase(f, "KEX_ECDH_INIT") }
func FuzzParseKexECDHReply(f *testing.F)       { fuzzCase(f, "KEX_ECDH_REPLY") }
func FuzzParseKexDHGexRequestOld(f *testing.F) { fuzzCase(f, "KEX_DH_GEX_REQUEST_OLD") }
func FuzzParseKexDHGexRequest(f *testing.F)    { fuzzCase(f, "KEX_DH_GEX_REQUEST") }
func FuzzParseKexDHGexGroup(f *testing.F)      { fuzzCase(f, "KEX_DH_GEX_GROUP") }
func FuzzParseKexDHGexInit(f *testing.F)       { fuzzCase(f, "KEX_DH_GEX_INIT") }
func FuzzParseKexDHGexReply(f *testing.F)      { fuzzCase(f, "KEX_DH_GEX_REPLY") }
func FuzzParseKexGSSInit(f *testing.F)         { fuzzCase(f, "KEXGSS_INIT") }
func FuzzParseKexGSSContinue(f *testing.F)     { fuzzCase(f, "KEXGSS_CONTINUE") }
func FuzzParseKexGSSComplete(f *testing.F)     { fuzzCase(f, "KEXGSS_COMPLETE") }
func FuzzParseKexGSSHostKey(f *testing.F)      { fuzzCase(f, "KEXGSS_HOSTKEY") }
func FuzzParseKexGSSError(f *testing.F)        { fuzzCase(f, "KEXGSS_ERROR") }
func FuzzParseKexGSSGroupReq(f *testing.F)     { fuzzCase(f, "KEXGSS_GROUPREQ") }
func FuzzParseKexGSSGroup(f *testing.F)        { fuzzCase(f, "KEXGSS_GROUP") }

// TestKexDHInitMPInt covers docs/security.md#w3 for e: negative, non-minimal
// and oversized values are rejected by the codec; range checks against p
// are left to kex.
func TestKexDHInitMPInt(t *testing.T) {
	msg := func(mpint ...byte) []byte {
		return wire.AppendString([]byte{byte(wire.MsgKexDHInit)}, mpint)
	}
	big := make([]byte, wire.MaxMPIntBits/8+1)
	big[0] = 1
	tests := []struct {
		name    string
		in      []byte
		want    []byte
		wantErr error
	}{
		{"zero", msg(), []byte{}, nil},
		{"one", msg(1), []byte{1}, nil},
		{"top bit with zero", msg(0, 0x80), []byte{0x80}, nil},
		{"negative", msg(0x80), nil, wire.ErrInvalid},
		{"non-minimal zero", msg(0), nil, wire.ErrInvalid},
		{"non-minimal", msg(0, 1), nil, wire.ErrInvalid},
		{"leading 0xff", msg(0xff, 0x80), nil, wire.ErrInvalid},
		{"too large", msg(big...), nil, wire.ErrTooLarge},
		{"trailing", append(msg(1), 0), nil, wire.ErrTrailingData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := wire.ParseKexDHInit(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(m.E) != string(tt.want) {
				t.Errorf("E = %x, want %x", m.E, tt.want)
			}
		})
	}
}
