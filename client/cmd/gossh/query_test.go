package main

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/wire/wiretest"
)

// sshQueries are the names OpenSSH 9.2's ssh -Q help prints (Debian 12).
var sshQueries = []string{"cipher", "cipher-auth", "compression", "kex", "kex-gss", "key", "key-cert",
	"key-plain", "key-sig", "mac", "protocol-version", "sig"}

// queryExtras are names gossh lists that ssh 9.2 does not have: newer
// methods and GSS-API key exchange families beyond Debian's.
var queryExtras = map[string]bool{
	"mlkem768x25519-sha256": true, "gss-nistp384-sha384-": true, "gss-nistp521-sha512-": true,
	"gss-group15-sha512-": true, "gss-group17-sha512-": true, "gss-group18-sha512-": true,
}

func runQuery(t *testing.T, q string) ([]string, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := query(&out, &errb, q)
	return strings.Fields(out.String()), rc, errb.String()
}

// TestQuery: -Q knows ssh 9.2's query names and keyword aliases, lists
// each kind once per name, refuses anything else in ssh's words with
// status 255, and -V prints the version. With ssh installed, every name
// gossh lists is one ssh lists for the same query (or one of the
// extras), and each alias lists what ssh's alias lists for its query.
func TestQuery(t *testing.T) {
	help, rc, _ := runQuery(t, "help")
	if rc != 0 || !slices.Equal(help, sshQueries) {
		t.Fatalf("-Q help: %v (%d), want %v", help, rc, sshQueries)
	}
	for _, q := range sshQueries {
		list, rc, _ := runQuery(t, q)
		if rc != 0 || len(list) == 0 {
			t.Errorf("-Q %s: %v, status %d", q, list, rc)
		}
		if d := slices.Compact(slices.Sorted(slices.Values(list))); len(d) != len(list) {
			t.Errorf("-Q %s lists a name twice: %v", q, list)
		}
	}
	for alias, q := range map[string]string{"Ciphers": "cipher", "macs": "mac", "KexAlgorithms": "kex",
		"HostKeyAlgorithms": "key-sig", "PubkeyAcceptedAlgorithms": "key-sig"} {
		a, _, _ := runQuery(t, alias)
		b, _, _ := runQuery(t, q)
		if !slices.Equal(a, b) {
			t.Errorf("-Q %s: %v, want -Q %s's %v", alias, a, q, b)
		}
	}
	for _, bad := range []string{"frob", "Cipher", "KEX", "CASignatureAlgorithms"} {
		if _, rc, msg := runQuery(t, bad); rc != 255 || msg != `Unsupported query "`+bad+`"`+"\n" {
			t.Errorf("-Q %s: status %d, %q", bad, rc, msg)
		}
	}
	if v := versionLine(); !strings.HasPrefix(v, "sshstack_") || !strings.Contains(v, "go1") {
		t.Errorf("-V prints %q", v)
	}

	if _, err := exec.LookPath("ssh"); err != nil {
		wiretest.MissingPeer(t, "no OpenSSH ssh")
	}
	sshQ := func(q string) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ssh", "-Q", q).Output()
		if err != nil {
			t.Fatalf("ssh -Q %s: %v", q, err)
		}
		return strings.Fields(string(out))
	}
	if got := sshQ("help"); !slices.Equal(got, sshQueries) {
		t.Errorf("ssh -Q help: %v, recorded %v", got, sshQueries)
	}
	for _, q := range sshQueries {
		theirs := sshQ(q)
		ours, _, _ := runQuery(t, q)
		for _, n := range ours {
			if !slices.Contains(theirs, n) && !queryExtras[n] {
				t.Errorf("-Q %s: gossh lists %s, which ssh does not", q, n)
			}
		}
	}
	for alias, q := range queryAliases {
		if a, b := sshQ(alias), sshQ(q); !slices.Equal(a, b) {
			t.Errorf("ssh -Q %s lists something else than ssh -Q %s", alias, q)
		}
	}
}

// TestVersionQueryFlags: -V and -Q end the parsing as in ssh (the first
// one met decides, no destination needed), -Q needs its argument, and
// -K and -k set GSSAPIAuthentication and GSSAPIDelegateCredentials over
// any -o.
func TestVersionQueryFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		version bool
		query   string
	}{
		{[]string{"-V"}, true, ""},
		{[]string{"-V", "-Q", "cipher"}, true, ""},
		{[]string{"-Q", "cipher", "-V"}, false, "cipher"},
		{[]string{"-vQmac", "host"}, false, "mac"},
	} {
		f, err := parseFlags(tc.args)
		if err != nil || f.version != tc.version || f.query != tc.query {
			t.Errorf("%q: version %v query %q (%v), want %v %q", tc.args, f != nil && f.version, func() string {
				if f == nil {
					return ""
				}
				return f.query
			}(), err, tc.version, tc.query)
		}
	}
	if _, err := parseFlags([]string{"-Q"}); err == nil || !strings.Contains(err.Error(), "requires an argument") {
		t.Errorf("-Q without its argument: %v", err)
	}
	f, err := parseFlags([]string{"-o", "GSSAPIDelegateCredentials=no", "-K", "h"})
	if err != nil || f.forced["gssapiauthentication"] != "yes" || f.forced["gssapidelegatecredentials"] != "yes" {
		t.Errorf("-K: %v %v", f.forced, err)
	}
	f, err = parseFlags([]string{"-K", "-k", "h"})
	if err != nil || f.forced["gssapiauthentication"] != "yes" || f.forced["gssapidelegatecredentials"] != "no" {
		t.Errorf("-K -k: %v %v", f.forced, err)
	}
}

// TestObsoleteFlags: -2 and -P are accepted and do nothing, -P without an
// argument (as ssh 9.2, where "-P x" makes x the destination), and -1 is
// refused in ssh's words.
func TestObsoleteFlags(t *testing.T) {
	f, err := parseFlags([]string{"-2", "-P", "x", "-p", "3"})
	if err != nil || f.destination != "x" || f.port != "3" {
		t.Errorf("-2 -P x -p 3: %+v %v", f, err)
	}
	if _, err := parseFlags([]string{"-1", "h"}); err == nil || err.Error() != "SSH protocol v.1 is no longer supported" {
		t.Errorf("-1: %v", err)
	}
}
