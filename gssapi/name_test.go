package gssapi

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"
)

const testKrb5Conf = `[libdefaults]
	default_realm = EXAMPLE.TEST
	dns_canonicalize_hostname = false
	rdns = false
[domain_realm]
	.corp.example = CORP.TEST
	special.example = SPECIAL.TEST
`

func testConfig(t testing.TB) *Config {
	t.Helper()
	c, err := ConfigFromString(testKrb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCanonicalize(t *testing.T) {
	cfg := testConfig(t)
	tests := []struct {
		in   string
		typ  OID
		want string
	}{
		{"host@server.corp.example", NameHostbasedService, "host/server.corp.example@CORP.TEST"},
		{"host@SERVER.Corp.Example.", NameHostbasedService, "host/server.corp.example@CORP.TEST"},
		{"HTTP@special.example", NameHostbasedService, "HTTP/special.example@SPECIAL.TEST"},
		{"host@elsewhere.org", NameHostbasedService, "host/elsewhere.org@EXAMPLE.TEST"},
		{"host@127.0.0.1", NameHostbasedService, "host/127.0.0.1@EXAMPLE.TEST"},
		{"alice", NameUser, "alice@EXAMPLE.TEST"},
		{"alice@OTHER.TEST", NameKerberosPrincipal, "alice@OTHER.TEST"},
		{"host/a.b@R", "", "host/a.b@R"},
		{`we\/ird\@name@R`, NameKerberosPrincipal, `we\/ird\@name@R`},
		{"", NameAnonymous, "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS"},
		{"0", NameStringUID, "root@EXAMPLE.TEST"},
	}
	for _, tt := range tests {
		n, err := NewName(tt.in, tt.typ)
		if err != nil {
			t.Fatalf("NewName(%q): %v", tt.in, err)
		}
		mn, err := n.CanonicalizeConfig(cfg, MechKerberos5)
		if err != nil {
			t.Fatalf("Canonicalize(%q): %v", tt.in, err)
		}
		if mn.String() != tt.want || !mn.IsMechName() || mn.Mech() != MechKerberos5 {
			t.Errorf("Canonicalize(%q) = %q, want %q", tt.in, mn, tt.want)
		}
		exp, err := mn.Export()
		if err != nil {
			t.Fatal(err)
		}
		back, err := NewName(string(exp), NameExport)
		if err != nil {
			t.Fatalf("import of export of %q: %v", tt.want, err)
		}
		if back.String() != mn.String() || !cmp.Equal(back.principal, mn.principal) {
			t.Errorf("export round trip: %q -> %q", mn, back)
		}
		for i := 0; i < len(exp); i++ {
			if _, err := NewName(string(exp[:i]), NameExport); err == nil {
				t.Errorf("exported name cut at %d accepted", i)
			}
		}
	}
}

func TestNameErrors(t *testing.T) {
	for _, tt := range []struct {
		in   string
		typ  OID
		want error
	}{
		{"", NameUser, ErrBadName},
		{"x", "1.2.3.4", ErrBadNameType},
		{"abc", NameMachineUID, ErrBadName},
		{"garbage", NameExport, ErrBadName},
	} {
		if _, err := NewName(tt.in, tt.typ); !errors.Is(err, tt.want) {
			t.Errorf("NewName(%q, %s) = %v, want %v", tt.in, tt.typ, err, tt.want)
		}
	}
	cfg := testConfig(t)
	for _, bad := range []string{"a@", "a//b@R", `a\`, "a@R@S", "@R"} {
		n, _ := NewName(bad, NameKerberosPrincipal)
		if _, err := n.CanonicalizeConfig(cfg, ""); !errors.Is(err, ErrBadName) {
			t.Errorf("Canonicalize(%q) = %v, want ErrBadName", bad, err)
		}
	}
	n, _ := NewName("alice", NameUser)
	if _, err := n.Export(); !errors.Is(err, ErrNameNotMN) {
		t.Errorf("Export of non-MN: %v", err)
	}
	if _, err := n.CanonicalizeConfig(cfg, "1.2.3"); !errors.Is(err, ErrBadMech) {
		t.Errorf("Canonicalize for another mech: %v", err)
	}
}

func TestNameEqual(t *testing.T) {
	t.Setenv("KRB5_CONFIG", t.TempDir()+"/none") // default_realm empty
	a, _ := NewName("alice@R", NameKerberosPrincipal)
	b, _ := NewName("alice@R", "")
	c, _ := NewName("bob@R", "")
	if !a.Equal(b) || a.Equal(c) {
		t.Error("Equal")
	}
}

func FuzzImportExportedName(f *testing.F) {
	n := principalName(types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice"), "R")
	exp, _ := n.Export()
	f.Add(exp)
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := NewName(string(b), NameExport)
		if err != nil {
			return
		}
		e, err := n.Export()
		if err != nil {
			t.Fatal(err)
		}
		n2, err := NewName(string(e), NameExport)
		if err != nil || n2.String() != n.String() {
			t.Fatalf("round trip %q: %v", n, err)
		}
	})
}

func TestDisplayAs(t *testing.T) {
	mn := principalName(types.NewPrincipalName(3, "host/h.example"), "R")
	if s, err := mn.DisplayAs(NameHostbasedService); err != nil || s != "host@h.example" {
		t.Errorf("hostbased: %q %v", s, err)
	}
	if s, err := mn.DisplayAs(NameKerberosPrincipal); err != nil || s != "host/h.example@R" {
		t.Errorf("principal: %q %v", s, err)
	}
	if _, err := mn.DisplayAs(NameUser); !errors.Is(err, ErrUnavailable) {
		t.Errorf("user: %v", err)
	}
	u := principalName(types.NewPrincipalName(1, "alice"), "R")
	if s, err := u.DisplayAs(NameUser); err != nil || s != "alice" {
		t.Errorf("user: %q %v", s, err)
	}
}

func TestNilName(t *testing.T) {
	var n *Name
	if _, err := n.Canonicalize(MechKerberos5); !errors.Is(err, ErrBadName) {
		t.Error(err)
	}
	if _, err := n.Export(); !errors.Is(err, ErrBadName) {
		t.Error(err)
	}
	if n.String() != "" || n.IsMechName() || n.Type() != "" || n.Mech() != "" || !n.Equal(nil) {
		t.Error("nil name accessors")
	}
	if _, err := NewInitContext(nil, nil); !errors.Is(err, ErrBadName) {
		t.Error(err)
	}
}

// With dns_canonicalize_hostname and rdns, the host goes through forward
// and reverse lookups as MIT does (localhost resolves through
// /etc/hosts, so no DNS server is needed).
func TestCanonicalizeDNS(t *testing.T) {
	cfg, err := ConfigFromString("[libdefaults]\n default_realm = R\n dns_canonicalize_hostname = true\n rdns = true\n")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := NewName("host@LOCALHOST.", NameHostbasedService)
	mn, err := n.CanonicalizeConfig(cfg, MechKerberos5)
	if err != nil || mn.String() != "host/localhost@R" {
		t.Errorf("Canonicalize = %v, %v", mn, err)
	}
	n, _ = NewName("host@no-such-host.invalid", NameHostbasedService)
	if mn, err := n.CanonicalizeConfig(cfg, MechKerberos5); err != nil || mn.String() != "host/no-such-host.invalid@R" {
		t.Errorf("unresolvable host: %v, %v", mn, err)
	}
}
