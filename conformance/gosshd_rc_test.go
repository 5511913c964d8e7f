package conformance_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// homeUser creates a throwaway account whose home directory is a fresh
// temporary directory, and removes both when the test ends. Its password
// is "*": no password logs in, but the account is not locked, which sshd
// without PAM would take for an invalid user.
func homeUser(t *testing.T) (name, home string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating a local account needs root")
	}
	home, err := os.MkdirTemp("", "gosshd-rc-home")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	var rnd [4]byte
	rand.Read(rnd[:])
	name = "ssrc" + hex.EncodeToString(rnd[:])
	if out, err := exec.Command("/usr/sbin/useradd", "-M", "-N", "-d", home, "-s", "/bin/sh", "-p", "*", "-c", "sshstack test", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("/usr/sbin/userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	os.Chmod(home, 0o755)
	return name, home
}

// TestGosshdUserRC: gosshd runs ~/.ssh/rc before the command, as sshd
// does (sshd(8), SSHRC): through the user's shell, as the user, with
// "PROTO COOKIE" on stdin when X11 is forwarded, in which case gosshd
// leaves xauth to the rc file. Not under PermitUserRC no (from a Match),
// nor for a key with no-user-rc.
func TestGosshdUserRC(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	name, home := homeUser(t)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	uaWrite(t, filepath.Join(home, ".ssh", "rc"), []byte("read proto cookie\necho \"rc: user=$(id -un) proto=$proto cookie=${#cookie}\"\n"), 0o644)
	if out, err := exec.Command("chown", "-R", name, home).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	s := svStart(t, []string{"ed25519"}, "X11Forwarding yes", "Match Address 127.0.0.2", "\tPermitUserRC no")
	norc := filepath.Join(s.dir, "id_norc")
	sshdtest.GenerateKey(t, "ed25519", norc, "")
	pub, _ := os.ReadFile(s.userKey + ".pub")
	pubNoRC, _ := os.ReadFile(norc + ".pub")
	uaWrite(t, filepath.Join(s.dir, name+".keys"), append(append([]byte{}, pub...), append([]byte("no-user-rc "), pubNoRC...)...), 0o644)

	run := func(t *testing.T, key string, args ...string) (string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		base := []string{"-p", s.port, "-o", "UserKnownHostsFile=" + s.knownHosts, "-o", "StrictHostKeyChecking=yes",
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", key, "-l", name}
		res, err := sshdtest.RunSSH(ctx, nil, append(base, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("exit %d\n%s\n%s", res.ExitCode, res.Stderr, tail(s.logText()))
		}
		return string(res.Stdout), string(res.Stderr)
	}
	rcLine := "rc: user=" + name + " proto= cookie=0\n"
	t.Run("runs before the command", func(t *testing.T) {
		if out, _ := run(t, s.userKey, "127.0.0.1", "echo command"); out != rcLine+"command\n" {
			t.Errorf("stdout %q, want %q", out, rcLine+"command\n")
		}
	})
	t.Run("PermitUserRC no", func(t *testing.T) {
		if out, _ := run(t, s.userKey, "-b", "127.0.0.2", "127.0.0.1", "echo command"); out != "command\n" {
			t.Errorf("stdout %q, want the command's output only", out)
		}
	})
	t.Run("no-user-rc", func(t *testing.T) {
		if out, _ := run(t, norc, "127.0.0.1", "echo command"); out != "command\n" {
			t.Errorf("stdout %q, want the command's output only", out)
		}
	})
	t.Run("X11 cookie on stdin, no xauth of its own", func(t *testing.T) {
		if _, err := exec.LookPath("xauth"); err != nil {
			sshdtest.MissingPeer(t, "xauth not installed")
		}
		m, _ := fakeXServer(t)
		display := fmt.Sprintf("127.0.0.1:%d", m)
		clientAuth := filepath.Join(t.TempDir(), "client.xauth")
		cookie := make([]byte, 16)
		rand.Read(cookie)
		if out, err := exec.Command("xauth", "-f", clientAuth, "add", display, "MIT-MAGIC-COOKIE-1", hex.EncodeToString(cookie)).CombinedOutput(); err != nil {
			t.Fatalf("xauth add: %v\n%s", err, out)
		}
		t.Setenv("DISPLAY", display)
		t.Setenv("XAUTHORITY", clientAuth)
		out, stderr := run(t, s.userKey, "-Y", "127.0.0.1", "echo DISPLAY=$DISPLAY; xauth list $DISPLAY 2>/dev/null | wc -l")
		want := "rc: user=" + name + " proto=MIT-MAGIC-COOKIE-1 cookie=32\n"
		if !strings.HasPrefix(out, want) || !strings.Contains(out, "DISPLAY=localhost:") || !strings.HasSuffix(out, "\n0\n") {
			t.Errorf("stdout %q, want %q, a DISPLAY and no xauth entry (the rc file's job)\n%s", out, want, stderr)
		}
	})
}
