package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHSig signs files and stdin with each tool and verifies every
// signature with both: -Y verify, check-novalidate and find-principals
// print the same and exit alike, a tampered message or a wrong
// namespace, principal or revoked key fails with both, and certificate
// signers are checked against cert-authority lines.
func TestSSHSig(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, kt := range keyTypes[:2:2] {
		osk(t, "", append(genArgs(kt.t, kt.b), "-q", "-N", "", "-C", kt.name, "-f", p(kt.name))...).ok(t, "key")
	}
	osk(t, "", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", p("rsa")).ok(t, "key")
	osk(t, "", "-q", "-t", "ed25519", "-N", "", "-f", p("ca")).ok(t, "ca")
	osk(t, "", "-q", "-t", "ed25519", "-N", "", "-f", p("certified")).ok(t, "certified key")
	gk(t, "", "-q", "-s", p("ca"), "-I", "c", "-n", "carol", p("certified.pub")).ok(t, "cert")
	pubOf := func(n string) string { return strings.TrimSpace(read(t, p(n+".pub"))) }
	allowed := write(t, p("allowed"), "alice "+pubOf("ed25519")+"\n"+
		`bob,robert namespaces="file,git" `+pubOf("ecdsa256")+"\n"+
		`"dave" valid-after="20200101",valid-before="20990101" `+pubOf("rsa")+"\n"+
		`car* cert-authority `+pubOf("ca")+"\n")
	write(t, p("msg"), "the message\n")
	osk(t, "", "-k", "-f", p("krl"), p("rsa.pub")).ok(t, "krl")

	for _, id := range []string{"alice", "robert", "carl", "nobody"} {
		mp := []string{"-Y", "match-principals", "-I", id, "-f", allowed}
		same(t, "match-principals "+id, gk(t, "", mp...), osk(t, "", mp...))
	}

	signers := []struct{ key, principal string }{{"ed25519", "alice"}, {"ecdsa256", "bob"}, {"rsa", "dave"}, {"certified", "carol"}}
	tools := []struct {
		name string
		run  func(*testing.T, string, ...string) result
	}{{"ours", gk}, {"theirs", osk}}
	for _, s := range signers {
		for _, signer := range tools {
			for _, hash := range []string{"", "sha256"} {
				t.Run(s.key+"/"+signer.name+"/"+hash, func(t *testing.T) {
					keyFile := p(s.key)
					if s.key == "certified" {
						if signer.name == "theirs" {
							t.Skip("ssh-keygen signs with a certificate only through an agent")
						}
						keyFile = p("certified-cert.pub")
					}
					args := []string{"-Y", "sign", "-f", keyFile, "-n", "file"}
					if hash != "" {
						args = append(args, "-O", "hashalg="+hash)
					}
					if signer.name == "ours" {
						// An existing signature is kept unless the answer is yes.
						write(t, p("msg.sig"), "old")
						if r := gk(t, "n\n", append(args, p("msg"))...); r.code == 0 || read(t, p("msg.sig")) != "old" {
							t.Errorf("overwrote msg.sig without a yes: %+v", r)
						}
					}
					os.Remove(p("msg.sig"))
					r := signer.run(t, "", append(args, p("msg"))...).ok(t, "sign")
					if want := "Signing file " + p("msg") + "\nWrite signature to " + p("msg.sig") + "\n"; r.stderr != want {
						t.Errorf("sign said %q, want %q", r.stderr, want)
					}
					sig := p("msg.sig")
					// The stdin form writes the armored signature to stdout.
					stdinSig := write(t, p("stdin.sig"), signer.run(t, read(t, p("msg")), args...).ok(t, "sign stdin").stdout)
					for _, sf := range []string{sig, stdinSig} {
						v := []string{"-Y", "verify", "-f", allowed, "-I", s.principal, "-n", "file", "-s", sf}
						same(t, "verify", gk(t, read(t, p("msg")), v...), osk(t, read(t, p("msg")), v...))
						if r := osk(t, read(t, p("msg")), v...); r.code != 0 {
							t.Errorf("ssh-keygen -Y verify: %+v", r)
						}
						cn := []string{"-Y", "check-novalidate", "-n", "file", "-s", sf}
						same(t, "check-novalidate", gk(t, read(t, p("msg")), cn...), osk(t, read(t, p("msg")), cn...))
						pp := append(v, "-O", "print-pubkey")
						same(t, "verify -O print-pubkey", gk(t, read(t, p("msg")), pp...), osk(t, read(t, p("msg")), pp...))
						pp = append(cn, "-O", "print-pubkey")
						same(t, "check-novalidate -O print-pubkey", gk(t, read(t, p("msg")), pp...), osk(t, read(t, p("msg")), pp...))
						// dave's line is valid from 2020 to 2099: a verify time
						// before it fails, inside it passes, with both tools.
						for _, vt := range []string{"20190101", "20300101"} {
							tv := append(v, "-O", "verify-time="+vt)
							o, th := gk(t, read(t, p("msg")), tv...), osk(t, read(t, p("msg")), tv...)
							if o.code != th.code || o.stdout != th.stdout {
								t.Errorf("verify-time=%s: ours %+v, ssh-keygen %+v", vt, o, th)
							}
						}
						fp := []string{"-Y", "find-principals", "-f", allowed, "-s", sf}
						same(t, "find-principals", gk(t, "", fp...), osk(t, "", fp...))
						for _, bad := range []struct {
							name, msg string
							args      []string
						}{
							{"tampered", "other message\n", v},
							{"namespace", read(t, p("msg")), []string{"-Y", "verify", "-f", allowed, "-I", s.principal, "-n", "git", "-s", sf}},
							{"principal", read(t, p("msg")), []string{"-Y", "verify", "-f", allowed, "-I", "mallory", "-n", "file", "-s", sf}},
						} {
							o, th := gk(t, bad.msg, bad.args...), osk(t, bad.msg, bad.args...)
							same(t, bad.name, o, th)
							if th.code == 0 {
								t.Errorf("%s: ssh-keygen accepted it", bad.name)
							}
						}
						if s.key == "rsa" {
							rv := append(v, "-r", p("krl"))
							o, th := gk(t, read(t, p("msg")), rv...), osk(t, read(t, p("msg")), rv...)
							if o.code == 0 || th.code == 0 {
								t.Errorf("revoked key verified: ours %+v, ssh-keygen %+v", o, th)
							}
						}
					}
				})
			}
		}
	}
}
