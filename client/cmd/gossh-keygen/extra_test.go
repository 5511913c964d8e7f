package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBubbleBabbleAndSSHFP: -B and -r print what ssh-keygen prints.
func TestBubbleBabbleAndSSHFP(t *testing.T) {
	dir := t.TempDir()
	for _, kt := range keyTypes {
		f := filepath.Join(dir, kt.name)
		gk(t, "", append(genArgs(kt.t, kt.b), "-q", "-N", "", "-C", "c", "-f", f)...).ok(t, "key")
		for _, args := range [][]string{{"-B", "-f", f + ".pub"}, {"-B", "-f", f}, {"-r", "host.example", "-f", f + ".pub"}} {
			same(t, kt.name+" "+strings.Join(args[:len(args)-1], " "), gk(t, "", args...), osk(t, "", args...))
		}
	}
}

// TestChangeComment: -c rewrites the comment of a key (encrypted or
// not) so that the other tool reads the new one, both ways.
func TestChangeComment(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name       string
		make, edit func(*testing.T, string, ...string) result
		pass       string
	}{{"ours edits OpenSSH's", osk, gk, ""}, {"OpenSSH edits ours", gk, osk, ""}, {"ours edits encrypted", osk, gk, "pw"}, {"OpenSSH edits our encrypted", gk, osk, "pw"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			tc.make(t, "", "-q", "-t", "ed25519", "-a", "2", "-N", tc.pass, "-C", "old comment", "-f", f).ok(t, "make")
			r := tc.edit(t, "", "-c", "-a", "2", "-C", "new comment", "-P", tc.pass, "-f", f).ok(t, "-c")
			if want := "Old comment: old comment\nComment 'new comment' applied\n"; r.stdout != want {
				t.Errorf("-c printed %q, want %q", r.stdout, want)
			}
			for name, tool := range map[string]func(*testing.T, string, ...string) result{"ours": gk, "theirs": osk} {
				y := tool(t, "", "-y", "-P", tc.pass, "-f", f).ok(t, name+" -y")
				if !strings.HasSuffix(y.stdout, " new comment\n") || y.stdout != read(t, f+".pub") {
					t.Errorf("%s -y = %q, .pub %q", name, y.stdout, read(t, f+".pub"))
				}
			}
		})
	}
}

// TestHostKeys: -A makes the three default host keys under a prefix,
// which ssh-keygen reads, and leaves existing ones alone.
func TestHostKeys(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc", "ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := gk(t, "", "-A", "-f", dir).ok(t, "-A")
	if r.stdout != "gossh-keygen: generating new host keys: RSA ECDSA ED25519 \n" {
		t.Errorf("-A printed %q", r.stdout)
	}
	for _, typ := range []string{"rsa", "ecdsa", "ed25519"} {
		k := filepath.Join(dir, "etc", "ssh", "ssh_host_"+typ+"_key")
		y := osk(t, "", "-y", "-f", k).ok(t, "ssh-keygen -y "+typ)
		if y.stdout != read(t, k+".pub") {
			t.Errorf("%s: ssh-keygen -y %q, .pub %q", typ, y.stdout, read(t, k+".pub"))
		}
	}
	before := read(t, filepath.Join(dir, "etc", "ssh", "ssh_host_ed25519_key"))
	if r := gk(t, "", "-A", "-f", dir).ok(t, "-A again"); r.stdout != "" {
		t.Errorf("second -A printed %q", r.stdout)
	}
	if read(t, filepath.Join(dir, "etc", "ssh", "ssh_host_ed25519_key")) != before {
		t.Error("-A replaced an existing host key")
	}
}
