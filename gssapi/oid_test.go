package gssapi

import (
	"bytes"
	"errors"
	"testing"
)

func TestOID(t *testing.T) {
	// DER of the Kerberos 5 mechanism OID (RFC 1964, Section 1.1).
	want := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	if got := MechKerberos5.DER(); !bytes.Equal(got, want) {
		t.Errorf("DER = %x, want %x", got, want)
	}
	for _, o := range []OID{MechKerberos5, NameHostbasedService, NameUser, NameMachineUID, NameStringUID, NameAnonymous, NameExport, NameKerberosPrincipal, "2.999.3"} {
		got, n, err := OIDFromDER(o.DER())
		if err != nil || got != o || n != len(o.DER()) {
			t.Errorf("OIDFromDER(%s) = %s, %d, %v", o, got, n, err)
		}
		if _, err := ParseOID(string(o)); err != nil {
			t.Errorf("ParseOID(%s): %v", o, err)
		}
		der := o.DER()
		for i := 0; i < len(der); i++ {
			if _, _, err := OIDFromDER(der[:i]); err == nil {
				t.Errorf("%s cut at %d accepted", o, i)
			}
		}
	}
	for _, bad := range []string{"", "1", "1.2.x", "3.1", "1.40", "1.02"} {
		if _, err := ParseOID(bad); !errors.Is(err, ErrInvalidOID) {
			t.Errorf("ParseOID(%q) = %v", bad, err)
		}
	}
	for _, bad := range [][]byte{{0x06, 0x01, 0x80}, {0x06, 0x02, 0x2a, 0x80}, {0x05, 0x01, 0x2a}, {0x06, 0x81, 0x01, 0x2a}} {
		if _, _, err := OIDFromDER(bad); err == nil {
			t.Errorf("OIDFromDER(%x) accepted", bad)
		}
	}
	if !IndicateMechs().Contains(MechKerberos5) || OIDSet(nil).Add(MechKerberos5).Add(MechKerberos5).Contains("1.2") {
		t.Error("OIDSet")
	}
	if _, err := InquireNamesForMech("1.2.3"); !errors.Is(err, ErrBadMech) {
		t.Errorf("InquireNamesForMech: %v", err)
	}
}

func FuzzOIDFromDER(f *testing.F) {
	f.Add(MechKerberos5.DER())
	f.Fuzz(func(t *testing.T, b []byte) {
		o, _, err := OIDFromDER(b)
		if err != nil {
			return
		}
		o2, _, err := OIDFromDER(o.DER())
		if err != nil || o2 != o {
			t.Fatalf("round trip %s: %s %v", o, o2, err)
		}
	})
}
