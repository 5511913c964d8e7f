package hostkey_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/hostkey"
)

func keyText(t *testing.T, name string) string {
	return strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(signerFor(t, name).PublicKey(), "")))
}

func TestAuthorizedKeyOptions(t *testing.T) {
	k := keyText(t, hostkey.ED25519)
	all := func(f func(r *hostkey.Restrictions)) *hostkey.Restrictions {
		r := &hostkey.Restrictions{AgentForwarding: true, PortForwarding: true, PTY: true, UserRC: true, X11Forwarding: true}
		f(r)
		return r
	}
	none := func(f func(r *hostkey.Restrictions)) *hostkey.Restrictions {
		r := &hostkey.Restrictions{Restrict: true}
		f(r)
		return r
	}
	tests := []struct {
		name    string
		line    string
		want    *hostkey.Restrictions
		comment string
	}{
		{"plain", k + " user@host", all(func(*hostkey.Restrictions) {}), "user@host"},
		{"comment with spaces", k + "  a b  c", all(func(*hostkey.Restrictions) {}), "a b  c"},
		{"restrict", "restrict " + k, none(func(*hostkey.Restrictions) {}), ""},
		{"restrict then pty", "restrict,pty " + k, none(func(r *hostkey.Restrictions) { r.PTY = true }), ""},
		{"permit forms", "restrict,agent-forwarding,port-forwarding,user-rc,X11-forwarding " + k, none(func(r *hostkey.Restrictions) {
			r.AgentForwarding, r.PortForwarding, r.UserRC, r.X11Forwarding = true, true, true, true
		}), ""},
		{"no-* options", "no-agent-forwarding,no-port-forwarding,no-pty,no-user-rc,no-X11-forwarding " + k, &hostkey.Restrictions{}, ""},
		{"case-insensitive names", "NO-PTY,No-Agent-Forwarding " + k, all(func(r *hostkey.Restrictions) { r.PTY, r.AgentForwarding = false, false }), ""},
		{"command with escaped quote", `command="echo \"hi, there\" \\n" ` + k + " c", all(func(r *hostkey.Restrictions) {
			r.Command, r.HasCommand = `echo "hi, there" \\n`, true
		}), "c"},
		{"environment", `environment="A=1",environment="B=two words" ` + k, all(func(r *hostkey.Restrictions) { r.Environment = []string{"A=1", "B=two words"} }), ""},
		{"from", `from="*.example.com,!bad.example.com,10.0.0.0/8" ` + k, all(func(r *hostkey.Restrictions) {
			r.From = []string{"*.example.com", "!bad.example.com", "10.0.0.0/8"}
		}), ""},
		{"permitopen and permitlisten", `permitopen="db:5432",permitopen="*:80",permitlisten="8080",permitlisten="localhost:9000" ` + k, all(func(r *hostkey.Restrictions) {
			r.PermitOpen = []string{"db:5432", "*:80"}
			r.PermitListen = []string{"8080", "localhost:9000"}
		}), ""},
		{"cert-authority with principals", `cert-authority,principals="alice,bob" ` + k, all(func(r *hostkey.Restrictions) {
			r.CertAuthority, r.Principals = true, []string{"alice", "bob"}
		}), ""},
		{"sk options", "no-touch-required,verify-required " + k, all(func(r *hostkey.Restrictions) { r.NoTouchRequired, r.VerifyRequired = true, true }), ""},
		{"tunnel", `tunnel="3" ` + k, all(func(r *hostkey.Restrictions) { r.Tunnel = "3" }), ""},
		{"expiry UTC", `expiry-time="20300102Z" ` + k, all(func(r *hostkey.Restrictions) { r.ExpiryTime = time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC) }), ""},
		{"expiry with time", `expiry-time="203001021530Z" ` + k, all(func(r *hostkey.Restrictions) { r.ExpiryTime = time.Date(2030, 1, 2, 15, 30, 0, 0, time.UTC) }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ak, err := hostkey.ParseAuthorizedKey([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ak.Restrictions); diff != "" {
				t.Errorf("restrictions (-want +got):\n%s", diff)
			}
			if ak.Comment != tt.comment {
				t.Errorf("comment %q, want %q", ak.Comment, tt.comment)
			}
			if !hostkey.Equal(ak.Key, signerFor(t, hostkey.ED25519).PublicKey()) {
				t.Error("wrong key")
			}
		})
	}
}

func TestAuthorizedKeyBad(t *testing.T) {
	k := keyText(t, hostkey.ECDSAP256)
	tests := []struct {
		name, line string
		want       error
	}{
		{"unknown option", "frobnicate " + k, hostkey.ErrBadOption},
		{"unterminated quote", `command="ls ` + k, hostkey.ErrBadOption},
		{"flag with value", `no-pty="x" ` + k, hostkey.ErrBadOption},
		{"value missing", "command " + k, hostkey.ErrBadOption},
		{"bad environment", `environment="NOEQUALS" ` + k, hostkey.ErrBadOption},
		{"bad expiry", `expiry-time="2030" ` + k, hostkey.ErrBadOption},
		{"bad permitopen", `permitopen="nohost" ` + k, hostkey.ErrBadOption},
		{"empty option", `,no-pty ` + k, hostkey.ErrBadOption},
		{"comment line", "# " + k, hostkey.ErrNoKey},
		{"blank", "  ", hostkey.ErrNoKey},
		{"type mismatch", strings.Replace(k, hostkey.ECDSAP256, hostkey.ED25519, 1), hostkey.ErrAlgorithmMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := hostkey.ParseAuthorizedKey([]byte(tt.line)); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAuthorizedKeysFile(t *testing.T) {
	file := "# comment\n\n" + keyText(t, hostkey.ED25519) + " one\nbogus line\n" +
		"restrict " + keyText(t, hostkey.RSA) + " two\n"
	keys, err := hostkey.ParseAuthorizedKeys(strings.NewReader(file), "authorized_keys")
	if len(keys) != 2 || keys[0].Line != 3 || keys[1].Line != 5 || keys[1].Comment != "two" {
		t.Fatalf("keys %+v", keys)
	}
	var le *hostkey.LineError
	if !errors.As(err, &le) || le.Line != 4 || le.File != "authorized_keys" {
		t.Fatalf("error %v", err)
	}
}

func TestRestrictionChecks(t *testing.T) {
	r := &hostkey.Restrictions{
		From:         []string{"*.example.com", "!evil.example.com", "192.0.2.0/24", "2001:db8::*"},
		PermitOpen:   []string{"db:5432", "*:80", "web:*"},
		PermitListen: []string{"8080", "localhost:9000"},
		ExpiryTime:   time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	fromTests := []struct {
		ip, host string
		want     bool
	}{
		{"198.51.100.1", "a.example.com", true},
		{"198.51.100.1", "evil.example.com", false},
		{"192.0.2.9", "", true},
		{"198.51.100.1", "example.org", false},
		{"2001:db8::1", "", true},
	}
	for _, tt := range fromTests {
		if got := r.AllowsFrom(net.ParseIP(tt.ip), tt.host); got != tt.want {
			t.Errorf("AllowsFrom(%s, %s) = %v", tt.ip, tt.host, got)
		}
	}
	if !r.AllowsOpen("db", 5432) || r.AllowsOpen("db", 5433) || !r.AllowsOpen("any", 80) || !r.AllowsOpen("web", 1) {
		t.Error("AllowsOpen")
	}
	if !r.AllowsListen("0.0.0.0", 8080) || !r.AllowsListen("localhost", 9000) || r.AllowsListen("0.0.0.0", 9000) {
		t.Error("AllowsListen")
	}
	if r.Expired(time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)) || !r.Expired(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("Expired")
	}
	if p := (&hostkey.Restrictions{NoTouchRequired: true}).Policy(&hostkey.Policy{MinRSABits: 2048}); !p.NoTouchRequired || p.MinRSABits != 2048 {
		t.Error("Policy")
	}
}

func TestPublicKeyFile(t *testing.T) {
	pub := signerFor(t, hostkey.ECDSAP384).PublicKey()
	b := hostkey.MarshalAuthorizedKey(pub, "me@there")
	got, comment, err := hostkey.ParsePublicKeyFile(b)
	if err != nil || comment != "me@there" || !hostkey.Equal(got, pub) {
		t.Fatalf("ParsePublicKeyFile: %v %q", err, comment)
	}
	if _, _, err := hostkey.ParsePublicKeyFile([]byte("\n# nothing\n")); !errors.Is(err, hostkey.ErrNoKey) {
		t.Fatalf("empty file: %v", err)
	}
}

// TestRestrictionsMerge: restrictions from a certificate and its
// cert-authority line, or from two factors, combine to the stricter of
// both, or fail where they cannot (docs/security.md#a9).
func TestRestrictionsMerge(t *testing.T) {
	parse := func(opts string) *hostkey.Restrictions {
		ak, err := hostkey.ParseAuthorizedKey([]byte(opts + " " + keyText(t, hostkey.ED25519)))
		if err != nil {
			t.Fatal(err)
		}
		return ak.Restrictions
	}
	cert := &hostkey.Restrictions{Restrict: true, PTY: true, PortForwarding: true, Command: "backup", HasCommand: true,
		SourceAddress: []string{"192.0.2.0/24"}, NoTouchRequired: true}
	line := parse(`cert-authority,no-pty,from="*.example.com",expiry-time="20300101Z",no-touch-required`)
	m, err := line.Merge(cert)
	if err != nil {
		t.Fatal(err)
	}
	want := &hostkey.Restrictions{Restrict: true, PortForwarding: true, Command: "backup", HasCommand: true,
		From: []string{"*.example.com"}, SourceAddress: []string{"192.0.2.0/24"}, NoTouchRequired: true,
		CertAuthority: true, ExpiryTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Fatalf("Merge (-want +got):\n%s", diff)
	}
	if !m.AllowsFrom(net.ParseIP("192.0.2.1"), "a.example.com") || m.AllowsFrom(net.ParseIP("198.51.100.1"), "a.example.com") ||
		m.AllowsFrom(net.ParseIP("192.0.2.1"), "a.example.org") {
		t.Fatal("merged from= and source-address not both enforced")
	}
	for _, tc := range []struct{ a, b string }{
		{`command="a"`, `command="b"`},
		{`from="a"`, `from="b"`},
		{`permitopen="a:1"`, `permitopen="b:1"`},
		{`permitlisten="1"`, `permitlisten="2"`},
		{`tunnel="1"`, `tunnel="2"`},
	} {
		if _, err := parse(tc.a).Merge(parse(tc.b)); !errors.Is(err, hostkey.ErrRestrictionConflict) {
			t.Errorf("%s + %s: %v", tc.a, tc.b, err)
		}
	}
	if m, err := parse(`command="a",verify-required`).Merge(parse(`command="a",no-touch-required`)); err != nil || !m.VerifyRequired || m.NoTouchRequired {
		t.Errorf("same command: %+v %v", m, err)
	}
}
