package conformance_test

// X11 forwarding of gosshd (sshd_config X11Forwarding, package server's
// X11Forwarding) with OpenSSH 9.2's ssh -Y: the client talks to a fake X
// server of the test's, authorised by a real MIT-MAGIC-COOKIE-1 entry
// made with xauth; the remote command is an X client that finds the
// cookie gosshd stored with xauth and connects to $DISPLAY.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/server/servertest"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// x11Setup is the start of an X11 connection setup request as a fake X
// server received it: the authorisation protocol name and data.
type x11Setup struct {
	proto string
	data  []byte
}

// serveFakeDisplay listens on 127.0.0.1:6000+N for the first free
// display N from first up and runs serve for each connection (with a
// 20 s deadline, closed afterwards) until the test ends.
func serveFakeDisplay(t *testing.T, first int, serve func(net.Conn)) int {
	t.Helper()
	l, n := servertest.ListenDisplay(t, first)
	servertest.Accept(t, l, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		serve(c)
	})
	return n
}

// fakeXServer listens on 127.0.0.1:6000+N for a free display N and
// answers each connection's setup request with "FAKEX-OK", then closes
// it. It returns N and the setups it receives.
func fakeXServer(t *testing.T) (int, <-chan x11Setup) {
	t.Helper()
	setups := make(chan x11Setup, 4)
	n := serveFakeDisplay(t, 50, func(c net.Conn) {
		// X Window System Protocol, "Connection Setup": byte order,
		// unused, major, minor, name length, data length, unused, then
		// name and data, each padded to 4.
		var h [12]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		var bo binary.ByteOrder = binary.LittleEndian
		if h[0] == 'B' {
			bo = binary.BigEndian
		}
		nl, dl := int(bo.Uint16(h[6:])), int(bo.Uint16(h[8:]))
		rest := make([]byte, (nl+3)&^3+(dl+3)&^3)
		if _, err := io.ReadFull(c, rest); err != nil {
			return
		}
		setups <- x11Setup{string(rest[:nl]), rest[(nl+3)&^3 : (nl+3)&^3+dl]}
		io.WriteString(c, "FAKEX-OK")
	})
	return n, setups
}

// x11Client is the remote command: it prints DISPLAY and what
// "xauth list $DISPLAY" finds, connects to the display with that
// cookie and prints what comes back.
const x11Client = `
import os, socket, struct, subprocess, sys
d = os.environ.get("DISPLAY", "")
print("DISPLAY=" + d, flush=True)
if not d:
    sys.exit(0)
host, _, num = d.rpartition(":")
n = int(num.split(".")[0])
entry = subprocess.run(["xauth", "list", d], capture_output=True, text=True).stdout.split("\n")[0]
print("XAUTH=" + entry, flush=True)
f = entry.split()
proto, cookie = f[1].encode(), bytes.fromhex(f[2])
pad = lambda b: b + b"\0" * (-len(b) % 4)
s = socket.create_connection((host, 6000 + n), timeout=20)
s.sendall(struct.pack("<BxHHHHxx", 0x6C, 11, 0, len(proto), len(cookie)) + pad(proto) + pad(cookie))
reply = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    reply += b
print("REPLY=" + reply.decode(), flush=True)
`

// TestGosshdX11 runs ssh -Y against gosshd with X11Forwarding yes: the
// session's DISPLAY is localhost:N.0 with N >= 10 (X11DisplayOffset),
// gosshd stored the client's fake cookie with xauth (the remote xauth
// list shows it), the X client's connection reaches the fake X server
// through an x11 channel carrying the REAL cookie (ssh checked the fake
// one and replaced it) and the server's answer flows back. From
// 127.0.0.2 a Match section turns X11Forwarding off: ssh reports the
// refusal and DISPLAY is unset.
func TestGosshdX11(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	xauth, err := exec.LookPath("xauth")
	if err != nil {
		sshdtest.MissingPeer(t, "xauth not installed")
	}
	dir := t.TempDir()
	remoteAuth := filepath.Join(dir, "remote.xauth")
	s := svStart(t, []string{"ed25519"}, "X11Forwarding yes", "SetEnv XAUTHORITY="+remoteAuth,
		"Match Address 127.0.0.2", "\tX11Forwarding no")

	// The client's X server and its real cookie.
	m, setups := fakeXServer(t)
	display := fmt.Sprintf("127.0.0.1:%d", m)
	real := make([]byte, 16)
	rand.Read(real)
	clientAuth := filepath.Join(dir, "client.xauth")
	if out, err := exec.Command(xauth, "-f", clientAuth, "add", display, "MIT-MAGIC-COOKIE-1", hex.EncodeToString(real)).CombinedOutput(); err != nil {
		t.Fatalf("xauth add: %v\n%s", err, out)
	}
	t.Setenv("DISPLAY", display)
	t.Setenv("XAUTHORITY", clientAuth)

	t.Run("ssh -Y", func(t *testing.T) {
		res := s.ssh(t, []byte(x11Client), "root", "-Y", "127.0.0.1", "/usr/bin/python3 -")
		out := string(res.Stdout)
		if res.ExitCode != 0 {
			t.Fatalf("exit %d\n%s\n%s\n%s", res.ExitCode, out, tail(string(res.Stderr)), tail(s.logText()))
		}
		t.Logf("remote X client:\n%s", out)
		dm := regexp.MustCompile(`(?m)^DISPLAY=localhost:(\d+)\.0$`).FindStringSubmatch(out)
		if dm == nil {
			t.Fatalf("DISPLAY is not localhost:N.0:\n%s", out)
		}
		if n, _ := strconv.Atoi(dm[1]); n < 10 {
			t.Errorf("display number %d, want >= 10 (X11DisplayOffset)", n)
		}
		xm := regexp.MustCompile(`(?m)^XAUTH=\S*:` + dm[1] + `\s+MIT-MAGIC-COOKIE-1\s+([0-9a-f]{32})$`).FindStringSubmatch(out)
		if xm == nil {
			t.Fatalf("the remote xauth has no MIT-MAGIC-COOKIE-1 entry for display %s:\n%s", dm[1], out)
		}
		if xm[1] == hex.EncodeToString(real) {
			t.Error("the remote xauth holds the real cookie, not ssh's fake one")
		}
		if !strings.Contains(out, "REPLY=FAKEX-OK\n") {
			t.Errorf("no reply from the X server through the x11 channel:\n%s\n%s", out, tail(string(res.Stderr)))
		}
		select {
		case su := <-setups:
			if su.proto != "MIT-MAGIC-COOKIE-1" || !bytes.Equal(su.data, real) {
				t.Errorf("the X server got %q %x, want MIT-MAGIC-COOKIE-1 with the real cookie %x", su.proto, su.data, real)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the X server got no connection")
		}
		if b, err := os.ReadFile(remoteAuth); err != nil || len(b) == 0 {
			t.Errorf("XAUTHORITY from SetEnv not written by xauth: %v", err)
		}
	})
	t.Run("ssh -Y with a pty", func(t *testing.T) {
		// xauth runs before the shell in a pty session too.
		res := s.ssh(t, nil, "root", "-Y", "-tt", "127.0.0.1", "echo DISPLAY=$DISPLAY; xauth list $DISPLAY")
		if res.ExitCode != 0 || !regexp.MustCompile(`DISPLAY=localhost:\d+\.0\r?\n\S+:\d+\s+MIT-MAGIC-COOKIE-1\s+[0-9a-f]{32}`).Match(res.Stdout) {
			t.Fatalf("exit %d stdout %q\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)))
		}
	})
	t.Run("X11Forwarding no", func(t *testing.T) {
		res := s.ssh(t, nil, "root", "-Y", "-b", "127.0.0.2", "127.0.0.1", "echo DISPLAY=$DISPLAY")
		if res.ExitCode != 0 || string(res.Stdout) != "DISPLAY=\n" {
			t.Fatalf("exit %d stdout %q\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)))
		}
		if !bytes.Contains(res.Stderr, []byte("X11 forwarding request failed on channel 0")) {
			t.Errorf("ssh did not report the refusal:\n%s", res.Stderr)
		}
	})
}
