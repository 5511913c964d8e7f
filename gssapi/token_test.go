package gssapi

import (
	"bytes"
	"errors"
	"testing"
)

func TestInitialToken(t *testing.T) {
	inner := bytes.Repeat([]byte{0xab}, 300)
	tok := wrapInitialToken(tokAPReq, inner)
	mech, id, got, err := ParseInitialToken(tok)
	if err != nil || mech != MechKerberos5 || id != tokAPReq || !bytes.Equal(got, inner) {
		t.Fatalf("ParseInitialToken = %s %x %d %v", mech, id, len(got), err)
	}
	for i := 0; i < len(tok); i++ {
		if _, _, _, err := ParseInitialToken(tok[:i]); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("cut at %d: %v", i, err)
		}
	}
	if _, _, _, err := ParseInitialToken(append(tok, 0)); !errors.Is(err, ErrDefectiveToken) {
		t.Errorf("trailing byte: %v", err)
	}
	// SPNEGO's OID in the framing: BAD_MECH.
	spnego := []byte{0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	if _, _, _, err := ParseInitialToken(spnego); !errors.Is(err, ErrBadMech) {
		t.Errorf("SPNEGO token: %v", err)
	}
}

func FuzzParseInitialToken(f *testing.F) {
	f.Add(wrapInitialToken(tokAPReq, []byte("x")))
	f.Add(wrapInitialToken(tokAPRep, bytes.Repeat([]byte("y"), 200)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, id, inner, err := ParseInitialToken(b)
		if err != nil {
			return
		}
		if !bytes.Equal(wrapInitialToken(id, inner), b) {
			t.Fatal("round trip differs")
		}
	})
}
