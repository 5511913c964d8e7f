package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSecurePath follows OpenSSH's safe_path (misc.c): the file and each
// directory up to the home directory owned by the user or root and not
// writable by group or others.
func TestSecurePath(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	const uid = 4242
	tests := []struct {
		name  string
		setup func(home, ssh, ak string)
		home  bool // pass the home directory (else the walk goes to /)
		ok    bool
	}{
		{"user's files", func(h, s, a string) {}, true, true},
		{"root-owned file", func(h, s, a string) { os.Chown(a, 0, 0) }, true, true},
		{"group-writable file", func(h, s, a string) { os.Chmod(a, 0o620) }, true, false},
		{"world-writable file", func(h, s, a string) { os.Chmod(a, 0o602) }, true, false},
		{"other user's file", func(h, s, a string) { os.Chown(a, uid+1, 0) }, true, false},
		{"group-writable .ssh", func(h, s, a string) { os.Chmod(s, 0o770) }, true, false},
		{"group-writable home", func(h, s, a string) { os.Chmod(h, 0o775) }, true, false},
		{"other user's home", func(h, s, a string) { os.Chown(h, uid+1, 0) }, true, false},
		// Above the home directory nothing is checked; without it the
		// walk reaches /tmp, mode 1777, which sshd refuses too.
		{"no home: up to /", func(h, s, a string) {}, false, false},
		{"symlink out of home", func(h, s, a string) {
			out := filepath.Join(filepath.Dir(h), "elsewhere")
			os.WriteFile(out, []byte("x"), 0o600)
			os.Chown(out, uid, 0)
			os.Remove(a)
			os.Symlink(out, a)
		}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			ssh := filepath.Join(home, ".ssh")
			ak := filepath.Join(ssh, "authorized_keys")
			os.MkdirAll(ssh, 0o700)
			os.Chmod(home, 0o755)
			os.WriteFile(ak, []byte("x"), 0o600)
			for _, p := range []string{home, ssh, ak} {
				os.Chown(p, uid, 0)
			}
			tt.setup(home, ssh, ak)
			st, err := os.Stat(ak)
			if err != nil {
				t.Fatal(err)
			}
			h := ""
			if tt.home {
				h = home
			}
			err = securePath(ak, st, h, uid)
			if (err == nil) != tt.ok {
				t.Errorf("securePath: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestStrictModesAuthorizedKeys: with StrictModes yes a group-writable
// authorized_keys gives no keys, with no it does; a FIFO is never read.
func TestStrictModesAuthorizedKeys(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	home := filepath.Join(t.TempDir(), "home")
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.Chmod(home, 0o755)
	ak := filepath.Join(home, ".ssh", "authorized_keys")
	os.WriteFile(ak, []byte("keys"), 0o600)
	os.Chmod(ak, 0o660) // past the umask
	a := &account{Name: "u", UID: 0, Home: home}
	for _, strict := range []bool{true, false} {
		c := defaultConfig()
		c.more.StrictModes = strict
		p := &policy{cfg: c}
		if _, ok := p.readUserFile(ak, a, "authorized keys"); ok == strict {
			t.Errorf("StrictModes %v: read %v", strict, ok)
		}
	}
	fifo := filepath.Join(home, ".ssh", "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	if _, ok := (&policy{cfg: defaultConfig()}).readUserFile(fifo, a, "authorized keys"); ok {
		t.Error("read a FIFO")
	}
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o600) }
