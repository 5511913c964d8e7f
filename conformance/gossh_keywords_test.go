package conformance_test

// The ssh_config keywords gossh applies, each run against OpenSSH's
// sshd and, where ssh prints something to compare, against ssh itself.

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

func TestGosshKeywordsAgainstSSHD(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	dest := e.user + "@127.0.0.1"
	port := strconv.Itoa(e.srv.Port)

	t.Run("ForkAfterAuthentication", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		start := time.Now()
		// The parent returns after authentication while the command
		// still runs in the background child.
		// Output to files: a pipe would stay open in the child.
		logf, err := os.Create(filepath.Join(t.TempDir(), "log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd := exec.Command(bin, e.gosshArgs(t, key, "-f", dest, "sleep 2; echo done >"+out)...)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Run(); err != nil {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("gossh -f: %v\n%s", err, b)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("-f waited for the command (%v)", time.Since(start))
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if b, err := os.ReadFile(out); err == nil && string(b) == "done\n" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the backgrounded command did not run")
			}
			time.Sleep(100 * time.Millisecond)
		}
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-f", dest)...)
		if r.code != 255 || !strings.Contains(r.stderr, "Cannot fork into background without a command to execute.") {
			t.Errorf("-f without a command: %+v", r)
		}
		// A failure before authentication is the parent's exit status.
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, "/nonexistent", "-o", "PasswordAuthentication=no", "-o", "IdentityAgent=none", "-f", dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("-f with failing auth: %+v", r)
		}
	})
	t.Run("RemoteCommand", func(t *testing.T) {
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "RemoteCommand=echo %r@%h:%p", dest)...)
		if want := e.user + "@127.0.0.1:" + port + "\n"; r.code != 0 || r.stdout != want {
			t.Errorf("got %+v, want stdout %q", r, want)
		}
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "RemoteCommand=true", dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Cannot execute command-line and remote command.") {
			t.Errorf("both: %+v", r)
		}
	})
	t.Run("LocalCommand", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "lc")
		args := []string{"-o", "LocalCommand=echo %n %h %p %r >" + out, dest, "true"}
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, args...)...)
		if _, err := os.Stat(out); r.code != 0 || err == nil {
			t.Errorf("LocalCommand ran without PermitLocalCommand: %+v", r)
		}
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, append([]string{"-o", "PermitLocalCommand=yes"}, args...)...)...)
		b, _ := os.ReadFile(out)
		if want := "127.0.0.1 127.0.0.1 " + port + " " + e.user + "\n"; r.code != 0 || string(b) != want {
			t.Errorf("LocalCommand wrote %q, want %q (%+v)", b, want, r)
		}
	})
	t.Run("NoHostAuthenticationForLocalhost", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "kh")
		base := []string{"-F", "none", "-i", key, "-o", "UserKnownHostsFile=" + empty, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", port}
		r := clGossh(t, bin, nil, nil, append(base, dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Host key verification failed.") {
			t.Errorf("unknown host accepted: %+v", r)
		}
		r = clGossh(t, bin, nil, nil, append(base, "-o", "NoHostAuthenticationForLocalhost=yes", dest, "true")...)
		if r.code != 0 {
			t.Errorf("NoHostAuthenticationForLocalhost=yes: %+v", r)
		}
		if b, _ := os.ReadFile(empty); len(b) != 0 {
			t.Errorf("the key was recorded: %q", b)
		}
	})
	t.Run("RequiredRSASize", func(t *testing.T) {
		args := func(size string) []string {
			return e.gosshArgs(t, key, "-o", "HostKeyAlgorithms=rsa-sha2-256", "-o", "RequiredRSASize="+size, dest, "true")
		}
		if r := clGossh(t, bin, nil, nil, args("1024")...); r.code != 0 {
			t.Errorf("RSA host key refused at 1024: %+v", r)
		}
		r := clGossh(t, bin, nil, nil, args("8192")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Bad server host key: Invalid key length") {
			t.Errorf("short RSA host key accepted: %+v", r)
		}
		// ssh refuses it too.
		res, err := sshdtest.RunSSH(context.Background(), nil, "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "HostKeyAlgorithms=rsa-sha2-256", "-o", "RequiredRSASize=8192", "-o", "BatchMode=yes", "-p", port, dest, "true")
		if err != nil || res.ExitCode != 255 || !strings.Contains(r.stderr, "Bad server host key: Invalid key length") {
			t.Errorf("ssh: %v %d %s", err, res.ExitCode, res.Stderr)
		}
	})
	t.Run("VisualHostKey and FingerprintHash", func(t *testing.T) {
		for _, hash := range []string{"sha256", "md5"} {
			opts := []string{"-o", "HostKeyAlgorithms=ssh-ed25519", "-o", "VisualHostKey=yes", "-o", "FingerprintHash=" + hash}
			r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, append(opts, "-v", dest, "true")...)...)
			res, err := sshdtest.RunSSH(context.Background(), nil, append(append([]string{"-i", key, "-o", "UserKnownHostsFile=" + e.knownHosts,
				"-o", "BatchMode=yes", "-p", port, "-v"}, opts...), dest, "true")...)
			if err != nil || r.code != 0 {
				t.Fatalf("ssh: %v; gossh: %+v", err, r)
			}
			// The fingerprint line and the picture, as ssh prints them.
			ssh := strings.ReplaceAll(string(res.Stderr), "\r\n", "\n")
			i := strings.Index(ssh, "Host key fingerprint is ")
			if i < 0 {
				t.Fatalf("ssh printed no fingerprint:\n%s", ssh)
			}
			want := ssh[i : i+strings.Index(ssh[i:], "debug1:")]
			got := strings.ReplaceAll(r.stderr, "\r\n", "\n")
			if !strings.Contains(got, want) {
				t.Errorf("%s: ssh prints\n%s\ngossh:\n%s", hash, want, got)
			}
			fp := strings.Fields(want)[4]
			if !strings.Contains(got, "debug1: Server host key: ssh-ed25519 "+fp) {
				t.Errorf("%s: debug line lacks %s:\n%s", hash, fp, got)
			}
		}
	})
	t.Run("GatewayPorts", func(t *testing.T) {
		// While the session runs, ss(8) shows where the -L listens:
		// loopback by default, every address with GatewayPorts yes.
		if _, err := exec.LookPath("ss"); err != nil {
			sshdtest.MissingPeer(t, "no ss")
		}
		for _, tt := range []struct {
			opt      string
			loopback bool
		}{{"GatewayPorts=no", true}, {"GatewayPorts=yes", false}} {
			lp := strconv.Itoa(freePort(t))
			cmd := exec.Command(bin, e.gosshArgs(t, key, "-o", tt.opt, "-L", lp+":127.0.0.1:"+port, dest, "sleep 3")...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var local string
			for deadline := time.Now().Add(10 * time.Second); local == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				out, _ := exec.Command("ss", "-ltnH", "sport = :"+lp).Output()
				if f := strings.Fields(string(out)); len(f) >= 4 {
					local = f[3]
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			if local == "" || strings.HasPrefix(local, "127.0.0.1:") != tt.loopback {
				t.Errorf("%s: -L %s listens on %q", tt.opt, lp, local)
			}
		}
	})
	t.Run("ClearAllForwardings", func(t *testing.T) {
		// A forward that cannot bind (a TEST-NET address) with
		// ExitOnForwardFailure fails the connection; cleared, it is
		// never tried.
		bad := "192.0.2.1:7000:127.0.0.1:1"
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "ExitOnForwardFailure=yes", "-L", bad, dest, "echo ok")...)
		if r.code != 255 {
			t.Errorf("the unbindable forward did not fail: %+v", r)
		}
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "ClearAllForwardings=yes", "-o", "ExitOnForwardFailure=yes",
			"-L", bad, dest, "echo ok")...)
		if r.code != 0 || r.stdout != "ok\n" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("AddKeysToAgent with ssh-agent", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "agent")
		ag := exec.Command("ssh-agent", "-D", "-a", sock)
		if err := ag.Start(); err != nil {
			sshdtest.MissingPeer(t, "ssh-agent: %v", err)
		}
		defer func() { ag.Process.Kill(); ag.Wait() }()
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		env := []string{"SSH_AUTH_SOCK=" + sock}
		list := func() string {
			cmd := exec.Command("ssh-add", "-l")
			cmd.Env = append(os.Environ(), env...)
			out, _ := cmd.Output()
			return string(out)
		}
		fp := strings.Fields(strings.TrimSpace(string(mustOutput(t, "ssh-keygen", "-lf", key))))[1]
		if strings.Contains(list(), fp) {
			t.Fatal("the agent has the key already")
		}
		r := clGossh(t, bin, nil, env, e.gosshArgs(t, key, "-o", "AddKeysToAgent=confirm 1h", dest, "true")...)
		if r.code != 0 || !strings.Contains(list(), fp) {
			t.Errorf("key %s not added: %+v\nssh-add -l: %s", fp, r, list())
		}
	})
	t.Run("ProxyUseFdpass", func(t *testing.T) {
		// A helper that connects and passes the socket back on its
		// stdout, as nc -F does.
		script := filepath.Join(t.TempDir(), "fdpass.py")
		os.WriteFile(script, []byte("import socket, sys\n"+
			"c = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"+
			"socket.send_fds(socket.socket(fileno=1), [b'x'], [c.fileno()])\n"), 0o600)
		helper := "python3 " + script + " %h %p"
		args := []string{"-o", "ProxyCommand=" + helper, "-o", "ProxyUseFdpass=yes", dest, "echo via fd"}
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, args...)...)
		if r.code != 0 || r.stdout != "via fd\n" {
			t.Errorf("gossh: %+v", r)
		}
		res, err := sshdtest.RunSSH(context.Background(), nil, append([]string{"-i", key, "-o", "UserKnownHostsFile=" + e.knownHosts,
			"-o", "BatchMode=yes", "-p", port}, args...)...)
		if err != nil || string(res.Stdout) != "via fd\n" {
			t.Errorf("ssh: %v %s", err, res.Stderr)
		}
		// A helper that passes nothing back is an error, not a hang.
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "ProxyCommand=true", "-o", "ProxyUseFdpass=yes", dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "did not pass back a connection") {
			t.Errorf("no fd: %+v", r)
		}
	})
	t.Run("PermitRemoteOpen", func(t *testing.T) {
		// A target on this side that greets, and one nobody may reach.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("hello"))
				c.Close()
			}
		}()
		allowed := l.Addr().(*net.TCPAddr).Port
		denied := freePort(t)
		rport := freePort(t)
		// The remote command is a SOCKS5 client of the -R port.
		script := filepath.Join(t.TempDir(), "socks.py")
		os.WriteFile(script, []byte(`import socket, struct, sys
def connect(port):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"\x05\x01\x00")
    s.recv(2)
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", port))
    rep = s.recv(10)
    if rep[1] != 0:
        return "refused"
    return s.recv(5).decode()
print(connect(int(sys.argv[2])), connect(int(sys.argv[3])))
`), 0o600)
		cmd := "python3 " + script + " " + strconv.Itoa(rport) + " " + strconv.Itoa(allowed) + " " + strconv.Itoa(denied)
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-R", strconv.Itoa(rport),
			"-o", "PermitRemoteOpen=127.0.0.1:"+strconv.Itoa(allowed), dest, cmd)...)
		if r.code != 0 || r.stdout != "hello refused\n" || !strings.Contains(r.stderr, "but the request was denied") {
			t.Errorf("got %+v", r)
		}
		// "any" (the default) lets both through to the SOCKS dialer.
		rport = freePort(t)
		cmd = "python3 " + script + " " + strconv.Itoa(rport) + " " + strconv.Itoa(allowed) + " " + strconv.Itoa(allowed)
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-R", strconv.Itoa(rport), dest, cmd)...)
		if r.code != 0 || r.stdout != "hello hello\n" {
			t.Errorf("any: %+v", r)
		}
	})
	t.Run("SessionType subsystem (-s)", func(t *testing.T) {
		// An SFTP init (version 3) gets the server's SSH_FXP_VERSION;
		// stdin stays open until it has (sftp-server exits at EOF).
		sftpVersion := func(args ...string) byte {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, e.gosshArgs(t, key, args...)...)
			in, _ := cmd.StdinPipe()
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			in.Write([]byte{0, 0, 0, 5, 1, 0, 0, 0, 3})
			buf := make([]byte, 9)
			_, err := io.ReadFull(out, buf)
			in.Close()
			cmd.Wait()
			if err != nil {
				return 0
			}
			return buf[4]
		}
		if got := sftpVersion("-s", dest, "sftp"); got != 2 {
			t.Errorf("gossh -s sftp: message %d, want SSH_FXP_VERSION", got)
		}
		if got := sftpVersion("-o", "SessionType=subsystem", dest, "sftp"); got != 2 {
			t.Errorf("SessionType=subsystem: message %d, want SSH_FXP_VERSION", got)
		}
		if r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-s", dest)...); r.code != 255 || !strings.Contains(r.stderr, "You must specify a subsystem to invoke.") {
			t.Errorf("-s without a name: %+v", r)
		}
	})
	t.Run("RevokedHostKeys", func(t *testing.T) {
		revoked := filepath.Join(t.TempDir(), "revoked")
		pub, err := os.ReadFile(e.srv.HostKeys["ed25519"] + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(revoked, append([]byte("# revoked\n"), pub...), 0o600)
		// The same revocation as OpenSSH's binary KRL, made by ssh-keygen.
		krlFile := filepath.Join(t.TempDir(), "revoked.krl")
		if out, err := exec.Command("ssh-keygen", "-q", "-k", "-f", krlFile, e.srv.HostKeys["ed25519"]+".pub").CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -k: %v: %s", err, out)
		}
		for _, c := range []struct{ file, alg string }{
			{revoked, "ssh-ed25519"}, {revoked, "ecdsa-sha2-nistp256"},
			{krlFile, "ssh-ed25519"}, {krlFile, "ecdsa-sha2-nistp256"},
		} {
			revoked, alg := c.file, c.alg
			args := []string{"-o", "HostKeyAlgorithms=" + alg, "-o", "RevokedHostKeys=" + revoked, dest, "true"}
			r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, args...)...)
			res, err := sshdtest.RunSSH(context.Background(), nil, append([]string{"-i", key, "-o", "UserKnownHostsFile=" + e.knownHosts,
				"-o", "BatchMode=yes", "-p", port}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			refused := alg == "ssh-ed25519"
			if (r.code == 255) != refused || (res.ExitCode == 255) != refused {
				t.Errorf("%s, %s: gossh %+v; ssh exit %d %s", filepath.Base(revoked), alg, r, res.ExitCode, res.Stderr)
			}
			if refused && !strings.Contains(r.stderr, "revoked by file "+revoked) {
				t.Errorf("%s, %s: %s", filepath.Base(revoked), alg, r.stderr)
			}
		}
		// The revocation is decided before known_hosts, as ssh's
		// verify_host_key does: for a host known_hosts does not know,
		// both refuse the key as revoked, not as unknown.
		empty := filepath.Join(t.TempDir(), "kh")
		args := []string{"-F", "none", "-i", key, "-o", "UserKnownHostsFile=" + empty, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", port,
			"-o", "HostKeyAlgorithms=ssh-ed25519", "-o", "RevokedHostKeys=" + revoked, dest, "true"}
		r := clGossh(t, bin, nil, nil, args...)
		res, err := sshdtest.RunSSH(context.Background(), nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		if r.code != 255 || !strings.Contains(r.stderr, "revoked by file "+revoked) || !strings.Contains(string(res.Stderr), "revoked by file "+revoked) {
			t.Errorf("unknown host with a revoked key: gossh %+v; ssh exit %d %s", r, res.ExitCode, res.Stderr)
		}
	})
	t.Run("KnownHostsCommand", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "kh")
		base := []string{"-i", key, "-o", "UserKnownHostsFile=" + empty, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", port}
		for _, tt := range []struct {
			cmd string
			ok  bool
		}{
			{"/usr/bin/grep -F %H " + e.knownHosts, true},
			{"grep -F %H " + e.knownHosts, false}, // not an absolute path
			{"/usr/bin/grep -F nosuchhost " + e.knownHosts, false},
		} {
			args := append(append([]string{}, base...), "-o", "KnownHostsCommand="+tt.cmd, dest, "true")
			r := clGossh(t, bin, nil, nil, append([]string{"-F", "none"}, args...)...)
			res, err := sshdtest.RunSSH(context.Background(), nil, args...)
			if err != nil {
				t.Fatal(err)
			}
			if (r.code == 0) != tt.ok || (res.ExitCode == 0) != tt.ok {
				t.Errorf("%s: gossh %+v; ssh exit %d %s", tt.cmd, r, res.ExitCode, res.Stderr)
			}
		}
		r := clGossh(t, bin, nil, nil, append(append([]string{"-F", "none"}, base...), "-o", "KnownHostsCommand=/bin/echo %K", dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "KnownHostsCommand with %K is not supported") {
			t.Errorf("%%K: %+v", r)
		}
	})
	t.Run("unsupported values warn", func(t *testing.T) {
		// VerifyHostKeyDNS and then PKCS11Provider used to be the examples
		// here; every OpenSSH 9.2 keyword is applied now, so a keyword of
		// later OpenSSH versions is.
		for _, o := range []string{"ChannelTimeout=session=5m"} {
			r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", o, dest, "true")...)
			k := strings.ToLower(strings.SplitN(o, "=", 2)[0])
			if r.code != 0 || !strings.Contains(r.stderr, k+" is not supported by gossh yet") {
				t.Errorf("%s: %+v", o, r)
			}
		}
	})
}

func mustOutput(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// freePort returns a TCP port on 127.0.0.1 nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestGosshCASignatureAlgorithmsAgainstSSHD: a host certificate signed
// by an Ed25519 CA is trusted through @cert-authority unless
// CASignatureAlgorithms leaves ssh-ed25519 out, for gossh as for ssh.
func TestGosshCASignatureAlgorithmsAgainstSSHD(t *testing.T) {
	bin := clBuildGossh(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	sshdtest.GenerateKey(t, "ed25519", ca, "")
	hk := filepath.Join(dir, "host")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	if out, err := exec.Command(sshdtest.SSHKeygen, "-q", "-s", ca, "-I", "host", "-h", "-n", "127.0.0.1", hk+".pub").CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v: %s", err, out)
	}
	e := clStart(t, "HostKey "+hk, "HostCertificate "+hk+"-cert.pub")
	key := e.keyFile(t)
	caPub, _ := os.ReadFile(ca + ".pub")
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte("@cert-authority [127.0.0.1]:"+strconv.Itoa(e.srv.Port)+" "+string(caPub)), 0o600)
	dest := e.user + "@127.0.0.1"
	for _, tt := range []struct {
		list string
		ok   bool
	}{{"", true}, {"ssh-ed25519,rsa-sha2-512", true}, {"rsa-sha2-512,ecdsa-sha2-nistp256", false}} {
		args := []string{"-i", key, "-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes",
			"-o", "HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com", "-p", strconv.Itoa(e.srv.Port)}
		if tt.list != "" {
			args = append(args, "-o", "CASignatureAlgorithms="+tt.list)
		}
		r := clGossh(t, bin, nil, nil, append(append([]string{"-F", "none"}, args...), dest, "echo ok")...)
		if tt.ok != (r.code == 0 && r.stdout == "ok\n") {
			t.Errorf("gossh CASignatureAlgorithms %q: %+v", tt.list, r)
		}
		if !tt.ok && !strings.Contains(r.stderr, "not in CASignatureAlgorithms") {
			t.Errorf("gossh CASignatureAlgorithms %q: %s", tt.list, r.stderr)
		}
		res, err := sshdtest.RunSSH(context.Background(), nil, append(args, dest, "echo ok")...)
		if err != nil || tt.ok != (res.ExitCode == 0) {
			t.Errorf("ssh CASignatureAlgorithms %q: %v exit %d %s", tt.list, err, res.ExitCode, res.Stderr)
		}
	}
}

// TestGosshIPQoSOnTheWire captures loopback with tshark: after
// authentication gossh's packets carry IPQoS's interactive value for a
// pty session and its bulk value for a command, as ssh's do.
func TestGosshIPQoSOnTheWire(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		sshdtest.MissingPeer(t, "no tshark")
	}
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	dest := e.user + "@127.0.0.1"
	for _, tt := range []struct {
		name string
		args []string
		want string // the DS field of the last client packets
	}{
		{"bulk", []string{dest, "sleep 0.5"}, "0x20"},
		{"interactive", []string{"-tt", dest, "sleep 0.5"}, "0x48"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-o", "IPQoS=af21 cs1"}, tt.args...)
			got := dsFields(t, e.srv.Port, func() {
				if r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, args...)...); r.code != 0 {
					t.Errorf("gossh: %+v", r)
				}
			})
			want := dsFields(t, e.srv.Port, func() {
				res, err := sshdtest.RunSSH(context.Background(), nil, append([]string{"-i", key, "-o", "UserKnownHostsFile=" + e.knownHosts,
					"-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port)}, args...)...)
				if err != nil || res.ExitCode != 0 {
					t.Errorf("ssh: %v %s", err, res.Stderr)
				}
			})
			t.Logf("DS fields: gossh %v, ssh %v", got, want)
			// Interactive from the SYN on, then the session's value.
			for who, f := range map[string][]string{"gossh": got, "ssh": want} {
				if len(f) < 4 || f[0] != "0x48" || f[len(f)-1] != tt.want {
					t.Errorf("%s: DS fields %v, want 0x48 first and %s last", who, f, tt.want)
				}
			}
		})
	}
}

// dsFields runs fn while tshark captures what goes to port on loopback
// and returns each packet's IP DS field.
func dsFields(t *testing.T, port int, fn func()) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cap := exec.CommandContext(ctx, "tshark", "-l", "-i", "lo", "-f", "tcp dst port "+strconv.Itoa(port), "-T", "fields", "-e", "ip.dsfield")
	stderr, err := cap.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cap.Stdout = &out
	if err := cap.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "Capturing on") {
		n, err := stderr.Read(buf)
		if err != nil {
			cap.Process.Kill()
			cap.Wait()
			t.Fatalf("tshark: %v: %s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := stderr.Read(buf); err != nil {
				return
			}
		}
	}()
	fn()
	time.Sleep(500 * time.Millisecond) // tshark prints the last packets
	cap.Process.Signal(os.Interrupt)
	<-done
	cap.Wait()
	return strings.Fields(out.String())
}
