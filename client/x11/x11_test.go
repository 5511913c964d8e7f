package x11_test

// X11 forwarding (RFC 4254, Section 6.3) against an in-process
// x/crypto/ssh server that plays the remote X client: it records the
// x11-req, opens "x11" channels back to the client and sends an X11
// connection setup with the fake cookie it was given, a wrong one or a
// wrong protocol. A fake X server (a unix socket in a temporary
// directory, or TCP 127.0.0.1:6000+N) records the setups it receives.
// xauth is a shell script of the test's that prints the entries it
// is told to, and logs its arguments.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/x11"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/server/xsshtest"
	"github.com/sshstack/sshstack/userauth"
)

// x11Req is an "x11-req" as the server received it.
type x11Req struct {
	Single bool
	Proto  string
	Cookie string
	Screen uint32
}

// x11Server is an x/crypto/ssh server whose sessions answer x11-req
// (refused when refuse is set) and run "x11 fake|wrong|proto|garbage": open an
// "x11" channel, send a setup with that cookie, print "REPLY=" and what
// came back, or "OPENFAIL" if the client refused the channel.
type x11Server struct {
	addr   string
	pub    hostkey.PublicKey
	refuse bool

	mu   sync.Mutex
	reqs []x11Req // guarded by mu
}

func startX11Server(t *testing.T, refuse bool) *x11Server {
	t.Helper()
	s := &x11Server{refuse: refuse}
	xs := xsshtest.Start(t, xsshtest.Options{Handle: xsshtest.Sessions(s.session)})
	pub, err := hostkey.ParsePublicKey(xs.HostKey.PublicKey().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	s.addr, s.pub = xs.Addr, pub
	return s
}

func (s *x11Server) session(conn *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var fake []byte
	for r := range reqs {
		switch r.Type {
		case "x11-req":
			var x x11Req
			if err := ssh.Unmarshal(r.Payload, &x); err != nil {
				r.Reply(false, nil)
				continue
			}
			s.mu.Lock()
			s.reqs = append(s.reqs, x)
			s.mu.Unlock()
			fake, _ = hex.DecodeString(x.Cookie)
			r.Reply(!s.refuse, nil)
		case "exec":
			var e struct{ Cmd string }
			ssh.Unmarshal(r.Payload, &e)
			r.Reply(true, nil)
			proto, cookie := x11.AuthProtocol, fake
			switch strings.TrimPrefix(e.Cmd, "x11 ") {
			case "wrong":
				cookie = make([]byte, len(fake))
				rand.Read(cookie)
			case "proto":
				proto = "XDM-AUTHORIZATION-1"
			case "garbage": // a bad byte-order byte
				proto = ""
			}
			if cookie == nil {
				cookie = make([]byte, 16)
			}
			io.WriteString(ch, x11RemoteClient(conn, proto, cookie))
			ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 0))
			return
		default:
			r.Reply(false, nil)
		}
	}
}

// x11RemoteClient opens an x11 channel and plays an X client on it.
func x11RemoteClient(conn *ssh.ServerConn, proto string, cookie []byte) string {
	xch, xreqs, err := conn.OpenChannel("x11", ssh.Marshal(struct {
		Addr string
		Port uint32
	}{"127.0.0.1", 43210}))
	if err != nil {
		return "OPENFAIL\n"
	}
	go ssh.DiscardRequests(xreqs)
	defer xch.Close()
	if proto == "" {
		xch.Write([]byte("GARBAGE-SETUP"))
	} else {
		xch.Write(x11SetupRequest(proto, cookie))
	}
	reply, _ := io.ReadAll(xch)
	return "REPLY=" + string(reply) + "\n"
}

// x11SetupRequest is an X11 connection setup request, LSB first, protocol
// 11.0 (X Window System Protocol, "Connection Setup").
func x11SetupRequest(proto string, cookie []byte) []byte {
	pad := func(b []byte) []byte { return append(b, make([]byte, (4-len(b)%4)%4)...) }
	b := []byte{'l', 0, 11, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(proto)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(cookie)))
	b = append(b, 0, 0)
	b = append(b, pad([]byte(proto))...)
	return append(b, pad(bytes.Clone(cookie))...)
}

func (s *x11Server) requests() []x11Req {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]x11Req(nil), s.reqs...)
}

func (s *x11Server) dial(t *testing.T) *client.Client {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress(host, p)}, s.pub, false), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "tcp", s.addr, &client.Config{User: "alice", Auth: []userauth.Method{userauth.NoneAuth{}},
		UserKnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs cmd on a new session of c, after requesting X11 forwarding
// with a unless it is nil.
func run(t *testing.T, c *client.Client, a *x11.Auth, cmd string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if a != nil {
		if err := x11.Request(ctx, s, a); err != nil {
			return "", err
		}
	}
	out, err := s.Output(ctx, cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return string(out), nil
}

// fakeX is a fake X server: it records each connection's setup
// (protocol and cookie) and answers "FAKEX-OK".
type fakeX struct {
	display string // DISPLAY naming it
	dir     string // the socket directory, for a unix display
	setups  chan [2]string
	conns   chan struct{} // one value per accepted connection
}

// next returns the next setup the X server received.
func (x *fakeX) next(t *testing.T) [2]string {
	t.Helper()
	select {
	case su := <-x.setups:
		return su
	case <-time.After(10 * time.Second):
		t.Fatal("no setup reached the X server")
		return [2]string{}
	}
}

func startFakeX(t *testing.T, network string) *fakeX {
	t.Helper()
	x := &fakeX{setups: make(chan [2]string, 8), conns: make(chan struct{}, 8)}
	var l net.Listener
	switch network {
	case "unix":
		x.dir = t.TempDir()
		var err error
		if l, err = net.Listen("unix", filepath.Join(x.dir, "X7")); err != nil {
			t.Fatal(err)
		}
		x.display = ":7.2"
	case "tcp":
		var n int
		l, n = servertest.ListenDisplay(t, 100)
		x.display = "127.0.0.1:" + strconv.Itoa(n)
	}
	servertest.Accept(t, l, func(c net.Conn) {
		x.conns <- struct{}{}
		c.SetDeadline(time.Now().Add(15 * time.Second))
		h := make([]byte, 12)
		if _, err := io.ReadFull(c, h); err != nil {
			return
		}
		pl, dl := int(binary.LittleEndian.Uint16(h[6:])), int(binary.LittleEndian.Uint16(h[8:]))
		rest := make([]byte, (pl+3)&^3+(dl+3)&^3)
		if _, err := io.ReadFull(c, rest); err != nil {
			return
		}
		x.setups <- [2]string{string(rest[:pl]), hex.EncodeToString(rest[(pl+3)&^3 : (pl+3)&^3+dl])}
		io.WriteString(c, "FAKEX-OK")
	})
	return x
}

// xauthScript writes a fake xauth that logs its arguments to log and
// runs body (sh) on them.
func xauthScript(t *testing.T, body string) (path, log string) {
	t.Helper()
	dir := t.TempDir()
	path, log = filepath.Join(dir, "xauth"), filepath.Join(dir, "xauth.log")
	script := "#!/bin/sh\necho \"$@\" >> " + log + "\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, log
}

// TestX11Forwarding requests trusted X11 forwarding (the real cookie from
// "xauth list") and has the server's X client connect through an x11
// channel, to a unix-socket display and a TCP one: the x11-req carries
// MIT-MAGIC-COOKIE-1, not a single connection, a fake cookie of the real
// one's length and the display's screen; the X server receives the REAL
// cookie and its answer comes back. A wrong cookie, a wrong protocol or
// a bad byte-order byte closes the channel before anything reaches the X
// server.
// Requirement: 4254-6.3.1-fake-cookie
func TestX11Forwarding(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			x := startFakeX(t, network)
			real := make([]byte, 16)
			rand.Read(real)
			xauth, _ := xauthScript(t, `[ "$1" = list ] && echo "host/unix:7  MIT-MAGIC-COOKIE-1  `+hex.EncodeToString(real)+`"`)
			ctx := context.Background()
			a, err := (&x11.Config{Display: x.display, Trusted: true, XAuthLocation: xauth, SocketDir: x.dir}).Authorization(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Cookie, real) || a.MadeUp || a.Protocol != x11.AuthProtocol {
				t.Fatalf("Authorization: %+v", a)
			}
			s := startX11Server(t, false)
			c := s.dial(t)

			out, err := run(t, c, a, "x11 fake")
			if err != nil {
				t.Fatal(err)
			}
			if out != "REPLY=FAKEX-OK\n" {
				t.Errorf("remote X client got %q", out)
			}
			if su := x.next(t); su != [2]string{x11.AuthProtocol, hex.EncodeToString(real)} {
				t.Errorf("X server got %q %s, want the real cookie %x", su[0], su[1], real)
			}
			reqs := s.requests()
			if len(reqs) != 1 {
				t.Fatalf("x11-reqs %+v", reqs)
			}
			want := x11Req{Proto: x11.AuthProtocol, Screen: x11.X11Screen(x.display)}
			r := reqs[0]
			if r.Single || r.Proto != want.Proto || r.Screen != want.Screen || len(r.Cookie) != 32 || r.Cookie == hex.EncodeToString(real) {
				t.Errorf("x11-req %+v, want not single, %s, screen %d, a 32-digit fake cookie", r, want.Proto, want.Screen)
			}
			if network == "unix" && r.Screen != 2 {
				t.Errorf("screen %d for %s", r.Screen, x.display)
			}

			// A second session keeps the fake cookie.
			if out, err := run(t, c, a, "x11 fake"); err != nil || out != "REPLY=FAKEX-OK\n" {
				t.Errorf("second session: %q %v", out, err)
			}
			x.next(t)
			if reqs := s.requests(); len(reqs) != 2 || reqs[1].Cookie != r.Cookie {
				t.Errorf("second x11-req %+v", reqs)
			}

			for _, cmd := range []string{"x11 wrong", "x11 proto", "x11 garbage"} {
				if out, err := run(t, c, nil, cmd); err != nil || out != "REPLY=\n" {
					t.Errorf("%s: remote X client got %q %v, want the channel closed", cmd, out, err)
				}
			}
			select {
			case su := <-x.setups:
				t.Errorf("the X server got a setup %q %s from a spoofed channel", su[0], su[1])
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}

// TestX11Uninvited: x11 channels are refused, and the X server never
// connected, when no x11-req was made, when the server refused the
// x11-req, and after an untrusted forwarding's timeout.
// Requirement: 4254-6.3.2-x11-reject
func TestX11Uninvited(t *testing.T) {
	x := startFakeX(t, "unix")
	xauth, _ := xauthScript(t, `case "$3" in generate) : > "$2";; list) echo "h/unix:7  MIT-MAGIC-COOKIE-1  00112233445566778899aabbccddeeff";; esac`)
	ctx := context.Background()

	t.Run("no x11-req", func(t *testing.T) {
		c := startX11Server(t, false).dial(t)
		if out, _ := run(t, c, nil, "x11 fake"); out != "OPENFAIL\n" {
			t.Errorf("got %q, want the x11 channel refused", out)
		}
	})
	t.Run("x11-req refused", func(t *testing.T) {
		c := startX11Server(t, true).dial(t)
		a, err := (&x11.Config{Display: x.display, Trusted: true, XAuthLocation: xauth, SocketDir: x.dir}).Authorization(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, c, a, "x11 fake"); !errors.Is(err, connection.ErrRequestDenied) {
			t.Fatalf("x11.Request: %v, want ErrRequestDenied", err)
		}
		if out, _ := run(t, c, nil, "x11 fake"); out != "OPENFAIL\n" {
			t.Errorf("got %q, want the x11 channel refused", out)
		}
	})
	t.Run("after ForwardX11Timeout", func(t *testing.T) {
		c := startX11Server(t, false).dial(t)
		a, err := (&x11.Config{Display: x.display, XAuthLocation: xauth, SocketDir: x.dir, Timeout: time.Millisecond}).Authorization(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if out, err := run(t, c, a, "x11 fake"); err != nil || out != "OPENFAIL\n" {
			t.Errorf("got %q %v, want the x11 channel refused", out, err)
		}
	})
	t.Run("another display", func(t *testing.T) {
		c := startX11Server(t, false).dial(t)
		a, _ := (&x11.Config{Display: x.display, Trusted: true, XAuthLocation: xauth, SocketDir: x.dir}).Authorization(ctx)
		run(t, c, a, "x11 fake")
		x.next(t)
		b := *a
		b.Display = ":8"
		if _, err := run(t, c, &b, "x11 fake"); !errors.Is(err, x11.ErrOtherDisplay) {
			t.Errorf("second display: %v, want ErrOtherDisplay", err)
		}
	})
	select {
	case <-x.setups:
		t.Error("a refused channel reached the X server")
	default:
	}
	if n := len(x.conns); n != 1 {
		t.Errorf("the X server saw %d connections, want 1 (the accepted one)", n)
	}
}

// TestX11ConfigForward sets Config.ForwardX11: every session requests
// forwarding with the cookie found once.
func TestX11ConfigForward(t *testing.T) {
	x := startFakeX(t, "unix")
	xauth, log := xauthScript(t, `echo "h/unix:7  MIT-MAGIC-COOKIE-1  00112233445566778899aabbccddeeff"`)
	s := startX11Server(t, false)
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress(host, p)}, s.pub, false), 0o600)
	ctx := context.Background()
	c, err := client.Dial(ctx, "tcp", s.addr, &client.Config{User: "alice", Auth: []userauth.Method{userauth.NoneAuth{}},
		UserKnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
		ForwardX11: &x11.Config{Display: x.display, Trusted: true, XAuthLocation: xauth, SocketDir: x.dir}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 {
		if out, _ := run(t, c, nil, "x11 fake"); out != "REPLY=FAKEX-OK\n" {
			t.Errorf("got %q", out)
		}
		if su := x.next(t); su[1] != "00112233445566778899aabbccddeeff" {
			t.Errorf("X server got %v", su)
		}
	}
	if b, _ := os.ReadFile(log); strings.Count(string(b), "list") != 1 {
		t.Errorf("xauth ran %q, want one list", b)
	}
}

// TestX11Authorization checks how the cookie is found, against ssh's
// client_x11_get_proto: the xauth command lines, made-up data, and the
// untrusted failure.
func TestX11Authorization(t *testing.T) {
	const cookie = "0123456789abcdef0123456789abcdef"
	entry := `echo "h/unix:3  MIT-MAGIC-COOKIE-1  ` + cookie + `"`
	ctx := context.Background()
	tests := []struct {
		name     string
		x        x11.Config
		script   string // "" for a missing xauth
		wantLog  string // the xauth argument lines, TMP for the temporary file
		wantErr  error
		madeUp   bool
		deadline bool
	}{
		{"trusted", x11.Config{Display: ":3", Trusted: true}, entry, "list :3\n", nil, false, false},
		{"trusted localhost", x11.Config{Display: "localhost:3.0", Trusted: true}, entry, "list unix:3.0\n", nil, false, false},
		{"trusted no entry", x11.Config{Display: ":3", Trusted: true}, "true", "list :3\n", nil, true, false},
		{"trusted no xauth", x11.Config{Display: ":3", Trusted: true}, "", "", nil, true, false},
		{"untrusted", x11.Config{Display: ":3"}, `[ "$3" = generate ] && : > "$2"; [ "$3" = list ] && ` + entry + "; true",
			"-f TMP generate :3 MIT-MAGIC-COOKIE-1 untrusted timeout 1260\n-f TMP list :3\n", nil, false, true},
		{"untrusted 5m", x11.Config{Display: ":3", Timeout: 5 * time.Minute}, `[ "$3" = list ] && ` + entry + "; true",
			"-f TMP generate :3 MIT-MAGIC-COOKIE-1 untrusted timeout 360\n-f TMP list :3\n", nil, false, true},
		{"untrusted no timeout", x11.Config{Display: ":3", Timeout: -1}, `[ "$3" = list ] && ` + entry + "; true",
			"-f TMP generate :3 MIT-MAGIC-COOKIE-1 untrusted\n-f TMP list :3\n", nil, false, false},
		{"untrusted generate fails", x11.Config{Display: ":3"}, `[ "$3" = generate ] && exit 1; ` + entry,
			"-f TMP generate :3 MIT-MAGIC-COOKIE-1 untrusted timeout 1260\n", x11.ErrUntrusted, false, false},
		{"untrusted no xauth", x11.Config{Display: ":3"}, "", "", x11.ErrUntrusted, false, false},
		{"bad DISPLAY", x11.Config{Display: "a;b:0", Trusted: true}, entry, "", x11.ErrDisplay, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, log := xauthScript(t, tt.script)
			if tt.script == "" {
				path = filepath.Join(t.TempDir(), "no-xauth")
			}
			tt.x.XAuthLocation = path
			a, err := tt.x.Authorization(ctx)
			b, _ := os.ReadFile(log)
			got := string(b)
			if f := strings.Fields(got); len(f) > 1 && f[0] == "-f" {
				if !strings.HasPrefix(f[1], os.TempDir()) || !strings.HasSuffix(f[1], "/xauthfile") {
					t.Errorf("temporary xauth file %s", f[1])
				}
				if _, err := os.Stat(filepath.Dir(f[1])); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("temporary directory %s left behind", filepath.Dir(f[1]))
				}
				got = strings.ReplaceAll(got, f[1], "TMP")
			}
			if got != tt.wantLog {
				t.Errorf("xauth ran\n%s\nwant\n%s", got, tt.wantLog)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.MadeUp != tt.madeUp || len(a.Cookie) != 16 || (!a.MadeUp && hex.EncodeToString(a.Cookie) != cookie) {
				t.Errorf("made up %v, cookie %x", a.MadeUp, a.Cookie)
			}
			if a.NoXAuth != (tt.script == "") || a.Deadline.IsZero() == tt.deadline {
				t.Errorf("NoXAuth %v, deadline %v", a.NoXAuth, a.Deadline)
			}
		})
	}
	t.Run("real xauth", func(t *testing.T) {
		xauth, err := exec.LookPath("xauth")
		if err != nil {
			wiretest.MissingPeer(t, "xauth not installed")
		}
		file := filepath.Join(t.TempDir(), "Xauthority")
		if out, err := exec.Command(xauth, "-f", file, "add", "127.0.0.1:42", x11.AuthProtocol, cookie).CombinedOutput(); err != nil {
			t.Fatalf("xauth add: %v\n%s", err, out)
		}
		t.Setenv("XAUTHORITY", file)
		t.Setenv("DISPLAY", "127.0.0.1:42.0")
		a, err := (&x11.Config{Trusted: true, XAuthLocation: xauth}).Authorization(ctx)
		if err != nil || a.MadeUp || hex.EncodeToString(a.Cookie) != cookie || a.Display != "127.0.0.1:42.0" {
			t.Errorf("%+v %v", a, err)
		}
	})
}

func TestX11Addr(t *testing.T) {
	tests := []struct {
		display, network, addr string
		screen                 uint32
	}{
		{":0", "unix", "/d/X0", 0},
		{":12.3", "unix", "/d/X12", 3},
		{"unix:5", "unix", "/d/X5", 0},
		{"::7", "unix", "/d/X7", 0},
		{"localhost:10.0", "tcp", "localhost:6010", 0},
		{"127.0.0.1:50", "tcp", "127.0.0.1:6050", 0},
		{"host:1.401", "tcp", "host:6001", 0},
	}
	for _, tt := range tests {
		n, a, err := x11.X11Addr(tt.display, "/d")
		if err != nil || n != tt.network || a != tt.addr {
			t.Errorf("%s: %s %s %v, want %s %s", tt.display, n, a, err, tt.network, tt.addr)
		}
		if s := x11.X11Screen(tt.display); s != tt.screen {
			t.Errorf("%s: screen %d, want %d", tt.display, s, tt.screen)
		}
	}
	for _, bad := range []string{"host", ":x", "host:", "unix:"} {
		if _, _, err := x11.X11Addr(bad, "/d"); !errors.Is(err, x11.ErrDisplay) {
			t.Errorf("%q: %v, want ErrX11Display", bad, err)
		}
	}
}

func TestParseX11Setup(t *testing.T) {
	for _, order := range []byte{'l', 'B'} {
		b := x11SetupRequest("MIT-MAGIC-COOKIE-1", []byte("0123456789abcdef"))
		if order == 'B' {
			b[0] = 'B'
			b[6], b[7], b[8], b[9] = 0, 18, 0, 16
		}
		proto, data, err := x11.ParseX11Setup(b)
		if err != nil || string(proto) != "MIT-MAGIC-COOKIE-1" || string(data) != "0123456789abcdef" {
			t.Errorf("%c: %q %q %v", order, proto, data, err)
		}
		for i := range b {
			if _, _, err := x11.ParseX11Setup(b[:i]); !errors.Is(err, x11.ErrX11SetupShort) {
				t.Errorf("%c cut at %d: %v", order, i, err)
			}
		}
	}
	if _, _, err := x11.ParseX11Setup([]byte("X")); err == nil || errors.Is(err, x11.ErrX11SetupShort) {
		t.Errorf("bad byte order: %v", err)
	}
}

func FuzzParseX11Setup(f *testing.F) {
	f.Add(x11SetupRequest("MIT-MAGIC-COOKIE-1", make([]byte, 16)))
	f.Add([]byte("B\x00\x00\x0b\x00\x00\xff\xff\xff\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		proto, data, err := x11.ParseX11Setup(b)
		if err != nil {
			return
		}
		if len(proto) > 65535 || len(data) > 65535 || 12+len(proto)+len(data) > len(b) {
			t.Fatalf("proto %d data %d from %d bytes", len(proto), len(data), len(b))
		}

	})
}

// TestX11ConfigNil: a nil *Config (as a typed nil in
// client.Config.ForwardX11 would be) requests nothing and returns an
// error instead of panicking.
func TestX11ConfigNil(t *testing.T) {
	srv := startX11Server(t, false)
	c := srv.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := (*x11.Config)(nil).Request(ctx, s); err == nil {
		t.Error("nil Config: Request succeeded")
	}
	if reqs := srv.requests(); len(reqs) != 0 {
		t.Errorf("x11-req sent: %+v", reqs)
	}
}
