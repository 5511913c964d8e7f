package hostkey_test

import (
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
)

func TestAuthorize(t *testing.T) {
	userKey := signerFor(t, hostkey.ED25519)
	otherKey := signerFor(t, hostkey.ECDSAP384)
	ca := signerFor(t, hostkey.ECDSAP256)
	kt := func(p hostkey.PublicKey) string {
		return strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(p, "")))
	}
	file := strings.Join([]string{
		`from="10.0.0.0/8",command="only-from-10" ` + kt(userKey.PublicKey()),
		`restrict,pty ` + kt(userKey.PublicKey()),
		`expiry-time="20000101Z" ` + kt(otherKey.PublicKey()),
		`cert-authority,principals="ops,admins",no-port-forwarding ` + kt(ca.PublicKey()),
	}, "\n")
	entries, err := hostkey.ParseAuthorizedKeys(strings.NewReader(file), "authorized_keys")
	if err != nil {
		t.Fatal(err)
	}
	cert := func(principals []string, mod func(*hostkey.Certificate)) *hostkey.Certificate {
		c := &hostkey.Certificate{Key: otherKey.PublicKey(), CertType: hostkey.UserCert, ValidPrincipals: principals,
			ValidAfter: uint64(certNow.Unix() - 60), ValidBefore: uint64(certNow.Unix() + 60),
			Extensions: map[string]string{hostkey.ExtPermitPortForwarding: "", hostkey.ExtPermitPTY: ""}}
		if mod != nil {
			mod(c)
		}
		if err := c.SignCert(rand.Reader, ca); err != nil {
			t.Fatal(err)
		}
		return c
	}
	cc := &hostkey.CertChecker{Clock: func() time.Time { return certNow }}
	tests := []struct {
		name     string
		key      hostkey.PublicKey
		ip       string
		wantLine int
		want     error
		check    func(t *testing.T, r *hostkey.Restrictions)
	}{
		{"from= matches first line", userKey.PublicKey(), "10.1.2.3", 1, nil, func(t *testing.T, r *hostkey.Restrictions) {
			if r.Command != "only-from-10" {
				t.Errorf("command %q", r.Command)
			}
		}},
		{"from= refuses, next line", userKey.PublicKey(), "192.0.2.1", 2, nil, func(t *testing.T, r *hostkey.Restrictions) {
			if !r.PTY || r.PortForwarding || r.HasCommand {
				t.Errorf("restrictions %+v", r)
			}
		}},
		{"expired entry", otherKey.PublicKey(), "192.0.2.1", 0, hostkey.ErrNotAuthorized, nil},
		{"unknown key", signerFor(t, hostkey.ECDSAP521).PublicKey(), "192.0.2.1", 0, hostkey.ErrNotAuthorized, nil},
		{"cert via principals=", cert([]string{"admins"}, nil), "192.0.2.1", 4, nil, func(t *testing.T, r *hostkey.Restrictions) {
			if r.PortForwarding || !r.PTY || r.AgentForwarding {
				t.Errorf("merged restrictions %+v", r)
			}
		}},
		{"cert principal not in principals=", cert([]string{"alice"}, nil), "192.0.2.1", 0, hostkey.ErrCertPrincipal, nil},
		{"cert expired", cert([]string{"ops"}, func(c *hostkey.Certificate) { c.ValidBefore = uint64(certNow.Unix()) }), "192.0.2.1", 0, hostkey.ErrCertExpired, nil},
		{"cert source-address", cert([]string{"ops"}, func(c *hostkey.Certificate) {
			c.CriticalOptions = map[string]string{hostkey.OptSourceAddress: "10.0.0.0/8"}
		}), "192.0.2.1", 0, hostkey.ErrCertCriticalOption, nil},
		{"cert unknown critical option", cert([]string{"ops"}, func(c *hostkey.Certificate) {
			c.CriticalOptions = map[string]string{"x@example.com": ""}
		}), "192.0.2.1", 0, hostkey.ErrCertCriticalOption, nil},
		{"host cert", cert([]string{"ops"}, func(c *hostkey.Certificate) { c.CertType = hostkey.HostCert }), "192.0.2.1", 0, hostkey.ErrCertType, nil},
		{"cert from another CA", func() hostkey.PublicKey {
			c := cert([]string{"ops"}, nil)
			c.SignCert(rand.Reader, otherKey)
			return c
		}(), "192.0.2.1", 0, hostkey.ErrNotAuthorized, nil},
		{"nil key", nil, "192.0.2.1", 0, hostkey.ErrNotAuthorized, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, r, err := hostkey.Authorize(entries, hostkey.AuthorizeRequest{User: "alice", Key: tt.key, RemoteIP: net.ParseIP(tt.ip)}, cc)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Authorize = %v, want %v", err, tt.want)
			}
			if err != nil {
				if e != nil || r != nil || !errors.Is(err, hostkey.ErrNotAuthorized) {
					t.Fatalf("failure returned %v, %v", e, r)
				}
				return
			}
			if e.Line != tt.wantLine {
				t.Fatalf("line %d, want %d", e.Line, tt.wantLine)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	// The returned restrictions are a copy.
	_, r, _ := hostkey.Authorize(entries, hostkey.AuthorizeRequest{User: "alice", Key: userKey.PublicKey(), RemoteIP: net.ParseIP("192.0.2.1")}, nil)
	r.PTY = false
	if !entries[1].Restrictions.PTY {
		t.Fatal("Authorize returned the entry's own Restrictions")
	}
}

// TestAuthorizePrincipalsOnPlainLine: sshd refuses a plain key whose
// line has principals= without cert-authority, and goes on to the next.
func TestAuthorizePrincipalsOnPlainLine(t *testing.T) {
	k := signerFor(t, hostkey.ED25519).PublicKey()
	kt := strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(k, "")))
	for _, tt := range []struct {
		name     string
		file     string
		wantLine int
	}{
		{"only line", `principals="alice" ` + kt, 0},
		{"next line", `principals="alice" ` + kt + "\ncommand=\"x\" " + kt, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := hostkey.ParseAuthorizedKeys(strings.NewReader(tt.file), "authorized_keys")
			if err != nil {
				t.Fatal(err)
			}
			e, _, err := hostkey.Authorize(entries, hostkey.AuthorizeRequest{User: "alice", Key: k}, nil)
			if tt.wantLine == 0 {
				if !errors.Is(err, hostkey.ErrNotAuthorized) {
					t.Fatalf("Authorize = %v, want ErrNotAuthorized", err)
				}
				return
			}
			if err != nil || e.Line != tt.wantLine {
				t.Fatalf("Authorize = line %v, %v; want line %d", e, err, tt.wantLine)
			}
		})
	}
}

// TestParseAuthorizedPrincipals covers the AuthorizedPrincipalsFile
// format as sshd reads it (auth2-pubkeyfile.c): comments anywhere,
// options before the principal, bad options skip the line.
func TestParseAuthorizedPrincipals(t *testing.T) {
	file := strings.Join([]string{
		"# a comment",
		"   alice   ",
		"bob # trailing comment",
		`command="echo hi there",no-pty ops`,
		"restrict\tdev",
		"",
		"nonsense-option carol",
		`from="10.0.0.0/8" net`,
		`cert-authority ca`,
		`command="echo #1" hash`,
	}, "\n")
	got, err := hostkey.ParseAuthorizedPrincipals(strings.NewReader(file), "principals")
	var le *hostkey.LineError
	if !errors.As(err, &le) || !errors.Is(err, hostkey.ErrBadOption) {
		t.Fatalf("err %v, want a LineError wrapping ErrBadOption", err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	// As in sshd, the "#" cuts the last line to one word, the principal.
	want := []string{"alice", "bob", "ops", "dev", "net", "ca", `command="echo`}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("principals %v, want %v", names, want)
	}
	if r := got[2].Restrictions; !r.HasCommand || r.Command != "echo hi there" || r.PTY || got[2].Line != 4 {
		t.Errorf("ops line: %+v line %d", r, got[2].Line)
	}
	if r := got[3].Restrictions; !r.Restrict || r.PTY {
		t.Errorf("dev line: %+v", r)
	}
	now := time.Now()
	for _, tt := range []struct {
		i    int
		ip   string
		want error
	}{
		{0, "192.0.2.1", nil},
		{4, "10.1.1.1", nil},
		{4, "192.0.2.1", hostkey.ErrNotAuthorized},
		{5, "192.0.2.1", hostkey.ErrNotAuthorized},
	} {
		if err := hostkey.CheckPrincipalLine(got[tt.i], now, net.ParseIP(tt.ip), ""); !errors.Is(err, tt.want) {
			t.Errorf("CheckPrincipalLine(%s, %s) = %v, want %v", got[tt.i].Name, tt.ip, err, tt.want)
		}
	}
}

func FuzzParseAuthorizedPrincipals(f *testing.F) {
	f.Add("alice\n# c\n" + `command="x y",from="10.0.0.0/8" bob` + "\nrestrict\tcarol # d")
	f.Add(`principals="a",cert-authority,expiry-time="20300101Z" x`)
	f.Fuzz(func(t *testing.T, file string) {
		ps, _ := hostkey.ParseAuthorizedPrincipals(strings.NewReader(file), "f")
		for _, p := range ps {
			if p.Name == "" || strings.ContainsAny(p.Name, " #") { // a tab can stay, as in sshd
				t.Fatalf("principal %q", p.Name)
			}
			hostkey.CheckPrincipalLine(p, time.Now(), nil, "h")
		}
	})
}
