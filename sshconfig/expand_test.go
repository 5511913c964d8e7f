package sshconfig_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/sshconfig"
)

func TestExpand(t *testing.T) {
	tokens := map[byte]string{'h': "example.org", 'p': "22", 'r': "alice", 'x': "%h"}
	for _, tt := range []struct{ in, want string }{ // misc.c percent_expand
		{"", ""},
		{"plain", "plain"},
		{"%h:%p", "example.org:22"},
		{"%%h", "%h"},
		{"100%%", "100%"},
		{"%r@%h%%%p", "alice@example.org%22"},
		{"%x", "%h"}, // a replacement is not expanded again
		{"~/%r", "~/alice"},
	} {
		got, err := sshconfig.Expand(tt.in, tokens)
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in  string
		tok byte
	}{{"%C", 'C'}, {"a%", 0}, {"%h %u", 'u'}, {"%", 0}} {
		_, err := sshconfig.Expand(tt.in, tokens)
		var te *sshconfig.TokenError
		if !errors.As(err, &te) || te.Token != tt.tok || !errors.Is(err, sshconfig.ErrToken) {
			t.Errorf("Expand(%q) = %v; want a TokenError for %q", tt.in, err, tt.tok)
		}
	}
}

// FuzzExpand checks Expand against a reference that replaces tokens
// one at a time from the left.
func FuzzExpand(f *testing.F) {
	f.Add("%h:%p %% %%h %u")
	f.Add("%")
	f.Fuzz(func(t *testing.T, s string) {
		tokens := map[byte]string{'h': "H%", 'p': "22"}
		got, err := sshconfig.Expand(s, tokens)
		var want strings.Builder
		var wantErr bool
		for i := 0; i < len(s); i++ {
			if s[i] != '%' {
				want.WriteByte(s[i])
				continue
			}
			if i+1 == len(s) {
				wantErr = true
				break
			}
			i++
			if s[i] == '%' {
				want.WriteByte('%')
			} else if v, ok := tokens[s[i]]; ok {
				want.WriteString(v)
			} else {
				wantErr = true
				break
			}
		}
		if wantErr != (err != nil) || (err == nil && got != want.String()) {
			t.Fatalf("Expand(%q) = %q, %v; want %q (error %v)", s, got, err, want.String(), wantErr)
		}
	})
}

func BenchmarkExpand(b *testing.B) {
	tokens := map[byte]string{'h': "example.org", 'p': "22", 'r': "alice", 'C': "0123456789abcdef"}
	for b.Loop() {
		if _, err := sshconfig.Expand("~/.ssh/cm-%r@%h:%p-%C", tokens); err != nil {
			b.Fatal(err)
		}
	}
}
