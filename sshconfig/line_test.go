package sshconfig_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/sshconfig"
)

func TestSplitLine(t *testing.T) {
	tests := []struct { // readconf.c process_config_line and misc.c argv_split, OpenSSH 9.2
		name, in string
		kw       string
		args     []string
		raw      string
	}{
		{"blank", "   \t", "", nil, ""},
		{"comment", "# Port 22", "", nil, ""},
		{"indented comment", "  #Port 22", "", nil, ""},
		{"plain", "Port 22", "Port", []string{"22"}, "22"},
		{"indented", "\t  Port\t22  \r\n", "Port", []string{"22"}, "22"},
		{"equals", "Port=22", "Port", []string{"22"}, "22"},
		{"spaced equals", "Port = 22", "Port", []string{"22"}, "22"},
		{"equals then blank", "Port= 22", "Port", []string{"22"}, "22"},
		{"second equals kept", "Port==22", "Port", []string{"=22"}, "=22"},
		{"blank then two equals", "Port = =22", "Port", []string{"=22"}, "=22"},
		{"many args", "SendEnv LANG  LC_*\tX", "SendEnv", []string{"LANG", "LC_*", "X"}, "LANG  LC_*\tX"},
		{"double quotes", `HostName "a b"`, "HostName", []string{"a b"}, `"a b"`},
		{"single quotes", `HostName 'a b' c`, "HostName", []string{"a b", "c"}, `'a b' c`},
		{"quotes in a word", `X a"b c"d`, "X", []string{"ab cd"}, `a"b c"d`},
		{"other quote inside", `X "it's" 'say "hi"'`, "X", []string{"it's", `say "hi"`}, `"it's" 'say "hi"'`},
		{"empty quotes", `X "" b`, "X", []string{"", "b"}, `"" b`},
		{"escaped space", `X a\ b`, "X", []string{"a b"}, `a\ b`},
		{"escaped quote", `X \"a`, "X", []string{`"a`}, `\"a`},
		{"escaped backslash", `X a\\b`, "X", []string{`a\b`}, `a\\b`},
		{"other escape kept", `X a\nb`, "X", []string{`a\nb`}, `a\nb`},
		{"escaped space in quotes kept", `X "a\ b"`, "X", []string{`a\ b`}, `"a\ b"`},
		{"escaped quote in quotes", `X "a\"b"`, "X", []string{`a"b`}, `"a\"b"`},
		{"trailing backslash", `X a\`, "X", []string{`a\`}, `a\`},
		{"comment after blank", "X a # b c", "X", []string{"a"}, "a # b c"},
		{"hash inside a word", "X a#b", "X", []string{"a#b"}, "a#b"},
		{"hash in quotes", `X "a #b"`, "X", []string{"a #b"}, `"a #b"`},
		{"only a comment after", "X #c", "X", nil, "#c"},
		{"quoted keyword", `"Port" 22`, "Port", []string{"22"}, "22"},
		{"form feed at end", "Port 22\f", "Port", []string{"22"}, "22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := sshconfig.SplitLine(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if l.Keyword != tt.kw || !slices.Equal(l.Args, tt.args) || l.Raw != tt.raw {
				t.Errorf("SplitLine(%q) = %q %q raw %q; want %q %q raw %q", tt.in, l.Keyword, l.Args, l.Raw, tt.kw, tt.args, tt.raw)
			}
		})
	}
}

func TestSplitLineErrors(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want error
	}{
		{`HostName "a b`, sshconfig.ErrQuote},
		{`HostName 'a b`, sshconfig.ErrQuote},
		{`HostName a 'b "c'" d`, sshconfig.ErrQuote},
		{`"Port 22`, sshconfig.ErrQuote},
		{"Port", sshconfig.ErrMissingArgument},
		{"Port   ", sshconfig.ErrMissingArgument},
		{"Port=", sshconfig.ErrMissingArgument},
	} {
		if l, err := sshconfig.SplitLine(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("SplitLine(%q) = %+v, %v; want %v", tt.in, l, err, tt.want)
		}
	}
}

func TestSplitMatch(t *testing.T) {
	for _, tt := range []struct { // misc.c strdelim, as match_cfg_line uses it in 9.2
		in   string
		want []string
	}{
		{"User alice Host *.example", []string{"User", "alice", "Host", "*.example"}},
		{"User=alice", []string{"User", "alice"}},
		{"User = alice", []string{"User", "alice"}},
		{`User "a b"`, []string{"User", "a b"}},
		{`User 'a b'`, []string{"User", "'a", "b'"}},
		{`User a\ b`, []string{"User", `a\`, "b"}},
		{"all # everything", []string{"all"}},
		{"", nil},
	} {
		got, err := sshconfig.SplitMatch(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitMatch(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := sshconfig.SplitMatch(`User "a`); !errors.Is(err, sshconfig.ErrQuote) {
		t.Errorf("open quote: %v, want ErrQuote", err)
	}
}

func TestSplitCommand(t *testing.T) {
	got, err := sshconfig.SplitCommand(`/bin/x "a b" #c d\ e`)
	if want := []string{"/bin/x", "a b", "#c", "d e"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("SplitCommand = %q, %v; want %q", got, err, want)
	}
}

// TestSplitLineCutEveryByte: a line cut at any byte splits without a
// panic, and a cut inside a quoted argument is ErrQuote.
func TestSplitLineCutEveryByte(t *testing.T) {
	line := `ProxyCommand "/usr/bin/nc" -X 'connect' %h\ %p # via proxy`
	for i := range len(line) {
		l, err := sshconfig.SplitLine(line[:i])
		open := strings.Count(line[:i], `"`)%2 == 1 || strings.Count(line[:i], `'`)%2 == 1
		if open && !errors.Is(err, sshconfig.ErrQuote) && l.Keyword != "" && !strings.HasPrefix(l.Raw, "#") {
			t.Errorf("cut at %d (%q): %+v, %v; want ErrQuote", i, line[:i], l, err)
		}
	}
}

// FuzzSplitLine checks that SplitLine never panics, that its arguments
// re-quoted split back to themselves, and that Raw is a suffix of the
// line.
func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{"Port 22", `HostName "a b" 'c' d\ e # x`, "Port = =22", `X a\`, "Match User=alice", `"K" v`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := sshconfig.SplitLine(s)
		if err != nil || l.Keyword == "" {
			return
		}
		if !strings.Contains(s, l.Raw) {
			t.Fatalf("Raw %q is not in %q", l.Raw, s)
		}
		var b strings.Builder
		for _, a := range l.Args {
			b.WriteString(" '")
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(a, `\`, `\\`), "'", `\'`))
			b.WriteString("'")
		}
		again, err := sshconfig.Split(b.String())
		if err != nil || !slices.Equal(again, l.Args) {
			t.Fatalf("args %q re-quoted as %q split to %q, %v", l.Args, b.String(), again, err)
		}
		sshconfig.SplitMatch(l.Raw)
	})
}

func BenchmarkSplitLine(b *testing.B) {
	line := `  IdentityFile "~/.ssh/id ed25519" ~/.ssh/id_rsa # keys`
	for b.Loop() {
		if _, err := sshconfig.SplitLine(line); err != nil {
			b.Fatal(err)
		}
	}
}
