package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPEMPrivateKeys: -m PEM and -m PKCS8 private keys, plain and
// encrypted (legacy PEM AES-128-CBC; PKCS #8 PBES2), are written with
// ssh-keygen's PEM types and headers and read by ssh-keygen only with
// the passphrase; ssh-keygen's are read by gossh-keygen; a passphrase
// under five characters is refused by both; Ed25519 stays in OpenSSH's
// format as with ssh-keygen; -p -m PEM converts a key.
func TestPEMPrivateKeys(t *testing.T) {
	dir := t.TempDir()
	pemHeaders := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "-----BEGIN") || strings.HasPrefix(l, "Proc-Type") || strings.HasPrefix(l, "DEK-Info: AES-128-CBC,") {
				if strings.HasPrefix(l, "DEK-Info") {
					l = "DEK-Info: AES-128-CBC," // the IV is random
				}
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	for _, kt := range []struct{ name, t, b string }{{"rsa", "rsa", "2048"}, {"ecdsa", "ecdsa", "384"}, {"ed25519", "ed25519", ""}} {
		for _, m := range []string{"PEM", "PKCS8"} {
			for _, pass := range []string{"", "longpass"} {
				t.Run(kt.name+"/"+m+"/"+pass, func(t *testing.T) {
					base := filepath.Join(dir, kt.name+m+pass)
					args := append(genArgs(kt.t, kt.b), "-q", "-m", m, "-N", pass, "-C", "c")
					if kt.t == "ed25519" {
						args = append(args, "-a", "2") // OpenSSH's format: bcrypt, slow under -race
					}
					if kt.t == "rsa" {
						// RSA generation is Go's and slow under -race: ours
						// converts a key ssh-keygen made (-p -m), which is
						// the same writer.
						osk(t, "", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "c", "-f", base+"-ours").ok(t, "ssh-keygen")
						gk(t, "", "-p", "-m", m, "-P", "", "-N", pass, "-f", base+"-ours").ok(t, "gossh-keygen -p -m")
					} else {
						gk(t, "", append(args, "-f", base+"-ours")...).ok(t, "gossh-keygen")
					}
					osk(t, "", append(args, "-f", base+"-theirs")...).ok(t, "ssh-keygen")
					if o, th := pemHeaders(read(t, base+"-ours")), pemHeaders(read(t, base+"-theirs")); o != th {
						t.Errorf("PEM headers: ours\n%s\nssh-keygen's\n%s", o, th)
					}
					for _, f := range []string{base + "-ours", base + "-theirs"} {
						want := strings.Join(strings.Fields(read(t, f+".pub"))[:2], " ")
						for name, tool := range map[string]func(*testing.T, string, ...string) result{"ours": gk, "theirs": osk} {
							y := tool(t, "", "-y", "-P", pass, "-f", f).ok(t, name+" -y "+filepath.Base(f))
							if !strings.HasPrefix(y.stdout, want) {
								t.Errorf("%s -y %s = %q, want %q", name, filepath.Base(f), y.stdout, want)
							}
							if pass != "" {
								if r := tool(t, "", "-y", "-P", "wrongpass", "-f", f); r.code == 0 {
									t.Errorf("%s read %s with a wrong passphrase", name, filepath.Base(f))
								}
							}
						}
					}
				})
			}
		}
	}
	t.Run("short passphrase", func(t *testing.T) {
		args := []string{"-q", "-t", "ecdsa", "-m", "PEM", "-N", "abcd", "-f", filepath.Join(dir, "short")}
		if o, th := gk(t, "", args...), osk(t, "", args...); o.code == 0 || th.code == 0 {
			t.Errorf("a four-character PEM passphrase: ours %+v, ssh-keygen %+v", o, th)
		}
	})
	t.Run("-p -m PEM converts", func(t *testing.T) {
		f := filepath.Join(dir, "convert")
		osk(t, "", "-q", "-t", "ecdsa", "-N", "", "-f", f).ok(t, "ssh-keygen")
		gk(t, "", "-p", "-m", "PEM", "-P", "", "-N", "longpass", "-f", f).ok(t, "-p -m PEM")
		if h := pemHeaders(read(t, f)); !strings.HasPrefix(h, "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED") {
			t.Errorf("after -p -m PEM: %q", h)
		}
		osk(t, "", "-y", "-P", "longpass", "-f", f).ok(t, "ssh-keygen -y")
	})
}
