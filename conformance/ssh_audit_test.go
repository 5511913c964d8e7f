package conformance_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestSSHAuditGosshd audits gosshd with ssh-audit (Debian's 2.5.0) as an
// admin would (docs/security.md#l5): with an Ed25519 and an RSA host key and
// the default algorithms, no [fail] finding, and the pinned policy
// testdata/ssh-audit/gosshd.policy (exact kex, cipher, MAC and host key
// lists, RSA size, group-exchange modulus) passes. ssh-audit 2.5.0
// predates Terrapin and has no check for it; strict kex is tested in
// kex and against OpenSSH. Each audit gets a fresh gosshd, so that its
// probes, which never authenticate, stay under the per-source penalty.
func TestSSHAuditGosshd(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	audit, err := exec.LookPath("ssh-audit")
	if err != nil {
		sshdtest.MissingPeer(t, "ssh-audit not installed (.ci/run installs it)")
	}
	run := func(t *testing.T, args ...string) (string, int) {
		t.Helper()
		s := svStart(t, []string{"ed25519", "rsa"})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, audit, append(args, "-p", s.port, "127.0.0.1")...).CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	t.Run("no failures", func(t *testing.T) {
		out, _ := run(t, "-n")
		if strings.Contains(out, "[fail]") {
			t.Errorf("ssh-audit reports failures:\n%s", out)
		}
		if !strings.Contains(out, "(kex) curve25519-sha256") || !strings.Contains(out, "(key) ssh-ed25519") {
			t.Errorf("ssh-audit did not see gosshd's algorithms:\n%s", out)
		}
	})
	t.Run("pinned policy", func(t *testing.T) {
		out, code := run(t, "-P", "testdata/ssh-audit/gosshd.policy")
		if code != 0 || !strings.Contains(out, "Passed") {
			t.Errorf("policy audit: exit %d\n%s", code, out)
		}
	})
}
