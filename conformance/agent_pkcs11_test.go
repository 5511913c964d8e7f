package conformance_test

// PKCS#11 tokens in the agent: ssh-add -s / -e against gossh-agent and
// gossh-add -s / -e against ssh-agent (SSH_AGENTC_ADD_SMARTCARD_KEY,
// SSH_AGENTC_REMOVE_SMARTCARD_KEY) with a SoftHSM2 token, the agent
// running OpenSSH's ssh-pkcs11-helper, then ssh and gossh logging in to
// sshd with the agent's token key; and the -P allowlist refusing a
// module, in both agents.

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

func TestAgentPKCS11(t *testing.T) {
	bins := agBuild(t)
	hsm, pub := p11Token(t, "ecdsa")
	askpass := agScript(t, filepath.Join(t.TempDir(), "askpass"), "echo "+p11PIN)
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pub})
	keyFields := strings.Join(strings.Fields(string(pub))[:2], " ")
	for _, tc := range []struct{ name, agent, add string }{
		{"ssh-add to gossh-agent", bins.agent, sshAdd},
		{"gossh-add to ssh-agent", sshAgent, bins.add},
		{"gossh-add to gossh-agent", bins.agent, bins.add},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := agStart(t, tc.agent, agEnv(hsm), "-D")
			env := a.env(hsm, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force")
			r := agRun(t, env, tc.add, "-s", p11Module)
			if r.code != 0 || r.stderr != "Card added: "+p11Module+"\n" {
				t.Fatalf("-s: exit %d %q\nagent log:\n%s", r.code, r.stderr, a.logText())
			}
			if l := agRun(t, env, sshAdd, "-L"); l.code != 0 || !strings.Contains(l.stdout, keyFields) {
				t.Errorf("ssh-add -L after -s: exit %d\n%s", l.code, l.stdout)
			}
			// The same provider twice: refused, as ssh-agent does.
			if r := agRun(t, env, tc.add, "-s", p11Module); r.code != 1 || r.stderr != "Could not add card \""+p11Module+"\": agent refused operation\n" {
				t.Errorf("second -s: exit %d %q", r.code, r.stderr)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := sshdtest.RunSSH(ctx, nil, "-p", strconv.Itoa(srv.Port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "BatchMode=yes", "-o", "IdentityAgent="+a.sock, "-o", "IdentityFile=/nonexistent", "-l", "root", "127.0.0.1", "echo ssh")
			if err != nil || res.ExitCode != 0 || string(res.Stdout) != "ssh\n" {
				t.Errorf("ssh with the agent's token key: %v %+v", err, res)
			}
			g := agRun(t, env, bins.gossh, "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "IdentityAgent="+a.sock, "-o", "IdentityFile=/nonexistent",
				"-o", "PreferredAuthentications=publickey", "-l", "root", "127.0.0.1", "echo gossh")
			if g.code != 0 || g.stdout != "gossh\n" {
				t.Errorf("gossh with the agent's token key: exit %d %q\n%s", g.code, g.stdout, g.stderr)
			}
			if r := agRun(t, env, tc.add, "-e", p11Module); r.code != 0 || r.stderr != "Card removed: "+p11Module+"\n" {
				t.Errorf("-e: exit %d %q", r.code, r.stderr)
			}
			if l := agRun(t, env, sshAdd, "-l"); l.code != 1 || !strings.Contains(l.stdout, "The agent has no identities.") {
				t.Errorf("ssh-add -l after -e: exit %d %q", l.code, l.stdout)
			}
			if r := agRun(t, env, tc.add, "-e", p11Module); r.code != 1 {
				t.Errorf("-e of a provider not loaded: exit %d %q", r.code, r.stderr)
			}
		})
	}
	// An RSA token key in gossh-agent: ssh asks for rsa-sha2-512
	// (SSH_AGENT_RSA_SHA2_512), which the helper signs as a DigestInfo.
	t.Run("rsa token in gossh-agent", func(t *testing.T) {
		rhsm, rpub := p11Token(t, "rsa")
		rsrv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: rpub})
		a := agStart(t, bins.agent, agEnv(rhsm), "-D")
		env := a.env(rhsm, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force")
		if r := agRun(t, env, sshAdd, "-s", p11Module); r.code != 0 {
			t.Fatalf("-s: exit %d %q", r.code, r.stderr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := sshdtest.RunSSH(ctx, nil, "-p", strconv.Itoa(rsrv.Port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "BatchMode=yes", "-o", "IdentityAgent="+a.sock, "-o", "IdentityFile=/nonexistent", "-l", "root", "127.0.0.1", "echo ssh")
		if err != nil || res.ExitCode != 0 || string(res.Stdout) != "ssh\n" {
			t.Errorf("ssh with the agent's RSA token key: %v %+v", err, res)
		}
	})
	// -P: a module outside the allowlist is refused by both agents.
	for _, prog := range []string{sshAgent, bins.agent} {
		a := agStart(t, prog, agEnv(hsm), "-D", "-P", "/nowhere/*")
		env := a.env(hsm, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force")
		if r := agRun(t, env, sshAdd, "-s", p11Module); r.code != 1 || !strings.Contains(r.stderr, "Could not add card") {
			t.Errorf("%s -P /nowhere/*: ssh-add -s exit %d %q", filepath.Base(prog), r.code, r.stderr)
		}
		// The allowlist matches the module's real path, as ssh-agent's.
		real, err := filepath.EvalSymlinks(p11Module)
		if err != nil {
			t.Fatal(err)
		}
		a2 := agStart(t, prog, agEnv(hsm), "-D", "-P", filepath.Dir(real)+"/*")
		env = a2.env(hsm, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force")
		if r := agRun(t, env, sshAdd, "-s", p11Module); r.code != 0 {
			t.Errorf("%s -P %s/*: ssh-add -s exit %d %q", filepath.Base(prog), filepath.Dir(real), r.code, r.stderr)
		}
	}
}

// TestAgentSecurityKey: an sk key file (enrolled by ssh-keygen with the
// test authenticator) given to the agent with ssh-add -S / gossh-add -S
// signs through ssh-sk-helper in the agent: ssh and gossh log in to
// sshd with it through gossh-agent and through ssh-agent; a provider
// outside -P is refused by both agents.
func TestAgentSecurityKey(t *testing.T) {
	lib := skProviderLib(t)
	bins := agBuild(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ecdsa_sk")
	if out, code := skRun(t, dir, nil, "", sshdtest.SSHKeygen, "-q", "-t", "ecdsa-sk", "-w", lib, "-N", "", "-C", "sk-in-agent", "-f", key); code != 0 {
		t.Fatalf("ssh-keygen: %s", out)
	}
	pub := mustRead(t, key+".pub")
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pub})
	// The test library is not under /usr/lib: both agents need -P for it.
	allow := []string{"-D", "-P", filepath.Dir(lib) + "/*"}
	for _, tc := range []struct{ name, agent, add string }{
		{"ssh-add to gossh-agent", bins.agent, sshAdd},
		{"gossh-add to ssh-agent", sshAgent, bins.add},
		{"gossh-add to gossh-agent", bins.agent, bins.add},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := agStart(t, tc.agent, agEnv(), allow...)
			env := a.env()
			r := agRun(t, env, tc.add, "-S", lib, key)
			if r.code != 0 || r.stderr != "Identity added: "+key+" (sk-in-agent)\n" {
				t.Fatalf("-S: exit %d %q\nagent log:\n%s", r.code, r.stderr, a.logText())
			}
			if l := agRun(t, env, sshAdd, "-L"); l.code != 0 || !strings.Contains(l.stdout, strings.Join(strings.Fields(string(pub))[:2], " ")) {
				t.Errorf("ssh-add -L: exit %d\n%s", l.code, l.stdout)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := sshdtest.RunSSH(ctx, nil, "-p", strconv.Itoa(srv.Port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "BatchMode=yes", "-o", "IdentityAgent="+a.sock, "-o", "IdentityFile=/nonexistent", "-l", "root", "127.0.0.1", "echo ssh")
			if err != nil || res.ExitCode != 0 || string(res.Stdout) != "ssh\n" {
				t.Errorf("ssh with the agent's sk key: %v %+v", err, res)
			}
			g := agRun(t, env, bins.gossh, "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "IdentityAgent="+a.sock, "-o", "IdentityFile=/nonexistent",
				"-o", "PreferredAuthentications=publickey", "-l", "root", "127.0.0.1", "echo gossh")
			if g.code != 0 || g.stdout != "gossh\n" {
				t.Errorf("gossh with the agent's sk key: exit %d %q\n%s", g.code, g.stdout, g.stderr)
			}
		})
	}
	for _, prog := range []string{sshAgent, bins.agent} {
		a := agStart(t, prog, agEnv(), "-D")
		if r := agRun(t, a.env(), sshAdd, "-S", lib, key); r.code != 1 || !strings.Contains(r.stderr, "Could not add identity") {
			t.Errorf("%s without -P: ssh-add -S exit %d %q", filepath.Base(prog), r.code, r.stderr)
		}
	}
}
