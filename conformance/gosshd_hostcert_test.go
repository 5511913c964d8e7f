package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// HostCertificate, differentially: OpenSSH's sshd and gosshd get the same
// HostKey and HostCertificate lines (and the same files), and OpenSSH's
// ssh, trusting the host only through a known_hosts @cert-authority
// line, logs in to both with the certificate, for Ed25519 and for RSA
// with both SHA-2 certificate algorithms; asked for the plain key, which
// it does not know, it refuses both. A HostCertificate for a key neither
// server holds is reported by both in sshd's words, and both start.

// hcCert signs pub (a .pub file) as a host certificate for 127.0.0.1
// with ca and returns the certificate's path.
func hcCert(t *testing.T, ca, pub string) string {
	t.Helper()
	if out, err := exec.Command(sshdtest.SSHKeygen, "-q", "-s", ca, "-I", filepath.Base(pub), "-h", "-n", "127.0.0.1", pub).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v: %s", err, out)
	}
	return strings.TrimSuffix(pub, ".pub") + "-cert.pub"
}

// hcSSH runs ssh as root to port with the host key algorithms algs,
// trusting only the known_hosts file known.
func hcSSH(t *testing.T, port, userKey, known, algs string) sshdtest.SSHResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"-v", "-p", port, "-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=none",
		"-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "IdentityAgent=none", "-i", userKey, "-l", "root"}
	if algs != "" {
		args = append(args, "-o", "HostKeyAlgorithms="+algs)
	}
	res, err := sshdtest.RunSSH(ctx, nil, append(args, "127.0.0.1", "echo cert-ok")...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestGosshdHostCertificateMatchesSSHD(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	sshdtest.GenerateKey(t, "ed25519", ca, "")
	known := uaWrite(t, filepath.Join(dir, "known_hosts"), append([]byte("@cert-authority * "), mustRead(t, ca+".pub")...), 0o600)
	var cfg []string
	for _, typ := range []string{"ed25519", "rsa"} {
		p := filepath.Join(dir, "host_"+typ)
		sshdtest.GenerateKey(t, typ, p, "")
		cfg = append(cfg, "HostKey "+p, "HostCertificate "+hcCert(t, ca, p+".pub"))
	}
	stray := filepath.Join(dir, "stray")
	sshdtest.GenerateKey(t, "ed25519", stray, "")
	strayCert := hcCert(t, ca, stray+".pub")
	cfg = append(cfg, "HostCertificate "+strayCert)

	g := svStart(t, nil, cfg...)
	sd := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{}, Config: cfg, AuthorizedKeys: mustRead(t, g.userKey+".pub")})
	servers := []struct {
		name, port string
		log        func() string
	}{{"sshd", itoa(sd.Port), sd.Log}, {"gosshd", g.port, g.logText}}
	for _, srv := range servers {
		if line := "No matching private key for certificate: " + strayCert; !strings.Contains(srv.log(), line) {
			t.Errorf("%s did not log %q:\n%s", srv.name, line, tail(srv.log()))
		}
		for _, tc := range []struct {
			algs, matched string // matched "": refused
		}{
			{"", "ED25519-CERT"}, // ssh's default list, certificates first
			{"ssh-ed25519-cert-v01@openssh.com", "ED25519-CERT"},
			{"rsa-sha2-512-cert-v01@openssh.com", "RSA-CERT"},
			{"rsa-sha2-256-cert-v01@openssh.com", "RSA-CERT"},
			{"ssh-ed25519", ""},
			{"rsa-sha2-512", ""},
		} {
			name := tc.algs
			if name == "" {
				name = "default"
			}
			t.Run(srv.name+"/"+name, func(t *testing.T) {
				res := hcSSH(t, srv.port, g.userKey, known, tc.algs)
				if tc.matched == "" {
					if res.ExitCode == 0 || !strings.Contains(string(res.Stderr), "Host key verification failed") {
						t.Fatalf("exit %d with an unknown plain host key, want a verification failure\n%s", res.ExitCode, res.Stderr)
					}
					return
				}
				if res.ExitCode != 0 || strings.TrimSpace(string(res.Stdout)) != "cert-ok" {
					t.Fatalf("exit %d, stdout %q\n%s", res.ExitCode, res.Stdout, res.Stderr)
				}
				if want := "matches the " + tc.matched + " host certificate"; !strings.Contains(string(res.Stderr), want) {
					t.Errorf("ssh -v does not say %q:\n%s", want, res.Stderr)
				}
				if tc.algs != "" && !strings.Contains(string(res.Stderr), "kex: host key algorithm: "+tc.algs+"\r\n") {
					t.Errorf("ssh -v does not show host key algorithm %s:\n%s", tc.algs, res.Stderr)
				}
			})
		}
	}

	// gossh verifies host certificates too (client.HostKeyCallback with
	// @cert-authority), against both servers.
	bin := clBuildGossh(t)
	for _, srv := range servers {
		t.Run("gossh/"+srv.name, func(t *testing.T) {
			r := clGossh(t, bin, nil, nil, "-F", "none", "-i", g.userKey, "-o", "UserKnownHostsFile="+known,
				"-o", "GlobalKnownHostsFile=none", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
				"-p", srv.port, "root@127.0.0.1", "echo cert-ok")
			if r.code != 0 || strings.TrimSpace(r.stdout) != "cert-ok" {
				t.Fatalf("gossh exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestGosshdHostCertificateHostKeyAgent: the certificate's key lives in
// ssh-agent only (HostKey names the .pub file, HostKeyAgent the
// socket); sshd and gosshd both present the certificate and sign
// through the agent.
func TestGosshdHostCertificateHostKeyAgent(t *testing.T) {
	a := agStart(t, sshAgent, agEnv(), "-D")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	sshdtest.GenerateKey(t, "ed25519", ca, "")
	known := uaWrite(t, filepath.Join(dir, "known_hosts"), append([]byte("@cert-authority * "), mustRead(t, ca+".pub")...), 0o600)
	var cfg []string
	for _, typ := range []string{"ed25519", "rsa"} {
		p := filepath.Join(dir, "host_"+typ)
		sshdtest.GenerateKey(t, typ, p, "")
		hkaAdd(t, a, p)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		cfg = append(cfg, "HostKey "+p+".pub", "HostCertificate "+hcCert(t, ca, p+".pub"))
	}
	cfg = append(cfg, "HostKeyAgent "+a.sock)
	g := svStart(t, nil, cfg...)
	sd := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{}, Config: cfg, AuthorizedKeys: mustRead(t, g.userKey+".pub")})
	for _, srv := range []struct{ name, port string }{{"sshd", itoa(sd.Port)}, {"gosshd", g.port}} {
		for _, alg := range []string{"ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com"} {
			t.Run(srv.name+"/"+alg, func(t *testing.T) {
				res := hcSSH(t, srv.port, g.userKey, known, alg)
				if res.ExitCode != 0 || strings.TrimSpace(string(res.Stdout)) != "cert-ok" {
					t.Fatalf("exit %d, stdout %q\n%s", res.ExitCode, res.Stdout, res.Stderr)
				}
				if !strings.Contains(string(res.Stderr), "host certificate") {
					t.Errorf("ssh -v did not verify a host certificate:\n%s", res.Stderr)
				}
			})
		}
	}
}
