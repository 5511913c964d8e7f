package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/kex/gsskex"
)

// TestGSSKexFamilies: GSSAPIKexAlgorithms takes every family of
// kex/gsskex, the RFC 8732 ones Debian's sshd lacks included, and still
// refuses gss-curve448-sha512-, which gosshd does not implement.
func TestGSSKexFamilies(t *testing.T) {
	for _, f := range gsskex.Families() {
		c, err := loadConfig(writeConfig(t, "GSSAPIKexAlgorithms "+f+"\n"), nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var out bytes.Buffer
		c.dump(&out)
		if !strings.Contains(out.String(), "\ngssapikexalgorithms "+f+"\n") {
			t.Errorf("%s: -T prints no such gssapikexalgorithms line", f)
		}
	}
	if _, err := loadConfig(writeConfig(t, "GSSAPIKexAlgorithms gss-curve448-sha512-\n"), nil); err == nil {
		t.Error("gss-curve448-sha512- accepted")
	}
}
