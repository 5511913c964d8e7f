package conformance_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestGosshdInetdMode runs gosshd -i as OpenSSH's ssh meets sshd -i: as
// its ProxyCommand (two pipes), and as inetd starts it, with an accepted
// socket on standard input and output. Each serves one login with a
// command and exits.
func TestGosshdInetdMode(t *testing.T) {
	s := svStart(t, []string{"ed25519"})
	bin := svGosshd(t)
	conf := filepath.Join(s.dir, "sshd_config")

	t.Run("ProxyCommand", func(t *testing.T) {
		res := s.ssh(t, nil, "root", "-o", "HostKeyAlias=[127.0.0.1]:"+s.port, "-o", "ProxyCommand="+bin+" -i -e -f "+conf, "inetd-host", "echo proxied")
		if res.ExitCode != 0 || string(res.Stdout) != "proxied\n" {
			t.Fatalf("ssh through gosshd -i: status %d, stdout %q, stderr %s", res.ExitCode, res.Stdout, res.Stderr)
		}
	})

	t.Run("socket", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		done := make(chan error, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				done <- err
				return
			}
			f, err := c.(*net.TCPConn).File()
			c.Close()
			if err != nil {
				done <- err
				return
			}
			defer f.Close()
			cmd := exec.Command(bin, "-i", "-e", "-f", conf)
			cmd.Stdin, cmd.Stdout = f, f
			logf, err := os.Create(filepath.Join(s.dir, "inetd.log"))
			if err != nil {
				done <- err
				return
			}
			defer logf.Close()
			cmd.Stderr = logf
			cmd.WaitDelay = 5 * time.Second
			done <- cmd.Run()
		}()
		port := l.Addr().(*net.TCPAddr).Port
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Not s.ssh: its -p, the first, would win.
		res, err := sshdtest.RunSSH(ctx, nil, "-p", itoa(port), "-o", "HostKeyAlias=[127.0.0.1]:"+s.port,
			"-o", "UserKnownHostsFile="+s.knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
			"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", s.userKey, "-l", "root", "127.0.0.1", "echo inetd")
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 || string(res.Stdout) != "inetd\n" {
			t.Fatalf("ssh to gosshd -i on a socket: status %d, stdout %q, stderr %s", res.ExitCode, res.Stdout, res.Stderr)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gosshd -i: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("gosshd -i did not exit after its connection")
		}
		if log, _ := os.ReadFile(filepath.Join(s.dir, "inetd.log")); !strings.Contains(string(log), "Accepted publickey for root from 127.0.0.1") {
			t.Errorf("gosshd -i log:\n%s", log)
		}
	})
}
