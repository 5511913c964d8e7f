package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKRL makes the same KRL with each tool, from public keys and from
// a specification file (serials, ranges, key IDs, key:, sha1:, sha256:,
// hash:), and queries both KRLs with both tools: every -Q answer and
// exit status agree, and -Q -l lists the same revocations.
func TestKRL(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, n := range []string{"ca", "otherca", "plain", "explicit", "sha1", "sha256", "hash", "free", "certkey"} {
		gk(t, "", "-q", "-t", "ed25519", "-N", "", "-C", n, "-f", p(n)).ok(t, "key "+n)
	}
	// Certificates of certkey by two CAs with various serials and IDs.
	var certs []string
	for _, c := range []struct {
		ca, id, serial string
	}{{"ca", "revoked-id", "3"}, {"ca", "x", "5"}, {"ca", "x", "15"}, {"ca", "x", "21"}, {"ca", "x", "0"}, {"otherca", "x", "5"}, {"ca", "bysig", "99"}} {
		name := "cert-" + c.ca + "-" + c.id + "-" + c.serial
		write(t, p(name+".pub"), read(t, p("certkey.pub")))
		gk(t, "", "-q", "-s", p("ca"), "-I", c.id, "-z", c.serial, p(name+".pub")).ok(t, "sign "+name)
		if c.ca == "otherca" {
			gk(t, "", "-q", "-s", p("otherca"), "-I", c.id, "-z", c.serial, p(name+".pub")).ok(t, "sign "+name)
		}
		certs = append(certs, p(name+"-cert.pub"))
	}
	hashFP := strings.Fields(osk(t, "", "-l", "-f", p("hash.pub")).stdout)[1]
	spec := write(t, p("spec"), "# a comment\nserial: 5\nserial: 10-20\nid: revoked-id\n"+
		"key: "+read(t, p("explicit.pub"))+
		"sha1: "+read(t, p("sha1.pub"))+
		"sha256: "+read(t, p("sha256.pub"))+
		"hash: "+hashFP+"\n")
	sigCert := read(t, p("cert-ca-bysig-99-cert.pub"))
	keysFile := write(t, p("keys"), read(t, p("plain.pub"))+sigCert)
	query := append([]string{p("plain.pub"), p("explicit.pub"), p("sha1.pub"), p("sha256.pub"), p("hash.pub"), p("free.pub"), p("certkey.pub")}, certs...)

	type maker func(*testing.T, string, ...string) result
	tools := map[string]maker{"ours": gk, "theirs": osk}
	krls := map[string]string{}
	for name, tool := range tools {
		f := p("krl-" + name)
		r := tool(t, "", "-k", "-f", f, "-s", p("ca.pub"), "-z", "4", spec).ok(t, name+" -k")
		if want := "Revoking from " + spec + "\n"; r.stdout != want || r.stderr != "" {
			t.Errorf("%s -k said %q and %q, want %q", name, r.stdout, r.stderr, want)
		}
		tool(t, "", "-k", "-u", "-f", f, keysFile).ok(t, name+" -k -u")
		krls[name] = f
	}
	for krlName, f := range krls {
		for _, q := range query {
			same(t, "-Q of "+krlName+"'s KRL for "+filepath.Base(q), gk(t, "", "-Q", "-f", f, q), osk(t, "", "-Q", "-f", f, q))
		}
		all := append([]string{"-Q", "-f", f}, query...)
		r := osk(t, "", all...)
		same(t, "-Q of everything in "+krlName+"'s KRL", gk(t, "", all...), r)
		if r.code != 1 || strings.Count(r.stdout, "REVOKED") != 9 {
			t.Errorf("ssh-keygen -Q of %s's KRL: exit %d, %d revoked, want 9:\n%s", krlName, r.code, strings.Count(r.stdout, "REVOKED"), r.stdout)
		}
	}
	// The listings are ssh-keygen's, for either KRL.
	for krlName, f := range krls {
		same(t, "-Q -l of "+krlName+"'s KRL", gk(t, "", "-Q", "-l", "-f", f), osk(t, "", "-Q", "-l", "-f", f))
	}
	gen := regexp.MustCompile(`# Generated at \S+`)
	a := gen.ReplaceAllString(osk(t, "", "-Q", "-l", "-f", krls["ours"]).stdout, "")
	b := gen.ReplaceAllString(osk(t, "", "-Q", "-l", "-f", krls["theirs"]).stdout, "")
	if a != b {
		t.Errorf("ssh-keygen -Q -l:\nof our KRL\n%s\nof theirs\n%s", a, b)
	}

	// -s none: a section for every CA.
	wild := write(t, p("wildspec"), "serial: 5\nid: revoked-id\n")
	for name, tool := range tools {
		f := p("wild-" + name)
		tool(t, "", "-k", "-f", f, "-s", "none", wild).ok(t, name+" -k -s none")
		same(t, "-Q -l of "+name+"'s wildcard KRL", gk(t, "", "-Q", "-l", "-f", f), osk(t, "", "-Q", "-l", "-f", f))
		all := append([]string{"-Q", "-f", f}, certs...)
		r := osk(t, "", all...)
		same(t, "-Q of certificates in "+name+"'s wildcard KRL", gk(t, "", all...), r)
		if strings.Count(r.stdout, "REVOKED") != 3 { // ca serial 5, ca id, otherca serial 5
			t.Errorf("ssh-keygen -Q of %s's wildcard KRL:\n%s", name, r.stdout)
		}
	}
}
