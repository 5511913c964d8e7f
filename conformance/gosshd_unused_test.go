package conformance_test

import (
	"os"
	"strings"
	"testing"
)

// TestGosshdUnusedConnectionTimeoutMatchesSSHD: under
// UnusedConnectionTimeout 1, ssh -N (a connection that never opens a
// channel) is ended by both servers, and a command that runs for three
// timeouts on its session is not cut short.
func TestGosshdUnusedConnectionTimeoutMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("logs in as root")
	}
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	srv, g := kwPair(t, pub, "UnusedConnectionTimeout 1")
	// Without the timeout ssh -N would run until RunSSH's 30 s context
	// kills it; both servers end it (ssh exits 255) well before.
	for i, res := range kwRun(t, srv, g, key, "-N", "127.0.0.1") {
		if res.ExitCode != 255 {
			t.Errorf("server %d: ssh -N exit %d, want 255 (connection closed)\n%s", i, res.ExitCode, res.Stderr)
		}
	}
	for i, res := range kwRun(t, srv, g, key, "127.0.0.1", "sleep 3; echo done") {
		if res.ExitCode != 0 || strings.TrimSpace(string(res.Stdout)) != "done" {
			t.Errorf("server %d: exit %d, stdout %q, want 0 and done\n%s", i, res.ExitCode, res.Stdout, res.Stderr)
		}
	}
	if !strings.Contains(g.logText(), "terminating inactive connection from user root 127.0.0.1 port ") {
		t.Errorf("gosshd did not log the timeout:\n%s", g.logText())
	}
}
