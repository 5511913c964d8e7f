package conformance_test

import (
	"strings"
	"testing"
)

// TestGosshdChannelTimeoutMatchesSSHD: with a 2 s ChannelTimeout, a
// session that stays silent is closed by both sshd and gosshd (ssh gets
// no exit status and exits 255, and the command's last words never
// arrive), a session that prints every half second outlives the
// interval in both, and a pattern that names another session type
// leaves the command alone in both.
func TestGosshdChannelTimeoutMatchesSSHD(t *testing.T) {
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	const (
		idle = "sleep 5; echo done"
		busy = "for i in 1 2 3 4 5 6 7 8; do echo tick; sleep 0.5; done"
	)
	for _, tc := range []struct {
		name, setting, cmd string
		closed             bool
		out                string
	}{
		{"idle command closed", "session:command=2", idle, true, ""},
		{"idle closed by wildcard", "direct-tcpip=1 session:*=2", idle, true, ""},
		{"busy command kept", "session:command=2", busy, false, strings.Repeat("tick\n", 8)},
		{"other type only", "session:shell=2 x11-connection=1", "sleep 3; echo done", false, "done\n"},
		{"first match wins", "session:command=0 session:*=2", "sleep 3; echo done", false, "done\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, g := kwPair(t, pub, "ChannelTimeout "+tc.setting)
			sshdLog, gosshdLog := len(srv.Log()), len(g.logText())
			res := kwRun(t, srv, g, key, "127.0.0.1", tc.cmd)
			for i, name := range []string{"sshd", "gosshd"} {
				r := res[i]
				if closed := r.ExitCode == 255; closed != tc.closed || string(r.Stdout) != tc.out {
					t.Errorf("%s: exit %d stdout %q, want closed %v with %q\n%s", name, r.ExitCode, r.Stdout, tc.closed, tc.out, r.Stderr)
				}
			}
			if tc.closed {
				for name, log := range map[string]string{"sshd": srv.Log()[sshdLog:], "gosshd": g.logText()[gosshdLog:]} {
					if !strings.Contains(log, "seconds of inactivity") {
						t.Errorf("%s did not log the inactivity close:\n%s", name, tail(log))
					}
				}
			}
		})
	}
}
