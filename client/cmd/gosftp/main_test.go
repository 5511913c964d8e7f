package main

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"get a b", []string{"get", "a", "b"}},
		{"  put\t-p  x  ", []string{"put", "-p", "x"}},
		{`get "a b" 'c d'`, []string{"get", "a b", "c d"}},
		{`rm a\ b`, []string{"rm", "a b"}},
		{`ls "q\"x"`, []string{"ls", `q"x`}},
		{`ls ''`, []string{"ls", ""}},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := splitArgs(`get "a`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// TestStrMode checks strmode(3)'s letters, as OpenSSH's sftp prints
// them in ls -l.
func TestStrMode(t *testing.T) {
	tests := []struct {
		mode uint32
		want string
	}{
		{0o100644, "-rw-r--r-- "},
		{0o040755, "drwxr-xr-x "},
		{0o120777, "lrwxrwxrwx "},
		{0o104755, "-rwsr-xr-x "},
		{0o102644, "-rw-r-Sr-- "},
		{0o041777, "drwxrwxrwt "},
		{0o041776, "drwxrwxrwT "},
		{0o010600, "prw------- "},
		{0o140755, "srwxr-xr-x "},
		{0o020620, "crw--w---- "},
		{0o060660, "brw-rw---- "},
	}
	for _, tt := range tests {
		if got := strMode(tt.mode); got != tt.want {
			t.Errorf("strMode(%o) = %q, want %q", tt.mode, got, tt.want)
		}
	}
}

func TestStripPath(t *testing.T) {
	tests := []struct{ p, strip, want string }{
		{"/home/u/a", "/home/u", "a"},
		{"/home/u/a", "/home/u/", "a"},
		{"/home/ux/a", "/home/u", "/home/ux/a"},
		{"/a", "", "/a"},
		{"/a", "/", "a"},
	}
	for _, tt := range tests {
		if got := stripPath(tt.p, tt.strip); got != tt.want {
			t.Errorf("stripPath(%q, %q) = %q, want %q", tt.p, tt.strip, got, tt.want)
		}
	}
}

func TestScaled(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 4096: "4.0K", 150 << 20: "150M", 19 << 30: "19.0G"} {
		if got := scaled(n); got != want {
			t.Errorf("scaled(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestLongLine checks the ls -l layout (recorded from OpenSSH 9.2's
// sftp against its sshd): 11-character mode, "?" links, owner and group
// padded to 8, size in 8, and the date with a year past six months.
func TestLongLine(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 15, 0, 0, time.Local)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.Local)
	fi := sftpInfo{name: "a.txt", st: &sftp.FileStat{Mode: 0o100644, Size: 6, Mtime: uint32(old.Unix()), UID: 4242424, GID: 4242424}}
	got := longLine(entry{"/tmp/d/a.txt", fi}, false, true, now)
	want := "-rw-r--r--    ? 4242424  4242424         6 Jan  2  2020 /tmp/d/a.txt"
	if got != want {
		t.Errorf("longLine =\n%q, want\n%q", got, want)
	}
	fi.st.Mtime = uint32(now.Add(-time.Hour).Unix())
	if got := longLine(entry{"a", fi}, false, false, now); !strings.Contains(got, " Dec  7 00:15 a") {
		t.Errorf("recent file: %q", got)
	}
}

func TestParseFlags(t *testing.T) {
	f, err := parseFlags([]string{"-P", "2222", "-i", "k", "-oBatchMode=yes", "-rp", "-b", "cmds", "-J", "j", "u@h:/x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-oPort=2222", "-i", "k", "-o", "BatchMode=yes", "-J", "j"}; !slices.Equal(f.sshArgs, want) {
		t.Errorf("ssh args %q, want %q", f.sshArgs, want)
	}
	if !f.recursive || !f.preserve || f.batch != "cmds" || !f.quiet || f.dest != "u@h:/x" {
		t.Errorf("flags %+v", f)
	}
	for _, bad := range [][]string{{}, {"-Z", "h"}, {"-B", "x", "h"}, {"-P"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

// sftpInfo is a FileInfo whose Sys is an SFTP attribute block.
type sftpInfo struct {
	name string
	st   *sftp.FileStat
}

func (s sftpInfo) Name() string       { return s.name }
func (s sftpInfo) Size() int64        { return int64(s.st.Size) }
func (s sftpInfo) Mode() fs.FileMode  { return fs.FileMode(s.st.Mode & 0o777) }
func (s sftpInfo) ModTime() time.Time { return time.Unix(int64(s.st.Mtime), 0) }
func (s sftpInfo) IsDir() bool        { return s.st.Mode&0o170000 == 0o040000 }
func (s sftpInfo) Sys() any           { return s.st }

// FuzzSplitArgs: any command line splits without panicking, and a line
// without quotes or backslashes splits as strings.Fields does.
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`get "a b" c`, `'x`, `a\`, `\\ \"`, "ls\t-l  x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := splitArgs(s)
		if !strings.ContainsAny(s, "'\"\\") {
			if want := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }); err != nil || !slices.Equal(got, want) {
				t.Errorf("splitArgs(%q) = %q, %v; want %q", s, got, err, want)
			}
		}
	})
}
