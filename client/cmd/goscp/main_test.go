package main

import (
	"slices"
	"testing"
)

func TestParseFlags(t *testing.T) {
	f, err := parseFlags([]string{"-3rpq", "-P2222", "-i", "k", "-o", "Compression=yes", "-B", "-l", "800", "-X", "nrequests=8", "a", "h:b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-q", "-i", "k", "-o", "Compression=yes", "-oBatchMode=yes"}; !slices.Equal(f.sshArgs, want) {
		t.Errorf("ssh args %q, want %q", f.sshArgs, want)
	}
	if !f.recursive || !f.preserve || !f.quiet || f.port != "2222" || f.limit != 800 || f.requests != 8 || !slices.Equal(f.operands, []string{"a", "h:b"}) {
		t.Errorf("flags %+v", f)
	}
	for _, bad := range [][]string{{"a"}, {"-O", "a", "b"}, {"-Z", "a", "b"}, {"-X", "bogus=1", "a", "b"}, {"-l", "x", "a", "b"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
