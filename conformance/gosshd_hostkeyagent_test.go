package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// HostKeyAgent with OpenSSH's ssh-agent: the host private keys are only
// in the agent, gosshd (and sshd, for comparison) is given the public
// key files, and OpenSSH's ssh checks the host key against known_hosts.

// hkaSetup starts ssh-agent -D, generates ed25519, ecdsa and rsa host
// keys, adds them to the agent with ssh-add and deletes the private key
// files. It returns the agent, the public key files (by the host key
// algorithm ssh is made to use) and a known_hosts file listing every key
// under the alias "hka".
func hkaSetup(t *testing.T) (*agAgent, map[string]string, string) {
	t.Helper()
	a := agStart(t, sshAgent, agEnv(), "-D")
	dir := t.TempDir()
	pubs := map[string]string{}
	var known []byte
	for _, k := range []struct{ typ, alg string }{
		{"ed25519", "ssh-ed25519"}, {"ecdsa", "ecdsa-sha2-nistp256"}, {"rsa", "rsa-sha2-512"},
	} {
		p := filepath.Join(dir, "host_"+k.typ)
		sshdtest.GenerateKey(t, k.typ, p, "")
		hkaAdd(t, a, p)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		pubs[k.alg] = p + ".pub"
		pub, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		known = append(append(known, "hka "...), pub...)
	}
	return a, pubs, uaWrite(t, filepath.Join(dir, "known_hosts"), known, 0o600)
}

// hkaAdd adds key to the agent a with ssh-add.
func hkaAdd(t *testing.T, a *agAgent, key string) {
	t.Helper()
	cmd := exec.Command(sshAdd, key)
	cmd.Env = a.env()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-add %s: %v\n%s", key, err, b)
	}
}

// hkaSSH runs ssh to 127.0.0.1:port as root with the host key algorithm
// alg, checking the host key strictly against known (alias "hka").
func hkaSSH(t *testing.T, port, userKey, known, alg string, args ...string) sshdtest.SSHResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"-p", port, "-o", "HostKeyAlias=hka", "-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=none",
		"-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlgorithms=" + alg, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "IdentityAgent=none", "-i", userKey, "-l", "root"}
	res, err := sshdtest.RunSSH(ctx, nil, append(append(base, args...), "127.0.0.1", "echo agent-ok")...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGosshdHostKeyAgent: gosshd with HostKey naming .pub files and
// HostKeyAgent naming ssh-agent's socket completes the key exchange for
// ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512 and rsa-sha2-256, with
// ssh verifying the host key against known_hosts; sshd given the same
// HostKey and HostKeyAgent lines does the same. Then the agent stops:
// the next connection fails its handshake, with gosshd's log naming the
// socket, and gosshd goes on accepting connections.
func TestGosshdHostKeyAgent(t *testing.T) {
	a, pubs, known := hkaSetup(t)
	cfg := []string{"HostKeyAgent " + a.sock}
	for _, alg := range []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512"} {
		cfg = append(cfg, "HostKey "+pubs[alg])
	}
	s := svStart(t, nil, cfg...)
	sd := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{}, Config: cfg, AuthorizedKeys: mustRead(t, s.userKey+".pub")})
	algs := []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"}
	for _, srv := range []struct{ name, port string }{{"gosshd", s.port}, {"sshd", itoa(sd.Port)}} {
		for _, alg := range algs {
			t.Run(srv.name+"/"+alg, func(t *testing.T) {
				res := hkaSSH(t, srv.port, s.userKey, known, alg, "-v")
				if res.ExitCode != 0 || strings.TrimSpace(string(res.Stdout)) != "agent-ok" {
					t.Fatalf("exit %d, stdout %q\n%s", res.ExitCode, res.Stdout, res.Stderr)
				}
				if !strings.Contains(string(res.Stderr), "kex: host key algorithm: "+alg+"\r\n") {
					t.Errorf("ssh -v does not show host key algorithm %s:\n%s", alg, res.Stderr)
				}
				if !strings.Contains(string(res.Stderr), "Host 'hka' is known and matches") {
					t.Errorf("ssh did not verify the host key against known_hosts:\n%s", res.Stderr)
				}
			})
		}
	}

	// hostkeys-prove-00@openssh.com: ssh knows only the ed25519 key, and
	// with UpdateHostKeys asks gosshd to prove the other two, which it
	// signs through the agent (the RSA one with rsa-sha2-512).
	t.Run("gosshd/UpdateHostKeys", func(t *testing.T) {
		ed := mustRead(t, pubs["ssh-ed25519"])
		one := uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"), append([]byte("hka "), ed...), 0o600)
		res := hkaSSH(t, s.port, s.userKey, one, "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512", "-v", "-o", "UpdateHostKeys=yes")
		if res.ExitCode != 0 {
			t.Fatalf("exit %d\n%s", res.ExitCode, res.Stderr)
		}
		got := string(mustRead(t, one))
		for _, alg := range []string{"ecdsa-sha2-nistp256", "rsa-sha2-512"} {
			f := strings.Fields(string(mustRead(t, pubs[alg])))
			if !strings.Contains(got, f[0]+" "+f[1]) {
				t.Errorf("ssh did not learn the %s key after hostkeys-prove:\n%s\n%s", alg, got, res.Stderr)
			}
		}
	})

	t.Run("gosshd/agent stopped", func(t *testing.T) {
		if err := a.d.Stop(syscall.SIGTERM, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			res := hkaSSH(t, s.port, s.userKey, known, "ssh-ed25519")
			if res.ExitCode == 0 || strings.Contains(string(res.Stderr), "Connection refused") {
				t.Fatalf("exit %d with the agent stopped\n%s", res.ExitCode, res.Stderr)
			}
		}
		if log := s.logText(); !strings.Contains(log, "gosshd: HostKeyAgent: dial unix "+a.sock) {
			t.Errorf("gosshd's log does not say the agent socket failed:\n%s", log)
		}
	})
}
