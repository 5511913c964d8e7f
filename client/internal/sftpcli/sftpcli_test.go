package sftpcli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSplitRemote(t *testing.T) {
	tests := []struct {
		in                     string
		user, host, port, path string
		ok                     bool
	}{
		{"host:file", "", "host", "", "file", true},
		{"bob@host:/abs/f", "bob", "host", "", "/abs/f", true},
		{"host:", "", "host", "", "", true},
		{"a@b@host:x", "a@b", "host", "", "x", true},
		{"[::1]:dir/f", "", "::1", "", "dir/f", true},
		{"u@[fe80::1]:f", "u", "fe80::1", "", "f", true},
		{"scp://u@h:2222/p/q", "u", "h", "2222", "p/q", true},
		{"scp://h", "", "h", "", "", true},
		{"scp://[::1]:22/x", "", "::1", "22", "x", true},
		{"local", "", "", "", "", false},
		{"./a:b", "", "", "", "", false},
		{"dir/a:b", "", "", "", "", false},
		{":x", "", "", "", "", false},
	}
	for _, tt := range tests {
		u, h, p, path, ok := SplitRemote(tt.in)
		if u != tt.user || h != tt.host || p != tt.port || path != tt.path || ok != tt.ok {
			t.Errorf("SplitRemote(%q) = %q %q %q %q %v, want %q %q %q %q %v", tt.in, u, h, p, path, ok,
				tt.user, tt.host, tt.port, tt.path, tt.ok)
		}
	}
}

func TestArgs(t *testing.T) {
	got := strings.Join(Args([]string{"-oPort=2"}, "bob", "h"), " ")
	if want := "-oPort=2 -l bob -s -- h sftp"; got != want {
		t.Errorf("Args = %q, want %q", got, want)
	}
}

// sftpServer is OpenSSH's sftp-server, run directly (sftp -D): an SFTP
// peer without sshd.
const sftpServer = "/usr/lib/openssh/sftp-server"

func dialServer(t *testing.T) *Conn {
	t.Helper()
	if _, err := os.Stat(sftpServer); err != nil {
		t.Skip("no sftp-server:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, sftpServer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func writeTree(t *testing.T, root string) {
	t.Helper()
	for name, mode := range map[string]fs.FileMode{"a": 0o600, "sub/b": 0o755, "sub/deep/c": 0o444} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(strings.Repeat(name, 5000)), mode); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "sub"), 0o710)
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, p := range []string{"a", "sub/b", "sub/deep/c", "sub/deep", "sub", "."} {
		if err := os.Chtimes(filepath.Join(root, p), mt, mt); err != nil {
			t.Fatal(err)
		}
		mt = mt.Add(time.Hour)
	}
}

func describe(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		rel, _ := filepath.Rel(root, p)
		b.WriteString(rel + " " + fi.Mode().String() + " " + fi.ModTime().UTC().Format(time.RFC3339))
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.WriteString(" " + string(data[:3]))
		}
		b.WriteString("\n")
		return nil
	})
	return b.String()
}

// TestCopierPreserve copies a tree up, down and between two servers
// with Recursive and Preserve, and requires the same modes, mtimes and
// contents at each step.
func TestCopierPreserve(t *testing.T) {
	c1, c2 := dialServer(t), dialServer(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeTree(t, src)
	want := describe(t, src)
	var dirs []string
	cp := &Copier{Recursive: true, Preserve: true, Dir: func(d string) { dirs = append(dirs, d) }}
	r1, r2 := FS{Remote: c1.Client}, FS{Remote: c2.Client}
	steps := []struct {
		name     string
		from     FS
		src      string
		to       FS
		dst      string
		nDirs    int
		rateLimt int64
	}{
		{"up", Local, src, r1, filepath.Join(dir, "up"), 3, 0},
		{"remote to remote", r1, filepath.Join(dir, "up"), r2, filepath.Join(dir, "across"), 3, 0},
		{"down", r2, filepath.Join(dir, "across"), Local, filepath.Join(dir, "down"), 3, 0},
		{"limited", Local, src, Local, filepath.Join(dir, "limited"), 3, 1 << 20},
	}
	for _, s := range steps {
		dirs = nil
		cp.Limit = s.rateLimt
		if err := cp.Copy(s.from, s.src, s.to, s.dst); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := describe(t, s.dst); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", s.name, got, want)
		}
		if len(dirs) != s.nDirs {
			t.Errorf("%s: Dir called for %q", s.name, dirs)
		}
	}
	// Without Recursive a directory is refused.
	if err := (&Copier{}).Copy(Local, src, r1, filepath.Join(dir, "x")); !errors.Is(err, ErrIsDir) {
		t.Errorf("directory without Recursive: %v", err)
	}
	// Without Preserve the mtime is the copy's.
	if err := (&Copier{}).Copy(Local, filepath.Join(src, "a"), r1, filepath.Join(dir, "a2")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "a2")); err != nil || time.Since(fi.ModTime()) > time.Hour || fi.Mode().Perm() != 0o600 {
		t.Errorf("plain copy: %v %v", fi.Mode(), err)
	}
}

// TestDialHostile runs "servers" that exit at once or answer the
// version exchange with garbage: Dial returns an error, never hangs.
func TestDialHostile(t *testing.T) {
	for _, tt := range []struct{ name, script string }{
		{"exits", "exit 3"},
		{"garbage", "head -c 4 /dev/zero; sleep 0.2; printf 'garbage'"},
		{"huge length", "printf '\\377\\377\\377\\377\\002'; cat >/dev/null"},
		{"wrong type", "printf '\\000\\000\\000\\005\\004\\000\\000\\000\\003'; cat >/dev/null"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, "/bin/sh", []string{"-c", tt.script})
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if ctx.Err() != nil {
				t.Fatalf("Dial ran into the timeout: %v", err)
			}
		})
	}
}

// TestDialContext kills a program that never answers when ctx ends.
func TestDialContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, "/bin/sh", []string{"-c", "exec sleep 60"})
	if err == nil {
		t.Fatal("Dial succeeded")
	}
}

// TestCopierResume continues partial copies up and down, and refuses
// a destination larger than the source.
func TestCopierResume(t *testing.T) {
	c := dialServer(t)
	r := FS{Remote: c.Client}
	dir := t.TempDir()
	data := strings.Repeat("resume me ", 10000)
	src := filepath.Join(dir, "src")
	os.WriteFile(src, []byte(data), 0o644)
	cp := &Copier{Resume: true, Fsync: true}
	for _, s := range []struct {
		name string
		from FS
		to   FS
	}{{"down", r, Local}, {"up", Local, r}} {
		dst := filepath.Join(dir, s.name)
		os.WriteFile(dst, []byte(data[:4321]), 0o644)
		if err := cp.Copy(s.from, src, s.to, dst); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if b, _ := os.ReadFile(dst); string(b) != data {
			t.Errorf("%s: %d bytes, want %d", s.name, len(b), len(data))
		}
		os.WriteFile(dst, []byte(data+"x"), 0o644)
		if err := cp.Copy(s.from, src, s.to, dst); !errors.Is(err, ErrResumeLarger) {
			t.Errorf("%s larger: %v", s.name, err)
		}
	}
}

// TestCloseKills: a program that ignores the end of its stdin is
// killed after the grace period.
func TestCloseKills(t *testing.T) {
	if _, err := os.Stat(sftpServer); err != nil {
		t.Skip("no sftp-server:", err)
	}
	defer func(d time.Duration) { closeGrace = d }(closeGrace)
	closeGrace = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// sftp-server, then a sleep that outlives stdin's end.
	c, err := Dial(ctx, "/bin/sh", []string{"-c", sftpServer + "; exec sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not return")
	}
}

// FuzzSplitRemote: any operand splits without panicking, and a remote
// one has a host.
func FuzzSplitRemote(f *testing.F) {
	for _, s := range []string{"h:p", "u@h:p", "[::1]:x", "scp://u@[::1]:22/p", "a/b:c", ":", "scp://", "@:", "[:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, host, _, _, ok := SplitRemote(s)
		if ok && host == "" {
			t.Errorf("SplitRemote(%q): remote without a host", s)
		}
	})
}
