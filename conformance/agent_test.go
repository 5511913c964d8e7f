package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// The agent tests run OpenSSH's ssh-add, ssh and ssh-keygen against
// gossh-agent, and gossh-add against OpenSSH's ssh-agent, comparing the
// two tools' output where both can do the same thing.

const (
	sshAgent = "/usr/bin/ssh-agent"
	sshAdd   = "/usr/bin/ssh-add"
)

type agBins struct{ agent, add, gossh string }

// agBuild builds gossh-agent, gossh-add and gossh.
func agBuild(t *testing.T) agBins {
	t.Helper()
	for _, p := range []string{sshAgent, sshAdd} {
		if _, err := os.Stat(p); err != nil {
			sshdtest.MissingPeer(t, "%s missing", p)
		}
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/",
		"github.com/sshstack/sshstack/client/cmd/gossh-agent",
		"github.com/sshstack/sshstack/client/cmd/gossh-add",
		"github.com/sshstack/sshstack/client/cmd/gossh")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return agBins{filepath.Join(dir, "gossh-agent"), filepath.Join(dir, "gossh-add"), filepath.Join(dir, "gossh")}
}

// agEnv is the environment of every program these tests run: the
// test's, without any agent or askpass settings, plus extra.
func agEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// agRun runs prog with stdin from /dev/null (not a terminal) and no
// controlling terminal, so passphrases come from SSH_ASKPASS.
func agRun(t *testing.T, env []string, prog string, args ...string) clResult {
	t.Helper()
	return agRunIn(t, env, "", prog, args...)
}

// agRunIn is agRun with stdin read from a pipe holding in (still not a
// terminal).
func agRunIn(t *testing.T, env []string, in, prog string, args ...string) clResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	if in != "" {
		cmd.Stdin = strings.NewReader(in)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return clResult{o.String(), e.String(), code}
}

// An agAgent is a running agent in the foreground.
type agAgent struct {
	sock string
	log  string // its standard error
	d    *sshdtest.Daemon
}

func (a *agAgent) env(extra ...string) []string {
	return agEnv(append([]string{"SSH_AUTH_SOCK=" + a.sock}, extra...)...)
}

func (a *agAgent) logText() string {
	b, _ := os.ReadFile(a.log)
	return string(b)
}

// agStart starts an agent program (gossh-agent or ssh-agent) with -a SOCK
// and args; it is stopped by PID when the test ends.
func agStart(t *testing.T, prog string, env []string, args ...string) *agAgent {
	t.Helper()
	dir := t.TempDir()
	a := &agAgent{sock: filepath.Join(dir, "agent.sock"), log: filepath.Join(dir, "agent.log")}
	logf, err := os.Create(a.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(prog, append(append([]string{}, args...), "-a", a.sock)...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	a.d, err = sshdtest.StartDaemon(cmd, func() bool {
		c, err := net.Dial("unix", a.sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.d.Stop(syscall.SIGTERM, 5*time.Second) })
	return a
}

// agFile writes an executable shell script.
func agScript(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// agKeys are user keys written by ssh-keygen, with an Ed25519
// certificate, in one directory.
type agKeys struct {
	dir                string
	ed, rsa, ec, encEC string // private key paths; encEC has passphrase "secret"
	open               string // a copy of ed, mode 0644
	cert               string // ed + "-cert.pub"
}

func agMakeKeys(t *testing.T) *agKeys {
	t.Helper()
	dir := t.TempDir()
	k := &agKeys{dir: dir, ed: filepath.Join(dir, "id_ed25519"), rsa: filepath.Join(dir, "id_rsa"),
		ec: filepath.Join(dir, "id_ecdsa"), encEC: filepath.Join(dir, "enc_ecdsa")}
	sshdtest.GenerateKey(t, "ed25519", k.ed, "")
	sshdtest.GenerateKey(t, "rsa-2048", k.rsa, "")
	sshdtest.GenerateKey(t, "ecdsa", k.ec, "")
	sshdtest.GenerateKey(t, "ecdsa-384", k.encEC, "secret")
	ca := filepath.Join(dir, "ca")
	sshdtest.GenerateKey(t, "ed25519", ca, "")
	u, _ := user.Current()
	if out, err := exec.Command(sshdtest.SSHKeygen, "-q", "-s", ca, "-I", "agent-cert", "-n", u.Username, k.ed+".pub").CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v\n%s", err, out)
	}
	k.cert = k.ed + "-cert.pub"
	k.open = filepath.Join(dir, "open_ed25519")
	b, _ := os.ReadFile(k.ed)
	if err := os.WriteFile(k.open, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(k.open, 0o644)
	return k
}

func (k *agKeys) pub(t *testing.T, path string) string {
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// agWaitEmpty polls ssh-add -l until the agent lists no key.
func agWaitEmpty(t *testing.T, env []string, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := agRun(t, env, sshAdd, "-l")
		if r.code == 1 && r.stdout == "The agent has no identities.\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: key still listed: %+v", what, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// agSession runs ssh-add (or gossh-add) operations against an agent and
// returns a transcript of each one's exit code and output.
func agSession(t *testing.T, add string, a *agAgent, k *agKeys, passAskpass string) []string {
	t.Helper()
	var out []string
	stepIn := func(name string, env []string, in string, args ...string) {
		r := agRunIn(t, env, in, add, args...)
		out = append(out, fmt.Sprintf("%s: exit %d\nstdout:\n%sstderr:\n%s", name, r.code, r.stdout, r.stderr))
	}
	step := func(name string, env []string, args ...string) { stepIn(name, env, "", args...) }
	env := a.env()
	pass := a.env("SSH_ASKPASS="+passAskpass, "SSH_ASKPASS_REQUIRE=force")
	step("empty list", env, "-l")
	step("add", env, k.ed, k.rsa, k.ec)
	step("add encrypted", pass, k.encEC)
	step("list", env, "-l")
	step("list md5", env, "-E", "md5", "-l")
	step("list sha512", env, "-E", "SHA512", "-l")
	step("public keys", env, "-L")
	step("delete", env, "-d", k.rsa)
	step("delete again", env, "-d", k.rsa)
	step("list after delete", env, "-l")
	step("lock", pass, "-x")
	step("list locked", env, "-l")
	step("add while locked", env, k.rsa)
	step("unlock", pass, "-X")
	step("list unlocked", env, "-l")
	step("add with constraints", env, "-t", "1h", "-c", k.rsa)
	step("key only", env, "-k", "-q", k.ed)
	stepIn("delete from stdin", env, "# comment\n\n  "+k.pub(t, k.ec)+"garbage line\n"+k.pub(t, k.rsa), "-d", "-")
	step("list after stdin delete", env, "-l")
	step("test keys", env, "-T", k.ed+".pub", k.cert, k.ec)
	step("test a key not held", env, "-T", k.ed+".pub", k.rsa+".pub")
	step("test nothing", env, "-T")
	step("delete all", env, "-D")
	step("list after delete all", env, "-l")
	step("missing file", env, filepath.Join(k.dir, "missing"))
	step("delete missing file", env, "-d", filepath.Join(k.dir, "missing"))
	step("key readable by others", env, k.open)
	step("two lists", env, "-l", "-L")
	step("list and lock", env, "-l", "-x")
	step("bad lifetime", env, "-t", "soon", k.ed)
	step("bad hash", env, "-E", "sha3", "-l")
	return out
}

// ssh-add works against gossh-agent exactly as against ssh-agent: the
// same sequence of ssh-add commands (add with certificate, encrypted key
// through SSH_ASKPASS, -l, -E md5/SHA512 -l, -L, -d, -x, -X, -t, -c, -k,
// -q, -T, -D, and the errors: missing files, a key file others can read,
// conflicting flags, bad values) prints the same thing, byte for byte and
// with the same exit codes, against both agents. And gossh-add prints
// what ssh-add prints, against ssh-agent and against gossh-agent.
func TestAgentDifferential(t *testing.T) {
	bins := agBuild(t)
	k := agMakeKeys(t)
	passAskpass := agScript(t, filepath.Join(k.dir, "askpass"), `case "$1" in *lock*|*Again*) echo lockpw;; *) echo secret;; esac`)

	run := func(add, agent string) []string {
		var a *agAgent
		if agent == "ssh-agent" {
			a = agStart(t, sshAgent, agEnv(), "-D")
		} else {
			a = agStart(t, bins.agent, agEnv(), "-D")
		}
		return agSession(t, add, a, k, passAskpass)
	}
	want := run(sshAdd, "ssh-agent")
	for _, c := range []struct{ name, add, agent string }{
		{"ssh-add against gossh-agent", sshAdd, "gossh-agent"},
		{"gossh-add against ssh-agent", bins.add, "ssh-agent"},
		{"gossh-add against gossh-agent", bins.add, "gossh-agent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := run(c.add, c.agent)
			if len(got) != len(want) {
				t.Fatalf("%d steps, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("step %d differs from ssh-add against ssh-agent:\nwant %s\ngot  %s", i, want[i], got[i])
				}
			}
		})
	}
	// The transcript really exercised the agent.
	all := strings.Join(want, "\n")
	for _, s := range []string{"(ED25519-CERT)", " SHA512:", "Agent locked.", "Agent unlocked.", "Lifetime set to 3600 seconds",
		"Agent signature failed for " + k.rsa + ".pub", "WARNING: UNPROTECTED PRIVATE KEY FILE!",
		"Identity removed: (stdin) ECDSA (sshdtest)", "Identity removed: (stdin) RSA (sshdtest)", "(stdin):4: invalid key"} {
		if !strings.Contains(all, s) {
			t.Errorf("reference transcript lacks %q:\n%s", s, all)
		}
	}
}

// agSSHD starts an sshd that authorizes the Ed25519 and RSA keys of k and
// returns it with a known_hosts file for it.
func agSSHD(t *testing.T, k *agKeys) (*sshdtest.Server, string) {
	t.Helper()
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
		AuthorizedKeys: []byte(k.pub(t, k.ed) + k.pub(t, k.rsa))})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(srv.KnownHostsLine(t, "ed25519")), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, kh
}

// agLogin runs ssh (or gossh) to srv with only the agent's keys to offer
// and returns the result of "echo logged-in".
func agLogin(t *testing.T, prog string, env []string, srv *sshdtest.Server, kh string) clResult {
	t.Helper()
	u, _ := user.Current()
	return agRun(t, env, prog, "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "UserKnownHostsFile="+kh,
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentityFile=/nonexistent",
		"-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
		u.Username+"@127.0.0.1", "echo logged-in")
}

// Keys held by gossh-agent log ssh and gossh into OpenSSH's sshd: an RSA
// key (sshd 9.2 refuses ssh-rsa signatures, so this needs the
// rsa-sha2-512 signature flag), an Ed25519 key and its certificate; ssh's
// session-bind@openssh.com is accepted; the confirm constraint asks the
// fake SSH_ASKPASS, and a "no" (or no askpass at all) refuses the login;
// a key with a lifetime logs in until it expires.
func TestAgentLogin(t *testing.T) {
	bins := agBuild(t)
	k := agMakeKeys(t)
	srv, kh := agSSHD(t, k)
	dir := t.TempDir()
	answer := filepath.Join(dir, "answer")
	prompts := filepath.Join(dir, "prompts")
	confirm := agScript(t, filepath.Join(dir, "confirm"),
		`echo "$SSH_ASKPASS_PROMPT: $1" >> `+prompts+`; a=$(cat `+answer+`); [ "$a" = cancel ] && exit 1; echo "$a"`)
	a := agStart(t, bins.agent, agEnv("SSH_ASKPASS="+confirm, "DISPLAY=:0"), "-d")
	env := a.env()
	add := func(args ...string) {
		t.Helper()
		if r := agRun(t, env, sshAdd, args...); r.code != 0 {
			t.Fatalf("ssh-add %v: %+v", args, r)
		}
	}
	login := func(prog string) clResult { return agLogin(t, prog, env, srv, kh) }
	ok := func(r clResult) bool { return r.code == 0 && r.stdout == "logged-in\n" }

	t.Run("rsa-sha2-512 through the agent", func(t *testing.T) {
		add("-D")
		add(k.rsa)
		for _, prog := range []string{sshdtest.SSH, bins.gossh} {
			if r := login(prog); !ok(r) {
				t.Errorf("%s with the agent's RSA key: %+v\n%s", filepath.Base(prog), r, tail(srv.Log()))
			}
		}
		if !strings.Contains(a.logText(), "format=rsa-sha2-512") {
			t.Errorf("agent did not sign with rsa-sha2-512:\n%s", tail(a.logText()))
		}
	})
	t.Run("ed25519 and certificate", func(t *testing.T) {
		add("-D")
		add("-k", k.ed)
		for _, prog := range []string{sshdtest.SSH, bins.gossh} {
			if r := login(prog); !ok(r) {
				t.Errorf("%s with the agent's Ed25519 key: %+v", filepath.Base(prog), r)
			}
		}
		// ssh binds the agent connection to the session before it uses a
		// key (OpenSSH PROTOCOL.agent, Section 1).
		if !strings.Contains(a.logText(), "session bound") {
			t.Errorf("no session-bind@openssh.com from ssh:\n%s", tail(a.logText()))
		}
		// The certificate alone: sshd has no CA configured, so it is
		// refused there, but ssh must find and offer it.
		add("-D")
		add(k.ed)
		add("-d", "-k", k.ed)
		r := agRun(t, env, sshAdd, "-l")
		if !strings.Contains(r.stdout, "(ED25519-CERT)") || strings.Count(r.stdout, "\n") != 1 {
			t.Fatalf("want only the certificate: %+v", r)
		}
		r = agRun(t, env, sshdtest.SSH, "-v", "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "UserKnownHostsFile="+kh,
			"-o", "BatchMode=yes", "-o", "IdentityFile=/nonexistent", "127.0.0.1", "true")
		if !strings.Contains(r.stderr, "ED25519-CERT") {
			t.Errorf("ssh did not offer the agent's certificate:\n%s", r.stderr)
		}
	})
	t.Run("confirm", func(t *testing.T) {
		add("-D")
		add("-c", k.ed)
		os.Remove(prompts)
		for _, c := range []struct {
			answer string
			want   bool
		}{{"yes", true}, {"", true}, {"no", false}, {"cancel", false}} {
			os.WriteFile(answer, []byte(c.answer+"\n"), 0o600)
			for _, prog := range []string{sshdtest.SSH, bins.gossh} {
				r := login(prog)
				if ok(r) != c.want {
					t.Errorf("%s, askpass answering %q: %+v", filepath.Base(prog), c.answer, r)
				}
			}
		}
		b, _ := os.ReadFile(prompts)
		if !strings.HasPrefix(string(b), "confirm: Allow use of key sshdtest?") {
			t.Errorf("askpass prompts:\n%s", b)
		}
	})
	t.Run("confirm without askpass", func(t *testing.T) {
		// No DISPLAY: ssh-agent may not run askpass, so it refuses.
		a2 := agStart(t, bins.agent, agEnv("SSH_ASKPASS="+confirm), "-D")
		os.WriteFile(answer, []byte("yes\n"), 0o600)
		env2 := a2.env()
		if r := agRun(t, env2, sshAdd, "-c", k.ed); r.code != 0 {
			t.Fatal(r)
		}
		if r := agLogin(t, sshdtest.SSH, env2, srv, kh); ok(r) {
			t.Errorf("confirm key signed with no askpass allowed: %+v", r)
		}
	})
	t.Run("agent forwarding", func(t *testing.T) {
		// ssh -A: the remote ssh-add reaches gossh-agent through the
		// forwarded channel, which ssh binds with is_forwarding set.
		add("-D")
		add("-k", k.ed)
		u, _ := user.Current()
		for _, prog := range []string{sshdtest.SSH, bins.gossh} {
			r := agRun(t, env, prog, "-A", "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "UserKnownHostsFile="+kh,
				"-o", "BatchMode=yes", "-o", "IdentityFile=/nonexistent", u.Username+"@127.0.0.1", sshAdd+" -l")
			if r.code != 0 || !strings.Contains(r.stdout, " sshdtest (ED25519)\n") {
				t.Errorf("%s -A, remote ssh-add -l: %+v", filepath.Base(prog), r)
			}
		}
		if !strings.Contains(a.logText(), "forwarding=true") {
			t.Errorf("no forwarding session-bind from ssh -A:\n%s", tail(a.logText()))
		}
	})
	t.Run("gossh AddKeysToAgent", func(t *testing.T) {
		// gossh adds the key file it logged in with, with its
		// constraints; the confirm constraint then asks gossh-agent's
		// askpass. (The RSA key: with id_ed25519-cert.pub beside it,
		// gossh -i offers only the certificate, which this sshd has no
		// CA for, where ssh offers the certificate and then the key.)
		add("-D")
		u, _ := user.Current()
		r := agRun(t, env, bins.gossh, "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "UserKnownHostsFile="+kh,
			"-o", "BatchMode=yes", "-i", k.rsa, "-o", "IdentitiesOnly=yes", "-o", "AddKeysToAgent=confirm 1h",
			u.Username+"@127.0.0.1", "true")
		if r.code != 0 {
			t.Fatalf("gossh: %+v", r)
		}
		if l := agRun(t, env, sshAdd, "-l"); !strings.Contains(l.stdout, "(RSA)") {
			t.Fatalf("key not added: %+v", l)
		}
		os.WriteFile(answer, []byte("no\n"), 0o600)
		if r := login(sshdtest.SSH); ok(r) {
			t.Errorf("key added with confirm signed without it: %+v", r)
		}
		os.WriteFile(answer, []byte("yes\n"), 0o600)
		if r := login(sshdtest.SSH); !ok(r) {
			t.Errorf("confirmed: %+v", r)
		}
	})
	t.Run("lifetime", func(t *testing.T) {
		add("-D")
		add("-t", "6", k.ed)
		if r := login(sshdtest.SSH); !ok(r) {
			t.Errorf("before expiry: %+v", r)
		}
		agWaitEmpty(t, env, "ssh-add -t 6")
		if r := login(sshdtest.SSH); ok(r) {
			t.Errorf("expired key logged in: %+v", r)
		}
	})
	t.Run("default lifetime -t", func(t *testing.T) {
		a2 := agStart(t, bins.agent, agEnv(), "-D", "-t", "2")
		if r := agRun(t, a2.env(), sshAdd, k.ed); r.code != 0 {
			t.Fatal(r)
		}
		agWaitEmpty(t, a2.env(), "gossh-agent -t 2")
	})
}

// gossh-add's constraints reach OpenSSH's ssh-agent: -c makes ssh-agent
// ask its SSH_ASKPASS before signing (ssh-keygen -Y sign, through the
// agent), -t makes the key expire.
func TestGosshAddConstraintsOnSSHAgent(t *testing.T) {
	bins := agBuild(t)
	k := agMakeKeys(t)
	dir := t.TempDir()
	answer := filepath.Join(dir, "answer")
	confirm := agScript(t, filepath.Join(dir, "confirm"), `cat `+answer)
	a := agStart(t, sshAgent, agEnv("SSH_ASKPASS="+confirm, "DISPLAY=:0"), "-D")
	env := a.env()
	msg := filepath.Join(dir, "msg")
	os.WriteFile(msg, []byte("hello"), 0o600)
	sign := func() bool {
		os.Remove(msg + ".sig")
		r := agRun(t, env, sshdtest.SSHKeygen, "-Y", "sign", "-n", "file", "-f", k.ed+".pub", msg)
		return r.code == 0
	}
	if r := agRun(t, env, bins.add, "-c", "-k", k.ed); r.code != 0 ||
		r.stderr != "Identity added: "+k.ed+" (sshdtest)\nThe user must confirm each use of the key\n" {
		t.Fatalf("gossh-add -c: %+v", r)
	}
	os.WriteFile(answer, []byte("yes\n"), 0o600)
	if !sign() {
		t.Error("confirmed signature refused")
	}
	os.WriteFile(answer, []byte("no\n"), 0o600)
	if sign() {
		t.Error("ssh-agent signed although askpass said no: -c not sent")
	}
	if r := agRun(t, env, bins.add, "-D"); r.code != 0 {
		t.Fatal(r)
	}
	if r := agRun(t, env, bins.add, "-t", "2", k.ed); r.code != 0 || !strings.Contains(r.stderr, "Lifetime set to 2 seconds\n") {
		t.Fatalf("gossh-add -t: %+v", r)
	}
	agWaitEmpty(t, env, "gossh-add -t 2")
}

// gossh-add with no file adds the default identities in ssh-add's order.
// It finds them under $HOME where ssh-add reads the passwd entry, so the
// reference here is ssh-add given the same files explicitly.
func TestGosshAddDefaultFiles(t *testing.T) {
	bins := agBuild(t)
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, ".ssh"), 0o700)
	for _, typ := range []string{"ed25519", "rsa", "ecdsa"} {
		sshdtest.GenerateKey(t, typ, filepath.Join(home, ".ssh", "id_"+typ), "")
	}
	var outs []string
	for _, add := range []string{sshAdd, bins.add} {
		a := agStart(t, sshAgent, agEnv(), "-D")
		env := append(a.env(), "HOME="+home)
		var files []string
		if add == sshAdd {
			for _, typ := range []string{"rsa", "ecdsa", "ed25519"} {
				files = append(files, filepath.Join(home, ".ssh", "id_"+typ))
			}
		}
		r := agRun(t, env, add, files...)
		l := agRun(t, env, add, "-l")
		outs = append(outs, fmt.Sprintf("%d %s|%s", r.code, r.stderr, l.stdout))
	}
	if outs[0] != outs[1] {
		t.Errorf("default files:\nssh-add   %s\ngossh-add %s", outs[0], outs[1])
	}
	if strings.Count(outs[0], "Identity added") != 3 {
		t.Errorf("ssh-add added: %s", outs[0])
	}
}

var (
	agShOut  = regexp.MustCompile(`^SSH_AUTH_SOCK=(\S+); export SSH_AUTH_SOCK;\nSSH_AGENT_PID=(\d+); export SSH_AGENT_PID;\necho Agent pid (\d+);\n$`)
	agCshOut = regexp.MustCompile(`^setenv SSH_AUTH_SOCK (\S+);\nsetenv SSH_AGENT_PID (\d+);\necho Agent pid (\d+);\n$`)
	agDOut   = regexp.MustCompile(`^SSH_AUTH_SOCK=(\S+); export SSH_AUTH_SOCK;\necho Agent pid (\d+);\n$`)
)

// gossh-agent's process flags: -s and -c print ssh-agent's shell
// commands and leave a background agent behind, its socket mode 0600 in
// a 0700 directory; -k kills it and removes both; a command runs with
// the agent and the agent exits after it; a hostile client is cut off
// while others go on.
func TestGosshAgentFlags(t *testing.T) {
	bins := agBuild(t)
	tmp := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		re   *regexp.Regexp
	}{
		{"-s", []string{"-s"}, agShOut},
		{"-c", []string{"-c"}, agCshOut},
		{"SHELL=csh", nil, agCshOut},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := agEnv("TMPDIR="+tmp, "SHELL=/bin/sh")
			if c.args == nil {
				env = agEnv("TMPDIR="+tmp, "SHELL=/bin/tcsh")
			}
			r := agRun(t, env, bins.agent, c.args...)
			m := c.re.FindStringSubmatch(r.stdout)
			if r.code != 0 || m == nil || m[2] != m[3] {
				t.Fatalf("output %+v", r)
			}
			sock, pid := m[1], m[2]
			t.Cleanup(func() {
				if p, _ := strconv.Atoi(pid); p > 1 {
					syscall.Kill(p, syscall.SIGKILL)
				}
			})
			if st, err := os.Stat(filepath.Dir(sock)); err != nil || st.Mode().Perm() != 0o700 ||
				!strings.HasPrefix(filepath.Base(filepath.Dir(sock)), "ssh-") {
				t.Errorf("socket directory %s: %v %v", filepath.Dir(sock), st.Mode(), err)
			}
			if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
				t.Errorf("socket %s: %v %v", sock, st.Mode(), err)
			}
			if r := agRun(t, agEnv("SSH_AUTH_SOCK="+sock), sshAdd, "-l"); r.stdout != "The agent has no identities.\n" {
				t.Errorf("ssh-add -l: %+v", r)
			}
			kill := agRun(t, agEnv("SSH_AGENT_PID="+pid, "SHELL=/bin/sh"), bins.agent, "-k")
			if want := "unset SSH_AUTH_SOCK;\nunset SSH_AGENT_PID;\necho Agent pid " + pid + " killed;\n"; kill.stdout != want {
				t.Errorf("-k: %+v, want %q", kill, want)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, err := os.Stat(filepath.Dir(sock)); errors.Is(err, os.ErrNotExist) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("socket directory left after -k")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	t.Run("-D", func(t *testing.T) {
		// -D prints SSH_AUTH_SOCK and its own pid, no SSH_AGENT_PID,
		// as ssh-agent -D does.
		a := agStart(t, bins.agent, agEnv("SHELL=/bin/sh"), "-D")
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(a.logText(), "echo Agent pid") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		m := agDOut.FindStringSubmatch(a.logText())
		if m == nil || m[1] != a.sock || m[2] != strconv.Itoa(a.d.PID()) {
			t.Errorf("-D printed %q", a.logText())
		}
	})
	t.Run("-k without SSH_AGENT_PID", func(t *testing.T) {
		r := agRun(t, agEnv(), bins.agent, "-k")
		if r.code != 1 || r.stderr != "SSH_AGENT_PID not set, cannot kill agent\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("command", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "sock")
		// An agent the user already had is not the one the command sees.
		r := agRun(t, agEnv("TMPDIR="+tmp, "SSH_AUTH_SOCK=/nonexistent/old", "SSH_AGENT_PID=1"), bins.agent, "sh", "-c",
			`echo "$SSH_AUTH_SOCK" > `+out+`; kill -0 "$SSH_AGENT_PID" && ssh-add -l; exit 7`)
		if r.code != 7 || r.stdout != "The agent has no identities.\n" {
			t.Fatalf("command: %+v", r)
		}
		// Run directly, not through a shell that would keep the last of
		// two SSH_AUTH_SOCK entries, ssh-add's getenv takes the first.
		direct := agRun(t, agEnv("TMPDIR="+tmp, "SSH_AUTH_SOCK=/nonexistent/old"), bins.agent, sshAdd, "-l")
		if direct.code != 1 || direct.stdout != "The agent has no identities.\n" {
			t.Errorf("gossh-agent ssh-add -l: %+v", direct)
		}
		b, _ := os.ReadFile(out)
		sock := strings.TrimSpace(string(b))
		if sock == "" {
			t.Fatal("SSH_AUTH_SOCK not set for the command")
		}
		// The agent sees its parent gone and exits, removing its socket.
		deadline := time.Now().Add(15 * time.Second)
		for {
			if _, err := os.Stat(sock); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("agent still running after its command exited")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	t.Run("-E and -t in the background", func(t *testing.T) {
		// Command mode: the background agent takes -E (the confirm
		// prompt's fingerprint) and -t from the first process.
		k := agMakeKeys(t)
		dir := t.TempDir()
		prompts := filepath.Join(dir, "prompts")
		askpass := agScript(t, filepath.Join(dir, "askpass"), `echo "$1" >> `+prompts+`; echo yes`)
		msg := filepath.Join(dir, "msg")
		os.WriteFile(msg, []byte("hello"), 0o600)
		script := sshAdd + " -q -c " + k.ed + " && " + sshdtest.SSHKeygen + " -q -Y sign -n file -f " + k.ed + ".pub " + msg +
			" && sleep 3 && " + sshAdd + " -l"
		r := agRun(t, agEnv("TMPDIR="+tmp, "SSH_ASKPASS="+askpass, "DISPLAY=:0"), bins.agent, "-E", "md5", "-t", "2", "sh", "-c", script)
		if r.code != 1 || r.stdout != "The agent has no identities.\n" {
			t.Errorf("command: %+v", r)
		}
		b, _ := os.ReadFile(prompts)
		if !strings.Contains(string(b), "Key fingerprint MD5:") {
			t.Errorf("confirm prompt %q, want an MD5 fingerprint", b)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		// The same errors, exit codes and usage as ssh-agent (whose
		// usage names itself, two columns narrower).
		for _, args := range [][]string{{"-c", "-s"}, {"-t", "bogus"}, {"-D", "true"}, {"-s", "true"}, {"-E", "sha3"},
			{"-O", "x"}, {"-dD"}, {"-a"}, {"-Z"}} {
			want := agRun(t, agEnv(), sshAgent, args...)
			want.stderr = strings.ReplaceAll(want.stderr, "ssh-agent", "gossh-agent")
			want.stderr = strings.ReplaceAll(want.stderr, "\n                 [", "\n                   [")
			if got := agRun(t, agEnv(), bins.agent, args...); got != want {
				t.Errorf("%v:\nssh-agent   %+v\ngossh-agent %+v", args, want, got)
			}
		}
	})
	t.Run("gossh-add bad flags", func(t *testing.T) {
		// ssh-add's first line and exit code (its usage lists flags
		// gossh-add does not take).
		a := agStart(t, bins.agent, agEnv(), "-D")
		for _, args := range [][]string{{"-Z"}, {"-t"}, {"-l", "-l"}, {"-x", "-D"}, {"-E", "sha3"}, {"-t", "-1"}} {
			want := agRun(t, a.env(), sshAdd, args...)
			got := agRun(t, a.env(), bins.add, args...)
			first := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
			if got.code != want.code || first(got.stderr) != first(want.stderr) || got.stdout != want.stdout {
				t.Errorf("%v:\nssh-add   %+v\ngossh-add %+v", args, want, got)
			}
		}
	})
	t.Run("hostile client", func(t *testing.T) {
		a := agStart(t, bins.agent, agEnv(), "-D")
		k := agMakeKeys(t)
		if r := agRun(t, a.env(), sshAdd, "-k", k.ed); r.code != 0 {
			t.Fatal(r)
		}
		good, err := net.Dial("unix", a.sock)
		if err != nil {
			t.Fatal(err)
		}
		defer good.Close()
		for _, input := range [][]byte{
			{0xff, 0xff, 0xff, 0xff}, // 4 GiB
			{0, 4, 0, 1, 13},         // 256 KiB + 1
			{0, 0, 0, 0},             // empty
		} {
			c, err := net.Dial("unix", a.sock)
			if err != nil {
				t.Fatal(err)
			}
			c.Write(input)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err == nil {
				t.Errorf("%x: got %d bytes back, want the connection closed", input, n)
			}
			c.Close()
		}
		// A big but legal message (200 KiB of garbage) is answered.
		big := make([]byte, 4+200<<10)
		copy(big, []byte{0, 3, 32, 0, 17})
		go good.Write(big)
		good.SetReadDeadline(time.Now().Add(10 * time.Second))
		reply := make([]byte, 5)
		if _, err := io.ReadFull(good, reply); err != nil || reply[4] != 5 {
			t.Errorf("200 KiB garbage add: reply %x, %v; want SSH_AGENT_FAILURE", reply, err)
		}
		if r := agRun(t, a.env(), sshAdd, "-l"); r.code != 0 || !strings.Contains(r.stdout, "(ED25519)") {
			t.Errorf("agent after hostile clients: %+v", r)
		}
	})
}

// BenchmarkAgentSign signs 128 bytes with an Ed25519 key through
// gossh-agent and, as the baseline of the same run, through OpenSSH's
// ssh-agent, over the agents' Unix sockets.
func BenchmarkAgentSign(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "gossh-agent")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sshstack/sshstack/client/cmd/gossh-agent").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	key := filepath.Join(dir, "id_ed25519")
	sshdtest.GenerateKey(b, "ed25519", key, "")
	for _, c := range []struct{ name, prog string }{{"gossh-agent", bin}, {"ssh-agent", sshAgent}} {
		b.Run(c.name, func(b *testing.B) {
			sock := filepath.Join(b.TempDir(), "agent.sock")
			cmd := exec.Command(c.prog, "-D", "-a", sock)
			cmd.Env = agEnv()
			d, err := sshdtest.StartDaemon(cmd, func() bool { _, err := os.Stat(sock); return err == nil }, 10*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Stop(syscall.SIGTERM, 5*time.Second)
			add := exec.Command(sshAdd, "-q", key)
			add.Env = agEnv("SSH_AUTH_SOCK=" + sock)
			if out, err := add.CombinedOutput(); err != nil {
				b.Fatalf("ssh-add: %v\n%s", err, out)
			}
			conn, err := net.Dial("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			ag := agent.NewClient(conn)
			keys, err := ag.List()
			if err != nil || len(keys) != 1 {
				b.Fatalf("List: %v %v", keys, err)
			}
			data := make([]byte, 128)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ag.Sign(keys[0], data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
