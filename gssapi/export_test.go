package gssapi

import (
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

func TestExportImport(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true, FlagReplay|FlagSequence|FlagInteg|FlagConf)
	ini.initName = principalName(types.NewPrincipalName(1, "alice"), "R")
	ini.targetName = principalName(types.NewPrincipalName(3, "host/h"), "R")
	tok, _ := ini.Wrap([]byte("before"), true)
	if _, _, err := acc.Unwrap(tok); err != nil {
		t.Fatal(err)
	}
	exp, err := ini.Export()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ini.GetMIC(nil); !errors.Is(err, ErrNoContext) {
		t.Errorf("exported context still usable: %v", err)
	}
	imp, err := ImportContext(exp)
	if err != nil {
		t.Fatal(err)
	}
	if imp.InitiatorName().String() != "alice@R" || !imp.LocallyInitiated() || imp.Flags() != ini.Flags() {
		t.Errorf("imported context: %v %v", imp.InitiatorName(), imp.Flags())
	}
	tok, _ = imp.Wrap([]byte("after"), true)
	if m, _, err := acc.Unwrap(tok); err != nil || string(m) != "after" {
		t.Errorf("imported context's token: %q %v", m, err)
	}
	tok, _ = acc.GetMIC([]byte("x"))
	if err := imp.VerifyMIC([]byte("x"), tok); err != nil {
		t.Errorf("imported context verifying: %v", err)
	}
	for i := 0; i < len(exp); i++ {
		if _, err := ImportContext(exp[:i]); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("cut at %d: %v", i, err)
		}
	}
	c, _ := NewAcceptContext(nil)
	if _, err := c.Export(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("export of unestablished context: %v", err)
	}
}

func FuzzImportContext(f *testing.F) {
	ini, _ := testPair(f, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay)
	ini.initName = principalName(types.NewPrincipalName(1, "alice"), "R")
	ini.targetName = principalName(types.NewPrincipalName(3, "host/h"), "R")
	exp, _ := ini.Export()
	f.Add(exp)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ImportContext(b)
		if err != nil {
			return
		}
		c.GetMIC([]byte("x"))
		c.Wrap([]byte("x"), true)
	})
}
