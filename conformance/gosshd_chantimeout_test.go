package conformance_test

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
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

// TestGosshdChannelTimeoutForwardingMatchesSSHD: under
// "ChannelTimeout direct-tcpip=2", a connection through ssh -L that
// stays silent is closed by both sshd and gosshd, and one that keeps
// echoing outlives the interval in both.
func TestGosshdChannelTimeoutForwardingMatchesSSHD(t *testing.T) {
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	srv, g := kwPair(t, pub, "ChannelTimeout direct-tcpip=2", "AllowTcpForwarding yes")
	for _, s := range []struct{ name, port string }{{"sshd", strconv.Itoa(srv.Port)}, {"gosshd", g.port}} {
		t.Run(s.name, func(t *testing.T) {
			lport, err := sshdtest.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(sshdtest.SSH, "-N", "-p", s.port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "ExitOnForwardFailure=yes", "-i", key,
				"-L", fmt.Sprintf("127.0.0.1:%d:%s", lport, echo.Addr().String()), "root@127.0.0.1")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			dial := func() net.Conn {
				deadline := time.Now().Add(15 * time.Second)
				for {
					c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", lport))
					if err == nil {
						c.SetDeadline(time.Now().Add(20 * time.Second))
						if _, err = c.Write([]byte("x")); err == nil {
							if _, err = io.ReadFull(c, make([]byte, 1)); err == nil {
								return c
							}
						}
						c.Close()
					}
					if time.Now().After(deadline) {
						t.Fatalf("forwarding never worked: %v", err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			busy := dial()
			defer busy.Close()
			idle := dial()
			defer idle.Close()
			buf := make([]byte, 4)
			for range 10 { // 5 s, every 0.5 s
				if _, err := busy.Write([]byte("ping")); err != nil {
					t.Fatalf("busy connection: %v", err)
				}
				if _, err := io.ReadFull(busy, buf); err != nil {
					t.Fatalf("busy connection closed: %v", err)
				}
				time.Sleep(500 * time.Millisecond)
			}
			if n, err := idle.Read(buf); err == nil {
				t.Fatalf("idle connection still open: read %d bytes", n)
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("idle connection not closed: %v", err)
			}
		})
	}
}
