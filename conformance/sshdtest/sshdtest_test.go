package sshdtest_test

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
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
