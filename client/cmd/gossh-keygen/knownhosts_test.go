package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// knownHostsFixture is a known_hosts file with plain, multi-name,
// [host]:port, wildcard, marker and comment lines.
func knownHostsFixture(t *testing.T, dir string) string {
	var keys []string
	for i := 0; i < 4; i++ {
		f := filepath.Join(dir, "hk"+itoa(i))
		osk(t, "", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", f).ok(t, "host key")
		keys = append(keys, strings.TrimSpace(read(t, f+".pub")))
	}
	return "# a comment\n" +
		"host1,10.0.0.1 " + keys[0] + " one\n" +
		"[host2]:2222 " + keys[1] + "\n" +
		"*.example.com " + keys[2] + "\n" +
		"@cert-authority host1 " + keys[3] + "\n" +
		"host3 " + keys[1] + "\n" +
		"@revoked host3 " + keys[2] + "\n" +
		"host1 " + keys[2] + "\n"
}

// TestKnownHostsFind: -F prints what ssh-keygen -F prints, with exit 1
// when nothing matches, in plain files and in files hashed by either
// tool; -F -H prints a hashed line that ssh-keygen -F finds again.
func TestKnownHostsFind(t *testing.T) {
	dir := t.TempDir()
	plain := write(t, filepath.Join(dir, "plain"), knownHostsFixture(t, dir))
	hashedByThem := write(t, filepath.Join(dir, "hashed-theirs"), read(t, plain))
	osk(t, "", "-H", "-f", hashedByThem).ok(t, "ssh-keygen -H")
	hashedByUs := write(t, filepath.Join(dir, "hashed-ours"), read(t, plain))
	gk(t, "", "-H", "-f", hashedByUs).ok(t, "gossh-keygen -H")
	hosts := []string{"host1", "10.0.0.1", "[host2]:2222", "host2", "a.example.com", "host3", "HOST1", "nosuch"}
	for _, file := range []string{plain, hashedByThem, hashedByUs} {
		for _, h := range hosts {
			for _, args := range [][]string{{"-F", h}, {"-F", h, "-q"}, {"-F", h, "-l"}, {"-F", h, "-lv", "-E", "md5"}} {
				a := append(args, "-f", file)
				ours, theirs := gk(t, "", a...), osk(t, "", a...)
				same(t, filepath.Base(file)+" "+strings.Join(args, " "), ours, theirs)
			}
		}
	}
	// Hashed output: not byte-comparable (random salt), but each tool
	// finds the other's.
	for _, h := range []string{"host1", "[host2]:2222"} {
		for i, tool := range []func(*testing.T, string, ...string) result{gk, osk} {
			r := tool(t, "", "-F", h, "-H", "-q", "-f", plain).ok(t, "-F -H")
			// Every name of a plain line is hashed on a line of its own;
			// marker lines stay as they are.
			unsalt := func(s string) string {
				var out []string
				for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
					if strings.HasPrefix(l, "|1|") {
						_, l, _ = strings.Cut(l, " ")
						l = "HASH " + l
					}
					out = append(out, l)
				}
				return strings.Join(out, "\n")
			}
			if i == 0 {
				theirs := osk(t, "", "-F", h, "-H", "-q", "-f", plain).ok(t, "ssh-keygen -F -H")
				if unsalt(r.stdout) != unsalt(theirs.stdout) {
					t.Errorf("-F %s -H: ours\n%s\nssh-keygen's\n%s", h, r.stdout, theirs.stdout)
				}
			}
			f := write(t, filepath.Join(dir, "found"), r.stdout)
			other := []func(*testing.T, string, ...string) result{osk, gk}[i]
			got := other(t, "", "-F", h, "-q", "-f", f).ok(t, "-F on the hashed output")
			for _, l := range strings.SplitAfter(got.stdout, "\n") {
				if !strings.Contains(r.stdout, l) {
					t.Errorf("tool %d: re-found %q, not in %q", i, l, r.stdout)
				}
			}
			if got.stdout == "" {
				t.Errorf("tool %d: -F %s found nothing in the hashed output", i, h)
			}
		}
	}
}

// TestKnownHostsHash: -H output has the same lines as ssh-keygen's once
// the salts are taken out, and each tool finds every host in the
// other's hashed file; the .old copy and the messages agree.
func TestKnownHostsHash(t *testing.T) {
	dir := t.TempDir()
	fixture := knownHostsFixture(t, dir)
	ours := write(t, filepath.Join(dir, "ours"), fixture)
	theirs := write(t, filepath.Join(dir, "theirs"), fixture)
	ro, rt := gk(t, "", "-H", "-f", ours).ok(t, "gossh-keygen -H"), osk(t, "", "-H", "-f", theirs).ok(t, "ssh-keygen -H")
	ro.stdout = strings.ReplaceAll(ro.stdout, ours, "F")
	ro.stderr = strings.ReplaceAll(ro.stderr, ours, "F")
	rt.stdout = strings.ReplaceAll(rt.stdout, theirs, "F")
	rt.stderr = strings.ReplaceAll(rt.stderr, theirs, "F")
	same(t, "-H messages", ro, rt)
	if read(t, ours+".old") != fixture || read(t, theirs+".old") != fixture {
		t.Error(".old is not the original file")
	}
	unsalt := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			if strings.HasPrefix(l, "|1|") {
				_, rest, _ := strings.Cut(l, " ")
				l = "HASH " + rest
			}
			out = append(out, l)
		}
		return out
	}
	if o, th := unsalt(read(t, ours)), unsalt(read(t, theirs)); strings.Join(o, "\n") != strings.Join(th, "\n") {
		t.Errorf("hashed files differ:\nours:\n%s\ntheirs:\n%s", strings.Join(o, "\n"), strings.Join(th, "\n"))
	}
	for _, h := range []string{"host1", "10.0.0.1", "[host2]:2222", "host3"} {
		same(t, "-F "+h+" in ours by both", gk(t, "", "-F", h, "-f", ours), osk(t, "", "-F", h, "-f", ours))
		same(t, "-F "+h+" in theirs by both", gk(t, "", "-F", h, "-f", theirs), osk(t, "", "-F", h, "-f", theirs))
	}
}

// TestKnownHostsRemove: -R leaves the same file as ssh-keygen -R (CA and
// revoked lines stay), in plain and hashed files, with the same
// messages; a host that is not there leaves the file alone.
func TestKnownHostsRemove(t *testing.T) {
	dir := t.TempDir()
	fixture := knownHostsFixture(t, dir)
	hashed := write(t, filepath.Join(dir, "hashed"), fixture)
	osk(t, "", "-H", "-f", hashed).ok(t, "ssh-keygen -H")
	for _, base := range []struct{ name, content string }{{"plain", fixture}, {"hashed", read(t, hashed)}} {
		for _, h := range []string{"host1", "[host2]:2222", "host3", "10.0.0.1", "nosuch"} {
			ours := write(t, filepath.Join(dir, "ours"), base.content)
			theirs := write(t, filepath.Join(dir, "theirs"), base.content)
			ro, rt := gk(t, "", "-R", h, "-f", ours), osk(t, "", "-R", h, "-f", theirs)
			ro.stdout, ro.stderr = strings.ReplaceAll(ro.stdout, ours, "F"), strings.ReplaceAll(ro.stderr, ours, "F")
			rt.stdout, rt.stderr = strings.ReplaceAll(rt.stdout, theirs, "F"), strings.ReplaceAll(rt.stderr, theirs, "F")
			same(t, base.name+" -R "+h, ro, rt)
			if o, th := read(t, ours), read(t, theirs); o != th {
				t.Errorf("%s -R %s: files differ:\nours:\n%s\ntheirs:\n%s", base.name, h, o, th)
			}
			os.Remove(ours + ".old")
			os.Remove(theirs + ".old")
		}
	}
}
