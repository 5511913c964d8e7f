package wire_test

import (
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// fixedCases are the fixed-size messages (and the data messages, whose
// payload is aliased) that a connection parses per packet; parsing them
// must not allocate.
var fixedCases = []struct {
	name  string
	enc   []byte
	parse func([]byte) error
}{
	{"CHANNEL_DATA", (&wire.ChannelData{Recipient: 1, Data: make([]byte, 32<<10)}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelData(b); return err }},
	{"CHANNEL_EXTENDED_DATA", (&wire.ChannelExtendedData{Recipient: 1, DataType: 1, Data: make([]byte, 1024)}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelExtendedData(b); return err }},
	{"CHANNEL_WINDOW_ADJUST", (&wire.ChannelWindowAdjust{Recipient: 1, Bytes: 1 << 20}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelWindowAdjust(b); return err }},
	{"CHANNEL_EOF", (&wire.ChannelEOF{Recipient: 1}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelEOF(b); return err }},
	{"CHANNEL_CLOSE", (&wire.ChannelClose{Recipient: 1}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelClose(b); return err }},
	{"CHANNEL_SUCCESS", (&wire.ChannelSuccess{Recipient: 1}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelSuccess(b); return err }},
	{"CHANNEL_FAILURE", (&wire.ChannelFailure{Recipient: 1}).Append(nil),
		func(b []byte) error { _, err := wire.ParseChannelFailure(b); return err }},
	{"UNIMPLEMENTED", (&wire.Unimplemented{SeqNum: 7}).Append(nil),
		func(b []byte) error { _, err := wire.ParseUnimplemented(b); return err }},
	{"IGNORE", (&wire.Ignore{Data: make([]byte, 64)}).Append(nil),
		func(b []byte) error { _, err := wire.ParseIgnore(b); return err }},
	{"PING", (&wire.Ping{Data: make([]byte, 16)}).Append(nil),
		func(b []byte) error { _, err := wire.ParsePing(b); return err }},
	{"NEWKEYS", (&wire.NewKeys{}).Append(nil),
		func(b []byte) error { _, err := wire.ParseNewKeys(b); return err }},
	{"KEX_ECDH_INIT", (&wire.KexECDHInit{ClientPublic: make([]byte, 32)}).Append(nil),
		func(b []byte) error { _, err := wire.ParseKexECDHInit(b); return err }},
	{"REQUEST_FAILURE", (&wire.RequestFailure{}).Append(nil),
		func(b []byte) error { _, err := wire.ParseRequestFailure(b); return err }},
}

// TestZeroAllocs asserts that fixed-size messages parse, and every message
// encodes into a reused buffer, without allocating.
func TestZeroAllocs(t *testing.T) {
	for _, fc := range fixedCases {
		if n := testing.AllocsPerRun(100, func() {
			if err := fc.parse(fc.enc); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("parse %s: %v allocs, want 0", fc.name, n)
		}
	}
	buf := make([]byte, 0, 64<<10)
	for _, tc := range codecCases {
		if n := testing.AllocsPerRun(100, func() { buf = tc.msg.Append(buf[:0]) }); n != 0 {
			t.Errorf("append %s: %v allocs, want 0", tc.name, n)
		}
	}
}

func BenchmarkParseFixed(b *testing.B) {
	for _, fc := range fixedCases {
		b.Run(fc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := fc.parse(fc.enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, name := range []string{"KEXINIT", "CHANNEL_WINDOW_ADJUST", "CHANNEL_EOF", "CHANNEL_REQUEST",
		"USERAUTH_REQUEST publickey signed", "KEXDH_REPLY", "EXT_INFO", "USERAUTH_FAILURE"} {
		m := caseByName(name).msg
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				buf = m.Append(buf[:0])
			}
		})
	}
}

func BenchmarkParseUserauthRequest(b *testing.B) {
	enc := caseByName("USERAUTH_REQUEST publickey signed").msg.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseUserauthRequest(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMessage(b *testing.B) {
	enc := (&wire.ChannelWindowAdjust{Recipient: 1, Bytes: 1 << 20}).Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseMessage(enc, wire.ContextNone); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDescribe(b *testing.B) {
	enc := caseByName("KEXINIT").msg.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		_ = wire.Describe(enc, wire.ContextNone).String()
	}
}
