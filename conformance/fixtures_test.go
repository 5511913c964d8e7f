package conformance_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
)

// Where the peers of these tests come from: a whole server.Server from
// server/servertest, an x/crypto/ssh server from server/xsshtest, sshd
// and gosshd processes from sshdtest (Start, and StartDaemon with
// svStart), echo and other plain services from servertest.Accept. The
// tests that drive our layers by hand against OpenSSH's or paramiko's
// client take the connection from acceptTransport; paramiko's servers
// run through pyServer.

// acceptTransport accepts one connection on l, giving up when ctx ends
// (it closes l then), and runs our server side of the key exchange on it
// with cfg (RFC 4253, Section 7). The tests that use it play the user
// authentication and connection protocols themselves. The caller closes
// the Transport, which closes the connection; nc is for its addresses.
func acceptTransport(ctx context.Context, l net.Listener, cfg *kex.Config) (tr *kex.Transport, nc net.Conn, err error) {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	nc, err = l.Accept()
	stop()
	if err != nil {
		return nil, nil, err
	}
	tr, err = kex.ServerHandshake(ctx, packet.NewConn(nc, &packet.Config{Server: true}), cfg)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return tr, nc, nil
}

// A pyServer is a Python SSH server script of testdata run as a daemon
// (sshdtest.StartDaemon): it listens on 127.0.0.1:Port and prints
// "listening" on stdout once it does.
type pyServer struct {
	*sshdtest.Daemon
	Port           int
	stdout, stderr string // files holding its output
}

// startPyServer runs python with script, a free port and args until the
// test ends (then kills it, by PID), and waits up to 20 s for its
// "listening" line.
func startPyServer(t *testing.T, python, script string, args ...string) *pyServer {
	t.Helper()
	port, err := sshdtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &pyServer{Port: port, stdout: filepath.Join(dir, "stdout"), stderr: filepath.Join(dir, "stderr")}
	out, err := os.Create(s.stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copies
	errf, err := os.Create(s.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd := exec.Command(python, append([]string{script, itoa(port)}, args...)...)
	cmd.Stdout, cmd.Stderr = out, errf
	if s.Daemon, err = sshdtest.StartDaemon(cmd, sshdtest.LogContains(s.stdout, "listening"), 20*time.Second); err != nil {
		t.Fatalf("%s did not start: %v\n%s", script, err, s.Stderr())
	}
	t.Cleanup(func() { s.Stop(syscall.SIGKILL, 5*time.Second) })
	return s
}

// Addr is "127.0.0.1:port".
func (s *pyServer) Addr() string { return net.JoinHostPort("127.0.0.1", itoa(s.Port)) }

// Stdout is what the server printed so far.
func (s *pyServer) Stdout() string { b, _ := os.ReadFile(s.stdout); return string(b) }

// Stderr is what the server wrote to stderr so far.
func (s *pyServer) Stderr() string { b, _ := os.ReadFile(s.stderr); return string(b) }

// Exited waits up to d for the server to exit by itself (a one-shot
// script) and reports whether it did.
func (s *pyServer) Exited(d time.Duration) bool {
	select {
	case <-s.Done():
		return true
	case <-time.After(d):
		return false
	}
}
