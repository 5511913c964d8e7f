package conformance_test

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
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client/mux"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/connection"
)

// Connection multiplexing (OpenSSH PROTOCOL.mux) between gossh and
// OpenSSH 9.2's ssh, in each direction, and between two gossh.

// muxRun runs a program with stdin and returns its output and status.
func muxRun(t *testing.T, stdin []byte, name string, args ...string) clResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return clResult{o.String(), e.String(), code}
}

// muxSock is a control socket path in a fresh directory.
func muxSock(t *testing.T) string {
	dir, err := os.MkdirTemp("", "mux")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "ctl")
}

// muxWaitSocket waits until something accepts on path.
func muxWaitSocket(t *testing.T, path string, d *sshdtest.Daemon) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		if d != nil {
			select {
			case <-d.Done():
				t.Fatal("the master exited before listening")
			default:
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no control socket at %s", path)
}

// muxGosshMaster starts bin (gossh, or OpenSSH's ssh: the arguments are
// the same) -M -S sock -N as a master in the foreground; it is stopped
// by PID at the end of the test.
func muxGosshMaster(t *testing.T, bin string, e *clEnv, key, sock string, env []string, extra ...string) *sshdtest.Daemon {
	t.Helper()
	args := e.gosshArgs(t, key, append([]string{"-M", "-S", sock, "-N"}, extra...)...)
	cmd := exec.Command(bin, append(args, e.user+"@127.0.0.1")...)
	cmd.Env = append(os.Environ(), env...)
	var logBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	d, err := sshdtest.StartDaemon(cmd, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 20*time.Second)
	if err != nil {
		t.Fatalf("%s master: %v\n%s", filepath.Base(bin), err, logBuf.String())
	}
	t.Cleanup(func() { d.Stop(syscall.SIGTERM, 5*time.Second) })
	return d
}

// muxSSH is OpenSSH's ssh as a mux client: the destination's port is 1,
// so that a fall back to a connection of its own fails.
func muxSSH(sock string, args ...string) []string {
	return append([]string{"-F", "none", "-S", sock, "-o", "ControlMaster=no", "-o", "BatchMode=yes", "-p", "1"}, args...)
}

var masterPID = regexp.MustCompile(`Master running \(pid=(\d+)\)`)

func TestMuxOpenSSHClientGosshMaster(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	sock := muxSock(t)
	d := muxGosshMaster(t, bin, e, key, sock, nil)

	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket %v mode %v, want a 0600 socket", err, fi.Mode())
	}
	t.Run("check", func(t *testing.T) {
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "check", "127.0.0.1")...)
		m := masterPID.FindStringSubmatch(r.stderr)
		if r.code != 0 || m == nil || m[1] != strconv.Itoa(d.PID()) {
			t.Errorf("ssh -O check: %+v, want pid %d", r, d.PID())
		}
	})
	t.Run("exit status and stderr", func(t *testing.T) {
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "127.0.0.1", "echo out; echo err >&2; exit 7")...)
		if r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		data := make([]byte, 256<<10)
		rand.Read(data)
		r := muxRun(t, data, sshdtest.SSH, muxSSH(sock, "127.0.0.1", "cat")...)
		if r.code != 0 || r.stdout != string(data) {
			t.Errorf("exit %d, %d bytes back, stderr %q", r.code, len(r.stdout), r.stderr)
		}
	})
	t.Run("signal", func(t *testing.T) {
		// No exit status (the command was killed): ssh exits 255.
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "127.0.0.1", "kill -TERM $$")...)
		if r.code != 255 {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("stdin let go", func(t *testing.T) {
		// After a pty session the master reads no more of the passed
		// stdin: what is written next is still there for its owner.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		cmd := exec.Command(sshdtest.SSH, muxSSH(sock, "-tt", "127.0.0.1", "exit 3")...)
		cmd.Stdin = r
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 3 {
			t.Fatalf("ssh -tt: %v %s", cmd.ProcessState, out)
		}
		w.Write([]byte("mine"))
		r.SetReadDeadline(time.Now().Add(2 * time.Second))
		got := make([]byte, 4)
		if _, err := io.ReadFull(r, got); err != nil || string(got) != "mine" {
			t.Errorf("the master took the passed stdin's input: %q %v", got, err)
		}
	})
	t.Run("escape", func(t *testing.T) {
		// A pty session (-tt) reads ~? and ~. on the passed stdin: the
		// master lists the escapes and closes the session before the
		// command ends, so ssh gets no exit status (255).
		r := muxRun(t, []byte("~?\n~."), sshdtest.SSH, muxSSH(sock, "-tt", "127.0.0.1", "sleep 20; exit 0")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Supported escape sequences") || !strings.Contains(r.stderr, "Connection to 127.0.0.1 closed.") {
			t.Errorf("~? and ~. through the master: %+v", r)
		}
	})
	t.Run("stdio forward", func(t *testing.T) {
		echo := muxEcho(t)
		r := muxRun(t, []byte("ping"), sshdtest.SSH, muxSSH(sock, "-W", echo, "127.0.0.1")...)
		if r.code != 0 || r.stdout != "ping" {
			t.Errorf("ssh -W through the master: %+v", r)
		}
	})
	t.Run("forward", func(t *testing.T) {
		echo := muxEcho(t)
		port := freePort(t)
		spec := strconv.Itoa(port) + ":" + echo
		if r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "forward", "-L", spec, "127.0.0.1")...); r.code != 0 {
			t.Fatalf("ssh -O forward: %+v", r)
		}
		muxEchoThrough(t, "127.0.0.1:"+strconv.Itoa(port))
		if r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "cancel", "-L", spec, "127.0.0.1")...); r.code != 0 || r.stderr != "" {
			t.Fatalf("ssh -O cancel: %+v", r)
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			t.Error("the forward still listens after -O cancel")
		}
	})
	t.Run("proxy", func(t *testing.T) {
		// ssh -O proxy speaks the connection protocol through the
		// socket; the master relays each channel.
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "proxy", "127.0.0.1", "echo out; echo err >&2; exit 6")...)
		if r.code != 6 || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("ssh -O proxy: %+v", r)
		}
		data := make([]byte, 256<<10)
		rand.Read(data)
		r = muxRun(t, data, sshdtest.SSH, muxSSH(sock, "-O", "proxy", "127.0.0.1", "cat")...)
		if r.code != 0 || r.stdout != string(data) {
			t.Errorf("ssh -O proxy cat: exit %d, %d bytes back, stderr %q", r.code, len(r.stdout), r.stderr)
		}
	})
	t.Run("forward -R", func(t *testing.T) {
		echo := muxEcho(t)
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "forward", "-R", "0:"+echo, "127.0.0.1")...)
		port, err := strconv.Atoi(strings.TrimSpace(r.stdout))
		if r.code != 0 || err != nil || port == 0 {
			t.Fatalf("ssh -O forward -R 0: %+v", r)
		}
		muxEchoThrough(t, "127.0.0.1:"+strconv.Itoa(port))
		// A remote dynamic forward (SOCKS on the server's side).
		r = muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "forward", "-R", "0", "127.0.0.1")...)
		port, err = strconv.Atoi(strings.TrimSpace(r.stdout))
		if r.code != 0 || err != nil || port == 0 {
			t.Fatalf("ssh -O forward -R 0 (dynamic): %+v", r)
		}
		muxSOCKS(t, "127.0.0.1:"+strconv.Itoa(port), echo)
	})
	t.Run("exit", func(t *testing.T) {
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "exit", "127.0.0.1")...)
		if r.code != 0 || !strings.Contains(r.stderr, "Exit request sent.") {
			t.Errorf("ssh -O exit: %+v", r)
		}
		select {
		case <-d.Done():
		case <-time.After(20 * time.Second):
			t.Fatal("the gossh master did not exit")
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Error("the control socket is still there")
		}
	})
}

// TestMuxGosshClientOpenSSHMaster runs gossh as a mux client of ssh -M.
func TestMuxGosshClientOpenSSHMaster(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	sock := muxSock(t)
	// ssh -f: the master goes to the background once authenticated.
	r := muxRun(t, nil, sshdtest.SSH, "-F", "none", "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
		"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port),
		"-M", "-S", sock, "-N", "-f", e.user+"@127.0.0.1")
	if r.code != 0 {
		t.Fatalf("ssh -M -f: %+v", r)
	}
	r = muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "check", "x")...)
	m := masterPID.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("ssh -O check: %+v", r)
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Signal(syscall.SIGTERM)
		}
	})
	gossh := func(stdin []byte, args ...string) clResult {
		return clGossh(t, bin, stdin, nil, append([]string{"-F", "none", "-S", sock, "-o", "BatchMode=yes", "-p", "1"}, args...)...)
	}
	t.Run("check", func(t *testing.T) {
		r := gossh(nil, "-O", "check", "127.0.0.1")
		if r.code != 0 || !strings.Contains(r.stderr, "Master running (pid="+m[1]+")") {
			t.Errorf("gossh -O check: %+v", r)
		}
	})
	t.Run("exit status and stderr", func(t *testing.T) {
		r := gossh(nil, "127.0.0.1", "echo out; echo err >&2; exit 7")
		if r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		data := make([]byte, 256<<10)
		rand.Read(data)
		r := gossh(data, "127.0.0.1", "cat")
		if r.code != 0 || r.stdout != string(data) {
			t.Errorf("exit %d, %d bytes back, stderr %q", r.code, len(r.stdout), r.stderr)
		}
	})
	t.Run("stdio forward", func(t *testing.T) {
		echo := muxEcho(t)
		r := gossh([]byte("ping"), "-W", echo, "127.0.0.1")
		if r.code != 0 || r.stdout != "ping" {
			t.Errorf("gossh -W through ssh's master: %+v", r)
		}
	})
	t.Run("forward and cancel", func(t *testing.T) {
		echo := muxEcho(t)
		port := freePort(t)
		spec := strconv.Itoa(port) + ":" + echo
		if r := gossh(nil, "-O", "forward", "-L", spec, "127.0.0.1"); r.code != 0 {
			t.Fatalf("gossh -O forward: %+v", r)
		}
		muxEchoThrough(t, "127.0.0.1:"+strconv.Itoa(port))
		if r := gossh(nil, "-O", "cancel", "-L", spec, "127.0.0.1"); r.code != 0 || r.stderr != "" {
			t.Fatalf("gossh -O cancel: %+v", r)
		}
	})
	t.Run("library", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := mux.Dial(ctx, sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got, err := c.Check(ctx); err != nil || got != pid {
			t.Errorf("Check: %d, %v, want %d", got, err, pid)
		}
		// A refusal is a *mux.StatusError. (Not an unknown forward
		// type: OpenSSH 9.2's master dies of that, fatal_f in
		// format_forward.)
		var se *mux.StatusError
		if _, err := c.Forward(ctx, mux.Fwd{FwdType: mux.FwdLocal, ListenPort: uint32(freePort(t)), ConnectHost: "h", ConnectPort: 0}); !errors.As(err, &se) || se.Reason != "Invalid forwarding request" {
			t.Errorf("forward to port 0: %v", err)
		}
	})
	t.Run("proxy", func(t *testing.T) {
		// MUX_C_PROXY: our connection layer over ssh's master.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := mux.Dial(ctx, sock)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := c.Proxy(ctx)
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		conn := connection.New(tr, nil)
		var wg sync.WaitGroup
		wg.Go(func() { conn.Run(ctx) })
		defer wg.Wait()
		defer conn.Close()
		ch, err := conn.OpenSession(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Exec(ctx, "echo proxied; echo e >&2; exit 5"); err != nil {
			t.Fatal(err)
		}
		var errOut bytes.Buffer
		var ew sync.WaitGroup
		ew.Go(func() { io.Copy(&errOut, ch.Stderr()) })
		out, _ := io.ReadAll(ch)
		ew.Wait()
		if err := ch.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		st, ok := ch.ExitStatus()
		if string(out) != "proxied\n" || errOut.String() != "e\n" || !ok || st != 5 {
			t.Errorf("through proxy mode: %q %q status %d %v", out, errOut.String(), st, ok)
		}
	})
	t.Run("gossh -O proxy", func(t *testing.T) {
		data := make([]byte, 256<<10)
		rand.Read(data)
		r := gossh(data, "-O", "proxy", "127.0.0.1", "cat; echo err >&2; exit 3")
		if r.code != 3 || r.stdout != string(data) || r.stderr != "err\n" {
			t.Errorf("gossh -O proxy: exit %d, %d bytes back, stderr %q", r.code, len(r.stdout), r.stderr)
		}
	})
	t.Run("exit", func(t *testing.T) {
		r := gossh(nil, "-O", "exit", "127.0.0.1")
		if r.code != 0 || !strings.Contains(r.stderr, "Exit request sent.") {
			t.Errorf("gossh -O exit: %+v", r)
		}
		deadline := time.Now().Add(20 * time.Second)
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatal("ssh's master did not exit")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestMuxGosshToGossh shares a gossh master with gossh mux clients:
// sessions, -L, -R and -D forwards requested over the socket, cancel,
// and ControlMaster auto with ControlPersist.
func TestMuxGosshToGossh(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	sock := muxSock(t)
	d := muxGosshMaster(t, bin, e, key, sock, nil)
	gossh := func(stdin []byte, args ...string) clResult {
		return clGossh(t, bin, stdin, nil, append([]string{"-F", "none", "-S", sock, "-o", "BatchMode=yes", "-p", "1"}, args...)...)
	}
	t.Run("session", func(t *testing.T) {
		r := gossh(nil, "127.0.0.1", "echo out; echo err >&2; exit 3")
		if r.code != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("-L", func(t *testing.T) {
		echo := muxEcho(t)
		port := strconv.Itoa(freePort(t))
		if r := gossh(nil, "-O", "forward", "-L", port+":"+echo, "127.0.0.1"); r.code != 0 {
			t.Fatalf("gossh -O forward -L: %+v", r)
		}
		muxEchoThrough(t, "127.0.0.1:"+port)
		// A second request for the same forward is no error (mux.c).
		if r := gossh(nil, "-O", "forward", "-L", port+":"+echo, "127.0.0.1"); r.code != 0 {
			t.Errorf("repeated -O forward: %+v", r)
		}
		if r := gossh(nil, "-O", "cancel", "-L", port+":"+echo, "127.0.0.1"); r.code != 0 || r.stderr != "" {
			t.Fatalf("gossh -O cancel: %+v", r)
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			t.Error("the forward still listens after -O cancel")
		}
		r := gossh(nil, "-O", "cancel", "-L", port+":"+echo, "127.0.0.1")
		if !strings.Contains(r.stderr, "port not forwarded") {
			t.Errorf("cancel of a forward that is not there: %+v", r)
		}
	})
	t.Run("-R 0", func(t *testing.T) {
		echo := muxEcho(t)
		r := gossh(nil, "-O", "forward", "-R", "0:"+echo, "127.0.0.1")
		port, err := strconv.Atoi(strings.TrimSpace(r.stdout))
		if r.code != 0 || err != nil || port == 0 {
			t.Fatalf("gossh -O forward -R 0: %+v", r)
		}
		muxEchoThrough(t, "127.0.0.1:"+strconv.Itoa(port))
		if r := gossh(nil, "-O", "cancel", "-R", "0:"+echo, "127.0.0.1"); r.code != 0 || r.stderr != "" {
			t.Fatalf("gossh -O cancel -R: %+v", r)
		}
	})
	t.Run("-D", func(t *testing.T) {
		echo := muxEcho(t)
		port := strconv.Itoa(freePort(t))
		if r := gossh(nil, "-O", "forward", "-D", port, "127.0.0.1"); r.code != 0 {
			t.Fatalf("gossh -O forward -D: %+v", r)
		}
		muxSOCKS(t, "127.0.0.1:"+port, echo)
	})
	t.Run("-R dynamic", func(t *testing.T) {
		// -R 0 alone: a SOCKS proxy on the server's side, its targets
		// dialled by the master.
		echo := muxEcho(t)
		r := gossh(nil, "-O", "forward", "-R", "0", "127.0.0.1")
		port, err := strconv.Atoi(strings.TrimSpace(r.stdout))
		if r.code != 0 || err != nil || port == 0 {
			t.Fatalf("gossh -O forward -R 0: %+v", r)
		}
		muxSOCKS(t, "127.0.0.1:"+strconv.Itoa(port), echo)
		if r := gossh(nil, "-O", "cancel", "-R", "0", "127.0.0.1"); r.code != 0 || r.stderr != "" {
			t.Errorf("gossh -O cancel -R 0: %+v", r)
		}
	})
	t.Run("-f", func(t *testing.T) {
		// -f through the master: back once the session is open, the
		// command goes on (port 1: only the master can run it).
		out := filepath.Join(t.TempDir(), "out")
		logf, err := os.Create(filepath.Join(t.TempDir(), "log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd := exec.Command(bin, "-F", "none", "-S", sock, "-o", "BatchMode=yes", "-p", "1", "-f", "127.0.0.1", "sleep 2; echo done >"+out)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Run(); err != nil {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("gossh -f: %v\n%s", err, b)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("-f waited for the command")
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if b, err := os.ReadFile(out); err == nil && string(b) == "done\n" {
				break
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(logf.Name())
				t.Fatalf("the backgrounded command did not run: %s", b)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	t.Run("-O proxy", func(t *testing.T) {
		r := gossh(nil, "-O", "proxy", "127.0.0.1", "echo out; echo err >&2; exit 9")
		if r.code != 9 || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("gossh -O proxy through gossh: %+v", r)
		}
	})
	t.Run("stop", func(t *testing.T) {
		r := gossh(nil, "-O", "stop", "127.0.0.1")
		if r.code != 0 || !strings.Contains(r.stderr, "Stop listening request sent.") {
			t.Errorf("gossh -O stop: %+v", r)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Error("the control socket is still there")
		}
		d.Stop(syscall.SIGTERM, 5*time.Second)
	})
	t.Run("ControlPersist", func(t *testing.T) {
		sock := muxSock(t)
		args := e.gosshArgs(t, key, "-o", "ControlMaster=auto", "-o", "ControlPath="+sock, "-o", "ControlPersist=yes", e.user+"@127.0.0.1")
		r := clGossh(t, bin, nil, nil, append(args, "echo $PPID")...)
		if r.code != 0 || r.stdout == "" {
			t.Fatalf("first session: %+v", r)
		}
		check := clGossh(t, bin, nil, nil, "-F", "none", "-S", sock, "-O", "check", "x")
		m := masterPID.FindStringSubmatch(check.stderr)
		if m == nil {
			t.Fatalf("no background master: %+v", check)
		}
		pid, _ := strconv.Atoi(m[1])
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGTERM) })
		// The second session goes through the same master: the same
		// sshd session process is the parent of both commands.
		r2 := clGossh(t, bin, nil, nil, append(args, "echo $PPID")...)
		if r2.code != 0 || r2.stdout == "" {
			t.Fatalf("second session: %+v", r2)
		}
		if r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "127.0.0.1", "exit 4")...); r.code != 4 {
			t.Errorf("ssh through the persisted gossh master: %+v", r)
		}
		if r := clGossh(t, bin, nil, nil, "-F", "none", "-S", sock, "-O", "exit", "x"); r.code != 0 {
			t.Errorf("-O exit: %+v", r)
		}
		deadline := time.Now().Add(20 * time.Second)
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatal("the background master did not exit")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestMuxGosshControlMaster covers ControlMaster auto and ask and the
// idle time of ControlPersist.
func TestMuxGosshControlMaster(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	t.Run("auto", func(t *testing.T) {
		sock := muxSock(t)
		// The first gossh becomes the master; its session outlives the
		// second's, which goes through it (port 1: a connection of its
		// own would fail).
		flag := filepath.Join(t.TempDir(), "go")
		args := e.gosshArgs(t, key, "-o", "ControlMaster=auto", "-o", "ControlPath="+sock, e.user+"@127.0.0.1",
			"while [ ! -e "+flag+" ]; do sleep 0.1; done; echo first")
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		d, err := sshdtest.StartDaemon(cmd, func() bool {
			c, err := net.Dial("unix", sock)
			if err == nil {
				c.Close()
			}
			return err == nil
		}, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Stop(syscall.SIGTERM, 5*time.Second)
		r := clGossh(t, bin, nil, nil, "-F", "none", "-o", "ControlMaster=auto", "-o", "ControlPath="+sock, "-o", "BatchMode=yes",
			"-p", "1", "127.0.0.1", "touch "+flag+"; echo second")
		if r.code != 0 || r.stdout != "second\n" {
			t.Errorf("mux client: %+v", r)
		}
		if err := d.Wait(20 * time.Second); err != nil {
			t.Errorf("master: %v", err)
		}
		if out.String() != "first\n" {
			t.Errorf("master's own session: %q", out.String())
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Error("the control socket is still there")
		}
	})
	t.Run("ask", func(t *testing.T) {
		sock := muxSock(t)
		// ssh-askpass says no (exit 1): every request is refused.
		d := muxGosshMaster(t, bin, e, key, sock, []string{"SSH_ASKPASS=/bin/false", "SSH_ASKPASS_REQUIRE=force"}, "-M")
		r := muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "127.0.0.1", "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "Master refused session request: Permission denied") {
			t.Errorf("ssh through an ask master: %+v", r)
		}
		r = muxRun(t, nil, sshdtest.SSH, muxSSH(sock, "-O", "exit", "127.0.0.1")...)
		if !strings.Contains(r.stderr, "Master refused termination request: Permission denied") {
			t.Errorf("ssh -O exit: %+v", r)
		}
		d.Stop(syscall.SIGTERM, 5*time.Second)
	})
	t.Run("ControlPersist idle time", func(t *testing.T) {
		// ControlPath tokens are expanded as ssh expands them.
		dir := filepath.Dir(muxSock(t))
		sock := filepath.Join(dir, e.user+"@127.0.0.1:"+strconv.Itoa(e.srv.Port))
		args := e.gosshArgs(t, key, "-o", "ControlMaster=auto", "-o", "ControlPath="+dir+"/%r@%h:%p", "-o", "ControlPersist=3", e.user+"@127.0.0.1", "true")
		if r := clGossh(t, bin, nil, nil, args...); r.code != 0 {
			t.Fatalf("%+v", r)
		}
		if _, err := os.Lstat(sock); err != nil {
			t.Errorf("no socket at the expanded path: %v", err)
		}
		if r := muxRun(t, nil, sshdtest.SSH, "-F", "none", "-o", "ControlPath="+dir+"/%r@%h:%p", "-p", strconv.Itoa(e.srv.Port), "-O", "check", e.user+"@127.0.0.1"); !strings.Contains(r.stderr, "Master running") {
			t.Errorf("ssh -O check with the same ControlPath: %+v", r)
		}
		// The background master exits once idle for 3 seconds and
		// removes its socket.
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Lstat(sock); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the background master is still there")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// muxSOCKS connects to target through the SOCKS5 proxy at proxy and
// checks the echo.
func muxSOCKS(t *testing.T, proxy, target string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", proxy, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	host, ps, _ := net.SplitHostPort(target)
	p, _ := strconv.Atoi(ps)
	// SOCKS5, no auth, CONNECT to an IPv4 address.
	req := []byte{5, 1, 0, 5, 1, 0, 1}
	req = append(req, net.ParseIP(host).To4()...)
	req = binary.BigEndian.AppendUint16(req, uint16(p))
	c.Write(req)
	resp := make([]byte, 2+10)
	if _, err := io.ReadFull(c, resp); err != nil || resp[0] != 5 || resp[1] != 0 {
		t.Fatalf("SOCKS5 reply %v %v", resp, err)
	}
	muxEchoConn(t, c)
}

// muxEcho starts an echo server on loopback, stopped with the test.
func muxEcho(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				io.Copy(c, c)
			})
		}
	})
	return l.Addr().String()
}

// muxEchoThrough checks that addr leads to an echo server.
func muxEchoThrough(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	muxEchoConn(t, c)
}

func muxEchoConn(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("hello mux")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 9)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello mux" {
		t.Errorf("echo through the forward: %q %v", got, err)
	}
}

// TestMuxAgentForwardingAgainstOpenSSH: a mux client's -A forwards the
// master's agent only where the master's own ForwardAgent allows it,
// and a mux client without -A gets no agent whatever the master has;
// a gossh master decides each case as OpenSSH's master does. Before,
// a gossh master with ForwardAgent gave every mux session the agent.
func TestMuxAgentForwardingAgainstOpenSSH(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	agent := agStart(t, sshAgent, os.Environ(), "-D")
	env := []string{"SSH_AUTH_SOCK=" + agent.sock}
	add := exec.Command(sshAdd, key)
	add.Env = append(os.Environ(), env...)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	// 0: the session has an agent that lists our key; 1: no agent.
	const probe = `test -n "$SSH_AUTH_SOCK" && ssh-add -l >/dev/null 2>&1; echo $?`
	masters := map[string]func(t *testing.T, forward string) string{
		"ssh": func(t *testing.T, forward string) string {
			sock := muxSock(t)
			muxGosshMaster(t, sshdtest.SSH, e, key, sock, env, "-o", "ForwardAgent="+forward)
			return sock
		},
		"gossh": func(t *testing.T, forward string) string {
			sock := muxSock(t)
			muxGosshMaster(t, bin, e, key, sock, env, "-o", "ForwardAgent="+forward)
			return sock
		},
	}
	for _, forward := range []string{"yes", "no"} {
		for _, flag := range []string{"-A", "-a"} {
			t.Run("master ForwardAgent "+forward+", client "+flag, func(t *testing.T) {
				got := map[string]string{}
				for _, name := range []string{"ssh", "gossh"} {
					sock := masters[name](t, forward)
					// OpenSSH's ssh and gossh as the mux client.
					for _, argv := range [][]string{
						append([]string{sshdtest.SSH}, muxSSH(sock, flag, "127.0.0.1", probe)...),
						{bin, "-F", "none", "-S", sock, "-o", "BatchMode=yes", "-p", "1", flag, "127.0.0.1", probe},
					} {
						cmd := exec.Command(argv[0], argv[1:]...)
						cmd.Env = append(os.Environ(), env...)
						out, err := cmd.CombinedOutput()
						if err != nil {
							t.Fatalf("%s %s through the %s master: %v: %s", filepath.Base(argv[0]), flag, name, err, out)
						}
						got[filepath.Base(argv[0])+" via "+name] = strings.TrimSpace(string(out))
					}
				}
				want := "1"
				if forward == "yes" && flag == "-A" {
					want = "0"
				}
				if got["ssh via ssh"] != want {
					t.Errorf("OpenSSH's ssh and master: %q, want %q (the test's assumption about OpenSSH is wrong)", got["ssh via ssh"], want)
				}
				for k, v := range got {
					if v != got["ssh via ssh"] {
						t.Errorf("%s: %q, OpenSSH's ssh and master: %q", k, v, got["ssh via ssh"])
					}
				}
			})
		}
	}
}

// TestMuxProxyRemoteForward: OpenSSH's ssh -O proxy through a gossh
// master asks for -R in its own name; the master makes the forward
// upstream and hands what the server forwards down to the proxy client,
// which connects it on. A fixed port works so through OpenSSH's master
// too (checked here); with port 0 OpenSSH's master never passes the
// server's reply down, so ssh never learns the port, where ours does
// (docs/gossh.md). Before, the master refused every global request of a
// proxy client, and a one-byte REQUEST_SUCCESS would have ended ssh
// ("incomplete message": OpenSSH reads no proxy packet under 5 bytes).
func TestMuxProxyRemoteForward(t *testing.T) {
	bin := clBuildGossh(t)
	e := clStart(t)
	key := e.keyFile(t)
	gosshSock := muxSock(t)
	muxGosshMaster(t, bin, e, key, gosshSock, nil)
	sshSock := muxSock(t)
	r := muxRun(t, nil, sshdtest.SSH, "-F", "none", "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts,
		"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-p", strconv.Itoa(e.srv.Port),
		"-M", "-S", sshSock, "-N", "-f", e.user+"@127.0.0.1")
	if r.code != 0 {
		t.Fatalf("ssh -M -f: %+v", r)
	}
	t.Cleanup(func() { muxRun(t, nil, sshdtest.SSH, muxSSH(sshSock, "-O", "exit", "x")...) })
	echo := muxEcho(t)
	run := func(t *testing.T, sock string, fixed bool) {
		spec, connect := "0:"+echo, `$(cat "$F")` // the command waits for ssh's "Allocated port"
		dir := t.TempDir()
		portFile := filepath.Join(dir, "port")
		if fixed {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			p := l.Addr().(*net.TCPAddr).Port
			l.Close()
			spec, connect = fmt.Sprintf("127.0.0.1:%d:%s", p, echo), strconv.Itoa(p)
			os.WriteFile(portFile, []byte("x"), 0o600)
		}
		cmd := `F=` + portFile + `; for i in $(seq 100); do [ -s "$F" ] && break; sleep 0.1; done; exec 3<>/dev/tcp/127.0.0.1/` + connect + `; printf 'hello mux' >&3; head -c 9 <&3`
		c := exec.Command(sshdtest.SSH, muxSSH(sock, "-O", "proxy", "-o", "ExitOnForwardFailure=yes", "-R", spec, "127.0.0.1", cmd)...)
		var stdout bytes.Buffer
		stderr := &portSniffer{file: portFile}
		c.Stdout, c.Stderr = &stdout, stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			if err != nil || stdout.String() != "hello mux" {
				t.Errorf("ssh -O proxy -R %s: %v, stdout %q, stderr %q", spec, err, stdout.String(), stderr.String())
			}
		case <-time.After(40 * time.Second):
			c.Process.Kill()
			<-done
			t.Fatalf("ssh -O proxy -R %s hangs; stderr %q", spec, stderr.String())
		}
	}
	t.Run("fixed port, OpenSSH master", func(t *testing.T) { run(t, sshSock, true) })
	t.Run("fixed port, gossh master", func(t *testing.T) { run(t, gosshSock, true) })
	t.Run("port 0, gossh master", func(t *testing.T) { run(t, gosshSock, false) })
}

// portSniffer keeps ssh's stderr and writes the port of its "Allocated
// port N for remote forward" line to file, where the remote command
// (on this same machine) waits for it.
type portSniffer struct {
	file string
	mu   sync.Mutex
	buf  bytes.Buffer
}

var allocatedPort = regexp.MustCompile(`Allocated port (\d+) for remote forward`)

func (p *portSniffer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	if m := allocatedPort.FindStringSubmatch(p.buf.String()); m != nil {
		os.WriteFile(p.file+".tmp", []byte(m[1]), 0o600)
		os.Rename(p.file+".tmp", p.file)
	}
	return len(b), nil
}

func (p *portSniffer) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}
