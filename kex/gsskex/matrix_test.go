package gsskex

import (
	"crypto"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/gssapi"
)

// TestDefaultFamilies: Methods without families gives the four RFC 8732
// families and none of the SHA-1 ones RFC 8732, Section 6 deprecates,
// which stay available by name.
//
// Requirement: 8732-6-deprecated
func TestDefaultFamilies(t *testing.T) {
	ms, err := Methods(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	suffix := Suffix(gssapi.MechKerberos5)
	var names []string
	for _, m := range ms {
		names = append(names, m.Name())
	}
	want := []string{Curve25519SHA256 + suffix, NISTP256SHA256 + suffix, Group16SHA512 + suffix, Group14SHA256 + suffix}
	if !slices.Equal(names, want) {
		t.Errorf("default methods %q, want %q", names, want)
	}
	for _, n := range names {
		if strings.Contains(n, "sha1") {
			t.Errorf("%s is a default", n)
		}
	}
	for _, f := range LegacyFamilies() {
		if !strings.Contains(f, "sha1") {
			t.Errorf("legacy family %s", f)
		}
		if _, err := Methods(&Config{}, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestFamilies: Families lists every family New knows once, each with the
// hash RFC 8732, Sections 3 and 4 (RFC 4462, Section 2 for SHA-1) name in
// the family, and OpenSSHFamilies is Debian OpenSSH 9.2's default list
// (ssh -G -F /dev/null host | grep gssapikexalgorithms).
//
// Requirement: 8732-4-families
func TestFamilies(t *testing.T) {
	hashes := map[crypto.Hash]string{crypto.SHA1: "-sha1-", crypto.SHA256: "-sha256-", crypto.SHA384: "-sha384-", crypto.SHA512: "-sha512-"}
	seen := map[string]bool{}
	for _, f := range Families() {
		if seen[f] {
			t.Errorf("%s listed twice", f)
		}
		seen[f] = true
		m, err := New(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.HasSuffix(f, hashes[m.hash]) {
			t.Errorf("%s hashes with %v", f, m.hash)
		}
	}
	if len(seen) != 12 {
		t.Errorf("%d families, want the 9 of RFC 8732 without curve448 and the 3 of RFC 4462", len(seen))
	}
	want := []string{"gss-group14-sha256-", "gss-group16-sha512-", "gss-nistp256-sha256-", "gss-curve25519-sha256-", "gss-group14-sha1-", "gss-gex-sha1-"}
	if got := OpenSSHFamilies(); !slices.Equal(got, want) {
		t.Errorf("OpenSSHFamilies = %q, want %q", got, want)
	}
	if _, err := New("gss-curve448-sha512-", nil); !errors.Is(err, ErrUnknownFamily) {
		t.Errorf("curve448: %v", err)
	}
}
