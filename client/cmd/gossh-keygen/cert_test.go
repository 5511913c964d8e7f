package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCertificates signs the same key with the same CA and flags with
// both tools. ssh-keygen -L must print the two certificates alike, and
// gossh-keygen -L must print each byte for byte as ssh-keygen -L does;
// the "Signed ..." messages must agree too.
func TestCertificates(t *testing.T) {
	dir := t.TempDir()
	cas := map[string]string{}
	for _, ca := range []struct{ name, t, b string }{{"ed25519", "ed25519", ""}, {"rsa", "rsa", "2048"}, {"ecdsa", "ecdsa", "384"}} {
		cas[ca.name] = filepath.Join(dir, "ca-"+ca.name)
		gk(t, "", append(genArgs(ca.t, ca.b), "-q", "-N", "", "-C", "ca", "-f", cas[ca.name])...).ok(t, "CA")
	}
	tests := []struct {
		name string
		ca   string
		args []string
	}{
		{"user defaults", "ed25519", []string{"-I", "id1"}},
		{"user all fields", "ed25519", []string{"-I", "alice@example", "-n", "alice,bob", "-V", "20250101:20300101123456", "-z", "42"}},
		{"user options", "ed25519", []string{"-I", "o", "-n", "alice", "-O", "no-pty", "-O", "no-x11-forwarding", "-O", "force-command=/bin/echo hi",
			"-O", "source-address=127.0.0.1/32,::1", "-O", "verify-required", "-O", "no-touch-required"}},
		{"user clear and permit", "ecdsa", []string{"-I", "c", "-O", "clear", "-O", "permit-pty", "-V", "always:20300101"}},
		{"user custom options", "ecdsa", []string{"-I", "x", "-O", "extension:foo", "-O", "extension:bar=baz", "-O", "critical:zz=yy", "-V", "20250101:forever"}},
		{"host", "rsa", []string{"-I", "host.example", "-h", "-n", "host.example,10.0.0.1", "-V", "20250101Z:20350101Z", "-z", "7"}},
		{"host with extension", "ed25519", []string{"-I", "h", "-h", "-O", "extension:x=y"}},
		{"rsa-sha2-256 CA signature", "rsa", []string{"-I", "r", "-t", "rsa-sha2-256"}},
		{"rsa CA default signature", "rsa", []string{"-I", "r"}},
	}
	keyTypes := []string{"ed25519", "ecdsa"}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kt := keyTypes[i%len(keyTypes)]
			var certs []string
			var msgs []string
			for _, tool := range []string{"ours", "theirs"} {
				d := filepath.Join(dir, tool, itoa(i))
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
				key := filepath.Join(d, "key")
				osk(t, "", "-q", "-t", kt, "-N", "", "-C", "the key", "-f", key).ok(t, "key")
				args := append(append([]string{"-s", cas[tc.ca]}, tc.args...), key+".pub")
				var r result
				if tool == "ours" {
					r = gk(t, "", args...).ok(t, "gossh-keygen -s")
				} else {
					r = osk(t, "", args...).ok(t, "ssh-keygen -s")
				}
				msgs = append(msgs, strings.ReplaceAll(r.stderr, d, "D"))
				certs = append(certs, key+"-cert.pub")
				if got := read(t, key+"-cert.pub"); !strings.HasSuffix(got, " the key\n") {
					t.Errorf("%s: certificate file %q lacks the key's comment", tool, got)
				}
			}
			if msgs[0] != msgs[1] {
				t.Errorf("signing message: ours %q, ssh-keygen %q", msgs[0], msgs[1])
			}
			norm := func(r result, c string) result {
				r.stdout = strings.ReplaceAll(r.stdout, c, "CERT")
				r.stdout = strings.ReplaceAll(r.stdout, hostFP(t, c), "KEYFP")
				return r
			}
			same(t, "ssh-keygen -L of ours and of theirs", norm(osk(t, "", "-L", "-f", certs[0]), certs[0]), norm(osk(t, "", "-L", "-f", certs[1]), certs[1]))
			for _, c := range certs {
				same(t, "-L "+c, gk(t, "", "-L", "-f", c), osk(t, "", "-L", "-f", c))
				same(t, "-L -E md5 "+c, gk(t, "", "-L", "-E", "md5", "-f", c), osk(t, "", "-L", "-E", "md5", "-f", c))
				same(t, "-l "+c, gk(t, "", "-l", "-f", c), osk(t, "", "-l", "-f", c))
			}
		})
	}
}

// hostFP is the SHA-256 fingerprint of the key a certificate file
// certifies, as ssh-keygen -l prints it.
func hostFP(t *testing.T, cert string) string {
	f := strings.Fields(osk(t, "", "-l", "-f", cert).ok(t, "-l").stdout)
	return f[1]
}

func itoa(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }

// TestValidity checks -V's forms against the times ssh-keygen would
// compute (ssh-keygen(1), -V; relative times from a fixed now).
func TestValidity(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	n := uint64(now.Unix())
	inf := ^uint64(0)
	day := func(y, m, d int) uint64 { return uint64(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.Local).Unix()) }
	for _, tc := range []struct {
		spec     string
		from, to uint64
		bad      bool
	}{
		{"", 0, inf, false},
		{"+52w", (n - 59) / 60 * 60, n + 52*7*86400, false},
		{"+1h30m", (n - 59) / 60 * 60, n + 5400, false},
		{"-1d:+2w", n - 86400, n + 14*86400, false},
		{"always:forever", 0, inf, false},
		{"20250101:20260101", day(2025, 1, 1), day(2026, 1, 1), false},
		{"20250101000000Z:forever", uint64(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()), inf, false},
		{"+5m:-5m", 0, 0, true},
		{"bogus", 0, 0, true},
		{"2025:2026", 0, 0, true},
		{"+1x", 0, 0, true},
	} {
		from, to, err := parseValidity(tc.spec, now)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted", tc.spec)
			}
			continue
		}
		if err != nil || from != tc.from || to != tc.to {
			t.Errorf("%q: %d %d %v, want %d %d", tc.spec, from, to, err, tc.from, tc.to)
		}
	}
}
