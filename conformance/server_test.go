package conformance_test

// Interop of gosshd (server/cmd/gosshd, on package server) with OpenSSH
// 9.2's ssh, sftp and ssh-add and with paramiko: every kex, cipher, MAC
// and host key algorithm the two share, publickey with each key type and
// a user certificate, password and keyboard-interactive through PAM for a
// throwaway account with AuthenticationMethods, exec exit status and
// stderr, a 1 MiB echo, a pty through a real terminal (tmux), -L, -R,
// agent forwarding, internal-sftp, and sshd's log lines.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/conformance"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/server/servertest"
)

var (
	svBuildOnce sync.Once
	svBinary    string
	svBuildErr  error
)

// svGosshd builds gosshd once per test binary.
func svGosshd(t *testing.T) string {
	t.Helper()
	svBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gosshd-bin")
		if err != nil {
			svBuildErr = err
			return
		}
		conformance.RemoveAtExit(dir)
		svBinary = filepath.Join(dir, "gosshd")
		out, err := exec.Command("go", "build", "-o", svBinary, "github.com/sshstack/sshstack/server/cmd/gosshd").CombinedOutput()
		if err != nil {
			svBuildErr = fmt.Errorf("go build gosshd: %v\n%s", err, out)
		}
	})
	if svBuildErr != nil {
		t.Fatal(svBuildErr)
	}
	return svBinary
}

// svServer is a running gosshd.
type svServer struct {
	dir, port, log string
	hostKeys       map[string]string // ssh-keygen type -> private key
	userKey        string            // ed25519 user key, authorized for root
	knownHosts     string
}

// svStart generates keys, writes a config and runs gosshd -D -e -d.
func svStart(t *testing.T, hostTypes []string, extra ...string) *svServer {
	t.Helper()
	bin := svGosshd(t)
	dir := t.TempDir()
	s := &svServer{dir: dir, hostKeys: map[string]string{}, log: filepath.Join(dir, "gosshd.log")}
	port, err := sshdtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s.port = itoa(port)
	var cfg []string
	var known []byte
	for _, typ := range hostTypes {
		p := filepath.Join(dir, "host_"+typ)
		sshdtest.GenerateKey(t, typ, p, "")
		s.hostKeys[typ] = p
		cfg = append(cfg, "HostKey "+p)
		pub, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		known = append(known, []byte("[127.0.0.1]:"+s.port+" ")...)
		known = append(known, pub...)
	}
	s.knownHosts = uaWrite(t, filepath.Join(dir, "known_hosts"), known, 0o600)
	s.userKey = filepath.Join(dir, "id_ed25519")
	sshdtest.GenerateKey(t, "ed25519", s.userKey, "")
	pub, _ := os.ReadFile(s.userKey + ".pub")
	uaWrite(t, filepath.Join(dir, "authorized_keys"), pub, 0o644)
	// Lines from the first Match on go last, after the harness's.
	var match []string
	if i := slices.IndexFunc(extra, func(l string) bool { return strings.HasPrefix(l, "Match ") }); i >= 0 {
		extra, match = extra[:i:i], extra[i:]
	}
	cfg = append(extra, cfg...)
	// The key files are under /tmp (mode 1777), which StrictModes
	// refuses, in gosshd as in sshd (TestGosshdStrictModesMatchesSSHD);
	// sshdtest's sshd gets the same line.
	cfg = append(cfg, "ListenAddress 127.0.0.1", "Port "+s.port, "AuthorizedKeysFile "+filepath.Join(dir, "authorized_keys")+" "+dir+"/%u.keys",
		"StrictModes no", "PidFile none", "LogLevel DEBUG1")
	cfg = append(cfg, match...)
	conf := uaWrite(t, filepath.Join(dir, "sshd_config"), []byte(strings.Join(cfg, "\n")+"\n"), 0o644)
	svRun(t, exec.Command(bin, "-D", "-e", "-f", conf), s.log)
	return s
}

// svRun runs a gosshd command (sshdtest.StartDaemon) with its output in
// a new file at logPath until the test ends, and waits for its "Server
// listening" line. The cleanup stops it with SIGTERM and fails the test
// if it has not exited 15 s later.
func svRun(t *testing.T, cmd *exec.Cmd, logPath string) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = logf, logf
	d, err := sshdtest.StartDaemon(cmd, sshdtest.LogContains(logPath, "Server listening"), 5*time.Second)
	if err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("gosshd did not start: %v\n%s", err, b)
	}
	t.Cleanup(func() {
		if err := d.Stop(syscall.SIGTERM, 15*time.Second); err != nil {
			t.Errorf("gosshd did not stop within 15 s of SIGTERM: %v", err)
		}
	})
}

func (s *svServer) logText() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// ssh runs OpenSSH's ssh against the server as user with the given
// extra arguments, then the remote command.
func (s *svServer) ssh(t *testing.T, stdin []byte, user string, args ...string) sshdtest.SSHResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"-p", s.port, "-o", "UserKnownHostsFile=" + s.knownHosts, "-o", "StrictHostKeyChecking=yes",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", s.userKey, "-l", user}
	res, err := sshdtest.RunSSH(ctx, stdin, append(base, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// svShared returns the names both lists hold, in want's order.
func svShared(ours, theirs []string) []string {
	var out []string
	for _, n := range theirs {
		if slices.Contains(ours, n) {
			out = append(out, n)
		}
	}
	return out
}

func svQuery(t *testing.T, what string) []string {
	out, err := exec.Command(sshdtest.SSH, "-Q", what).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}

// TestGosshdAlgorithmMatrix connects ssh to gosshd once per shared kex
// method, cipher, MAC and host key algorithm, each forced alone with the
// others left at their defaults, and checks gosshd's debug1 line names it.
func TestGosshdAlgorithmMatrix(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	kexes := svShared(kex.Methods(), svQuery(t, "kex"))
	ciphers := svShared(cipher.Ciphers(), svQuery(t, "cipher"))
	macs := svShared(cipher.MACs(), svQuery(t, "mac"))
	hostAlgs := svShared(append(hostkey.Algorithms(), hostkey.RSASHA256, hostkey.RSASHA512), svQuery(t, "key-sig"))
	var hkAlgs []string
	for _, a := range hostAlgs {
		if !hostkey.IsCertAlgorithm(a) && !strings.HasPrefix(a, "sk-") {
			hkAlgs = append(hkAlgs, a)
		}
	}
	s := svStart(t, []string{"ed25519", "ecdsa", "ecdsa-384", "ecdsa-521", "rsa"},
		"KexAlgorithms "+strings.Join(kexes, ","), "Ciphers "+strings.Join(ciphers, ","), "MACs "+strings.Join(macs, ","),
		"HostKeyAlgorithms "+strings.Join(hkAlgs, ","))
	type tc struct{ name, opt, logLine string }
	var cases []tc
	for _, k := range kexes {
		cases = append(cases, tc{"kex/" + k, "KexAlgorithms=" + k, "debug1: kex: algorithm: " + k})
	}
	for _, c := range ciphers {
		cases = append(cases, tc{"cipher/" + c, "Ciphers=" + c, "debug1: kex: client->server cipher: " + c + " "})
	}
	for _, m := range macs {
		cases = append(cases, tc{"mac/" + m, "MACs=" + m, " MAC: " + m + " "})
	}
	for _, h := range hkAlgs {
		cases = append(cases, tc{"hostkey/" + h, "HostKeyAlgorithms=" + h, "debug1: kex: host key algorithm: " + h})
	}
	passed := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-o", c.opt}
			if strings.HasPrefix(c.name, "mac/") {
				args = append(args, "-o", "Ciphers=aes128-ctr")
			}
			before := len(s.logText())
			res := s.ssh(t, nil, "root", append(args, "127.0.0.1", "echo matrix-ok")...)
			if res.ExitCode != 0 || !bytes.Equal(res.Stdout, []byte("matrix-ok\n")) {
				t.Fatalf("exit %d, stdout %q\n%s\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)), tail(s.logText()))
			}
			if !strings.Contains(s.logText()[before:], c.logLine) {
				t.Errorf("gosshd log lacks %q", c.logLine)
			}
			passed++
		})
	}
	t.Logf("algorithm matrix: %d of %d combinations passed (%d kex, %d ciphers, %d MACs, %d host key algorithms)",
		passed, len(cases), len(kexes), len(ciphers), len(macs), len(hkAlgs))
}

// TestGosshdSessions: exec exit status and stderr, 1 MiB echo, the
// session environment, a pty through tmux with its window size, -L, -R,
// agent forwarding, internal-sftp, publickey with ECDSA, RSA and a user
// certificate, and the sshd log lines.
func TestGosshdSessions(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	caKey := uaKey(t, hostkey.ED25519)
	dir := t.TempDir()
	caFile := uaWrite(t, filepath.Join(dir, "ca.pub"), hostkey.MarshalAuthorizedKey(caKey.PublicKey(), "ca"), 0o644)
	s := svStart(t, []string{"ed25519"}, "Subsystem sftp internal-sftp", "TrustedUserCAKeys "+caFile, "AcceptEnv LC_DEMO",
		"SetEnv FROM_CONFIG=yes",
		// Clients from 127.0.0.2 get a forced command.
		"Match Address 127.0.0.2", "\tForceCommand echo matched $SSH_ORIGINAL_COMMAND")

	t.Run("exit status and stderr", func(t *testing.T) {
		res := s.ssh(t, nil, "root", "127.0.0.1", "echo out; echo err >&2; exit 7")
		if res.ExitCode != 7 || string(res.Stdout) != "out\n" || !bytes.Contains(res.Stderr, []byte("err\n")) {
			t.Fatalf("exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
		}
	})
	t.Run("exit signal", func(t *testing.T) {
		res := s.ssh(t, nil, "root", "127.0.0.1", "kill -TERM $$")
		if res.ExitCode != 255 && res.ExitCode != 143 {
			t.Fatalf("exit %d, want ssh's code for a signal", res.ExitCode)
		}
	})
	t.Run("Match Address", func(t *testing.T) {
		res := s.ssh(t, nil, "root", "-b", "127.0.0.2", "127.0.0.1", "uname")
		if res.ExitCode != 0 || string(res.Stdout) != "matched uname\n" {
			t.Fatalf("from 127.0.0.2: exit %d stdout %q\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)))
		}
		if res := s.ssh(t, nil, "root", "127.0.0.1", "uname"); bytes.Contains(res.Stdout, []byte("matched")) {
			t.Errorf("Match applied to 127.0.0.1: %q", res.Stdout)
		}
	})
	t.Run("1 MiB echo", func(t *testing.T) {
		in := make([]byte, 1<<20)
		rand.Read(in)
		res := s.ssh(t, in, "root", "127.0.0.1", "cat")
		if res.ExitCode != 0 || !bytes.Equal(res.Stdout, in) {
			t.Fatalf("exit %d, %d bytes back of %d", res.ExitCode, len(res.Stdout), len(in))
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("LC_DEMO", "sent")
		res := s.ssh(t, nil, "root", "-o", "SendEnv=LC_DEMO", "127.0.0.1", "env")
		for _, want := range []string{"USER=root", "LOGNAME=root", "HOME=/root", "SHELL=", "PATH=", "SSH_CONNECTION=127.0.0.1 ",
			"SSH_CLIENT=127.0.0.1 ", "LC_DEMO=sent", "FROM_CONFIG=yes"} {
			if !bytes.Contains(res.Stdout, []byte(want)) {
				t.Errorf("environment lacks %q:\n%s", want, res.Stdout)
			}
		}
	})
	t.Run("pty through tmux", func(t *testing.T) {
		if _, err := exec.LookPath("tmux"); err != nil {
			sshdtest.MissingPeer(t, "tmux not installed")
		}
		out := filepath.Join(dir, "pty.out")
		sock := filepath.Join(dir, "tmux.sock")
		script := uaWrite(t, filepath.Join(dir, "pty.sh"), []byte(fmt.Sprintf(
			"#!/bin/sh\nstty -echoctl intr ^B\nssh -F none -p %s -o UserKnownHostsFile=%s -o IdentitiesOnly=yes -o BatchMode=yes -o IdentityAgent=none -i %s -t root@127.0.0.1 'tty; stty size; stty -a; echo TERM=$TERM; (: < /dev/tty) && echo CTTY=$(ps -o tty= -p $$); echo SSH_TTY=$SSH_TTY' > %s 2>&1\n",
			s.port, s.knownHosts, s.userKey, out)), 0o755)
		cmd := exec.Command("tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "123", "-y", "45", script)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tmux: %v %s", err, b)
		}
		defer exec.Command("tmux", "-S", sock, "kill-server").Run()
		var got []byte
		for range 100 {
			got, _ = os.ReadFile(out)
			if bytes.Contains(got, []byte("SSH_TTY=")) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		// The local terminal's modes (set by stty above) reach the remote
		// pty through pty-req (RFC 4254, Section 8).
		for _, want := range []string{"/dev/pts/", "45 123", "TERM=", "SSH_TTY=/dev/pts/", "intr = ^B", "-echoctl", "CTTY=pts/"} {
			if !bytes.Contains(got, []byte(want)) {
				t.Errorf("pty session output lacks %q:\n%s", want, got)
			}
		}
	})
	t.Run("pty session ends with its shell", func(t *testing.T) {
		// A background job holding the pty does not keep the session open.
		begin := time.Now()
		res := s.ssh(t, nil, "root", "-tt", "127.0.0.1", "setsid sleep 20 & echo bg-started")
		if res.ExitCode != 0 || !bytes.Contains(res.Stdout, []byte("bg-started")) || time.Since(begin) > 10*time.Second {
			t.Fatalf("exit %d stdout %q after %v", res.ExitCode, res.Stdout, time.Since(begin))
		}
	})
	t.Run("compression", func(t *testing.T) {
		// gosshd offers zlib@openssh.com by default, as sshd does; ssh -C
		// asks for it, and it starts after authentication.
		data := bytes.Repeat([]byte("gosshd compresses this line well.\n"), (1<<20)/34)
		res := s.ssh(t, data, "root", "-C", "-v", "127.0.0.1", "cat")
		if res.ExitCode != 0 || !bytes.Equal(res.Stdout, data) {
			t.Fatalf("exit %d, echoed %d of %d bytes\n%s", res.ExitCode, len(res.Stdout), len(data), tail(string(res.Stderr)))
		}
		for _, dir := range []string{"client->server", "server->client"} {
			if !bytes.Contains(res.Stderr, []byte("debug1: kex: "+dir+" cipher: ")) || !bytes.Contains(res.Stderr, []byte("compression: zlib@openssh.com")) {
				t.Errorf("ssh -v does not show zlib@openssh.com for %s", dir)
			}
		}
		if !bytes.Contains(res.Stderr, []byte("compress outgoing: raw data")) {
			t.Errorf("ssh -v reports no compression statistics")
		}
	})
	t.Run("local forward -L", func(t *testing.T) {
		target := servertest.EchoAddr(t)
		lport, _ := sshdtest.FreePort()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		wg.Go(func() {
			sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "UserKnownHostsFile="+s.knownHosts, "-o", "IdentitiesOnly=yes",
				"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "ExitOnForwardFailure=yes", "-i", s.userKey, "-N",
				"-L", fmt.Sprintf("127.0.0.1:%d:%s", lport, target), "root@127.0.0.1")
		})
		svRoundTrip(t, fmt.Sprintf("127.0.0.1:%d", lport))
	})
	t.Run("remote forward -R", func(t *testing.T) {
		target := servertest.EchoAddr(t)
		rport, _ := sshdtest.FreePort()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		wg.Go(func() {
			sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "UserKnownHostsFile="+s.knownHosts, "-o", "IdentitiesOnly=yes",
				"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "ExitOnForwardFailure=yes", "-i", s.userKey, "-N",
				"-R", fmt.Sprintf("127.0.0.1:%d:%s", rport, target), "root@127.0.0.1")
		})
		svRoundTrip(t, fmt.Sprintf("127.0.0.1:%d", rport))
	})
	t.Run("agent forwarding", func(t *testing.T) {
		agentKey := uaKey(t, hostkey.ED25519)
		sock := filepath.Join(dir, "agent.sock")
		uaAgent(t, sock, agentKey)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "UserKnownHostsFile="+s.knownHosts, "-o", "IdentitiesOnly=yes",
			"-o", "BatchMode=yes", "-o", "IdentityAgent="+sock, "-i", s.userKey, "-A", "root@127.0.0.1", "ssh-add -L")
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Fields(hostkey.MarshalAuthorizedKey(agentKey.PublicKey(), ""))[1]
		if res.ExitCode != 0 || !bytes.Contains(res.Stdout, want) {
			t.Fatalf("ssh-add -L through the forwarded agent: exit %d\n%s\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)))
		}
	})
	t.Run("internal-sftp", func(t *testing.T) {
		src := uaWrite(t, filepath.Join(dir, "up.txt"), []byte("sftp payload\n"), 0o644)
		dst := filepath.Join(dir, "down.txt")
		batch := uaWrite(t, filepath.Join(dir, "batch"), []byte(fmt.Sprintf("put %s %s/remote.txt\nget %s/remote.txt %s\nls %s\n", src, dir, dir, dst, dir)), 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "sftp", "-F", "none", "-P", s.port, "-o", "UserKnownHostsFile="+s.knownHosts,
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", s.userKey, "-b", batch, "root@127.0.0.1").CombinedOutput()
		if err != nil {
			t.Fatalf("sftp: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(dst); string(b) != "sftp payload\n" {
			t.Fatalf("downloaded %q\n%s", b, out)
		}
	})
	t.Run("publickey key types and certificate", func(t *testing.T) {
		var ak []byte
		keys := map[string]string{}
		for _, typ := range []string{"ecdsa", "rsa"} {
			p := filepath.Join(dir, "id_"+typ)
			sshdtest.GenerateKey(t, typ, p, "")
			keys[typ] = p
			pub, _ := os.ReadFile(p + ".pub")
			ak = append(ak, pub...)
		}
		uaWrite(t, filepath.Join(s.dir, "root.keys"), ak, 0o644) // the %u.keys file
		for typ, p := range keys {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			res, err := sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "UserKnownHostsFile="+s.knownHosts, "-o", "IdentitiesOnly=yes",
				"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", p, "root@127.0.0.1", "echo "+typ)
			cancel()
			if err != nil || res.ExitCode != 0 {
				t.Errorf("%s key: %v exit %d\n%s", typ, err, res.ExitCode, tail(string(res.Stderr)))
			}
		}
		// A user certificate from TrustedUserCAKeys, with a forced command.
		certKey := filepath.Join(dir, "id_cert")
		sshdtest.GenerateKey(t, "ed25519", certKey, "")
		pubb, _ := os.ReadFile(certKey + ".pub")
		pub, _, err := hostkey.ParsePublicKeyFile(pubb)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		cert := &hostkey.Certificate{Key: pub, CertType: hostkey.UserCert, KeyID: "gosshd-test", ValidPrincipals: []string{"root"},
			ValidAfter: uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix()),
			CriticalOptions: map[string]string{hostkey.OptForceCommand: "echo forced-by-cert"}}
		if err := cert.SignCert(rand.Reader, caKey); err != nil {
			t.Fatal(err)
		}
		uaWrite(t, certKey+"-cert.pub", hostkey.MarshalAuthorizedKey(cert, ""), 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "UserKnownHostsFile="+s.knownHosts, "-o", "IdentitiesOnly=yes",
			"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", certKey, "root@127.0.0.1", "echo not this")
		if err != nil || res.ExitCode != 0 || string(res.Stdout) != "forced-by-cert\n" {
			t.Errorf("certificate: %v exit %d stdout %q\n%s", err, res.ExitCode, res.Stdout, tail(string(res.Stderr)))
		}
	})
	time.Sleep(100 * time.Millisecond)
	for _, want := range []string{"Accepted publickey for root from 127.0.0.1 port ", " ssh2: ED25519 SHA256:", " ssh2: ECDSA SHA256:",
		" ssh2: RSA SHA256:", "ED25519-CERT SHA256:", "debug1: kex: algorithm: ", "debug1: kex: host key algorithm: ssh-ed25519",
		"debug1: kex: client->server cipher: "} {
		if !strings.Contains(s.logText(), want) {
			t.Errorf("gosshd log lacks %q", want)
		}
	}
}

// svRoundTrip dials addr (retrying while ssh sets the forwarding up)
// and checks an echo through it.
func svRoundTrip(t *testing.T, addr string) {
	t.Helper()
	for range 100 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "through the tunnel")
			buf := make([]byte, len("through the tunnel"))
			_, err = io.ReadFull(c, buf)
			c.Close()
			if err == nil && string(buf) == "through the tunnel" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no echo through %s", addr)
}

// TestGosshdPAM logs in as a throwaway local account through PAM:
// password and keyboard-interactive (answered by ssh through
// SSH_ASKPASS), and AuthenticationMethods publickey,keyboard-interactive.
// The session runs as that user (id -un), which needs gosshd as root.
func TestGosshdPAM(t *testing.T) {
	const password = "Gosshd-Test-Passw0rd"
	name := uaLocalUser(t, password)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	dir := t.TempDir()
	askpass := uaWrite(t, filepath.Join(dir, "askpass"), []byte("#!/bin/sh\necho '"+password+"'\n"), 0o755)
	t.Setenv("SSH_ASKPASS", askpass)
	t.Setenv("SSH_ASKPASS_REQUIRE", "force")
	run := func(t *testing.T, s *svServer, user string, args ...string) sshdtest.SSHResult {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		base := []string{"-p", s.port, "-o", "UserKnownHostsFile=" + s.knownHosts, "-o", "StrictHostKeyChecking=yes",
			"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "NumberOfPasswordPrompts=1", "-l", user}
		res, err := sshdtest.RunSSH(ctx, nil, append(append(base, args...), "127.0.0.1", "id -un; echo $HOME $SHELL; echo loginuid=$(cat /proc/self/loginuid) uid=$(id -u)")...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("password and keyboard-interactive", func(t *testing.T) {
		s := svStart(t, []string{"ed25519"}, "UsePAM yes", "PasswordAuthentication yes", "KbdInteractiveAuthentication yes")
		for _, method := range []string{"password", "keyboard-interactive"} {
			res := run(t, s, name, "-o", "PreferredAuthentications="+method, "-o", "PubkeyAuthentication=no")
			if res.ExitCode != 0 || !bytes.HasPrefix(res.Stdout, []byte(name+"\n")) {
				t.Errorf("%s: exit %d stdout %q\n%s\n%s", method, res.ExitCode, res.Stdout, tail(string(res.Stderr)), tail(s.logText()))
			}
			// The PAM session phase ran for the session (pam_loginuid in
			// Debian's sshd stack sets the login uid to the user's).
			var loginuid, uid string
			for _, f := range strings.Fields(string(res.Stdout)) {
				if v, ok := strings.CutPrefix(f, "loginuid="); ok {
					loginuid = v
				}
				if v, ok := strings.CutPrefix(f, "uid="); ok {
					uid = v
				}
			}
			if loginuid != uid {
				t.Errorf("%s: loginuid %q, want the user's uid %q (PAM session not opened?)", method, loginuid, uid)
			}
		}
		// A wrong password and an unknown user, for the log lines.
		wrong := uaWrite(t, filepath.Join(dir, "wrong"), []byte("#!/bin/sh\necho wrong\n"), 0o755)
		t.Setenv("SSH_ASKPASS", wrong)
		if res := run(t, s, name, "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"); res.ExitCode == 0 {
			t.Error("wrong password accepted")
		}
		if res := run(t, s, "nosuchuser"+name, "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"); res.ExitCode == 0 {
			t.Error("unknown user accepted")
		}
		t.Setenv("SSH_ASKPASS", askpass)
		time.Sleep(200 * time.Millisecond)
		for _, want := range []string{"Accepted password for " + name + " from 127.0.0.1 port ", "Accepted keyboard-interactive for " + name,
			"Failed password for " + name + " from 127.0.0.1 port ", "Invalid user nosuchuser" + name + " from 127.0.0.1 port ",
			"Failed password for invalid user nosuchuser" + name} {
			if !strings.Contains(s.logText(), want) {
				t.Errorf("gosshd log lacks %q:\n%s", want, tail(s.logText()))
			}
		}
	})
	t.Run("publickey,keyboard-interactive", func(t *testing.T) {
		s := svStart(t, []string{"ed25519"}, "UsePAM yes", "PasswordAuthentication no", "KbdInteractiveAuthentication yes",
			"AuthenticationMethods publickey,keyboard-interactive")
		pub, _ := os.ReadFile(s.userKey + ".pub")
		uaWrite(t, filepath.Join(s.dir, name+".keys"), pub, 0o644)
		res := run(t, s, name, "-i", s.userKey, "-o", "PreferredAuthentications=publickey,keyboard-interactive")
		if res.ExitCode != 0 || !bytes.HasPrefix(res.Stdout, []byte(name+"\n")) {
			t.Fatalf("exit %d stdout %q\n%s\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)), tail(s.logText()))
		}
		if !bytes.Contains(res.Stderr, []byte("partial success")) && !strings.Contains(s.logText(), "Partial publickey for "+name) {
			t.Errorf("no partial success seen:\n%s", tail(s.logText()))
		}
	})
}

// svParamiko runs one command with paramiko's client (auth_publickey)
// and prints its output and exit status.
const svParamiko = `
import sys, paramiko
port, user, key, known = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = paramiko.SSHClient()
c.load_host_keys(known)
c.set_missing_host_key_policy(paramiko.RejectPolicy())
c.connect("127.0.0.1", port=port, username=user, key_filename=key, look_for_keys=False, allow_agent=False, timeout=20)
stdin, stdout, stderr = c.exec_command("echo from-paramiko; echo err >&2; exit 5")
out, err = stdout.read().decode(), stderr.read().decode()
print("out=%r err=%r status=%d" % (out, err, stdout.channel.recv_exit_status()))
sftp = c.open_sftp()
print("sftp=%s" % sorted(sftp.listdir("/"))[:1])
c.close()
`

// TestGosshdParamiko runs paramiko's SSHClient against gosshd: publickey
// auth, exec with stdout, stderr and exit status, and SFTP.
func TestGosshdParamiko(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko").Run(); err != nil {
		sshdtest.MissingPeer(t, "paramiko not available: %v", err)
	}
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	s := svStart(t, []string{"ed25519"}, "Subsystem sftp internal-sftp")
	// paramiko reads known_hosts with [host]:port names, as written.
	script := uaWrite(t, filepath.Join(s.dir, "client.py"), []byte(svParamiko), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, script, s.port, "root", s.userKey, s.knownHosts)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("paramiko: %v\n%s\n%s", err, out, tail(s.logText()))
	}
	for _, want := range []string{`out='from-paramiko\n'`, `err='err\n'`, "status=5", "sftp=['"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("paramiko output lacks %q:\n%s", want, out)
		}
	}
}

// TestGosshdAsOrdinaryUser runs gosshd as a throwaway unprivileged
// account: it serves that account and no other (root is an invalid user
// to it), as sshd does when not started as root.
func TestGosshdAsOrdinaryUser(t *testing.T) {
	name := uaLocalUser(t, "Unused-Passw0rd")
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	u, err := lookupIDs(name)
	if err != nil {
		t.Fatal(err)
	}
	// Everything gosshd reads must be readable by the account.
	dir, err := os.MkdirTemp("", "gosshd-user")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "gosshd")
	data, err := os.ReadFile(svGosshd(t))
	if err != nil {
		t.Fatal(err)
	}
	uaWrite(t, bin, data, 0o755)
	hk := filepath.Join(dir, "host")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	key := filepath.Join(dir, "id")
	sshdtest.GenerateKey(t, "ed25519", key, "")
	pub, _ := os.ReadFile(key + ".pub")
	hpub, _ := os.ReadFile(hk + ".pub")
	uaWrite(t, filepath.Join(dir, "authorized_keys"), pub, 0o644)
	port, err := sshdtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	known := uaWrite(t, filepath.Join(dir, "known_hosts"), append([]byte(fmt.Sprintf("[127.0.0.1]:%d ", port)), hpub...), 0o644)
	conf := uaWrite(t, filepath.Join(dir, "sshd_config"), []byte(fmt.Sprintf(
		"ListenAddress 127.0.0.1\nPort %d\nHostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nPidFile none\n", port, hk, filepath.Join(dir, "authorized_keys"))), 0o644)
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, int(u[0]), int(u[1])) })
	logPath := filepath.Join(dir, "log")
	cmd := exec.Command(bin, "-D", "-e", "-f", conf)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "USER=" + name}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u[0], Gid: u[1]}}
	svRun(t, cmd, logPath)
	logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	run := func(user string) sshdtest.SSHResult {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := sshdtest.RunSSH(ctx, nil, "-p", itoa(port), "-o", "UserKnownHostsFile="+known, "-o", "IdentitiesOnly=yes",
			"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", key, "-l", user, "127.0.0.1", "id -un")
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(name); res.ExitCode != 0 || string(res.Stdout) != name+"\n" {
		t.Fatalf("as %s: exit %d stdout %q\n%s\n%s", name, res.ExitCode, res.Stdout, tail(string(res.Stderr)), tail(logText()))
	}
	if res := run("root"); res.ExitCode == 0 {
		t.Fatalf("an unprivileged gosshd logged someone in as root: %q", res.Stdout)
	}
	time.Sleep(100 * time.Millisecond)
	if !strings.Contains(logText(), "Invalid user root from 127.0.0.1") {
		t.Errorf("no Invalid user line for root:\n%s", tail(logText()))
	}
}

// lookupIDs returns the uid and gid of a local account.
func lookupIDs(name string) ([2]uint32, error) {
	out, err := exec.Command("id", "-u", name).Output()
	if err != nil {
		return [2]uint32{}, err
	}
	gout, err := exec.Command("id", "-g", name).Output()
	if err != nil {
		return [2]uint32{}, err
	}
	var ids [2]uint32
	fmt.Sscan(string(out), &ids[0])
	fmt.Sscan(string(gout), &ids[1])
	return ids, nil
}
