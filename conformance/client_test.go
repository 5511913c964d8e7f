package conformance_test

// Interop of the client facade with OpenSSH 9.2's sshd: sessions (exit
// status, signals, stderr, a 1 MiB echo, pty), known_hosts refusal, every
// algorithm both sides implement (one dimension at a time: each kex with
// the default ciphers, each cipher, each MAC under a non-AEAD cipher, each
// host key algorithm), forwarding (-L, -R, unix sockets, -D, -J through a
// second sshd, agent forwarding) and cancellation.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/forward"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/server/xsshtest"
	"github.com/sshstack/sshstack/userauth"
)

// clHostKeyTypes are the host key types the client tests' sshd holds.
var clHostKeyTypes = []string{"ed25519", "ecdsa", "ecdsa-384", "ecdsa-521", "rsa"}

// clEnv is a running sshd with a user key authorized and a known_hosts
// file that lists every host key.
type clEnv struct {
	srv        *sshdtest.Server
	key        *hostkey.CryptoSigner
	knownHosts string
	user       string
}

// clQuery returns what OpenSSH's ssh -Q lists for kind.
func clQuery(t *testing.T, kind string) []string {
	t.Helper()
	out, err := exec.Command(sshdtest.SSH, "-Q", kind).Output()
	if err != nil {
		t.Fatalf("ssh -Q %s: %v", kind, err)
	}
	return strings.Fields(string(out))
}

// clShared returns the names both OpenSSH (ssh -Q) and we implement.
func clShared(t *testing.T, ours []string, sshKind string) []string {
	theirs := clQuery(t, sshKind)
	var out []string
	for _, a := range ours {
		if slices.Contains(theirs, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func clStart(t *testing.T, extra ...string) *clEnv {
	t.Helper()
	key, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := append([]string{
		// Offer everything sshd implements, so the client's choice decides.
		"KexAlgorithms " + strings.Join(clQuery(t, "kex"), ","),
		"Ciphers " + strings.Join(clQuery(t, "cipher"), ","),
		"MACs " + strings.Join(clQuery(t, "mac"), ","),
		"HostKeyAlgorithms " + strings.Join(clQuery(t, "HostKeyAlgorithms"), ","),
		"AllowTcpForwarding yes", "AllowStreamLocalForwarding yes", "AllowAgentForwarding yes",
		"GatewayPorts no",
	}, extra...)
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: clHostKeyTypes, Config: cfg,
		AuthorizedKeys: hostkey.MarshalAuthorizedKey(key.PublicKey(), "client-test")})
	var kh bytes.Buffer
	for _, typ := range clHostKeyTypes {
		kh.WriteString(srv.KnownHostsLine(t, typ) + "\n")
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, kh.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return &clEnv{srv: srv, key: key, knownHosts: path, user: u.Username}
}

func (e *clEnv) config() *client.Config {
	return &client.Config{
		User:                  e.user,
		Auth:                  []userauth.Method{userauth.InMemoryPrivateKey(e.key)},
		UserKnownHostsFiles:   []string{e.knownHosts},
		GlobalKnownHostsFiles: []string{},
	}
}

func (e *clEnv) dial(t *testing.T, cfg *client.Config) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cfg == nil {
		cfg = e.config()
	}
	c, err := client.Dial(ctx, "tcp", e.srv.Addr, cfg)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, tail(e.srv.Log()))
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func clRun(t *testing.T, c *client.Client, cmd string, stdin []byte) (stdout, stderr []byte, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var o, e bytes.Buffer
	s.Stdout, s.Stderr = &o, &e
	if stdin != nil {
		s.Stdin = bytes.NewReader(stdin)
	}
	err = s.Run(ctx, cmd)
	return o.Bytes(), e.Bytes(), err
}

func TestClientSessionsAgainstSSHD(t *testing.T) {
	e := clStart(t)
	c := e.dial(t, nil)
	if c.AuthMethod() != "publickey" || !c.StrictKex() {
		t.Errorf("auth method %q, strict kex %v", c.AuthMethod(), c.StrictKex())
	}
	ctx := context.Background()

	t.Run("exit status", func(t *testing.T) {
		for _, st := range []int{0, 1, 7, 255} {
			_, _, err := clRun(t, c, "exit "+strconv.Itoa(st), nil)
			var ee *client.ExitError
			if st == 0 && err != nil || st != 0 && (!errors.As(err, &ee) || ee.Status != st) {
				t.Errorf("exit %d: %v", st, err)
			}
		}
	})
	t.Run("exit signal", func(t *testing.T) {
		_, _, err := clRun(t, c, "kill -TERM $$", nil)
		var ee *client.ExitError
		if !errors.As(err, &ee) || ee.Signal != "TERM" || ee.ExitCode() != 143 {
			t.Errorf("got %v", err)
		}
	})
	t.Run("stderr", func(t *testing.T) {
		out, errOut, err := clRun(t, c, "echo out; echo err >&2", nil)
		if err != nil || string(out) != "out\n" || string(errOut) != "err\n" {
			t.Errorf("stdout %q stderr %q err %v", out, errOut, err)
		}
	})
	t.Run("1MiB stdin to stdout", func(t *testing.T) {
		data := make([]byte, 1<<20)
		rand.Read(data)
		out, _, err := clRun(t, c, "cat", data)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("cat: %d bytes back, err %v", len(out), err)
		}
	})
	t.Run("pty", func(t *testing.T) {
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.RequestPty(ctx, "xterm", 40, 132, nil); err != nil {
			t.Fatal(err)
		}
		out, err := s.Output(ctx, "tty; stty size")
		if err != nil || !strings.HasPrefix(string(out), "/dev/pts/") || !strings.Contains(string(out), "40 132") {
			t.Errorf("pty: %q %v", out, err)
		}
	})
	t.Run("setenv refused", func(t *testing.T) {
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Setenv(ctx, "NOT_ACCEPTED", "x"); err == nil {
			t.Error("sshd accepted an env variable it does not AcceptEnv")
		}
	})
	t.Run("signal", func(t *testing.T) {
		// sshd as the harness runs it refuses "signal" ("session
		// signalling requires privilege separation"); the request wants
		// no reply, so this checks it is sent and that the session then
		// still ends on CloseWrite.
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		in, _ := s.StdinPipe()
		if err := s.Start(ctx, "cat >/dev/null"); err != nil {
			t.Fatal(err)
		}
		if err := s.Signal(ctx, "TERM"); err != nil {
			t.Fatal(err)
		}
		in.Close()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := s.Wait(wctx); err != nil {
			t.Errorf("after signal: %v", err)
		}
	})
	t.Run("cancel wait", func(t *testing.T) {
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Start(ctx, "sleep 30"); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if err := s.Wait(wctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait: %v", err)
		}
	})
	t.Run("rekey", func(t *testing.T) {
		if err := c.Rekey(ctx); err != nil {
			t.Fatal(err)
		}
		if out, _, err := clRun(t, c, "echo after", nil); err != nil || string(out) != "after\n" {
			t.Errorf("after rekey: %q %v", out, err)
		}
	})
	t.Run("compression", func(t *testing.T) {
		cfg := e.config()
		cfg.Compression = client.CompressionYes
		cc := e.dial(t, cfg)
		a := cc.Algorithms()
		if a.ClientToServer.Compression != "zlib@openssh.com" || a.ServerToClient.Compression != "zlib@openssh.com" {
			t.Errorf("compression %+v", a)
		}
		data := bytes.Repeat([]byte("compressible "), 100000) // 1.3 MB
		out, _, err := clRun(t, cc, "cat", data)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("cat under zlib@openssh.com: %d bytes, %v", len(out), err)
		}
	})
	t.Run("SFTP via pkg/sftp", func(t *testing.T) {
		sc, err := c.SFTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
		path := filepath.Join(t.TempDir(), "file")
		data := make([]byte, 300<<10)
		rand.Read(data)
		f, err := sc.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
			t.Errorf("written through sftp: %d bytes, %v", len(got), err)
		}
		f, err = sc.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("read through sftp: %d bytes, %v", len(got), err)
		}
		if fi, err := sc.Stat(path); err != nil || fi.Size() != int64(len(data)) {
			t.Errorf("stat: %v %v", fi, err)
		}
	})
	t.Run("sftp subsystem", func(t *testing.T) {
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		in, _ := s.StdinPipe()
		out, _ := s.StdoutPipe()
		if err := s.Subsystem(ctx, "sftp"); err != nil {
			t.Fatal(err)
		}
		// SSH_FXP_INIT version 3 (draft-ietf-secsh-filexfer-02, Section 4).
		in.Write([]byte{0, 0, 0, 5, 1, 0, 0, 0, 3})
		var hdr [5]byte
		if _, err := io.ReadFull(out, hdr[:]); err != nil || hdr[4] != 2 {
			t.Errorf("SSH_FXP_VERSION: %x %v", hdr, err)
		}
		in.Close()
	})
}

func TestClientKnownHostsAgainstSSHD(t *testing.T) {
	e := clStart(t)
	ctx := context.Background()
	other, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	bad := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(bad, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", e.srv.Port)}, other.PublicKey(), false), 0o600)
	for _, mode := range []client.Strictness{client.StrictYes, client.StrictAcceptNew, client.StrictNo} {
		cfg := e.config()
		cfg.UserKnownHostsFiles = []string{bad}
		cfg.HostKeyAlgorithms = []string{hostkey.ED25519}
		cfg.StrictHostKeyChecking = mode
		_, err := client.Dial(ctx, "tcp", e.srv.Addr, cfg)
		var changed *hostkey.KeyChangedError
		if !errors.Is(err, client.ErrHostKeyRefused) || !errors.As(err, &changed) {
			t.Errorf("%v: mismatching key: %v", mode, err)
		}
	}
	// Unknown under "yes": refused; accept-new records it.
	empty := filepath.Join(t.TempDir(), "known_hosts")
	cfg := e.config()
	cfg.UserKnownHostsFiles = []string{empty}
	if _, err := client.Dial(ctx, "tcp", e.srv.Addr, cfg); !errors.Is(err, hostkey.ErrHostKeyUnknown) {
		t.Errorf("unknown host: %v", err)
	}
	cfg.StrictHostKeyChecking = client.StrictAcceptNew
	c, err := client.Dial(ctx, "tcp", e.srv.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	cfg.StrictHostKeyChecking = client.StrictYes
	c, err = client.Dial(ctx, "tcp", e.srv.Addr, cfg)
	if err != nil {
		t.Fatalf("after accept-new: %v", err)
	}
	c.Close()
}

// TestClientHostCertificateAgainstSSHD trusts sshd's host certificate
// through a @cert-authority line only.
func TestClientHostCertificateAgainstSSHD(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	sshdtest.GenerateKey(t, "ed25519", ca, "")
	// Sign a host key first, then hand it to sshd with HostCertificate.
	hk := filepath.Join(dir, "host")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	if out, err := exec.Command(sshdtest.SSHKeygen, "-q", "-s", ca, "-I", "host", "-h", "-n", "127.0.0.1", hk+".pub").CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v: %s", err, out)
	}
	e := clStart(t, "HostKey "+hk, "HostCertificate "+hk+"-cert.pub")
	caPub, _ := os.ReadFile(ca + ".pub")
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte("@cert-authority "+client.KnownHostsAddress("127.0.0.1", e.srv.Port)+" "+string(caPub)), 0o600)
	cfg := e.config()
	cfg.UserKnownHostsFiles = []string{kh}
	c := e.dial(t, cfg)
	if got := c.Algorithms().HostKey; got != "ssh-ed25519-cert-v01@openssh.com" {
		t.Errorf("host key algorithm %q", got)
	}
}

func TestClientAlgorithmsAgainstSSHD(t *testing.T) {
	e := clStart(t)
	data := make([]byte, 64<<10)
	rand.Read(data)
	try := func(t *testing.T, set func(*client.Config), check func(*client.Client) string) {
		t.Helper()
		cfg := e.config()
		set(cfg)
		c := e.dial(t, cfg)
		if got := check(c); got != "" {
			t.Errorf("negotiated %s", got)
		}
		out, _, err := clRun(t, c, "cat", data)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("cat: %d bytes, %v", len(out), err)
		}
		c.Close()
	}
	kexes := clShared(t, client.SupportedAlgorithms(client.AlgKex), "kex")
	ciphers := clShared(t, client.SupportedAlgorithms(client.AlgCiphers), "cipher")
	macs := clShared(t, client.SupportedAlgorithms(client.AlgMACs), "mac")
	var keys []string
	for _, k := range clShared(t, client.SupportedAlgorithms(client.AlgKeys), "HostKeyAlgorithms") {
		if !hostkey.IsCertAlgorithm(k) && !strings.HasPrefix(k, "sk-") {
			keys = append(keys, k)
		}
	}
	t.Logf("shared: %d kex %v, %d ciphers %v, %d MACs %v, %d host key algorithms %v",
		len(kexes), kexes, len(ciphers), ciphers, len(macs), macs, len(keys), keys)
	if len(kexes) < 8 || len(ciphers) < 6 || len(macs) < 4 || len(keys) < 6 {
		t.Fatal("fewer shared algorithms than expected")
	}
	for _, k := range kexes {
		t.Run("kex="+k, func(t *testing.T) {
			try(t, func(c *client.Config) { c.KexAlgorithms = []string{k} },
				func(c *client.Client) string {
					if c.Algorithms().Kex != k {
						return c.Algorithms().Kex
					}
					return ""
				})
		})
	}
	for _, ci := range ciphers {
		t.Run("cipher="+ci, func(t *testing.T) {
			try(t, func(c *client.Config) { c.Ciphers = []string{ci} },
				func(c *client.Client) string {
					a := c.Algorithms()
					if a.ClientToServer.Cipher != ci || a.ServerToClient.Cipher != ci {
						return a.ClientToServer.Cipher
					}
					return ""
				})
		})
	}
	for _, m := range macs {
		t.Run("mac="+m, func(t *testing.T) {
			try(t, func(c *client.Config) { c.Ciphers = []string{"aes128-ctr"}; c.MACs = []string{m} },
				func(c *client.Client) string {
					a := c.Algorithms()
					if a.ClientToServer.MAC != m || a.ServerToClient.MAC != m {
						return a.ClientToServer.MAC
					}
					return ""
				})
		})
	}
	for _, k := range keys {
		t.Run("hostkey="+k, func(t *testing.T) {
			try(t, func(c *client.Config) { c.HostKeyAlgorithms = []string{k} },
				func(c *client.Client) string {
					if c.Algorithms().HostKey != k {
						return c.Algorithms().HostKey
					}
					return ""
				})
		})
	}
}

// clEcho runs an echo server (servertest.Echo) on network and addr
// until the test ends.
func clEcho(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Accept(t, l, servertest.Echo)
}

func clPing(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Errorf("echo: %q %v", buf, err)
	}
}

func TestClientForwardingAgainstSSHD(t *testing.T) {
	e := clStart(t)
	c := e.dial(t, nil)
	ctx := context.Background()
	echo := clEcho(t, "tcp", "127.0.0.1:0")

	t.Run("direct-tcpip (-L)", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { forward.Local(sctx, c, l, "tcp", echo.Addr().String()) })
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clPing(t, conn, "through -L")
		cancel()
		wg.Wait()
	})
	t.Run("tcpip-forward (-R)", func(t *testing.T) {
		rl, err := c.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if rl.Addr().(*net.TCPAddr).Port == 0 {
			t.Fatalf("bound port not reported: %v", rl.Addr())
		}
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { forward.Remote(sctx, c, rl, "tcp", echo.Addr().String()) })
		conn, err := net.Dial("tcp", rl.Addr().String()) // sshd listens on loopback here
		if err != nil {
			t.Fatal(err)
		}
		clPing(t, conn, "through -R")
		cancel()
		wg.Wait()
		// The forwarding is cancelled: the port is closed again.
		time.Sleep(100 * time.Millisecond)
		if conn, err := net.Dial("tcp", rl.Addr().String()); err == nil {
			conn.Close()
			t.Error("port still forwarded after Close")
		}
	})
	t.Run("streamlocal both ways", func(t *testing.T) {
		dir := t.TempDir()
		uecho := clEcho(t, "unix", filepath.Join(dir, "echo.sock"))
		conn, err := c.Dial(ctx, "unix", uecho.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clPing(t, conn, "direct-streamlocal")
		path := filepath.Join(dir, "remote.sock")
		rl, err := c.Listen(ctx, "unix", path)
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { forward.Remote(sctx, c, rl, "tcp", echo.Addr().String()) })
		uc, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		clPing(t, uc, "forwarded-streamlocal")
		cancel()
		wg.Wait()
	})
	t.Run("SOCKS5 (-D)", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { forward.SOCKS(sctx, c, l) })
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		port := echo.Addr().(*net.TCPAddr).Port
		req := []byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1}
		req = binary.BigEndian.AppendUint16(req, uint16(port))
		conn.Write(req)
		reply := make([]byte, 12)
		if _, err := io.ReadFull(conn, reply); err != nil || reply[1] != 0 || reply[3] != 0 {
			t.Fatalf("socks: %x %v", reply, err)
		}
		clPing(t, conn, "through -D")
		cancel()
		wg.Wait()
	})
	t.Run("jump host (-J)", func(t *testing.T) {
		e2 := clStart(t)
		cfg := e2.config()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		inner, err := c.DialClient(ctx, e2.srv.Addr, cfg)
		if err != nil {
			t.Fatalf("through the jump host: %v\n%s", err, tail(e2.srv.Log()))
		}
		defer inner.Close()
		out, _, err := clRun(t, inner, "echo $SSH_CONNECTION", nil)
		// The second sshd sees the connection come from the first one.
		if err != nil || !strings.HasPrefix(string(out), "127.0.0.1 ") {
			t.Errorf("inner session: %q %v", out, err)
		}
	})
}

func TestClientAgentForwardingAgainstSSHD(t *testing.T) {
	e := clStart(t)
	agentKey, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	uaAgent(t, sock, agentKey)
	cfg := e.config()
	cfg.ForwardAgent = true
	cfg.AgentSocket = sock
	c := e.dial(t, cfg)
	out, errOut, err := clRun(t, c, "ssh-add -L", nil)
	if err != nil || !strings.Contains(string(out), strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(agentKey.PublicKey(), "")))) {
		t.Errorf("ssh-add -L on the server: %q %q %v", out, errOut, err)
	}
	c.Close()
}

// TestClientCancelAgainstSSHD cancels Dial during authentication (a
// password prompt that never returns) and a channel open.
func TestClientCancelAgainstSSHD(t *testing.T) {
	e := clStart(t, "PasswordAuthentication yes")
	cfg := e.config()
	cfg.Auth = []userauth.Method{&userauth.Password{Get: func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := client.Dial(ctx, "tcp", e.srv.Addr, cfg); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Dial took %v after cancellation", d)
	}
}

// clBuildGossh builds client/cmd/gossh into a temporary directory.
func clBuildGossh(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gossh")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/sshstack/sshstack/client/cmd/gossh")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gossh: %v\n%s", err, out)
	}
	return bin
}

type clResult struct {
	stdout, stderr string
	code           int
}

// clGossh runs gossh with args, stdin and extra environment.
func clGossh(t *testing.T, bin string, stdin []byte, env []string, args ...string) clResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append(os.Environ(), env...)
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gossh: %v", err)
	}
	return clResult{o.String(), e.String(), code}
}

// clKeyFile writes e's user key as an OpenSSH private key file.
func (e *clEnv) keyFile(t *testing.T) string {
	t.Helper()
	pem, err := hostkey.MarshalPrivateKey(e.key.Crypto(), "gossh", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (e *clEnv) gosshArgs(t *testing.T, key string, extra ...string) []string {
	return append([]string{"-F", "none", "-i", key, "-o", "UserKnownHostsFile=" + e.knownHosts,
		"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port)}, extra...)
}

func TestGosshAgainstSSHD(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	dest := e.user + "@127.0.0.1"

	t.Run("exit status and stderr", func(t *testing.T) {
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, dest, "echo out; echo err >&2; exit 7")...)
		if r.code != 7 || r.stdout != "out\n" || !strings.Contains(r.stderr, "err\n") {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("1MiB stdin to stdout", func(t *testing.T) {
		data := make([]byte, 1<<20)
		rand.Read(data)
		r := clGossh(t, bin, data, nil, e.gosshArgs(t, key, dest, "cat")...)
		if r.code != 0 || r.stdout != string(data) {
			t.Errorf("exit %d, %d bytes back, stderr %q", r.code, len(r.stdout), r.stderr)
		}
	})
	t.Run("-v debug lines", func(t *testing.T) {
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-v", "-o", "Ciphers=aes256-ctr", "-o", "MACs=hmac-sha2-512-etm@openssh.com",
			"-o", "KexAlgorithms=curve25519-sha256", "-o", "HostKeyAlgorithms=ssh-ed25519", dest, "true")...)
		for _, want := range []string{
			"debug1: kex: algorithm: curve25519-sha256\r\n",
			"debug1: kex: host key algorithm: ssh-ed25519\r\n",
			"debug1: kex: client->server cipher: aes256-ctr MAC: hmac-sha2-512-etm@openssh.com compression: none\r\n",
			"debug1: kex: server->client cipher: aes256-ctr MAC: hmac-sha2-512-etm@openssh.com compression: none\r\n",
			"debug1: Authenticated to 127.0.0.1 ([127.0.0.1]:" + strconv.Itoa(e.srv.Port) + ") using \"publickey\".\r\n",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		// The same lines as OpenSSH's ssh prints for the same choices.
		res, err := sshdtest.RunSSH(context.Background(), nil, "-v", "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "Ciphers=aes256-ctr", "-o", "MACs=hmac-sha2-512-etm@openssh.com", "-o", "KexAlgorithms=curve25519-sha256",
			"-o", "HostKeyAlgorithms=ssh-ed25519", "-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port), dest, "true")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(res.Stderr), "\n") {
			l = strings.TrimRight(l, "\r")
			if strings.HasPrefix(l, "debug1: kex: ") && !strings.Contains(l, "proposal") || strings.HasPrefix(l, "debug1: Authenticated to") {
				if !strings.Contains(r.stderr, l+"\r\n") {
					t.Errorf("ssh prints %q, gossh does not", l)
				}
			}
		}
	})
	t.Run("-vvv packet lines", func(t *testing.T) {
		r := clGossh(t, bin, []byte("data"), nil, e.gosshArgs(t, key, "-vvv", dest, "cat")...)
		for _, want := range []string{"debug3: send packet: type 20\r\n", "debug3: receive packet: type 31\r\n",
			"debug3: receive packet: type 52\r\n", "debug3: trace: send userauth #"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("-vvv lacks %q", want)
			}
		}
		if strings.Contains(r.stderr, "packet: type 94") {
			t.Error("channel data is logged")
		}
		// ssh -vvv prints the same packet lines.
		res, _ := sshdtest.RunSSH(context.Background(), nil, "-vvv", "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port), dest, "true")
		for _, l := range []string{"debug3: send packet: type 20", "debug3: receive packet: type 52"} {
			if !strings.Contains(string(res.Stderr), l) {
				t.Errorf("ssh -vvv does not print %q", l)
			}
		}
	})
	t.Run("flags -l -E -q -4 -T -t and ~/.ssh/config", func(t *testing.T) {
		logFile := filepath.Join(t.TempDir(), "log")
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-v", "-E", logFile, "-4", "-T", "-l", e.user, "127.0.0.1", "echo ok")...)
		logged, _ := os.ReadFile(logFile)
		if r.code != 0 || r.stdout != "ok\n" || strings.Contains(r.stderr, "debug1:") || !strings.Contains(string(logged), "debug1: Authenticated to") {
			t.Errorf("-E: %+v\nlog:\n%s", r, logged)
		}
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-t", dest, "echo ok")...)
		if r.code != 0 || !strings.Contains(r.stderr, "Pseudo-terminal will not be allocated because stdin is not a terminal.") {
			t.Errorf("-t without a terminal: %+v", r)
		}
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-q", "-t", dest, "echo ok")...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("-q: %+v", r)
		}
		// The user's config file is read from $HOME/.ssh/config.
		home := t.TempDir()
		os.Mkdir(filepath.Join(home, ".ssh"), 0o700)
		os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host viaconfig\n  HostName 127.0.0.1\n  Port "+strconv.Itoa(e.srv.Port)+
			"\n  User "+e.user+"\n  IdentityFile "+key+"\n  UserKnownHostsFile "+e.knownHosts+"\n  BatchMode yes\n"), 0o600)
		r = clGossh(t, bin, nil, []string{"HOME=" + home}, "viaconfig", "echo from-config")
		if r.code != 0 || r.stdout != "from-config\n" {
			t.Errorf("~/.ssh/config: %+v", r)
		}
	})
	t.Run("-C", func(t *testing.T) {
		data := bytes.Repeat([]byte("zzz"), 200000)
		r := clGossh(t, bin, data, nil, e.gosshArgs(t, key, "-C", "-v", "-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha2-256", dest, "cat")...)
		want := "debug1: kex: client->server cipher: aes128-ctr MAC: hmac-sha2-256 compression: zlib@openssh.com\r\n"
		if r.code != 0 || r.stdout != string(data) || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, %d bytes, stderr:\n%s", r.code, len(r.stdout), r.stderr)
		}
		res, err := sshdtest.RunSSH(context.Background(), nil, "-C", "-v", "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha2-256", "-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port), dest, "true")
		if err != nil || !strings.Contains(string(res.Stderr), strings.TrimSuffix(want, "\r\n")) {
			t.Errorf("ssh -C prints something else: %v\n%s", err, res.Stderr)
		}
	})
	t.Run("known_hosts mismatch", func(t *testing.T) {
		other, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
		bad := filepath.Join(t.TempDir(), "kh")
		os.WriteFile(bad, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", e.srv.Port)}, other.PublicKey(), false), 0o600)
		// The first UserKnownHostsFile wins, as in ssh.
		args := []string{"-F", "none", "-i", key, "-o", "UserKnownHostsFile=" + bad, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-o", "HostKeyAlgorithms=ssh-ed25519", "-p", strconv.Itoa(e.srv.Port), dest, "true"}
		r := clGossh(t, bin, nil, nil, args...)
		if r.code != 255 || !strings.Contains(r.stderr, "REMOTE HOST IDENTIFICATION HAS CHANGED") || !strings.Contains(r.stderr, "Host key verification failed.") {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("unknown and unsupported keywords", func(t *testing.T) {
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "NoSuchKeyword=1", dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Bad configuration option: nosuchkeyword") {
			t.Errorf("unknown: %+v", r)
		}
		// A keyword of OpenSSH after 9.2 warns and is ignored.
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "ChannelTimeout=session=5m", dest, "true")...)
		if r.code != 0 || !strings.Contains(r.stderr, "channeltimeout is not supported by gossh yet") {
			t.Errorf("unsupported: %+v", r)
		}
		// A PKCS#11 provider that cannot be loaded is reported; the
		// other identities still log in, as with ssh.
		r = clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "PKCS11Provider=/nonexistent/pkcs11.so", dest, "true")...)
		if r.code != 0 || strings.Contains(r.stderr, "not supported") {
			t.Errorf("PKCS11Provider: %+v", r)
		}
	})
	t.Run("-G", func(t *testing.T) {
		cfgFile := filepath.Join(t.TempDir(), "config")
		os.WriteFile(cfgFile, []byte("Host alias\n  HostName 127.0.0.1\n  Port 2200\n  User first\nHost *\n  User second\n  Ciphers -chacha20*\nMatch originalhost alias\n  IdentityFile /k2\n"), 0o600)
		r := clGossh(t, bin, nil, nil, "-F", cfgFile, "-G", "-o", "Port=2300", "alias")
		for _, want := range []string{"host alias\n", "hostname 127.0.0.1\n", "port 2300\n", "user first\n", "identityfile /k2\n"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("-G lacks %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "chacha20") {
			t.Errorf("Ciphers -chacha20* not applied:\n%s", r.stdout)
		}
	})
	t.Run("-L -R -D", func(t *testing.T) {
		echo := clEcho(t, "tcp", "127.0.0.1:0")
		lport, _ := sshdtest.FreePort()
		rport, _ := sshdtest.FreePort()
		dport, _ := sshdtest.FreePort()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, e.gosshArgs(t, key, "-N",
			"-L", strconv.Itoa(lport)+":"+echo.Addr().String(),
			"-R", "127.0.0.1:"+strconv.Itoa(rport)+":"+echo.Addr().String(),
			"-D", "127.0.0.1:"+strconv.Itoa(dport), dest)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		dialRetry := func(addr string) net.Conn {
			for range 100 {
				if c, err := net.Dial("tcp", addr); err == nil {
					return c
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("%s never listened; gossh: %s", addr, stderr.String())
			return nil
		}
		clPing(t, dialRetry("127.0.0.1:"+strconv.Itoa(lport)), "gossh -L")
		clPing(t, dialRetry("127.0.0.1:"+strconv.Itoa(rport)), "gossh -R")
		sc := dialRetry("127.0.0.1:" + strconv.Itoa(dport))
		req := []byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1}
		req = binary.BigEndian.AppendUint16(req, uint16(echo.Addr().(*net.TCPAddr).Port))
		sc.Write(req)
		reply := make([]byte, 12)
		if _, err := io.ReadFull(sc, reply); err != nil || reply[1] != 0 {
			t.Fatalf("socks %x %v", reply, err)
		}
		clPing(t, sc, "gossh -D")
	})
	t.Run("-J through a second sshd", func(t *testing.T) {
		e2 := clStart(t)
		// e2 authorizes e's key too, and one known_hosts lists both.
		both := filepath.Join(t.TempDir(), "kh")
		a, _ := os.ReadFile(e.knownHosts)
		b, _ := os.ReadFile(e2.knownHosts)
		os.WriteFile(both, append(a, b...), 0o600)
		os.WriteFile(filepath.Join(e2.srv.Dir, "authorized_keys"), hostkey.MarshalAuthorizedKey(e.key.PublicKey(), ""), 0o600)
		cfgFile := filepath.Join(t.TempDir(), "config")
		os.WriteFile(cfgFile, []byte("Host *\n  IdentityFile "+key+"\n  UserKnownHostsFile "+both+"\n  GlobalKnownHostsFile none\n  BatchMode yes\n"), 0o600)
		r := clGossh(t, bin, nil, nil, "-F", cfgFile, "-J", e.user+"@127.0.0.1:"+strconv.Itoa(e.srv.Port),
			"-p", strconv.Itoa(e2.srv.Port), dest, "echo $SSH_CONNECTION")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "127.0.0.1 ") {
			t.Errorf("got %+v\n%s", r, tail(e2.srv.Log()))
		}
	})
	t.Run("ProxyCommand through gossh -W", func(t *testing.T) {
		// The proxy is gossh itself: -W connects its stdio to the target
		// through the same sshd, and ProxyCommand expands %h and %p.
		proxy := bin + " " + strings.Join(e.gosshArgs(t, key), " ") + " -W %h:%p " + dest
		r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "ProxyCommand="+proxy, dest, "echo proxied")...)
		if r.code != 0 || r.stdout != "proxied\n" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("agent", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "agent.sock")
		uaAgent(t, sock, e.key)
		args := []string{"-F", "none", "-o", "UserKnownHostsFile=" + e.knownHosts, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port), "-A", dest, "ssh-add -l >/dev/null && echo agent-ok"}
		r := clGossh(t, bin, nil, []string{"SSH_AUTH_SOCK=" + sock}, args...)
		if r.code != 0 || r.stdout != "agent-ok\n" {
			t.Errorf("got %+v", r)
		}
		// PubkeyAcceptedAlgorithms applies to agent keys too, as in ssh:
		// the agent's Ed25519 key is not offered when only RSA is accepted.
		r = clGossh(t, bin, nil, []string{"SSH_AUTH_SOCK=" + sock},
			append([]string{"-o", "PubkeyAcceptedAlgorithms=rsa-sha2-512", "-o", "IdentityFile=none"}, args...)...)
		if r.code != 255 || !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("agent Ed25519 key with only rsa-sha2-512 accepted: %+v", r)
		}
	})
	t.Run("SendEnv and SetEnv", func(t *testing.T) {
		e2 := clStart(t, "AcceptEnv LC_GOSSH GOSSH_*")
		os.WriteFile(filepath.Join(e2.srv.Dir, "authorized_keys"), hostkey.MarshalAuthorizedKey(e.key.PublicKey(), ""), 0o600)
		r := clGossh(t, bin, nil, []string{"LC_GOSSH=sent"}, "-F", "none", "-i", key, "-o", "UserKnownHostsFile="+e2.knownHosts,
			"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "SendEnv=LC_*", "-o", "SetEnv=GOSSH_SET=set",
			"-p", strconv.Itoa(e2.srv.Port), dest, "echo $LC_GOSSH $GOSSH_SET")
		if r.code != 0 || r.stdout != "sent set\n" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("StrictHostKeyChecking", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "kh")
		base := []string{"-F", "none", "-i", key, "-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port)}
		r := clGossh(t, bin, nil, nil, append(base, "-o", "StrictHostKeyChecking=yes", dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Host key verification failed.") {
			t.Errorf("yes, unknown host: %+v", r)
		}
		r = clGossh(t, bin, nil, nil, append(base, "-o", "StrictHostKeyChecking=accept-new", dest, "true")...)
		added := "Warning: Permanently added '[127.0.0.1]:" + strconv.Itoa(e.srv.Port) + "' (ED25519) to the list of known hosts.\r\n"
		if r.code != 0 || r.stderr != added {
			t.Errorf("accept-new: %+v", r)
		}
		r = clGossh(t, bin, nil, nil, append(base, "-o", "StrictHostKeyChecking=yes", dest, "true")...)
		if r.code != 0 {
			t.Errorf("yes after accept-new recorded the key: %+v", r)
		}
		// ask: the question goes to SSH_ASKPASS, "yes" records the key.
		kh2 := filepath.Join(t.TempDir(), "kh2")
		promptLog := filepath.Join(t.TempDir(), "prompt")
		askpass := filepath.Join(t.TempDir(), "askpass")
		os.WriteFile(askpass, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+promptLog+"\necho yes\n"), 0o700)
		r = clGossh(t, bin, nil, []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force"}, "-F", "none", "-i", key,
			"-o", "UserKnownHostsFile="+kh2, "-o", "GlobalKnownHostsFile=none", "-o", "StrictHostKeyChecking=ask",
			"-p", strconv.Itoa(e.srv.Port), dest, "true")
		prompt, _ := os.ReadFile(promptLog)
		recorded, _ := os.ReadFile(kh2)
		if r.code != 0 || !strings.HasPrefix(string(prompt), "The authenticity of host '[127.0.0.1]:"+strconv.Itoa(e.srv.Port)+"' can't be established.") ||
			!strings.Contains(string(prompt), "Are you sure you want to continue connecting (yes/no/[fingerprint])? ") || len(recorded) == 0 {
			t.Errorf("ask: %+v\nprompt %q\nrecorded %q", r, prompt, recorded)
		}
		// ssh itself accepts the line gossh wrote.
		res, err := sshdtest.RunSSH(context.Background(), nil, "-i", key, "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port), dest, "true")
		if err != nil || res.ExitCode != 0 {
			t.Errorf("ssh with gossh's known_hosts: %v %d %s", err, res.ExitCode, res.Stderr)
		}
	})
	t.Run("ConnectTimeout", func(t *testing.T) {
		l := servertest.Accept(t, servertest.Listen(t), servertest.Discard) // accepts and says nothing
		start := time.Now()
		r := clGossh(t, bin, nil, nil, "-F", "none", "-o", "ConnectTimeout=1", "-p", strconv.Itoa(servertest.Port(l)), "127.0.0.1", "true")
		if r.code != 255 || time.Since(start) > 15*time.Second {
			t.Errorf("got %+v after %v", r, time.Since(start))
		}
	})
	t.Run("ServerAliveInterval", func(t *testing.T) {
		// A loopback proxy to sshd that stops passing bytes on demand.
		pl := servertest.StartProxy(t, e.srv.Addr)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-F", "none", "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "HostKeyAlias=[127.0.0.1]:"+strconv.Itoa(e.srv.Port),
			"-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2", "-N",
			"-p", strconv.Itoa(pl.Port), dest)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // connected and a keepalive answered
		pl.DropToTarget.Store(true)
		pl.DropFromTarget.Store(true)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 || !strings.Contains(stderr.String(), "Timeout, server 127.0.0.1 not responding.") {
			t.Errorf("%v\n%s", err, stderr.String())
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		port, _ := sshdtest.FreePort()
		r := clGossh(t, bin, nil, nil, "-F", "none", "-p", strconv.Itoa(port), "127.0.0.1", "true")
		if r.code != 255 || !strings.Contains(r.stderr, "Connection refused") {
			t.Errorf("got %+v", r)
		}
	})
}

// TestGosshPasswordAgainstSSHD answers the password and keyboard-
// interactive prompts through SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force)
// for a throwaway local account, and checks the prompt texts.
func TestGosshPasswordAgainstSSHD(t *testing.T) {
	const password = "Corr3ct-Horse-Battery"
	name := uaLocalUser(t, password)
	bin := clBuildGossh(t)
	dir := t.TempDir()
	promptLog := filepath.Join(dir, "prompts")
	askpass := filepath.Join(dir, "askpass")
	os.WriteFile(askpass, []byte("#!/bin/sh\necho \"$1\" >> "+promptLog+"\necho '"+password+"'\n"), 0o700)
	env := []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0", "SSH_AUTH_SOCK="}
	for _, tc := range []struct {
		name   string
		config []string
		prompt string
	}{
		{"password", []string{"PasswordAuthentication yes", "KbdInteractiveAuthentication no", "PubkeyAuthentication no"}, name + "@127.0.0.1's password: "},
		{"keyboard-interactive", []string{"UsePAM yes", "KbdInteractiveAuthentication yes", "PasswordAuthentication no", "PubkeyAuthentication no"}, "(" + name + "@127.0.0.1) Password: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "keyboard-interactive" {
				if _, err := os.Stat("/etc/pam.d/sshd"); err != nil {
					t.Skip("no PAM configuration for sshd")
				}
			}
			os.Remove(promptLog)
			e := clStart(t, tc.config...)
			r := clGossh(t, bin, nil, env, "-F", "none", "-o", "UserKnownHostsFile="+e.knownHosts, "-o", "GlobalKnownHostsFile=none",
				"-p", strconv.Itoa(e.srv.Port), name+"@127.0.0.1", "echo logged-in")
			prompts, _ := os.ReadFile(promptLog)
			if r.code != 0 || r.stdout != "logged-in\n" {
				t.Fatalf("got %+v\n%s", r, tail(e.srv.Log()))
			}
			if strings.TrimRight(string(prompts), "\n") != tc.prompt {
				t.Errorf("prompts %q, want %q", prompts, tc.prompt)
			}
		})
	}
}

// clXServer is an in-process x/crypto/ssh server for the benchmarks
// (xsshtest): the given user key, "exec" of any command discards stdin
// and exits 0.
func clXServer(b testing.TB, userKey *hostkey.CryptoSigner) (addr string, hostPub []byte) {
	hk, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	signer, err := ssh.NewSignerFromSigner(hk.Crypto())
	if err != nil {
		b.Fatal(err)
	}
	want := userKey.PublicKey().Marshal()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(k.Marshal(), want) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	s := xsshtest.Start(b, xsshtest.Options{Config: cfg, HostKey: signer, Handle: xsshtest.DrainExitZero})
	return s.Addr, hk.PublicKey().Marshal()
}

// clBench is one peer of the client benchmarks.
type clBench struct {
	name, addr, user string
	hostKey          []byte // trusted host key blob
}

// clOurServer runs package server in process: the given user key,
// "exec" discards stdin and exits 0 (like clXServer).
func clOurServer(b testing.TB, userKey *hostkey.CryptoSigner) (addr string, hostPub []byte) {
	hk, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	want := userKey.PublicKey().Marshal()
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{PublicKeyCallback: func(_ context.Context, _ userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
			if bytes.Equal(k.Marshal(), want) {
				return &userauth.Permissions{}, nil
			}
			return nil, errors.New("unknown key")
		}},
		Handler: func(_ context.Context, s *server.Session) {
			io.Copy(io.Discard, s)
			s.Exit(0)
		},
	}
	return servertest.Start(b, srv), hk.PublicKey().Marshal()
}

func clBenchPeers(b *testing.B, key *hostkey.CryptoSigner) []clBench {
	u, _ := user.Current()
	srv := sshdtest.Start(b, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
		AuthorizedKeys: hostkey.MarshalAuthorizedKey(key.PublicKey(), ""), Config: []string{"LogLevel ERROR"}})
	xaddr, xhost := clXServer(b, key)
	oaddr, ohost := clOurServer(b, key)
	return []clBench{
		{"sshd", srv.Addr, u.Username, clAuthorizedBlob(b, srv.HostPublicKey(b, "ed25519"))},
		{"xserver", xaddr, u.Username, xhost},
		{"ourserver", oaddr, u.Username, ohost},
	}
}

// Both clients use the same algorithms: curve25519-sha256, ssh-ed25519,
// aes128-gcm@openssh.com.
func (p clBench) ours(ctx context.Context, key *hostkey.CryptoSigner) (*client.Client, error) {
	return client.Dial(ctx, "tcp", p.addr, &client.Config{
		User: p.user, Auth: []userauth.Method{userauth.InMemoryPrivateKey(key)},
		KexAlgorithms: []string{"curve25519-sha256"}, HostKeyAlgorithms: []string{"ssh-ed25519"},
		Ciphers: []string{"aes128-gcm@openssh.com"},
		HostKeyCallback: func(_ string, _ net.Addr, k hostkey.PublicKey) error {
			if !bytes.Equal(k.Marshal(), p.hostKey) {
				return errors.New("bench: unexpected host key")
			}
			return nil
		},
	})
}

func (p clBench) theirs(key *hostkey.CryptoSigner) (*ssh.Client, error) {
	signer, err := ssh.NewSignerFromSigner(key.Crypto())
	if err != nil {
		return nil, err
	}
	hk, err := ssh.ParsePublicKey(p.hostKey)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{User: p.user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hk), HostKeyAlgorithms: []string{"ssh-ed25519"},
		Config: ssh.Config{KeyExchanges: []string{"curve25519-sha256"}, Ciphers: []string{"aes128-gcm@openssh.com"}}}
	return ssh.Dial("tcp", p.addr, cfg)
}

// BenchmarkClientConnectExec measures a full connect, key exchange,
// publickey authentication, "exec true" and close, for our client and
// x/crypto/ssh's against sshd and an in-process x/crypto/ssh server.
func BenchmarkClientConnectExec(b *testing.B) {
	key, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	for _, p := range clBenchPeers(b, key) {
		b.Run("ours-"+p.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				c, err := p.ours(ctx, key)
				if err != nil {
					b.Fatal(err)
				}
				s, err := c.NewSession(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Run(ctx, "true"); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
		b.Run("xcrypto-"+p.name, func(b *testing.B) {
			for b.Loop() {
				c, err := p.theirs(key)
				if err != nil {
					b.Fatal(err)
				}
				s, err := c.NewSession()
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Run("true"); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}

// BenchmarkClientBulk measures stdin throughput of one session into
// "cat >/dev/null" (sshd) or a discarding server, 4 MiB per operation.
func BenchmarkClientBulk(b *testing.B) {
	key, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	chunk := make([]byte, 32<<10)
	const perOp = 4 << 20
	for _, p := range clBenchPeers(b, key) {
		b.Run("ours-"+p.name, func(b *testing.B) {
			ctx := context.Background()
			c, err := p.ours(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			s, _ := c.NewSession(ctx)
			in, _ := s.StdinPipe()
			if err := s.Start(ctx, "cat >/dev/null"); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(perOp)
			for b.Loop() {
				for n := 0; n < perOp; n += len(chunk) {
					if _, err := in.Write(chunk); err != nil {
						b.Fatal(err)
					}
				}
			}
			in.Close()
			s.Wait(ctx)
		})
		b.Run("xcrypto-"+p.name, func(b *testing.B) {
			c, err := p.theirs(key)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			s, _ := c.NewSession()
			in, _ := s.StdinPipe()
			if err := s.Start("cat >/dev/null"); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(perOp)
			for b.Loop() {
				for n := 0; n < perOp; n += len(chunk) {
					if _, err := in.Write(chunk); err != nil {
						b.Fatal(err)
					}
				}
			}
			in.Close()
			s.Wait()
		})
	}
}

func clAuthorizedBlob(b testing.TB, pubFile []byte) []byte {
	k, _, err := hostkey.ParsePublicKeyFile(pubFile)
	if err != nil {
		b.Fatal(err)
	}
	return k.Marshal()
}

// TestClientAgainstParamiko runs the client facade against paramiko
// 2.12's server (testdata/client/paramiko_server.py): password auth,
// exit status, stderr, a 1 MiB echo, direct-tcpip, tcpip-forward with a
// forwarded channel, keepalive, IGNORE and a rekey.
func TestClientAgainstParamiko(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko").Run(); err != nil {
		sshdtest.MissingPeer(t, "paramiko not available: %v", err)
	}
	dir := t.TempDir()
	hostKeyPath := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hostKeyPath, "")
	hostPub, _ := os.ReadFile(hostKeyPath + ".pub")
	ps := startPyServer(t, py, "testdata/client/paramiko_server.py", hostKeyPath)
	port := ps.Port
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kh := filepath.Join(dir, "known_hosts")
	k, _, _ := hostkey.ParsePublicKeyFile(hostPub)
	os.WriteFile(kh, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", port)}, k, false), 0o600)
	c, err := client.Dial(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(port), &client.Config{
		User: "alice", Auth: []userauth.Method{userauth.StaticPassword("secret")},
		UserKnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, ps.Stderr())
	}
	defer c.Close()
	if !strings.Contains(c.ServerVersion(), "paramiko") {
		t.Errorf("server version %q", c.ServerVersion())
	}
	t.Run("exec", func(t *testing.T) {
		if _, _, err := clRun(t, c, "exit 0", nil); err != nil {
			t.Error(err)
		}
		_, _, err := clRun(t, c, "exit 9", nil)
		var ee *client.ExitError
		if !errors.As(err, &ee) || ee.Status != 9 {
			t.Errorf("exit 9: %v", err)
		}
		out, errOut, err := clRun(t, c, "stderr oops", nil)
		if err != nil || string(out) != "out" || string(errOut) != "oops" {
			t.Errorf("stderr: %q %q %v", out, errOut, err)
		}
		data := make([]byte, 1<<20)
		rand.Read(data)
		out, _, err = clRun(t, c, "echo", data)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("echo: %d bytes, %v", len(out), err)
		}
	})
	t.Run("direct-tcpip", func(t *testing.T) {
		echo := clEcho(t, "tcp", "127.0.0.1:0")
		conn, err := c.Dial(ctx, "tcp", echo.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clPing(t, conn, "via paramiko")
	})
	t.Run("tcpip-forward", func(t *testing.T) {
		l, err := c.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if l.Addr().String() != "127.0.0.1:4242" {
			t.Errorf("bound %v", l.Addr())
		}
		conn, err := l.(*client.Listener).AcceptContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(conn)
		conn.Close()
		if string(got) != "hello-forward" {
			t.Errorf("forwarded channel said %q", got)
		}
	})
	t.Run("gossh", func(t *testing.T) {
		bin := clBuildGossh(t)
		askpass := filepath.Join(t.TempDir(), "askpass")
		os.WriteFile(askpass, []byte("#!/bin/sh\necho secret\n"), 0o700)
		r := clGossh(t, bin, []byte("via gossh"), []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "SSH_AUTH_SOCK="},
			"-F", "none", "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=none", "-p", strconv.Itoa(port), "alice@127.0.0.1", "echo")
		if r.code != 0 || r.stdout != "via gossh" {
			t.Errorf("echo: %+v", r)
		}
		r = clGossh(t, bin, nil, []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "SSH_AUTH_SOCK="},
			"-F", "none", "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=none", "-p", strconv.Itoa(port), "alice@127.0.0.1", "exit 9")
		if r.code != 9 {
			t.Errorf("exit 9: %+v", r)
		}
	})
	t.Run("transport", func(t *testing.T) {
		if err := c.SendIgnore(8); err != nil {
			t.Error(err)
		}
		if err := c.Keepalive(ctx); err != nil {
			t.Error(err)
		}
		if err := c.Rekey(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := clRun(t, c, "exit 0", nil); err != nil {
			t.Errorf("after rekey: %v", err)
		}
	})
}

// TestGosshPtyAgainstSSHD runs gossh without a command inside script(1),
// which gives it a terminal: gossh must allocate a pty (RequestTTY auto),
// return the shell's exit status and restore the local terminal modes.
func TestGosshPtyAgainstSSHD(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		sshdtest.MissingPeer(t, "script(1) not installed")
	}
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	dir := t.TempDir()
	// EnableEscapeCommandline: "~C" is off by default, as in OpenSSH 9.2.
	args := strings.Join(e.gosshArgs(t, key, "-o", "EnableEscapeCommandline=yes", e.user+"@127.0.0.1"), " ")
	wrapper := filepath.Join(dir, "run.sh")
	os.WriteFile(wrapper, []byte("#!/bin/sh\nstty -g > "+dir+"/before\n"+bin+" "+args+"\nrc=$?\nstty -g > "+dir+"/after\n"+
		"cmp -s "+dir+"/before "+dir+"/after && echo TERMINAL-RESTORED\nexit $rc\n"), 0o700)
	run := func(input string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "script", "-qec", wrapper, "/dev/null")
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		code := 0
		if ee != nil {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	out, code := run("tty\nexit 3\n")
	if code != 3 || !strings.Contains(out, "/dev/pts/") || !strings.Contains(out, "TERMINAL-RESTORED") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	// "~." after a newline ends the connection as in ssh: exit 255, the
	// terminal restored, the shell never sees "after".
	out, code = run("echo before\n~.echo after\n")
	if code != 255 || !strings.Contains(out, "Connection to 127.0.0.1 closed.") || !strings.Contains(out, "TERMINAL-RESTORED") {
		t.Errorf("~.: exit %d, output:\n%s", code, out)
	}
	// "~C" opens ssh's command line: a -L added there forwards while the
	// session runs.
	echo := clEcho(t, "tcp", "127.0.0.1:0")
	lport, err := sshdtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		out  string
		code int
	}
	done := make(chan result, 1)
	go func() {
		out, code := run(fmt.Sprintf("~C-L %d:%s\rsleep 3; exit 0\n", lport, echo.Addr()))
		done <- result{out, code}
	}()
	var fc net.Conn
	for deadline := time.Now().Add(10 * time.Second); fc == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fc, _ = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(lport)))
	}
	if fc == nil {
		t.Error("~C -L: the forwarded port never listened")
	} else {
		clPing(t, fc, "via ~C -L")
		fc.Close()
	}
	// The echo of the command line may interleave with the remote
	// shell's own output (the motd): look for its parts.
	if r := <-done; r.code != 0 || !strings.Contains(r.out, "ssh> ") || !strings.Contains(r.out, "Forwarding port.") {
		t.Errorf("~C: exit %d, output:\n%s", r.code, r.out)
	}
	// "~R" asks for a rekey and "~B" sends a BREAK; sshd's log shows both
	// (its KEXINIT lines after authentication lack "[preauth]").
	before := len(e.srv.Log())
	out, code = run("~R\nsleep 1\n~B\nsleep 1; exit 0\n")
	if code != 0 {
		t.Errorf("~R ~B: exit %d, output:\n%s", code, out)
	}
	log := strings.ReplaceAll(e.srv.Log()[before:], "\r", "")
	if !strings.Contains(log, "debug1: SSH2_MSG_KEXINIT received\n") {
		t.Errorf("~R: sshd saw no rekey\n%s", tail(log))
	}
	if !strings.Contains(log, "request break") {
		t.Errorf("~B: sshd got no break request\n%s", tail(log))
	}
}

// TestGosshGSSAPIAgainstSSHD logs in with Kerberos through gossh against
// sshd: gssapi-with-mic after an ordinary key exchange, and gss-* key
// exchange followed by gssapi-keyex (GSSAPIKeyExchange), with a TGT from
// a throwaway MIT KDC.
func TestGosshGSSAPIAgainstSSHD(t *testing.T) {
	if _, err := exec.LookPath("krb5kdc"); err != nil {
		if _, err := os.Stat("/usr/sbin/krb5kdc"); err != nil {
			sshdtest.MissingPeer(t, "MIT krb5kdc not installed")
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	kdc := krb5test.Start(t, aliceIsMe(u))
	kdc.AddService(t, "host/localhost")
	kdc.AddUser(t, "alice", "alicepw")
	f := &krb5test.Fixture{KDC: kdc, Keytab: kdc.Keytab(t, "host/localhost"), CCache: kdc.Kinit(t, "alice", "alicepw")}
	kdc.Setenv(t) // sshd maps alice@SSHSTACK.TEST to the test's user with this krb5.conf
	bin := clBuildGossh(t)
	srv := sshdtest.Start(t, sshdtest.Options{
		HostKeyTypes: []string{"ed25519"},
		Config: []string{"GSSAPIAuthentication yes", "GSSAPIKeyExchange yes", "GSSAPIStrictAcceptorCheck no",
			"PubkeyAuthentication no", "PasswordAuthentication no", "KbdInteractiveAuthentication no"},
		Env: []string{"KRB5_KTNAME=FILE:" + f.Keytab},
	})
	kh := filepath.Join(t.TempDir(), "kh")
	os.WriteFile(kh, []byte(srv.KnownHostsLine(t, "ed25519")+"\n"), 0o600)
	env := append(f.Env(), "SSH_AUTH_SOCK=")
	for _, tc := range []struct {
		name, kexOpt, wantKex, wantAuth string
	}{
		{"gssapi-with-mic", "GSSAPIKeyExchange=no", "", "gssapi-with-mic"},
		{"gss key exchange", "GSSAPIKeyExchange=yes", "gss-group14-sha256-", "gssapi-keyex"}, // first in Debian ssh's default list
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clGossh(t, bin, nil, env, "-F", "none", "-v", "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=none",
				"-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=yes", "-o", tc.kexOpt, "-o", "GSSAPIServerIdentity=localhost",
				"-p", strconv.Itoa(srv.Port), u.Username+"@127.0.0.1", "echo kerberos")
			if r.code != 0 || r.stdout != "kerberos\n" {
				t.Fatalf("got %+v\n%s", r, tail(srv.Log()))
			}
			if tc.wantKex != "" && !strings.Contains(r.stderr, "debug1: kex: algorithm: "+tc.wantKex) || !strings.Contains(r.stderr, "using \""+tc.wantAuth+"\".") {
				t.Errorf("stderr:\n%s", r.stderr)
			}
		})
	}
	// As ssh: with GSSAPIKeyExchange on but no ticket, or no service
	// principal for the target, the gss-* methods are not offered, so the
	// ordinary key exchange runs and authentication is what fails.
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"keyex without a ticket", []string{"KRB5CCNAME=FILE:" + filepath.Join(t.TempDir(), "none")}, []string{"-o", "GSSAPIServerIdentity=localhost"}},
		{"keyex without a service principal", nil, []string{"-o", "GSSAPIServerIdentity=otherhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-F", "none", "-v", "-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=none",
				"-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=yes", "-o", "GSSAPIKeyExchange=yes"}, tc.args...)
			r := clGossh(t, bin, nil, append(slices.Clone(env), tc.env...), append(args, "-p", strconv.Itoa(srv.Port), u.Username+"@127.0.0.1", "true")...)
			if r.code != 255 || !strings.Contains(r.stderr, "debug1: kex: algorithm: ") || strings.Contains(r.stderr, "debug1: kex: algorithm: gss-") ||
				!strings.Contains(r.stderr, "Permission denied (gssapi-keyex,gssapi-with-mic)") {
				t.Errorf("got %+v", r)
			}
		})
	}
}

// TestClientPublicKeyTypesAgainstSSHD logs in with each user key type,
// through the library (keys in memory) and through gossh (key files
// written by ssh-keygen, one of them encrypted: its passphrase is asked
// through SSH_ASKPASS with OpenSSH's prompt).
func TestClientPublicKeyTypesAgainstSSHD(t *testing.T) {
	dir := t.TempDir()
	types := []string{"ed25519", "ecdsa", "ecdsa-384", "rsa"}
	var authorized bytes.Buffer
	files := map[string]string{}
	for _, typ := range types {
		path := filepath.Join(dir, "id_"+typ)
		pass := ""
		if typ == "ecdsa" {
			pass = "s3cret-phrase"
		}
		sshdtest.GenerateKey(t, typ, path, pass)
		pub, _ := os.ReadFile(path + ".pub")
		authorized.Write(pub)
		files[typ] = path
	}
	e := clStart(t)
	os.WriteFile(filepath.Join(e.srv.Dir, "authorized_keys"), authorized.Bytes(), 0o600)
	for _, typ := range types {
		t.Run("library "+typ, func(t *testing.T) {
			cfg := e.config()
			cfg.Auth = []userauth.Method{userauth.OnDiskPrivateKey(files[typ], "", func(context.Context, string) ([]byte, error) {
				return []byte("s3cret-phrase"), nil
			})}
			c := e.dial(t, cfg)
			if out, _, err := clRun(t, c, "echo ok", nil); err != nil || string(out) != "ok\n" {
				t.Errorf("%q %v", out, err)
			}
		})
	}
	bin := clBuildGossh(t)
	promptLog := filepath.Join(dir, "prompts")
	askpass := filepath.Join(dir, "askpass")
	os.WriteFile(askpass, []byte("#!/bin/sh\necho \"$1\" >> "+promptLog+"\necho s3cret-phrase\n"), 0o700)
	for _, typ := range types {
		t.Run("gossh "+typ, func(t *testing.T) {
			os.Remove(promptLog)
			r := clGossh(t, bin, nil, []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "SSH_AUTH_SOCK="},
				"-F", "none", "-i", files[typ], "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile="+e.knownHosts,
				"-o", "GlobalKnownHostsFile=none", "-o", "PreferredAuthentications=publickey",
				"-p", strconv.Itoa(e.srv.Port), e.user+"@127.0.0.1", "echo ok")
			if r.code != 0 || r.stdout != "ok\n" {
				t.Fatalf("got %+v", r)
			}
			prompts, _ := os.ReadFile(promptLog)
			want := ""
			if typ == "ecdsa" {
				want = "Enter passphrase for key '" + files[typ] + "': \n"
			}
			if string(prompts) != want {
				t.Errorf("prompts %q, want %q", prompts, want)
			}
		})
	}
	t.Run("gossh PubkeyAcceptedAlgorithms", func(t *testing.T) {
		r := clGossh(t, bin, nil, []string{"SSH_AUTH_SOCK="}, "-F", "none", "-i", files["ed25519"],
			"-o", "PubkeyAcceptedAlgorithms=-ssh-ed25519*", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "GlobalKnownHostsFile=none", "-p", strconv.Itoa(e.srv.Port), e.user+"@127.0.0.1", "echo ok")
		if r.code != 255 || !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("an ed25519 key was used although not accepted: %+v", r)
		}
	})
}

// TestClientAgainstOurServer runs the client facade against package
// server in process (the peers the benchmarks use), so that a broken
// pairing fails a test rather than only a benchmark.
func TestClientAgainstOurServer(t *testing.T) {
	key, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	addr, host := clOurServer(t, key)
	p := clBench{"ourserver", addr, "alice", host}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := p.ours(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 1<<20)
	rand.Read(data)
	if _, _, err := clRun(t, c, "anything", data); err != nil {
		t.Errorf("exec with 1 MiB stdin: %v", err)
	}
	if err := c.Rekey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := clRun(t, c, "again", nil); err != nil {
		t.Errorf("after rekey: %v", err)
	}
}

// TestGosshAlgorithmsAgainstSSHD runs gossh once per algorithm it shares
// with OpenSSH 9.2 (each kex, cipher, MAC under aes128-ctr, and host key
// algorithm), moving 64 KiB through "cat", and checks the -v kex lines
// name the algorithm.
func TestGosshAlgorithmsAgainstSSHD(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	dest := e.user + "@127.0.0.1"
	data := make([]byte, 64<<10)
	rand.Read(data)
	var keys []string
	for _, k := range clShared(t, client.SupportedAlgorithms(client.AlgKeys), "HostKeyAlgorithms") {
		if !hostkey.IsCertAlgorithm(k) && !strings.HasPrefix(k, "sk-") {
			keys = append(keys, k)
		}
	}
	type run struct {
		name, want string
		opts       []string
	}
	var runs []run
	for _, k := range clShared(t, client.SupportedAlgorithms(client.AlgKex), "kex") {
		runs = append(runs, run{"kex=" + k, "debug1: kex: algorithm: " + k + "\r\n", []string{"-o", "KexAlgorithms=" + k}})
	}
	for _, c := range clShared(t, client.SupportedAlgorithms(client.AlgCiphers), "cipher") {
		runs = append(runs, run{"cipher=" + c, "client->server cipher: " + c + " ", []string{"-o", "Ciphers=" + c}})
	}
	for _, m := range clShared(t, client.SupportedAlgorithms(client.AlgMACs), "mac") {
		runs = append(runs, run{"mac=" + m, "MAC: " + m + " compression", []string{"-o", "Ciphers=aes128-ctr", "-o", "MACs=" + m}})
	}
	for _, k := range keys {
		runs = append(runs, run{"hostkey=" + k, "debug1: kex: host key algorithm: " + k + "\r\n", []string{"-o", "HostKeyAlgorithms=" + k}})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			args := append(e.gosshArgs(t, key, "-v"), r.opts...)
			res := clGossh(t, bin, data, nil, append(args, dest, "cat")...)
			if res.code != 0 || res.stdout != string(data) || !strings.Contains(res.stderr, r.want) {
				t.Errorf("exit %d, %d bytes back, want %q in:\n%s", res.code, len(res.stdout), r.want, res.stderr)
			}
		})
	}
}

// TestGosshAgainstInProcessServers runs gossh against x/crypto/ssh's
// server and our package server, both in process, with a key file.
func TestGosshAgainstInProcessServers(t *testing.T) {
	bin := clBuildGossh(t)
	key, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	pem, err := hostkey.MarshalPrivateKey(key.Crypto(), "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id")
	os.WriteFile(keyFile, pem, 0o600)
	for _, peer := range []string{"x/crypto", "ours"} {
		t.Run(peer, func(t *testing.T) {
			var addr string
			var host []byte
			if peer == "ours" {
				addr, host = clOurServer(t, key)
			} else {
				addr, host = clXServer(t, key)
			}
			_, portStr, _ := net.SplitHostPort(addr)
			port, _ := strconv.Atoi(portStr)
			pub, _ := hostkey.ParsePublicKey(host)
			kh := filepath.Join(t.TempDir(), "kh")
			os.WriteFile(kh, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", port)}, pub, false), 0o600)
			data := make([]byte, 256<<10)
			rand.Read(data)
			r := clGossh(t, bin, data, []string{"SSH_AUTH_SOCK="}, "-F", "none", "-i", keyFile, "-o", "UserKnownHostsFile="+kh,
				"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-v", "-p", portStr, "alice@127.0.0.1", "discard")
			if r.code != 0 || !strings.Contains(r.stderr, "using \"publickey\".") {
				t.Errorf("got %+v", r)
			}
		})
	}
}
