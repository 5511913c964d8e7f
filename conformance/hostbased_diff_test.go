package conformance_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// Hostbased authentication (RFC 4252, Section 9) decided alike by
// OpenSSH's sshd and gosshd, with OpenSSH's ssh and gossh as clients,
// both signing through the real setuid ssh-keysign.
//
// ssh-keysign runs only if /etc/ssh/ssh_config says EnableSSHKeysign
// yes, and signs with /etc/ssh/ssh_host_*_key. The test changes none of
// those files: it runs each client in a private mount namespace
// (unshare -m) where a test ssh_config and a test client host key are
// bind-mounted over them, so the helper, its checks (client host name
// against the socket's local address, local user, request format) and
// its signature are OpenSSH's own, and nothing outside the namespace
// sees the mounts.

// hbKeysignWrap returns the argv prefix that runs a client in such a
// namespace, or skips the test.
func hbKeysignWrap(t *testing.T, hostKey string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("hostbased needs root: ssh-keysign's mounts and a test account")
	}
	for _, p := range []string{"/usr/lib/openssh/ssh-keysign", "/usr/bin/unshare", "/etc/ssh/ssh_config", "/etc/ssh/ssh_host_ed25519_key"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s: %v", p, err)
		}
	}
	cfg := uaWrite(t, filepath.Join(t.TempDir(), "ssh_config"), []byte("Host *\n  EnableSSHKeysign yes\n"), 0o644)
	script := fmt.Sprintf("mount --bind %s /etc/ssh/ssh_config && mount --bind %s /etc/ssh/ssh_host_ed25519_key && "+
		"mount --bind %s.pub /etc/ssh/ssh_host_ed25519_key.pub && exec \"$@\"", cfg, hostKey, hostKey)
	if out, err := exec.Command("unshare", "-m", "sh", "-c", script, "sh", "true").CombinedOutput(); err != nil {
		t.Skipf("private mount namespace unavailable: %v: %s", err, out)
	}
	return []string{"unshare", "-m", "sh", "-c", script, "sh"}
}

// TestHostbasedMatchesSSHD: the same ~/.shosts, ~/.rhosts and
// ~/.ssh/known_hosts of one account, read by sshd and by gosshd under
// the same settings; ssh and gossh log in with hostbased only. Every
// (client, server) pair must give the expected decision.
// Requirement: 4252-9-hostbased-checks
func TestHostbasedMatchesSSHD(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	hostKey, otherKey := filepath.Join(dir, "client_host_key"), filepath.Join(dir, "other_host_key")
	sshdtest.GenerateKey(t, "ed25519", hostKey, "")
	sshdtest.GenerateKey(t, "ed25519", otherKey, "")
	wrap := hbKeysignWrap(t, hostKey)
	name, home := homeUser(t)
	gossh := clBuildGossh(t)
	pub, other := string(mustRead(t, hostKey+".pub")), string(mustRead(t, otherKey+".pub"))
	// The clients run as root; ssh-keysign names this host after the
	// socket's local address, 127.0.0.1, which /etc/hosts calls localhost.
	for _, tc := range []struct {
		name       string
		config     []string
		shosts     string // "" for none
		rhosts     string
		knownHosts string
		ok         bool
	}{
		{"trusted host and user", nil, "localhost root\n", "", "localhost " + pub, true},
		{"wrong host key", nil, "localhost root\n", "", "localhost " + other, false},
		{"unlisted host", nil, "elsewhere.example root\n", "", "localhost " + pub, false},
		{"user not allowed", nil, "localhost " + name + "\n", "", "localhost " + pub, false},
		{"negated entry", nil, "-localhost root\nlocalhost root\n", "", "localhost " + pub, false},
		{"host key for another name", nil, "localhost root\n", "", "elsewhere.example " + pub, false},
		{"IgnoreRhosts yes", []string{"IgnoreRhosts yes"}, "localhost root\n", "", "localhost " + pub, false},
		{"IgnoreRhosts shosts-only, .rhosts", []string{"IgnoreRhosts shosts-only"}, "", "localhost root\n", "localhost " + pub, false},
		{"IgnoreRhosts shosts-only, .shosts", []string{"IgnoreRhosts shosts-only"}, "localhost root\n", "", "localhost " + pub, true},
		{"IgnoreRhosts no, .rhosts", []string{"IgnoreRhosts no"}, "", "localhost root\n", "localhost " + pub, true},
		{"IgnoreUserKnownHosts yes", []string{"IgnoreUserKnownHosts yes"}, "localhost root\n", "", "localhost " + pub, false},
		{"HostbasedAcceptedAlgorithms without ed25519", []string{"HostbasedAcceptedAlgorithms rsa-sha2-256"}, "localhost root\n", "", "localhost " + pub, false},
		{"name from the address (UseDNS no)", []string{"HostbasedUsesNameFromPacketOnly no"}, "127.0.0.1 root\n", "", "127.0.0.1 " + pub, true},
		{"name from DNS (UseDNS yes)", []string{"HostbasedUsesNameFromPacketOnly no", "UseDNS yes"}, "localhost root\n", "", "localhost " + pub, true},
		{"name from DNS, key recorded under the address", []string{"HostbasedUsesNameFromPacketOnly no", "UseDNS yes"}, "127.0.0.1 root\n", "", "127.0.0.1 " + pub, false},
		{"name from the address, packet name listed", []string{"HostbasedUsesNameFromPacketOnly no"}, "localhost root\n", "", "localhost " + pub, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(home, ".shosts"))
			os.RemoveAll(filepath.Join(home, ".rhosts"))
			os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
			if tc.shosts != "" {
				uaWrite(t, filepath.Join(home, ".shosts"), []byte(tc.shosts), 0o600)
			}
			if tc.rhosts != "" {
				uaWrite(t, filepath.Join(home, ".rhosts"), []byte(tc.rhosts), 0o600)
			}
			uaWrite(t, filepath.Join(home, ".ssh", "known_hosts"), []byte(tc.knownHosts), 0o600)
			if out, err := exec.Command("chown", "-R", name, home).CombinedOutput(); err != nil {
				t.Fatalf("chown: %v: %s", err, out)
			}
			cfg := append(append([]string{}, tc.config...), "HostbasedAuthentication yes", "IgnoreRhosts no",
				"HostbasedUsesNameFromPacketOnly yes", "StrictModes yes", "PubkeyAuthentication no", "PasswordAuthentication no",
				"KbdInteractiveAuthentication no")
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: cfg})
			g := svStart(t, []string{"ed25519"}, cfg...)
			for _, s := range []struct {
				name, port, known string
				log               func() string
			}{
				{"sshd", strconv.Itoa(srv.Port), tunKnownHosts(t, srv), srv.Log},
				{"gosshd", g.port, g.knownHosts, g.logText},
			} {
				common := []string{"-F", "none", "-p", s.port, "-o", "UserKnownHostsFile=" + s.known, "-o", "GlobalKnownHostsFile=none",
					"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none",
					"-o", "HostbasedAuthentication=yes", "-o", "EnableSSHKeysign=yes", "-o", "HostbasedAcceptedAlgorithms=ssh-ed25519",
					"-o", "PreferredAuthentications=hostbased", "-l", name, "127.0.0.1", "echo hostbased-ok"}
				for _, c := range []struct{ name, bin string }{{"ssh", sshdtest.SSH}, {"gossh", gossh}} {
					out, code := hbRun(t, append(append(append([]string{}, wrap...), c.bin), common...))
					ok := code == 0 && strings.Contains(out, "hostbased-ok")
					if ok != tc.ok {
						t.Errorf("%s -> %s: exit %d, accepted %v, want %v\n%s\n--- server log:\n%s", c.name, s.name, code, ok, tc.ok,
							tail(out), tail(strings.ReplaceAll(s.log(), "\r", "")))
					}
				}
				if tc.ok && !strings.Contains(s.log(), "Accepted hostbased for "+name+" from 127.0.0.1") {
					t.Errorf("%s logged no hostbased login\n%s", s.name, tail(strings.ReplaceAll(s.log(), "\r", "")))
				}
			}
		})
	}
}

// hbRun runs argv with a deadline and returns its combined output and
// exit code.
func hbRun(t *testing.T, argv []string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", argv[0], err)
	}
	return string(out), code
}
