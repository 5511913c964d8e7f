// Package sshdtest runs a throwaway OpenSSH sshd on a free loopback port for
// interop tests, and drives OpenSSH's ssh client against any server.
//
// Everything lives in the test's temporary directory: host keys generated
// with ssh-keygen, an sshd_config, an authorized_keys file and a log. The
// daemon runs in the foreground (-D) as a child of the test and is stopped
// by PID when the test ends. Nothing outside the temporary directory is
// touched, except that sshd running as root needs its privilege separation
// directory (/run/sshd), which is created if it is missing. Programs that
// are not tests (the benchmark harness, conformance/cmd/benchcompare) use
// Launch and Stop with a directory of their own.
package sshdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/sshstack/sshstack/wire/wiretest"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of the OpenSSH binaries. Debian's openssh-server and openssh-client
// install them here.
var (
	SSHD      = "/usr/sbin/sshd"
	SSH       = "/usr/bin/ssh"
	SSHKeygen = "/usr/bin/ssh-keygen"
)

// HostKeyTypes are the host key types a Server generates by default, as
// ssh-keygen -t names them.
var HostKeyTypes = []string{"ed25519", "ecdsa", "rsa"}

// Options configure a Server.
type Options struct {
	// HostKeyTypes overrides the default host key types.
	HostKeyTypes []string
	// Config holds extra sshd_config lines, one keyword per line. They
	// are written before the harness's own lines, so they win (sshd takes
	// the first value of a keyword).
	Config []string
	// AuthorizedKeys is written to the authorized_keys file that
	// AuthorizedKeysFile names.
	AuthorizedKeys []byte
	// Env is added to sshd's environment (for example KRB5_KTNAME).
	Env []string
}

// A Server is a running sshd.
type Server struct {
	Dir      string            // temporary directory holding every file
	Addr     string            // 127.0.0.1:port
	Port     int               // the port sshd listens on
	HostKeys map[string]string // ssh-keygen type -> private key path
	LogPath  string            // sshd's log (-E)

	daemon *Daemon
}

// Start generates host keys, writes a configuration and starts sshd. It
// fails the test if sshd is not accepting connections within 10 seconds.
// The server is stopped when the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	s, err := Launch(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch is Start for programs that are not tests (the benchmark
// harness): it keeps every file in dir, which the caller owns and
// removes, and returns an error instead of failing a test. The caller
// must call Stop.
func Launch(dir string, opt Options) (*Server, error) {
	for _, bin := range []string{SSHD, SSHKeygen} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("sshdtest: %s missing (install openssh-server / openssh-client): %w", bin, err)
		}
	}
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, fmt.Errorf("sshdtest: privilege separation directory: %w", err)
		}
	}
	s := &Server{Dir: dir, HostKeys: map[string]string{}, LogPath: filepath.Join(dir, "sshd.log")}
	types := opt.HostKeyTypes
	if types == nil {
		types = HostKeyTypes
	}
	for _, typ := range types {
		path := filepath.Join(dir, "ssh_host_"+typ+"_key")
		if err := WriteKey(typ, path, ""); err != nil {
			return nil, err
		}
		s.HostKeys[typ] = path
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, opt.AuthorizedKeys, 0o600); err != nil {
		return nil, fmt.Errorf("sshdtest: %w", err)
	}

	// Try a few ports: another process may take the free port between our
	// probe and sshd's bind.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := FreePort()
		if err != nil {
			return nil, fmt.Errorf("sshdtest: %w", err)
		}
		s.Port = port
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cfg := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfg, s.config(opt, types, authKeys), 0o600); err != nil {
			return nil, fmt.Errorf("sshdtest: %w", err)
		}
		if lastErr = s.start(cfg, opt.Env); lastErr == nil {
			return s, nil
		}
	}
	log, _ := os.ReadFile(s.LogPath)
	return nil, fmt.Errorf("sshdtest: sshd did not start: %v\n%s", lastErr, log)
}

func (s *Server) config(opt Options, types []string, authKeys string) []byte {
	var b bytes.Buffer
	for _, l := range opt.Config {
		fmt.Fprintln(&b, l)
	}
	fmt.Fprintf(&b, "ListenAddress %s\n", s.Addr)
	for _, typ := range types {
		fmt.Fprintf(&b, "HostKey %s\n", s.HostKeys[typ])
	}
	fmt.Fprintf(&b, "PidFile %s\n", filepath.Join(s.Dir, "sshd.pid"))
	fmt.Fprintf(&b, "AuthorizedKeysFile %s\n", authKeys)
	// The temporary directory is not owned by the user the way sshd's
	// StrictModes expects.
	fmt.Fprintln(&b, "StrictModes no")
	fmt.Fprintln(&b, "UsePAM no")
	fmt.Fprintln(&b, "LogLevel DEBUG3")
	fmt.Fprintln(&b, "PermitRootLogin yes")
	fmt.Fprintln(&b, "Subsystem sftp internal-sftp")
	return b.Bytes()
}

func (s *Server) start(cfg string, env []string) error {
	cmd := exec.Command(SSHD, "-D", "-e", "-f", cfg, "-E", s.LogPath)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	d, err := StartDaemon(cmd, Accepting(s.Addr), 10*time.Second)
	if err != nil {
		return fmt.Errorf("%w: %s", err, stderr.String())
	}
	s.daemon = d
	return nil
}

// PID is the process ID of the listening sshd (-D: a child of this
// process). Each connection is served by a child of it.
func (s *Server) PID() int { return s.daemon.PID() }

// Stop ends the sshd this Server started (by PID) and waits for it.
// Start arranges it for tests; it is idempotent.
func (s *Server) Stop() {
	if s.daemon != nil {
		s.daemon.Stop(os.Interrupt, 3*time.Second)
	}
}

// ErrKilled is returned by Daemon.Stop when the daemon had not exited
// within the grace period and was killed.
var ErrKilled = errors.New("sshdtest: daemon killed after the grace period")

// A Daemon is a server process started by StartDaemon: sshd (Start and
// Launch run it), or gosshd, which conformance tests and benchcompare
// run with sshd_config files of their own.
type Daemon struct {
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd.Wait returns
	stopOnce sync.Once
	stopErr  error
}

// StartDaemon starts cmd, which the caller has set up (arguments,
// output, environment, credentials), then calls ready every 20 ms until
// it reports true. If cmd exits first, or ready has not held within
// timeout, StartDaemon kills cmd (by PID), waits for it and returns an
// error. The caller must call Stop.
func StartDaemon(cmd *exec.Cmd, ready func() bool, timeout time.Duration) (*Daemon, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sshdtest: starting %s: %w", cmd.Path, err)
	}
	d := &Daemon{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(d.done) }()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-d.done:
			return nil, fmt.Errorf("sshdtest: %s exited: %v", filepath.Base(cmd.Path), cmd.ProcessState)
		default:
		}
		if ready() {
			return d, nil
		}
	}
	cmd.Process.Kill()
	<-d.done
	return nil, fmt.Errorf("sshdtest: %s not ready within %v", filepath.Base(cmd.Path), timeout)
}

// Accepting returns a ready function for StartDaemon that reports
// whether addr accepts TCP connections. Each probe is a connection the
// daemon sees (and may log, or penalize); LogContains has none.
func Accepting(addr string) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}

// LogContains returns a ready function for StartDaemon that reports
// whether the file at path contains s (gosshd's "Server listening").
func LogContains(path, s string) func() bool {
	return func() bool {
		b, _ := os.ReadFile(path)
		return bytes.Contains(b, []byte(s))
	}
}

// PID is the daemon's process ID.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Done is closed when the daemon has exited.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Stop sends sig to the daemon (by PID) and ends it as Wait does.
func (d *Daemon) Stop(sig os.Signal, grace time.Duration) error {
	return d.end(sig, grace)
}

// Wait waits up to grace for the daemon to exit by itself (one told to
// stop some other way, by closing its stdin say), then kills it (by
// PID) and returns ErrKilled. Stop and Wait are idempotent together:
// later calls wait for the first and return its result.
func (d *Daemon) Wait(grace time.Duration) error {
	return d.end(nil, grace)
}

func (d *Daemon) end(sig os.Signal, grace time.Duration) error {
	d.stopOnce.Do(func() {
		if sig != nil {
			d.cmd.Process.Signal(sig)
		}
		select {
		case <-d.done:
		case <-time.After(grace):
			d.cmd.Process.Kill()
			<-d.done
			d.stopErr = ErrKilled
		}
	})
	return d.stopErr
}

// Log returns sshd's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// HostPublicKey returns the contents of the .pub file of the host key of
// the given ssh-keygen type.
func (s *Server) HostPublicKey(t testing.TB, typ string) []byte {
	t.Helper()
	b, err := os.ReadFile(s.HostKeys[typ] + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// KnownHostsLine returns a known_hosts line for this server's host key of
// the given type, in the [127.0.0.1]:port form OpenSSH uses for
// non-default ports.
func (s *Server) KnownHostsLine(t testing.TB, typ string) string {
	fields := strings.Fields(string(s.HostPublicKey(t, typ)))
	return fmt.Sprintf("[127.0.0.1]:%d %s %s\n", s.Port, fields[0], fields[1])
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var keygenMu sync.Mutex

// GenerateKey runs ssh-keygen to write a private key of the given type
// (ed25519, ecdsa, rsa; "ecdsa-384" and "ecdsa-521" select the curve,
// "rsa-2048" the size) to path, with path+".pub" beside it.
// passphrase may be empty.
func GenerateKey(t testing.TB, typ, path, passphrase string) {
	t.Helper()
	if err := WriteKey(typ, path, passphrase); err != nil {
		t.Fatal(err)
	}
}

// WriteKey is GenerateKey for programs that are not tests: it returns
// ssh-keygen's failure as an error.
func WriteKey(typ, path, passphrase string) error {
	args := []string{"-q", "-N", passphrase, "-C", "sshdtest", "-f", path}
	name, bits, _ := strings.Cut(typ, "-")
	args = append(args, "-t", name)
	if bits != "" {
		args = append(args, "-b", bits)
	}
	keygenMu.Lock()
	defer keygenMu.Unlock()
	if out, err := exec.Command(SSHKeygen, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("sshdtest: ssh-keygen %v: %w\n%s", args, err, out)
	}
	return nil
}

// SSHResult is the outcome of one run of the ssh client.
type SSHResult struct {
	Stdout, Stderr []byte
	ExitCode       int // 255 for connection errors, as ssh(1) reports them
}

// RunSSH runs OpenSSH's ssh client with the given arguments and stdin,
// isolated from the user's configuration (-F none is added unless args
// contain -F) and bounded by ctx.
func RunSSH(ctx context.Context, stdin []byte, args ...string) (SSHResult, error) {
	full := args
	hasF := false
	for _, a := range args {
		if a == "-F" {
			hasF = true
		}
	}
	if !hasF {
		full = append([]string{"-F", "none"}, args...)
	}
	cmd := exec.CommandContext(ctx, SSH, full...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	res := SSHResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		err = nil
	}
	return res, err
}

// RequirePeersEnv is set by .ci/run, which installs every peer the
// conformance tests drive.
const RequirePeersEnv = wiretest.RequirePeersEnv

// MissingPeer is wiretest.MissingPeer: skipped here, a failure under
// .ci/run.
func MissingPeer(t testing.TB, format string, args ...any) {
	t.Helper()
	wiretest.MissingPeer(t, format, args...)
}
