package gssapi

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGSSChecksum(t *testing.T) {
	cb := &ChannelBindings{ApplicationData: []byte("tls-server-end-point:xyz")}
	for _, c := range []gssChecksum{
		{Bnd: cb.hash(), Flags: uint32(FlagMutual | FlagInteg)},
		{Flags: uint32(FlagDelegate | FlagMutual), Deleg: []byte("krb-cred bytes")},
		{Flags: uint32(FlagDelegate), Deleg: []byte{}, Exts: []byte{1, 2, 3}},
	} {
		b := c.marshal()
		got, err := parseGSSChecksum(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" && !(len(c.Deleg) == 0 && len(got.Deleg) == 0) {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		for i := 0; i < 24; i++ {
			if _, err := parseGSSChecksum(b[:i]); err == nil {
				t.Errorf("checksum cut at %d accepted", i)
			}
		}
		if c.Deleg != nil {
			for i := 25; i < 28+len(c.Deleg); i++ {
				if _, err := parseGSSChecksum(b[:i]); err == nil {
					t.Errorf("delegation cut at %d accepted", i)
				}
			}
		}
	}
	if (*ChannelBindings)(nil).hash() != [16]byte{} {
		t.Error("nil bindings must hash to zeros")
	}
}

func FuzzParseGSSChecksum(f *testing.F) {
	f.Add((&gssChecksum{Flags: 3}).marshal())
	f.Add((&gssChecksum{Flags: 1, Deleg: []byte("abc")}).marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseGSSChecksum(b)
		if err != nil {
			return
		}
		c2, err := parseGSSChecksum(c.marshal())
		if err != nil || c2.Flags != c.Flags || c2.Bnd != c.Bnd || !bytes.Equal(c2.Deleg, c.Deleg) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
