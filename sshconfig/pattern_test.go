package sshconfig_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/sshconfig"
)

func TestWildcard(t *testing.T) {
	tests := []struct { // ssh_config(5), PATTERNS, and OpenSSH's match.c behaviour
		name, pattern, s string
		want             bool
	}{
		{"literal", "host", "host", true},
		{"literal differs", "host", "hosts", false},
		{"star all", "*", "anything", true},
		{"star empty", "*", "", true},
		{"suffix", "*.example.org", "a.example.org", true},
		{"suffix needs dot", "*.example.org", "example.org", false},
		{"question", "192.168.0.?", "192.168.0.7", true},
		{"question one byte", "192.168.0.?", "192.168.0.17", false},
		{"question not empty", "?", "", false},
		{"inner stars", "a*b*c", "aXXbYYc", true},
		{"backtrack", "a*bc", "abcbc", true},
		{"case matters", "Host", "host", false},
		{"many stars", strings.Repeat("*", 64) + "x", strings.Repeat("a", 64), false},
		{"empty pattern", "", "", true},
		{"empty pattern, text", "", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sshconfig.Wildcard(tt.pattern, tt.s); got != tt.want {
				t.Errorf("Wildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestMatchList(t *testing.T) {
	tests := []struct {
		name, list, s string
		want          bool
	}{
		{"one", "a", "a", true},
		{"second", "x,a", "a", true},
		{"none", "x,y", "a", false},
		{"negated wins", "*,!a", "a", false},
		{"negated first", "!a,*", "a", false},
		{"negated other", "*,!b", "a", true},
		{"only negated", "!b", "a", false},
		{"empty element", "x,,y", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sshconfig.MatchList(tt.list, tt.s, nil); got != tt.want {
				t.Errorf("MatchList(%q, %q) = %v, want %v", tt.list, tt.s, got, tt.want)
			}
		})
	}
	lower := func(p, s string) bool { return sshconfig.Wildcard(strings.ToLower(p), strings.ToLower(s)) }
	if !sshconfig.MatchList("*.EXAMPLE.org", "a.example.ORG", lower) {
		t.Error("MatchList with a case-folding matcher did not fold")
	}
}

// wildcardRegexp is the reference: the pattern as an anchored regexp.
func wildcardRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range []byte(pattern) {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// FuzzWildcard checks Wildcard against an anchored regexp over bytes.
func FuzzWildcard(f *testing.F) {
	f.Add("*.example.org", "a.example.org")
	f.Add("a*b?c", "aXbYc")
	f.Add("**?*", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 64 {
			return
		}
		// Compare byte-wise: the regexp works on runes, so keep ASCII.
		for _, c := range []byte(pattern + s) {
			if c >= 0x80 {
				return
			}
		}
		if got, want := sshconfig.Wildcard(pattern, s), wildcardRegexp(pattern).MatchString(s); got != want {
			t.Fatalf("Wildcard(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}
