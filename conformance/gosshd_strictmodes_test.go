package conformance_test

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestGosshdStrictModesMatchesSSHD: with StrictModes yes, sshd and gosshd
// read ~/.ssh/authorized_keys of a throwaway account only when it, ~/.ssh
// and the home directory are owned by the user (or root, for the file)
// and not writable by group or others; a file reached through a symlink
// out of the home directory, or one under /tmp (mode 1777) named by an
// absolute AuthorizedKeysFile, is refused by both. Under StrictModes no
// both take the group-writable file.
func TestGosshdStrictModesMatchesSSHD(t *testing.T) {
	name, home := homeUser(t)
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	ssh := filepath.Join(home, ".ssh")
	ak := filepath.Join(ssh, "authorized_keys")
	tmpKeys := filepath.Join(dir, name+".keys")
	files := "AuthorizedKeysFile .ssh/authorized_keys " + dir + "/%u.keys"

	type pair struct {
		srv *sshdtest.Server
		g   *svServer
	}
	start := func(strict string) pair {
		cfg := []string{files, "StrictModes " + strict, "PasswordAuthentication no", "KbdInteractiveAuthentication no"}
		return pair{sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: cfg}), svStart(t, []string{"ed25519"}, cfg...)}
	}
	strict, lax := start("yes"), start("no")
	login := func(p pair) [2]bool {
		var out [2]bool
		for i, port := range []string{strconv.Itoa(p.srv.Port), p.g.port} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			res, err := sshdtest.RunSSH(ctx, nil, "-p", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", key, "-l", name, "127.0.0.1", "echo in")
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			out[i] = res.ExitCode == 0 && strings.TrimSpace(string(res.Stdout)) == "in"
		}
		return out
	}
	reset := func() {
		os.RemoveAll(ssh)
		os.Remove(tmpKeys)
		os.Mkdir(ssh, 0o700)
		os.WriteFile(ak, pub, 0o600)
		for _, p := range []string{home, ssh, ak} {
			os.Lchown(p, uid, -1)
		}
		os.Chmod(home, 0o755)
	}
	for _, tc := range []struct {
		name  string
		setup func()
		p     pair
		want  bool
	}{
		{"user's files", func() {}, strict, true},
		{"group-writable authorized_keys", func() { os.Chmod(ak, 0o620) }, strict, false},
		{"world-writable authorized_keys", func() { os.Chmod(ak, 0o602) }, strict, false},
		{"root-owned authorized_keys", func() { os.Chown(ak, 0, 0); os.Chmod(ak, 0o644) }, strict, true},
		{"another user's authorized_keys", func() { os.Chown(ak, 65534, -1) }, strict, false},
		{"group-writable ~/.ssh", func() { os.Chmod(ssh, 0o770) }, strict, false},
		{"group-writable home", func() { os.Chmod(home, 0o775) }, strict, false},
		{"symlink out of home", func() {
			out := filepath.Join(dir, "elsewhere")
			os.WriteFile(out, pub, 0o600)
			os.Chown(out, uid, -1)
			os.Remove(ak)
			os.Symlink(out, ak)
		}, strict, false},
		{"file under /tmp", func() { os.Remove(ak); os.WriteFile(tmpKeys, pub, 0o644) }, strict, false},
		{"group-writable authorized_keys, StrictModes no", func() { os.Chmod(ak, 0o620) }, lax, true},
		{"file under /tmp, StrictModes no", func() {
			// sshd opens the file as the user: the test directories
			// must let it through (gosshd reads as root).
			os.Chmod(filepath.Dir(dir), 0o755)
			os.Chmod(dir, 0o755)
			os.Remove(ak)
			os.WriteFile(tmpKeys, pub, 0o644)
		}, lax, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reset()
			tc.setup()
			got := login(tc.p)
			if got[0] != tc.want || got[1] != tc.want {
				t.Errorf("logged in: sshd %v, gosshd %v; want %v\nsshd log:\n%s\ngosshd log:\n%s", got[0], got[1], tc.want,
					tail(tc.p.srv.Log()), tail(tc.p.g.logText()))
			}
		})
	}
	if !strings.Contains(strict.g.logText(), "Authentication refused: bad ownership or modes for file "+ak) {
		t.Errorf("gosshd lacks sshd's line for the group-writable file")
	}
}
