package wire_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

func FuzzParseIgnore(f *testing.F)         { fuzzCase(f, "IGNORE") }
func FuzzParseUnimplemented(f *testing.F)  { fuzzCase(f, "UNIMPLEMENTED") }
func FuzzParseDebug(f *testing.F)          { fuzzCase(f, "DEBUG") }
func FuzzParseServiceRequest(f *testing.F) { fuzzCase(f, "SERVICE_REQUEST") }
func FuzzParseServiceAccept(f *testing.F)  { fuzzCase(f, "SERVICE_ACCEPT") }
func FuzzParseNewKeys(f *testing.F)        { fuzzCase(f, "NEWKEYS") }
func FuzzParseExtInfo(f *testing.F)        { fuzzCase(f, "EXT_INFO") }
func FuzzParseNewCompress(f *testing.F)    { fuzzCase(f, "NEWCOMPRESS") }
func FuzzParsePing(f *testing.F)           { fuzzCase(f, "PING") }
func FuzzParsePong(f *testing.F)           { fuzzCase(f, "PONG") }
func FuzzParseNameListValue(f *testing.F) {
	f.Add([]byte("ssh-ed25519,rsa-sha2-512"))
	f.Fuzz(func(t *testing.T, b []byte) {
		names, err := wire.ParseNameListValue(b)
		if err != nil {
			return
		}
		if v := wire.NameListValue(names); !bytes.Equal(v, b) {
			t.Fatalf("re-encoding differs: %q, %q", b, v)
		}
	})
}

// TestExtInfoCount covers docs/security.md#w7 / CVE-2026-55199: nr-extensions
// is checked against the payload before any loop, and capped.
func TestExtInfoCount(t *testing.T) {
	ext := func(n uint32, pairs int) []byte {
		b := wire.AppendUint32([]byte{byte(wire.MsgExtInfo)}, n)
		for i := 0; i < pairs; i++ {
			b = wire.AppendString(wire.AppendString(b, "n"), "v")
		}
		return b
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"zero", ext(0, 0), nil},
		{"cap", ext(wire.MaxExtensions, wire.MaxExtensions), nil},
		{"cap+1", ext(wire.MaxExtensions+1, wire.MaxExtensions+1), wire.ErrTooLarge},
		{"0xffffffff", ext(0xffffffff, 3), wire.ErrTruncated},
		{"0xffffffff with 1000", ext(0xffffffff, 1000), wire.ErrTruncated},
		{"one more than present", ext(3, 2), wire.ErrTruncated},
		{"one fewer than present", ext(2, 3), wire.ErrTrailingData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := wire.ParseExtInfo(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && m.Extensions != nil {
				t.Errorf("extensions returned with an error")
			}
		})
	}
}

func TestExtInfoValues(t *testing.T) {
	m, err := wire.ParseExtInfo(caseByName("EXT_INFO").msg.Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := m.Lookup(wire.ExtServerSigAlgs)
	if !ok {
		t.Fatal("server-sig-algs missing")
	}
	algs, err := wire.ParseNameListValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ssh-ed25519", "rsa-sha2-256"}, algs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if v, ok := m.Lookup(wire.ExtPing); !ok || string(v) != wire.ExtVersion0 {
		t.Errorf("ping@openssh.com = %q, %v", v, ok)
	}
	if _, ok := m.Lookup("elevation"); ok {
		t.Error("Lookup found an absent extension")
	}
	for _, bad := range []string{"a,,b", "a,", "a b", "\xc3\xa9"} {
		if _, err := wire.ParseNameListValue([]byte(bad)); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestDisconnectHostileText: a DISCONNECT whose description is not UTF-8
// or carries terminal escapes still decodes (the connection ends with the
// peer's reason code), and what is shown is sanitised (docs/security.md#w4).
// Requirement: 4251-9.2-control-chars, 4253-11.1-description
func TestDisconnectHostileText(t *testing.T) {
	enc := (&wire.Disconnect{Reason: wire.ByApplication, Description: "bye\x1b[2J\xff"}).Append(nil)
	m, err := wire.ParseDisconnect(enc)
	if err != nil {
		t.Fatal(err)
	}
	de := &wire.DisconnectError{Reason: m.Reason, Message: m.Description, Remote: true}
	for _, s := range []string{de.Error(), wire.Describe(enc, wire.ContextNone).String()} {
		if strings.Contains(s, "\x1b") || strings.Contains(s, "\xff") {
			t.Errorf("unsanitised: %q", s)
		}
	}
}
