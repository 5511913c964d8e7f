package wiretest

import (
	"os"
	"testing"
)

// RequirePeersEnv is set by .ci/run, which installs every real peer the
// tests drive (OpenSSH, paramiko, MIT Kerberos, tshark, ...).
const RequirePeersEnv = "SSHSTACK_REQUIRE_PEERS"

// MissingPeer reports that a real peer a test needs is not on this
// machine: the test is skipped on a developer's machine and fails under
// .ci/run, where a skip would pass off an interop test that never ran.
// It is in the lowest test helper package so that every module's tests
// can use it.
func MissingPeer(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequirePeersEnv) != "" {
		t.Fatalf("peer missing although %s is set: "+format, append([]any{RequirePeersEnv}, args...)...)
	}
	t.Skipf(format, args...)
}
