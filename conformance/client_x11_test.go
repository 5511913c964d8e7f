package conformance_test

// X11 forwarding of gossh (ssh -X, -Y, -x; ForwardX11, ForwardX11Trusted)
// against OpenSSH 9.2's sshd and against gosshd, each with X11Forwarding
// yes: the remote X client (x11Client of gosshd_x11_test.go) connects to
// the forwarded display with the fake cookie the server stored with
// xauth, and the fake X server (fakeXServer) on the client's side must
// receive the REAL cookie, which only gossh knows, and its answer must
// flow back.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server/xsshtest"
)

// x11Env is the client side of an X11 test: a fake X server and an
// Xauthority file holding its real cookie.
type x11Env struct {
	display string // DISPLAY, 127.0.0.1:N
	real    []byte
	setups  <-chan x11Setup
	env     []string // DISPLAY and XAUTHORITY for gossh
}

func startX11Env(t *testing.T) *x11Env {
	t.Helper()
	xauth, err := exec.LookPath("xauth")
	if err != nil {
		sshdtest.MissingPeer(t, "xauth not installed")
	}
	n, setups := fakeXServer(t)
	e := &x11Env{display: fmt.Sprintf("127.0.0.1:%d", n), real: make([]byte, 16), setups: setups}
	rand.Read(e.real)
	file := filepath.Join(t.TempDir(), "client.xauth")
	if out, err := exec.Command(xauth, "-f", file, "add", e.display, "MIT-MAGIC-COOKIE-1", hex.EncodeToString(e.real)).CombinedOutput(); err != nil {
		t.Fatalf("xauth add: %v\n%s", err, out)
	}
	e.env = []string{"DISPLAY=" + e.display, "XAUTHORITY=" + file}
	return e
}

// check verifies a run of x11Client through forwarding: DISPLAY is a
// forwarded display, the remote Xauthority holds a fake cookie, the X
// server got the real one and its reply came back.
func (e *x11Env) check(t *testing.T, r clResult) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, tail(r.stderr))
	}
	dm := regexp.MustCompile(`(?m)^DISPLAY=localhost:(\d+)\.0$`).FindStringSubmatch(r.stdout)
	if dm == nil {
		t.Fatalf("DISPLAY is not localhost:N.0:\n%s\n%s", r.stdout, tail(r.stderr))
	}
	xm := regexp.MustCompile(`(?m)^XAUTH=\S*:` + dm[1] + `\s+MIT-MAGIC-COOKIE-1\s+([0-9a-f]{32})$`).FindStringSubmatch(r.stdout)
	if xm == nil {
		t.Fatalf("the remote xauth has no MIT-MAGIC-COOKIE-1 entry for display %s:\n%s", dm[1], r.stdout)
	}
	if xm[1] == hex.EncodeToString(e.real) {
		t.Error("the remote xauth holds the real cookie, not gossh's fake one")
	}
	if !strings.Contains(r.stdout, "REPLY=FAKEX-OK\n") {
		t.Errorf("no reply from the X server through the x11 channel:\n%s\n%s", r.stdout, tail(r.stderr))
	}
	select {
	case su := <-e.setups:
		if su.proto != "MIT-MAGIC-COOKIE-1" || !bytes.Equal(su.data, e.real) {
			t.Errorf("the X server got %q %x, want MIT-MAGIC-COOKIE-1 with the real cookie %x", su.proto, su.data, e.real)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the X server got no connection")
	}
}

// TestGosshX11AgainstSSHD: gossh -Y through OpenSSH's sshd reaches the
// local X server with the real cookie; -v prints ssh's line for the
// request, as ssh -v does; -x and ForwardX11=no send no x11-req; -X
// (untrusted) against an X server without the SECURITY extension (here:
// none at all) fails to generate a cookie, prints ssh's warning and sends
// no x11-req, as ssh -X does.
func TestGosshX11AgainstSSHD(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	x := startX11Env(t)
	xauth, _ := exec.LookPath("xauth")
	bin := clBuildGossh(t)
	remoteAuth := filepath.Join(t.TempDir(), "remote.xauth")
	e := clStart(t, "X11Forwarding yes", "XAuthLocation "+xauth, "SetEnv XAUTHORITY="+remoteAuth)
	key := e.keyFile(t)
	dest := e.user + "@127.0.0.1"
	x11Reqs := func() int { return strings.Count(e.srv.Log(), "request x11-req") }

	t.Run("gossh -Y", func(t *testing.T) {
		before := x11Reqs()
		r := clGossh(t, bin, []byte(x11Client), x.env, e.gosshArgs(t, key, "-Y", "-vv", dest, "/usr/bin/python3 -")...)
		x.check(t, r)
		for _, want := range []string{
			"debug1: Requesting X11 forwarding with authentication spoofing.\r\n",
			"debug2: X11 forwarding request accepted on channel 0\r\n",
			"debug2: x11_get_proto: " + xauth + "  list " + x.display + " 2>/dev/null\r\n",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("gossh -vv lacks %q", want)
			}
		}
		if n := x11Reqs() - before; n != 1 {
			t.Errorf("sshd logged %d x11-req, want 1", n)
		}
		// OpenSSH's ssh prints the same lines.
		cmd := exec.Command(sshdtest.SSH, append([]string{"-vv", "-Y"}, e.gosshArgs(t, key, dest, "true")...)...)
		cmd.Env = append(cmd.Environ(), x.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ssh -Y: %v\n%s", err, out)
		}
		for _, want := range []string{"debug1: Requesting X11 forwarding with authentication spoofing.\r\n",
			"debug2: X11 forwarding request accepted on channel 0\r\n", "debug2: x11_get_proto: " + xauth + "  list " + x.display + " 2>/dev/null\r\n"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("ssh -vv does not print %q either", want)
			}
		}
	})
	t.Run("ForwardX11 trusted from the config keywords", func(t *testing.T) {
		r := clGossh(t, bin, []byte(x11Client), x.env, e.gosshArgs(t, key, "-o", "ForwardX11=yes", "-o", "ForwardX11Trusted=yes",
			"-o", "XAuthLocation="+xauth, dest, "/usr/bin/python3 -")...)
		x.check(t, r)
	})
	for _, args := range [][]string{{"-x"}, {"-Y", "-x"}, {"-o", "ForwardX11=no"}} {
		t.Run("gossh "+strings.Join(args, " "), func(t *testing.T) {
			before := x11Reqs()
			r := clGossh(t, bin, nil, x.env, e.gosshArgs(t, key, append(args, dest, "echo DISPLAY=$DISPLAY")...)...)
			if r.code != 0 || r.stdout != "DISPLAY=\n" {
				t.Errorf("got %+v", r)
			}
			if n := x11Reqs() - before; n != 0 {
				t.Errorf("sshd logged %d x11-req", n)
			}
		})
	}
	t.Run("gossh -X without an X server", func(t *testing.T) {
		port, _ := sshdtest.FreePort()
		if port < 6000 || port >= 6000+65535 {
			t.Skip("no display number for a free port")
		}
		env := []string{"DISPLAY=127.0.0.1:" + strconv.Itoa(port-6000), x.env[1]}
		const warning = "Warning: untrusted X11 forwarding setup failed: xauth key data not generated"
		before := x11Reqs()
		r := clGossh(t, bin, nil, env, e.gosshArgs(t, key, "-X", dest, "echo DISPLAY=$DISPLAY")...)
		if r.code != 0 || r.stdout != "DISPLAY=\n" || !strings.Contains(r.stderr, warning+"\r\n") {
			t.Errorf("got %+v", r)
		}
		if n := x11Reqs() - before; n != 0 {
			t.Errorf("sshd logged %d x11-req", n)
		}
		cmd := exec.Command(sshdtest.SSH, append([]string{"-X", "-o", "ForwardX11Trusted=no"}, e.gosshArgs(t, key, dest, "echo DISPLAY=$DISPLAY")...)...)
		cmd.Env = append(cmd.Environ(), env...)
		out, _ := cmd.CombinedOutput()
		if !bytes.Contains(out, []byte(warning)) {
			t.Errorf("ssh -X does not print the warning either:\n%s", out)
		}
	})
}

// TestGosshX11ConfigLikeSSH: gossh -G prints the X11 keywords as ssh -G
// does for -X, -Y, -x and the keywords. ForwardX11Trusted is compared
// where it is set: Debian builds ssh with a default of yes, gossh keeps
// upstream's no.
func TestGosshX11ConfigLikeSSH(t *testing.T) {
	bin := clBuildGossh(t)
	for _, args := range [][]string{nil, {"-X"}, {"-Y"}, {"-Y", "-x"}, {"-x", "-X"},
		{"-o", "ForwardX11=yes", "-o", "ForwardX11Trusted=no", "-o", "ForwardX11Timeout=1h30m", "-o", "XAuthLocation=/opt/xauth"},
		{"-o", "ForwardX11Timeout=0"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			argv := append(append([]string{"-F", "none", "-G"}, args...), "example.org")
			out, err := exec.Command(sshdtest.SSH, argv...).Output()
			if err != nil {
				t.Fatalf("ssh -G: %v", err)
			}
			r := clGossh(t, bin, nil, nil, argv...)
			keys := []string{"forwardx11", "forwardx11timeout", "xauthlocation"}
			if slices.Contains(args, "-Y") || slices.Contains(args, "ForwardX11Trusted=no") {
				keys = append(keys, "forwardx11trusted")
			}
			for _, k := range keys {
				want := regexp.MustCompile(`(?m)^` + k + ` .*$`).FindString(string(out))
				if got := regexp.MustCompile(`(?m)^` + k + ` .*$`).FindString(r.stdout); got != want || want == "" {
					t.Errorf("gossh -G prints %q, ssh -G %q", got, want)
				}
			}
		})
	}
}

// TestGosshX11AgainstGosshd: gossh -Y through gosshd (package server's
// X11Forwarding) reaches the local X server with the real cookie; where
// gosshd refuses the x11-req (a Match section), gossh prints ssh's
// "X11 forwarding request failed on channel 0" and runs the command
// without a DISPLAY.
func TestGosshX11AgainstGosshd(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	x := startX11Env(t)
	bin := clBuildGossh(t)
	remoteAuth := filepath.Join(t.TempDir(), "remote.xauth")
	s := svStart(t, []string{"ed25519"}, "X11Forwarding yes", "SetEnv XAUTHORITY="+remoteAuth, "ListenAddress 127.0.0.2",
		"Match LocalAddress 127.0.0.2", "\tX11Forwarding no")
	args := func(host string, extra ...string) []string {
		return append([]string{"-F", "none", "-i", s.userKey, "-o", "UserKnownHostsFile=" + s.knownHosts, "-o", "GlobalKnownHostsFile=none",
			"-o", "HostKeyAlias=[127.0.0.1]:" + s.port, "-o", "BatchMode=yes", "-p", s.port, "-l", "root", host}, extra...)
	}

	t.Run("gossh -Y", func(t *testing.T) {
		r := clGossh(t, bin, []byte(x11Client), x.env, args("127.0.0.1", "-Y", "/usr/bin/python3 -")...)
		x.check(t, r)
	})
	t.Run("X11Forwarding no", func(t *testing.T) {
		r := clGossh(t, bin, nil, x.env, args("127.0.0.2", "-Y", "echo DISPLAY=$DISPLAY")...)
		if r.code != 0 || r.stdout != "DISPLAY=\n" {
			t.Fatalf("got %+v\n%s", r, tail(s.logText()))
		}
		if !strings.Contains(r.stderr, "X11 forwarding request failed on channel 0\r\n") {
			t.Errorf("gossh did not report the refusal:\n%s", r.stderr)
		}
	})
}

// x11HostileServer is an x/crypto/ssh server (any user, no
// authentication) whose "exec" opens an x11 channel back to the client:
// "uninvited" whether or not X11 forwarding was requested (printing
// OPENFAIL when the client refuses), "wrong" with a setup carrying a
// wrong cookie (printing REPLY= and what came back).
func x11HostileServer(t *testing.T) (port string, knownHosts string) {
	t.Helper()
	hk, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	signer, err := ssh.NewSignerFromSigner(hk.Crypto())
	if err != nil {
		t.Fatal(err)
	}
	s := xsshtest.Start(t, xsshtest.Options{HostKey: signer, Deadline: 20 * time.Second,
		Handle: xsshtest.Sessions(func(conn *ssh.ServerConn, ch ssh.Channel, creqs <-chan *ssh.Request) {
			defer ch.Close()
			for r := range creqs {
				if r.Type != "exec" {
					r.Reply(r.Type == "x11-req" || r.Type == "env", nil)
					continue
				}
				var e struct{ Cmd string }
				ssh.Unmarshal(r.Payload, &e)
				r.Reply(true, nil)
				ch.Write([]byte(x11HostileOpen(conn, e.Cmd)))
				xsshtest.ExitStatus(ch, 0)
				return
			}
		})})
	knownHosts = filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(knownHosts, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", s.Port)}, hk.PublicKey(), false), 0o600)
	return strconv.Itoa(s.Port), knownHosts
}

func x11HostileOpen(conn *ssh.ServerConn, cmd string) string {
	xch, xreqs, err := conn.OpenChannel("x11", ssh.Marshal(struct {
		Addr string
		Port uint32
	}{"127.0.0.1", 43210}))
	if err != nil {
		return "OPENFAIL\n"
	}
	defer xch.Close()
	go ssh.DiscardRequests(xreqs)
	if cmd != "wrong" {
		return "OPENED\n"
	}
	wrong := make([]byte, 16)
	rand.Read(wrong)
	setup := []byte{'l', 0, 11, 0, 0, 0, 18, 0, 16, 0, 0, 0}
	setup = append(append(setup, "MIT-MAGIC-COOKIE-1\x00\x00"...), wrong...)
	xch.Write(setup)
	reply, _ := io.ReadAll(xch)
	return "REPLY=" + string(reply) + "\n"
}

// TestGosshX11HostileServer: a server that opens an x11 channel without
// an x11-req is refused, and gossh prints ssh's two warnings; one that
// sends the wrong cookie after -Y is cut off before the X server sees a
// setup, and gossh prints ssh's "X11 connection rejected because of
// wrong authentication." OpenSSH's ssh prints the same lines against the
// same server.
func TestGosshX11HostileServer(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	x := startX11Env(t)
	bin := clBuildGossh(t)
	port, kh := x11HostileServer(t)
	args := func(extra ...string) []string {
		return append([]string{"-F", "none", "-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-p", port, "-l", "alice"}, extra...)
	}
	runSSH := func(t *testing.T, a []string) (string, string) {
		cmd := exec.Command(sshdtest.SSH, a...)
		cmd.Env = append(cmd.Environ(), x.env...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.Run()
		return o.String(), e.String()
	}
	t.Run("uninvited", func(t *testing.T) {
		r := clGossh(t, bin, nil, x.env, args("127.0.0.1", "uninvited")...)
		so, se := runSSH(t, args("127.0.0.1", "uninvited"))
		for _, out := range []struct{ who, stdout, stderr string }{{"gossh", r.stdout, r.stderr}, {"ssh", so, se}} {
			if out.stdout != "OPENFAIL\n" {
				t.Errorf("%s: the x11 channel was not refused: %q\n%s", out.who, out.stdout, out.stderr)
			}
			for _, want := range []string{"Warning: ssh server tried X11 forwarding.\r\n", "Warning: this is probably a break-in attempt by a malicious server.\r\n"} {
				if !strings.Contains(out.stderr, want) {
					t.Errorf("%s does not print %q:\n%s", out.who, want, out.stderr)
				}
			}
		}
	})
	t.Run("wrong cookie", func(t *testing.T) {
		r := clGossh(t, bin, nil, x.env, args("-Y", "127.0.0.1", "wrong")...)
		so, se := runSSH(t, args("-Y", "127.0.0.1", "wrong"))
		for _, out := range []struct{ who, stdout, stderr string }{{"gossh", r.stdout, r.stderr}, {"ssh", so, se}} {
			if out.stdout != "REPLY=\n" {
				t.Errorf("%s: the spoofed channel got %q\n%s", out.who, out.stdout, out.stderr)
			}
			if !strings.Contains(out.stderr, "X11 connection rejected because of wrong authentication.\r\n") {
				t.Errorf("%s does not report the rejection:\n%s", out.who, out.stderr)
			}
		}
		select {
		case su := <-x.setups:
			t.Errorf("the X server got a setup %q %x", su.proto, su.data)
		case <-time.After(200 * time.Millisecond):
		}
	})
}

// TestMuxX11ThroughGosshMaster: OpenSSH's ssh -Y as a mux client of a
// gossh master started with -Y reaches the master's X server with the
// real cookie, as through OpenSSH's master; a mux client without -X gets
// no x11-req. Before, mux sessions never asked for X11 forwarding.
func TestMuxX11ThroughGosshMaster(t *testing.T) {
	x := startX11Env(t)
	xauth, _ := exec.LookPath("xauth")
	bin := clBuildGossh(t)
	remoteAuth := filepath.Join(t.TempDir(), "remote.xauth")
	e := clStart(t, "X11Forwarding yes", "XAuthLocation "+xauth, "SetEnv XAUTHORITY="+remoteAuth)
	key := e.keyFile(t)
	sock := muxSock(t)
	muxGosshMaster(t, bin, e, key, sock, x.env, "-Y")
	x11Reqs := func() int { return strings.Count(e.srv.Log(), "request x11-req") }
	mux := func(stdin []byte, args ...string) clResult {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sshdtest.SSH, muxSSH(sock, args...)...)
		cmd.Env = append(os.Environ(), x.env...)
		cmd.Stdin = bytes.NewReader(stdin)
		var o, er bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &er
		err := cmd.Run()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return clResult{o.String(), er.String(), code}
	}
	t.Run("ssh -Y", func(t *testing.T) {
		before := x11Reqs()
		x.check(t, mux([]byte(x11Client), "-Y", "127.0.0.1", "/usr/bin/python3 -"))
		if n := x11Reqs() - before; n != 1 {
			t.Errorf("sshd logged %d x11-req, want 1", n)
		}
	})
	t.Run("ssh -x", func(t *testing.T) {
		before := x11Reqs()
		r := mux(nil, "-x", "127.0.0.1", `echo "DISPLAY=$DISPLAY"`)
		if r.code != 0 || r.stdout != "DISPLAY=\n" {
			t.Errorf("got %+v, want no DISPLAY", r)
		}
		if n := x11Reqs() - before; n != 0 {
			t.Errorf("sshd logged %d x11-req, want none", n)
		}
	})
}
