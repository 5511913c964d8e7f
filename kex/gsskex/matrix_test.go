package gsskex

import (
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
