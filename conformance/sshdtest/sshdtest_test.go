package sshdtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOpenSSHPair checks the harness itself: OpenSSH's ssh logs in to the
// throwaway sshd with a fresh key, runs a command, and sees its exit status.
func TestOpenSSHPair(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	sshdtest.GenerateKey(t, "ed25519", key, "")
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Options{AuthorizedKeys: pub})
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(srv.KnownHostsLine(t, "ed25519")), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := sshdtest.RunSSH(ctx, nil,
		"-p", strconv.Itoa(srv.Port), "-i", key, "-o", "UserKnownHostsFile="+kh,
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
		"-o", "HostKeyAlgorithms=ssh-ed25519", "-l", currentUser(t),
		"127.0.0.1", "echo hello; exit 7")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 || strings.TrimSpace(string(res.Stdout)) != "hello" {
		t.Fatalf("ssh: exit %d, stdout %q, stderr %s\nsshd log:\n%s", res.ExitCode, res.Stdout, res.Stderr, srv.Log())
	}
}

func currentUser(t *testing.T) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

// TestDaemonStop: StartDaemon waits for the ready condition; Stop kills
// a daemon that ignores the signal after the grace period and says so
// (ErrKilled), and a second Stop returns the same.
func TestDaemonStop(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command("/bin/sh", "-c", "trap '' TERM; echo listening > "+ready+"; sleep 60")
	d, err := sshdtest.StartDaemon(cmd, sshdtest.LogContains(ready, "listening"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(syscall.SIGTERM, 200*time.Millisecond); !errors.Is(err, sshdtest.ErrKilled) {
		t.Errorf("Stop: %v, want ErrKilled", err)
	}
	if err := d.Stop(syscall.SIGTERM, time.Second); !errors.Is(err, sshdtest.ErrKilled) {
		t.Errorf("second Stop: %v", err)
	}
	select {
	case <-d.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

// TestDaemonNotReady: a daemon that exits, or never becomes ready, is
// an error, and is not left running.
func TestDaemonNotReady(t *testing.T) {
	if _, err := sshdtest.StartDaemon(exec.Command("/bin/true"), func() bool { return false }, 10*time.Second); err == nil {
		t.Error("exited daemon: no error")
	}
	cmd := exec.Command("/bin/sleep", "60")
	if _, err := sshdtest.StartDaemon(cmd, func() bool { return false }, 100*time.Millisecond); err == nil {
		t.Error("never ready: no error")
	}
	if cmd.ProcessState == nil {
		t.Error("the daemon that never became ready was not waited for")
	}
}

// TestDaemonWait: Wait returns nil for a daemon that exits by itself
// within the grace period, ErrKilled for one that does not.
func TestDaemonWait(t *testing.T) {
	dir := t.TempDir()
	start := func(script string) *sshdtest.Daemon {
		t.Helper()
		ready := filepath.Join(dir, "ready")
		os.Remove(ready)
		d, err := sshdtest.StartDaemon(exec.Command("/bin/sh", "-c", "echo up > "+ready+"; "+script), sshdtest.LogContains(ready, "up"), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if err := start("sleep 0.2").Wait(10 * time.Second); err != nil {
		t.Errorf("exiting daemon: %v", err)
	}
	if err := start("sleep 60").Wait(200 * time.Millisecond); !errors.Is(err, sshdtest.ErrKilled) {
		t.Errorf("lingering daemon: %v, want ErrKilled", err)
	}
}
