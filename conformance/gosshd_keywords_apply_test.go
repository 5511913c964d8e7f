package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// kwPair starts sshd and gosshd with the same extra config lines, each
// authorizing pub for root.
func kwPair(t *testing.T, pub []byte, cfg ...string) (*sshdtest.Server, *svServer) {
	t.Helper()
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pub,
		Config: append(cfg, "PasswordAuthentication no", "KbdInteractiveAuthentication no")})
	g := svStart(t, []string{"ed25519"}, cfg...)
	uaWrite(t, filepath.Join(g.dir, "root.keys"), pub, 0o644)
	return srv, g
}

// kwRun runs ssh with key and args against both servers and returns
// their results, sshd's first.
func kwRun(t *testing.T, srv *sshdtest.Server, g *svServer, key string, args ...string) [2]sshdtest.SSHResult {
	t.Helper()
	var out [2]sshdtest.SSHResult
	for i, port := range []string{strconv.Itoa(srv.Port), g.port} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := sshdtest.RunSSH(ctx, nil, append([]string{"-p", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", key, "-l", "root"}, args...)...)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = res
	}
	return out
}

func kwKey(t *testing.T, dir, name string, keygenArgs ...string) (string, []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	args := append([]string{"-q", "-N", "", "-f", p}, keygenArgs...)
	if out, err := exec.Command(sshdtest.SSHKeygen, args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return p, mustRead(t, p+".pub")
}

// TestGosshdRevokedKeysMatchesSSHD: a RevokedKeys list or binary KRL
// (ssh-keygen -k) naming the key refuses it in both servers; one naming
// another key does not; a truncated KRL refuses every key in both, and
// gosshd logs why.
func TestGosshdRevokedKeysMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("logs in as root")
	}
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	_, otherPub := kwKey(t, dir, "other", "-t", "ed25519")
	krl := func(name, pubFile string) string {
		p := filepath.Join(dir, name)
		if out, err := exec.Command(sshdtest.SSHKeygen, "-k", "-f", p, pubFile).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -k: %v\n%s", err, out)
		}
		return p
	}
	krlKey, krlOther := krl("key.krl", key+".pub"), krl("other.krl", filepath.Join(dir, "other.pub"))
	b := mustRead(t, krlOther)
	truncated := uaWrite(t, filepath.Join(dir, "truncated.krl"), b[:len(b)-3], 0o644)
	list := func(name, body string) string { return uaWrite(t, filepath.Join(dir, name), []byte(body), 0o644) }
	for _, tc := range []struct {
		name, file string
		want       bool
	}{
		{"list naming the key", list("list-key", string(pub)), false},
		{"list naming another key", list("list-other", "# revoked\n"+string(otherPub)), true},
		{"KRL naming the key", krlKey, false},
		{"KRL naming another key", krlOther, true},
		{"truncated KRL", truncated, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, g := kwPair(t, pub, "RevokedKeys "+tc.file)
			res := kwRun(t, srv, g, key, "127.0.0.1", "echo ran")
			for i := range res {
				if ok := res[i].ExitCode == 0; ok != tc.want {
					t.Errorf("%s: exit %d, want success %v: %s", []string{"sshd", "gosshd"}[i], res[i].ExitCode, tc.want, res[i].Stderr)
				}
			}
			if tc.file == truncated && !strings.Contains(g.logText(), "binary KRL which gosshd cannot read") {
				t.Errorf("gosshd did not log why it refused every key:\n%s", tail(g.logText()))
			}
		})
	}
}

// TestGosshdRequiredRSASizeMatchesSSHD: a 1024-bit RSA user key logs in
// under the default RequiredRSASize and is refused under 2048 by both.
func TestGosshdRequiredRSASizeMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("logs in as root")
	}
	key, pub := kwKey(t, t.TempDir(), "id_rsa", "-t", "rsa", "-b", "1024")
	for _, tc := range []struct {
		cfg  []string
		want bool
	}{{nil, true}, {[]string{"RequiredRSASize 2048"}, false}} {
		srv, g := kwPair(t, pub, tc.cfg...)
		for i, res := range kwRun(t, srv, g, key, "-o", "PubkeyAcceptedAlgorithms=+rsa-sha2-256", "127.0.0.1", "echo ran") {
			if ok := res.ExitCode == 0; ok != tc.want {
				t.Errorf("%v %s: exit %d, want success %v: %s", tc.cfg, []string{"sshd", "gosshd"}[i], res.ExitCode, tc.want, res.Stderr)
			}
		}
	}
}

// TestGosshdForceCommandPermitTTYDisableForwarding: ForceCommand runs
// instead of the client's command with SSH_ORIGINAL_COMMAND set;
// PermitTTY no refuses the pty; DisableForwarding yes refuses -R; sshd
// and gosshd alike. ForceCommand in a Match block is gosshd's alone
// here (sshdtest writes the test's lines before its own).
func TestGosshdForceCommandPermitTTYDisableForwarding(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("logs in as root")
	}
	key, pub := kwKey(t, t.TempDir(), "id", "-t", "ed25519")
	t.Run("ForceCommand", func(t *testing.T) {
		srv, g := kwPair(t, pub, `ForceCommand echo "forced:$SSH_ORIGINAL_COMMAND"`)
		for i, res := range kwRun(t, srv, g, key, "127.0.0.1", "echo ran") {
			if string(res.Stdout) != "forced:echo ran\n" {
				t.Errorf("%s: %q %s", []string{"sshd", "gosshd"}[i], res.Stdout, res.Stderr)
			}
		}
	})
	t.Run("ForceCommand in Match", func(t *testing.T) {
		g := svStart(t, []string{"ed25519"}, "Match User root", `  ForceCommand echo "matched:$SSH_ORIGINAL_COMMAND"`)
		uaWrite(t, filepath.Join(g.dir, "root.keys"), pub, 0o644)
		res := g.ssh(t, nil, "root", "-i", key, "127.0.0.1", "echo ran")
		if string(res.Stdout) != "matched:echo ran\n" {
			t.Errorf("gosshd: %q %s", res.Stdout, res.Stderr)
		}
	})
	t.Run("PermitTTY no", func(t *testing.T) {
		for _, cfg := range []string{"PermitTTY yes", "PermitTTY no"} {
			srv, g := kwPair(t, pub, cfg)
			for i, res := range kwRun(t, srv, g, key, "-tt", "127.0.0.1", "tty") {
				if refused := strings.Contains(string(res.Stderr), "PTY allocation request failed"); refused != (cfg == "PermitTTY no") {
					t.Errorf("%s %s: pty refused %v: %q %s", cfg, []string{"sshd", "gosshd"}[i], refused, res.Stdout, res.Stderr)
				}
			}
		}
	})
	t.Run("DisableForwarding", func(t *testing.T) {
		for _, cfg := range []string{"DisableForwarding no", "DisableForwarding yes"} {
			srv, g := kwPair(t, pub, cfg)
			for i, res := range kwRun(t, srv, g, key, "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9", "127.0.0.1", "echo ran") {
				if ok := res.ExitCode == 0; ok != (cfg == "DisableForwarding no") {
					t.Errorf("%s %s: exit %d %s", cfg, []string{"sshd", "gosshd"}[i], res.ExitCode, res.Stderr)
				}
			}
		}
	})
}

// TestGosshdChrootDirectoryMatchesSSHD: ForceCommand internal-sftp with
// ChrootDirectory (root-owned, mode 0755, under /var/lib as /tmp is
// world-writable) shows the chroot's files at /; a group-writable
// ChrootDirectory refuses the session in both servers.
func TestGosshdChrootDirectoryMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot(2) needs root")
	}
	root, err := os.MkdirTemp("/var/lib", "gosshd-chroot")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(root, 0o755)
	uaWrite(t, filepath.Join(root, "inside-the-chroot"), []byte("x"), 0o644)
	key, pub := kwKey(t, t.TempDir(), "id", "-t", "ed25519")
	batch := uaWrite(t, filepath.Join(t.TempDir(), "batch"), []byte("ls /\n"), 0o644)
	for _, mode := range []os.FileMode{0o755, 0o775} {
		os.Chmod(root, mode)
		cfg := []string{"ChrootDirectory " + root, "ForceCommand internal-sftp"}
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pub,
			Config: append(cfg, "PasswordAuthentication no", "KbdInteractiveAuthentication no")})
		// sshdtest's config has this Subsystem line already.
		g := svStart(t, []string{"ed25519"}, append(cfg, "Subsystem sftp internal-sftp")...)
		uaWrite(t, filepath.Join(g.dir, "root.keys"), pub, 0o644)
		for i, port := range []string{strconv.Itoa(srv.Port), g.port} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := exec.CommandContext(ctx, "sftp", "-P", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", key, "-b", batch, "root@127.0.0.1").CombinedOutput()
			cancel()
			listed := err == nil && strings.Contains(string(out), "inside-the-chroot")
			if listed != (mode == 0o755) {
				t.Errorf("mode %o %s: listed the chroot %v (err %v):\n%s", mode, []string{"sshd", "gosshd"}[i], listed, err, out)
			}
		}
	}
}
