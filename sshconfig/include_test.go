package sshconfig_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/sshconfig"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// flatten lists "file:line keyword" for every line, included ones
// after their Include line, indented by depth.
func flatten(f *sshconfig.File, depth int, out *[]string) {
	for _, l := range f.Lines {
		*out = append(*out, strings.Repeat(">", depth)+filepath.Base(l.File)+":"+l.Keyword)
		for _, inc := range l.Include {
			flatten(inc, depth+1, out)
		}
	}
}

func TestInclude(t *testing.T) {
	home := t.TempDir()
	ssh := filepath.Join(home, ".ssh")
	write(t, filepath.Join(ssh, "conf.d", "b.conf"), "B 1\n")
	write(t, filepath.Join(ssh, "conf.d", "a.conf"), "A 1\nInclude nested/*\n")
	write(t, filepath.Join(ssh, "conf.d", ".hidden.conf"), "Hidden 1\n")
	write(t, filepath.Join(ssh, "nested", "n"), "N 1\n")
	write(t, filepath.Join(ssh, "dot", ".only"), "Dot 1\n")
	write(t, filepath.Join(ssh, "config"), `Top 1
Include conf.d/*.conf
Host x
  Include ~/.ssh/dot/.* missing/*
Include "`+filepath.Join(ssh, "nested", "n")+`"
`)
	f, err := sshconfig.Read(filepath.Join(ssh, "config"), sshconfig.UserOptions(home))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	flatten(f, 0, &got)
	want := []string{"config:Top", "config:Include", ">a.conf:A", ">a.conf:Include", ">>n:N", ">b.conf:B",
		"config:Host", "config:Include", ">.only:Dot", "config:Include", ">n:N"}
	if !slices.Equal(got, want) {
		t.Errorf("lines\n got %q\nwant %q", got, want)
	}
}

func TestIncludeRules(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "self"), "Include "+filepath.Join(dir, "self")+"\n")
	write(t, filepath.Join(dir, "tilde"), "Include ~/x\n")
	write(t, filepath.Join(dir, "empty"), "Include \"\"\n")
	write(t, filepath.Join(dir, "open"), "A 1\nInclude \"x\n")
	write(t, filepath.Join(dir, "loose.conf"), "A 1\n")
	os.Chmod(filepath.Join(dir, "loose.conf"), 0o664)
	write(t, filepath.Join(dir, "loose"), "Include "+filepath.Join(dir, "loose.conf")+"\n")
	for _, tt := range []struct {
		file string
		opt  sshconfig.Options
		want error
		line int
	}{
		{"self", sshconfig.ServerOptions(), sshconfig.ErrInclude, 1},
		{"tilde", sshconfig.SystemOptions(), sshconfig.ErrInclude, 1},
		{"empty", sshconfig.ServerOptions(), sshconfig.ErrInclude, 1},
		{"open", sshconfig.ServerOptions(), sshconfig.ErrQuote, 2},
		{"loose", sshconfig.UserOptions(dir), sshconfig.ErrInclude, 1},
	} {
		_, err := sshconfig.Read(filepath.Join(dir, tt.file), tt.opt)
		var se *sshconfig.SyntaxError
		if !errors.Is(err, tt.want) || !errors.As(err, &se) || se.Line != tt.line {
			t.Errorf("%s: %v; want %v at line %d", tt.file, err, tt.want, tt.line)
		}
	}
	// sshd takes '~' literally; a group-writable file is fine for it.
	if _, err := sshconfig.Read(filepath.Join(dir, "tilde"), sshconfig.ServerOptions()); err != nil {
		t.Errorf("sshd rules, Include ~/x: %v", err)
	}
	if _, err := sshconfig.Read(filepath.Join(dir, "loose"), sshconfig.ServerOptions()); err != nil {
		t.Errorf("sshd rules, group-writable include: %v", err)
	}
	if _, err := sshconfig.Read(filepath.Join(dir, "nonexistent"), sshconfig.ServerOptions()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

// TestIncludeDepth: 16 nested levels are fine, 17 are not, as
// READCONF_MAX_DEPTH.
func TestIncludeDepth(t *testing.T) {
	dir := t.TempDir()
	chain := func(n int) string {
		for i := 0; i < n; i++ {
			write(t, filepath.Join(dir, "f"+string(rune('a'+i))), "Include f"+string(rune('a'+i+1))+"\n")
		}
		write(t, filepath.Join(dir, "f"+string(rune('a'+n))), "Port 22\n")
		return filepath.Join(dir, "fa")
	}
	opt := sshconfig.Options{IncludeDir: dir, Server: true}
	if _, err := sshconfig.Read(chain(16), opt); err != nil {
		t.Errorf("16 levels: %v", err)
	}
	if _, err := sshconfig.Read(chain(17), opt); !errors.Is(err, sshconfig.ErrInclude) {
		t.Errorf("17 levels: %v, want ErrInclude", err)
	}
}

func TestGlob(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a/1.conf", "a/2.conf", "a/.3.conf", "b/1.conf", ".c/1.conf", "x[1]"} {
		write(t, filepath.Join(dir, n), "")
	}
	for _, tt := range []struct {
		pat  string
		want []string
	}{
		{"*/1.conf", []string{"a/1.conf", "b/1.conf"}},
		{"a/*", []string{"a/1.conf", "a/2.conf"}},
		{"a/.*", []string{"a/.3.conf"}},
		{".*/*", []string{".c/1.conf"}},
		{"a/?.conf", []string{"a/1.conf", "a/2.conf"}},
		{"a/[2-9].conf", []string{"a/2.conf"}},
		{"a/1.conf", []string{"a/1.conf"}},
		{"a/none", nil},
		{"none/*", nil},
	} {
		got, err := sshconfig.Glob(filepath.Join(dir, tt.pat))
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i], _ = filepath.Rel(dir, got[i])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Glob(%q) = %q, want %q", tt.pat, got, tt.want)
		}
	}
}

// FuzzParse checks that no file text panics Parse, and that every line
// it returns has a keyword and a line number within the text.
func FuzzParse(f *testing.F) {
	f.Add("Host a\n  User b # c\nMatch all\n\tPort=22\n")
	f.Add("Include nothing-matches-this-*\nX \"y\n")
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(strings.ToLower(text), "include") {
			return // no file reads from fuzz input
		}
		file, err := sshconfig.Parse(strings.NewReader(text), "fuzz", sshconfig.ServerOptions())
		if err != nil {
			var se *sshconfig.SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a SyntaxError with a line", err)
			}
			return
		}
		lines := strings.Count(text, "\n") + 1
		for _, l := range file.Lines {
			if l.Keyword == "" || l.Num < 1 || l.Num > lines {
				t.Fatalf("line %+v out of %d", l, lines)
			}
		}
	})
}
