package main

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/sshconfig"
)

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		"/bin/cat":                   {"/bin/cat"},
		`/bin/sh -c "cat f; exit 1"`: {"/bin/sh", "-c", "cat f; exit 1"},
		`/usr/bin/x 'a b' c\ d  %u`:  {"/usr/bin/x", "a b", "c d", "%u"},
		`/x ""`:                      {"/x", ""},
		`/x \`:                       {"/x", `\`},          // argv_split keeps an unknown escape
		`/x a\nb #c`:                 {"/x", `a\nb`, "#c"}, // and a '#': no comments in commands
	} {
		if got, err := splitCommand(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", `/x "open`, `/x 'open`} {
		if got, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) = %q, want an error", bad, got)
		}
	}
}

func TestExpandCommandTokens(t *testing.T) {
	k, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	a := &account{Name: "alice", UID: 1001, Home: "/home/alice"}
	got, err := expandCommandTokens("%u %U %h %t %f %k %%", a, k.PublicKey())
	b64 := strings.Fields(string(hostkey.MarshalAuthorizedKey(k.PublicKey(), "")))[1]
	want := "alice 1001 /home/alice ssh-ed25519 " + hostkey.FingerprintSHA256(k.PublicKey()) + " " + b64 + " %"
	if err != nil || got != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	// As sshd's percent_expand: an unknown token is an error, not kept.
	if got, err := expandCommandTokens("%u %x", a, k.PublicKey()); !errors.Is(err, sshconfig.ErrToken) {
		t.Errorf("%%x: got %q, %v; want ErrToken", got, err)
	}
}

// TestRootOwnedPath: a root-owned system binary passes; a file in a
// temporary directory (under the world-writable /tmp) does not, as sshd
// refuses it.
func TestRootOwnedPath(t *testing.T) {
	if err := rootOwnedPath("/bin/cat"); err != nil {
		t.Errorf("/bin/cat: %v", err)
	}
	f := filepath.Join(t.TempDir(), "cmd")
	os.WriteFile(f, []byte("#!/bin/sh\n"), 0o755)
	if err := rootOwnedPath(f); err == nil {
		t.Errorf("%s passed", f)
	}
}
