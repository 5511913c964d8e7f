package conformance_test

// Untrusted X11 forwarding (ssh -X) end to end needs an X server with the
// SECURITY extension, because ssh -X runs "xauth generate ... untrusted",
// which asks the X server for a new cookie. No such server is installed,
// so securityXServer speaks just enough of the X11 core protocol (the
// connection setup reply, QueryExtension, GetProperty, GetInputFocus) and
// of the SECURITY extension (QueryVersion, GenerateAuthorization) for
// xauth; every other request is answered with nothing.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// securityXServer is a fake X server on 127.0.0.1:6000+N. A connection
// that authenticates with trusted (the user's cookie, which xauth
// uses) gets the X protocol; one with a cookie it generated gets
// "FAKEX-OK" and is recorded; anything else is refused.
type securityXServer struct {
	n         int
	trusted   []byte
	mu        sync.Mutex
	generated [][]byte // guarded by mu
	requests  []string // "timeout T trust L" of each GenerateAuthorization; guarded by mu
	setups    chan x11Setup
}

// x11Little is the byte order of every message here: the test's clients
// (Xlib, python) run on little-endian machines.
var x11Little = binary.LittleEndian

func startSecurityXServer(t *testing.T, trusted []byte) *securityXServer {
	t.Helper()
	s := &securityXServer{trusted: trusted, setups: make(chan x11Setup, 8)}
	s.n = serveFakeDisplay(t, 60, s.serve)
	return s
}

func (s *securityXServer) serve(c net.Conn) {
	var h [12]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 'l' {
		return
	}
	nl, dl := int(x11Little.Uint16(h[6:])), int(x11Little.Uint16(h[8:]))
	rest := make([]byte, (nl+3)&^3+(dl+3)&^3)
	if _, err := io.ReadFull(c, rest); err != nil {
		return
	}
	su := x11Setup{string(rest[:nl]), rest[(nl+3)&^3 : (nl+3)&^3+dl]}
	if bytes.Equal(su.data, s.trusted) {
		s.speak(c)
		return
	}
	s.mu.Lock()
	known := false
	for _, g := range s.generated {
		known = known || bytes.Equal(g, su.data)
	}
	s.mu.Unlock()
	s.setups <- su
	if known {
		io.WriteString(c, "FAKEX-OK")
	}
}

// speak answers X requests on an authenticated connection.
func (s *securityXServer) speak(c net.Conn) {
	// Connection setup reply: one 24-bit TrueColor screen.
	vendor := []byte("fake")
	var b []byte
	b = x11Little.AppendUint32(b, 1)          // release
	b = x11Little.AppendUint32(b, 0x00200000) // resource-id-base
	b = x11Little.AppendUint32(b, 0x001fffff) // resource-id-mask
	b = x11Little.AppendUint32(b, 0)          // motion buffer
	b = x11Little.AppendUint16(b, uint16(len(vendor)))
	b = x11Little.AppendUint16(b, 0xffff) // maximum request length
	b = append(b, 1, 1, 0, 0, 32, 32, 8, 255, 0, 0, 0, 0)
	b = append(b, vendor...)
	b = append(b, 24, 32, 32, 0, 0, 0, 0, 0) // format
	// screen
	for _, v := range []uint32{0x100, 0x20, 0xffffff, 0, 0} { // root, colormap, white, black, input masks
		b = x11Little.AppendUint32(b, v)
	}
	for _, v := range []uint16{1024, 768, 270, 203, 1, 1} {
		b = x11Little.AppendUint16(b, v)
	}
	b = x11Little.AppendUint32(b, 0x21) // root visual
	b = append(b, 0, 0, 24, 1)          // backing stores, save unders, root depth, depths
	b = append(b, 24, 0)                // depth 24
	b = x11Little.AppendUint16(b, 1)    // one visual
	b = append(b, 0, 0, 0, 0)
	b = x11Little.AppendUint32(b, 0x21)
	b = append(b, 4, 8) // TrueColor, 8 bits per RGB
	b = x11Little.AppendUint16(b, 256)
	for _, v := range []uint32{0xff0000, 0xff00, 0xff, 0} {
		b = x11Little.AppendUint32(b, v)
	}
	reply := []byte{1, 0}
	reply = x11Little.AppendUint16(reply, 11)
	reply = x11Little.AppendUint16(reply, 0)
	reply = x11Little.AppendUint16(reply, uint16(len(b)/4))
	if _, err := c.Write(append(reply, b...)); err != nil {
		return
	}
	const securityOpcode = 130
	for seq := uint16(1); ; seq++ {
		var rh [4]byte
		if _, err := io.ReadFull(c, rh[:]); err != nil {
			return
		}
		n := int(x11Little.Uint16(rh[2:])) * 4
		if n == 0 { // BIG-REQUESTS length
			var ext [4]byte
			if _, err := io.ReadFull(c, ext[:]); err != nil {
				return
			}
			n = int(x11Little.Uint32(ext[:]))*4 - 4
		}
		if n < 4 || n > 1<<20 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		r := make([]byte, 32)
		r[0] = 1
		x11Little.PutUint16(r[2:], seq)
		switch {
		case rh[0] == 98 && len(body) >= 4: // QueryExtension
			nl := int(x11Little.Uint16(body))
			if 4+nl <= len(body) && string(body[4:4+nl]) == "SECURITY" {
				r[8], r[9], r[10], r[11] = 1, securityOpcode, 0, 0
			}
		case rh[0] == 20: // GetProperty: none
		case rh[0] == 43: // GetInputFocus
			x11Little.PutUint32(r[8:], 0x100)
		case rh[0] == securityOpcode && rh[1] == 0: // SecurityQueryVersion
			x11Little.PutUint16(r[8:], 1)
		case rh[0] == securityOpcode && rh[1] == 1: // SecurityGenerateAuthorization
			cookie := make([]byte, 16)
			rand.Read(cookie)
			s.mu.Lock()
			s.generated = append(s.generated, cookie)
			s.requests = append(s.requests, securityValues(body))
			s.mu.Unlock()
			x11Little.PutUint32(r[4:], 4)
			x11Little.PutUint32(r[8:], 0x42) // authorization id
			x11Little.PutUint16(r[12:], 16)
			r = append(r, cookie...)
		default:
			continue // a request without a reply
		}
		if _, err := c.Write(r); err != nil {
			return
		}
	}
}

// securityValues describes the timeout and trust level of a
// SecurityGenerateAuthorization request body: the lengths of the
// protocol name and data, the value mask, name and data padded, then the
// values in mask order (timeout, trust level, group, event mask).
func securityValues(body []byte) string {
	if len(body) < 8 {
		return "short"
	}
	pl, dl, mask := int(x11Little.Uint16(body)), int(x11Little.Uint16(body[2:])), x11Little.Uint32(body[4:])
	v := body[min(len(body), 8+(pl+3)&^3+(dl+3)&^3):]
	var out []string
	for i, name := range []string{"timeout", "trust"} {
		if mask&(1<<i) == 0 {
			continue
		}
		if len(v) < 4 {
			return "short"
		}
		out = append(out, fmt.Sprintf("%s %d", name, x11Little.Uint32(v)))
		v = v[4:]
	}
	return strings.Join(out, " ")
}

func (s *securityXServer) generateRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *securityXServer) generatedCookies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.generated...)
}

// TestGosshX11UntrustedAgainstSSHD runs gossh -X (untrusted forwarding)
// through sshd to a fake X server with the SECURITY extension: the real
// xauth generates an untrusted cookie (with ForwardX11Timeout plus 60 s),
// the server gets a fake one, and the X server receives the GENERATED
// cookie, not the user's, on the forwarded connection; xauth asked for
// timeout 360 (ForwardX11Timeout 5m plus 60 s) and trust level
// untrusted. OpenSSH's ssh -X does the same in the same setting.
func TestGosshX11UntrustedAgainstSSHD(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	xauth, err := exec.LookPath("xauth")
	if err != nil {
		sshdtest.MissingPeer(t, "xauth not installed")
	}
	real := make([]byte, 16)
	rand.Read(real)
	x := startSecurityXServer(t, real)
	display := fmt.Sprintf("127.0.0.1:%d", x.n)
	file := filepath.Join(t.TempDir(), "client.xauth")
	if out, err := exec.Command(xauth, "-f", file, "add", display, "MIT-MAGIC-COOKIE-1", hex.EncodeToString(real)).CombinedOutput(); err != nil {
		t.Fatalf("xauth add: %v\n%s", err, out)
	}
	env := []string{"DISPLAY=" + display, "XAUTHORITY=" + file}
	bin := clBuildGossh(t)
	remoteAuth := filepath.Join(t.TempDir(), "remote.xauth")
	e := clStart(t, "X11Forwarding yes", "XAuthLocation "+xauth, "SetEnv XAUTHORITY="+remoteAuth)
	key := e.keyFile(t)
	dest := e.user + "@127.0.0.1"

	check := func(t *testing.T, stdout, stderr string) {
		t.Helper()
		gen := x.generatedCookies()
		if len(gen) == 0 {
			t.Fatalf("xauth generated no cookie:\n%s\n%s", stdout, tail(stderr))
		}
		if !strings.Contains(stdout, "REPLY=FAKEX-OK\n") {
			t.Errorf("no reply through the x11 channel:\n%s\n%s", stdout, tail(stderr))
		}
		select {
		case su := <-x.setups:
			if !bytes.Equal(su.data, gen[len(gen)-1]) {
				t.Errorf("the X server got %x, want the generated untrusted cookie %x (user's %x)", su.data, gen[len(gen)-1], real)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the X server got no forwarded connection")
		}
		// ForwardX11Timeout 5m plus ssh's 60 s of slack; trust level 1
		// is SecurityClientUntrusted.
		if reqs := x.generateRequests(); reqs[len(reqs)-1] != "timeout 360 trust 1" {
			t.Errorf("xauth asked for %q, want timeout 360 trust 1", reqs[len(reqs)-1])
		}
	}
	t.Run("gossh -X", func(t *testing.T) {
		r := clGossh(t, bin, []byte(x11Client), env, e.gosshArgs(t, key, "-X", "-o", "ForwardX11Timeout=5m", "-v", dest, "/usr/bin/python3 -")...)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, tail(r.stderr))
		}
		check(t, r.stdout, r.stderr)
		if strings.Contains(r.stderr, "untrusted X11 forwarding setup failed") {
			t.Errorf("gossh reported a failure:\n%s", r.stderr)
		}
	})
	t.Run("ssh -X", func(t *testing.T) {
		cmd := exec.Command(sshdtest.SSH, append([]string{"-X", "-o", "ForwardX11Trusted=no", "-o", "ForwardX11Timeout=5m"}, e.gosshArgs(t, key, dest, "/usr/bin/python3 -")...)...)
		cmd.Env = append(cmd.Environ(), env...)
		cmd.Stdin = strings.NewReader(x11Client)
		var o, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &se
		if err := cmd.Run(); err != nil {
			t.Fatalf("ssh -X: %v\n%s\n%s", err, o.String(), se.String())
		}
		check(t, o.String(), se.String())
	})
}
