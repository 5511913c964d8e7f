package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(idleClientEnv); spec != "" {
		os.Exit(holdIdle(spec))
	}
	goleak.VerifyTestMain(m)
}

// alice is the test identity (servertest.Alice): hostKey serves, userKey
// logs in as alice.
var (
	alice            = servertest.NewAlice()
	hostKey, userKey = alice.HostKey, alice.UserKey
)

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// echoHandler runs "exit N" (status N, "bye" on stderr), "echo" (copies
// input to output) and anything else (prints the command).
func echoHandler(ctx context.Context, s *server.Session) {
	cmd := s.Command()
	switch {
	case strings.HasPrefix(cmd, "exit "):
		var n uint32
		fmt.Sscan(cmd[5:], &n)
		io.WriteString(s.Stderr(), "bye\n")
		s.Exit(n)
	case strings.HasPrefix(cmd, "exitclose "):
		var n uint32
		fmt.Sscan(cmd[10:], &n)
		io.WriteString(s.Stderr(), "bye\n")
		s.ExitAndClose(n)
		s.Exit(n + 1) // nothing: the status is sent and the channel closed
	case cmd == "echo":
		io.Copy(s, s)
		s.Exit(0)
	case cmd == "env":
		io.WriteString(s, strings.Join(s.Environ(), "\n"))
		s.Exit(0)
	default:
		io.WriteString(s, "ran "+cmd+" as "+s.User()+"\n")
		s.Exit(0)
	}
}

// Requirement: 4254-6.10-exit-status
func TestExecExitStatusStderr(t *testing.T) {
	var logs syncBuf
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	err = sess.Run("exit 42")
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 42 {
		t.Fatalf("Run = %v, want exit status 42", err)
	}
	if stderr.String() != "bye\n" {
		t.Errorf("stderr %q", stderr.String())
	}
	// ExitAndClose: the same, with EOF and CLOSE in the status's write.
	sess, err = c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	sess.Stderr = &stderr
	if err = sess.Run("exitclose 7"); !errors.As(err, &ee) || ee.ExitStatus() != 7 {
		t.Fatalf("Run = %v, want exit status 7", err)
	}
	if stderr.String() != "bye\n" {
		t.Errorf("stderr %q", stderr.String())
	}
	sess, err = c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("uname")
	if err != nil || string(out) != "ran uname as alice\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	c.Close()
	waitLog(t, &logs, "Accepted publickey for alice from 127.0.0.1 port ", " ssh2: ED25519 SHA256:", "debug1: kex: algorithm: ",
		"debug1: kex: host key algorithm: ssh-ed25519", "debug1: kex: client->server cipher: ")
}

func TestEcho1MiB(t *testing.T) {
	addr := alice.Start(t, &server.Server{Handler: echoHandler})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in := make([]byte, 1<<20)
	rand.Read(in)
	sess.Stdin = bytes.NewReader(in)
	out, err := sess.Output("echo")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("echo returned %d bytes, different from the %d sent", len(out), len(in))
	}
}

func TestAuthLogLines(t *testing.T) {
	var logs syncBuf
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := servertest.DialAs(addr, "alice", ssh.Password("wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := servertest.DialAs(addr, "bob", ssh.Password("secret")); err == nil {
		t.Fatal("invalid user accepted")
	}
	c := alice.Dial(t, addr, ssh.Password("secret"))
	c.Close()
	waitLog(t, &logs, "Failed password for alice from 127.0.0.1 port ", "Invalid user bob from 127.0.0.1 port ",
		"Failed password for invalid user bob from 127.0.0.1 port ", "Accepted password for alice from 127.0.0.1 port ",
		"Connection closed by 127.0.0.1 port ", "Disconnected from user alice 127.0.0.1 port ")

	// How an authenticated connection ended, as sshd logs it: the
	// client's DISCONNECT, or a protocol error.
	for _, tc := range []struct {
		name string
		msg  wire.Message
		want string
	}{
		{"disconnect", &wire.Disconnect{Reason: wire.ByApplication, Description: "bye\x1b[2J"}, "Received disconnect from 127.0.0.1 port "},
		{"protocol error", &wire.ChannelData{Recipient: 99, Data: []byte("x")}, "ssh_dispatch_run_fatal: Connection from user alice 127.0.0.1 port "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			kt, err := kex.ClientHandshake(ctx, packet.NewConn(rawConn(t, addr, ""), nil), &kex.Config{
				HostKeyVerifier: kex.NewHostKeyVerifier(func(hostkey.PublicKey) error { return nil })})
			if err != nil {
				t.Fatal(err)
			}
			defer kt.Close()
			if _, err := userauth.Authenticate(ctx, kt, &userauth.ClientConfig{User: "alice",
				Sources: []userauth.Method{userauth.StaticPassword("secret")}}); err != nil {
				t.Fatal(err)
			}
			if err := kt.WritePacket(tc.msg.Append(nil)); err != nil {
				t.Fatal(err)
			}
			waitLog(t, &logs, tc.want)
		})
	}
	waitLog(t, &logs, ":11: bye")
	if strings.Contains(logs.String(), "\x1b") {
		t.Error("the peer's escape sequence reached the log")
	}
}

// waitLog waits up to 5 s for every line to appear in the log: the
// server logs after it has answered the client.
func waitLog(t *testing.T, logs *syncBuf, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, w := range want {
		for !strings.Contains(logs.String(), w) {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("log lacks %q:\n%s\n%s", w, logs.String(), buf)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Requirement: certkeys-force-command
func TestMultiFactorForceCommand(t *testing.T) {
	auth := alice.Policy()
	auth.AuthenticationMethods = [][]string{{"publickey", "password"}}
	pk := auth.PublicKeyCallback
	auth.PublicKeyCallback = func(ctx context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
		if _, err := pk(ctx, m, k); err != nil {
			return nil, err
		}
		return &userauth.Permissions{ForceCommand: "forced", Environment: []string{"FROM_KEY=1"}}, nil
	}
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Auth: auth})
	if _, err := servertest.DialAs(addr, "alice", ssh.PublicKeys(alice.XSigner(t))); err == nil {
		t.Fatal("one factor of two accepted")
	}
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)), ssh.Password("secret"))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("uname")
	if err != nil || string(out) != "ran forced as alice\n" {
		t.Fatalf("forced command: %q, %v", out, err)
	}
}

func TestMaxSessions(t *testing.T) {
	addr := alice.Start(t, &server.Server{Handler: echoHandler, MaxSessions: 3})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	for i := range 3 {
		if _, err := c.NewSession(); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	var oe *ssh.OpenChannelError
	if _, err := c.NewSession(); !errors.As(err, &oe) || oe.Reason != ssh.ResourceShortage {
		t.Fatalf("4th session: %v, want RESOURCE_SHORTAGE", err)
	}
}

func TestShutdownDrains(t *testing.T) {
	srv := &server.Server{HostKeys: []hostkey.Signer{hostKey}, Auth: alice.Policy(), Handler: echoHandler}
	l := servertest.Listen(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	c, err := servertest.DialAs(l.Addr().String(), "alice", ssh.PublicKeys(alice.XSigner(t)))
	if err != nil {
		t.Fatal(err)
	}
	// Shutdown waits for the live connection; its context ending closes it.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a live connection = %v, want DeadlineExceeded", err)
	}
	if err := <-done; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if _, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepting after Shutdown")
	}
	c.Wait()
	c.Close()
}

// rawConn dials from a given loopback source address.
func rawConn(t testing.TB, addr, src string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// dropped reports whether the server closed nc without sending its
// version line, as it does for connections it refuses at once.
func dropped(nc net.Conn) bool {
	nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 4)
	_, err := io.ReadFull(nc, b)
	return err != nil
}

// stillOpen reports whether the server still holds nc, which has had
// its version line and nothing else: reading until a short deadline
// times out on an open connection and ends in EOF on a closed one.
func stillOpen(nc net.Conn) bool {
	nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestR1MaxStartups floods the server with idle unauthenticated
// connections (version line never sent) and checks MaxStartups and the
// per-source cap (docs/security.md#r1): 1000 from one source keep at most 10;
// 1000 more from 50 sources keep at most 100 in all. While they are
// held, a legitimate client from a fresh source gets in within 3 tries,
// by the fair-share rule: the busiest source loses its oldest startup.
func TestR1MaxStartups(t *testing.T) {
	var logs syncBuf
	addr := alice.Start(t, &server.Server{Handler: echoHandler, LoginGraceTime: time.Minute,
		Penalties: &server.Penalties{Disabled: true}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	flood := func(n int, src func(i int) string) {
		for i := range n {
			nc := rawConn(t, addr, src(i))
			if dropped(nc) {
				nc.Close()
			} else {
				conns = append(conns, nc)
			}
		}
	}
	held := func() int {
		open := make([]bool, len(conns))
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Go(func() { open[i] = stillOpen(c) })
		}
		wg.Wait()
		kept := conns[:0]
		for i, c := range conns {
			if open[i] {
				kept = append(kept, c)
			} else {
				c.Close()
			}
		}
		conns = kept
		return len(conns)
	}
	flood(1000, func(int) string { return "127.0.0.1" })
	if n := held(); n > 10 {
		t.Errorf("one source holds %d unauthenticated connections, want <= 10", n)
	}
	flood(1000, func(i int) string { return fmt.Sprintf("127.0.1.%d", 1+i%50) })
	n := held()
	if n > 100 {
		t.Errorf("%d unauthenticated connections held, want <= 100", n)
	}
	if n < 90 {
		t.Errorf("only %d unauthenticated connections held: the flood should fill MaxStartups", n)
	}
	t.Logf("held %d of 2000 idle connections", n)

	// A legitimate client from a fresh source, while the flood holds.
	var err error
	tries := 0
	for tries < 3 {
		tries++
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.2.1")}}
		var nc net.Conn
		if nc, err = d.Dial("tcp", addr); err != nil {
			continue
		}
		var c ssh.Conn
		var chans <-chan ssh.NewChannel
		var reqs <-chan *ssh.Request
		c, chans, reqs, err = ssh.NewClientConn(nc, addr, &ssh.ClientConfig{User: "alice",
			Auth: []ssh.AuthMethod{ssh.PublicKeys(alice.XSigner(t))}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err != nil {
			nc.Close()
			continue
		}
		cl := ssh.NewClient(c, chans, reqs)
		var sess *ssh.Session
		if sess, err = cl.NewSession(); err == nil {
			var out []byte
			out, err = sess.Output("hello")
			if err == nil && string(out) != "ran hello as alice\n" {
				err = fmt.Errorf("output %q", out)
			}
		}
		cl.Close()
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("legitimate client refused %d times during the flood: %v", tries, err)
	}
	t.Logf("legitimate client in after %d tries", tries)
	if n := held(); n > 100 {
		t.Errorf("%d unauthenticated connections held after the legitimate login, want <= 100", n)
	}
	waitLog(t, &logs, "for a less busy source (MaxStartups)")
}

// TestR2LoginGraceTime: a client that trickles its version line, and one
// that sends nothing, are closed at the grace deadline (docs/security.md#r2).
// Requirement: 4252-4-timeout
func TestR2LoginGraceTime(t *testing.T) {
	var logs syncBuf
	addr := alice.Start(t, &server.Server{Handler: echoHandler, LoginGraceTime: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, trickle := range []bool{false, true} {
		nc := rawConn(t, addr, "")
		begin := time.Now()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		if trickle {
			wg.Go(func() {
				for _, b := range []byte("SSH-2.0-slow") {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := nc.Write([]byte{b}); err != nil {
						return
					}
				}
			})
		}
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(io.Discard, nc)
		close(stop)
		wg.Wait()
		nc.Close()
		var ne net.Error
		if (errors.As(err, &ne) && ne.Timeout()) || time.Since(begin) > 8*time.Second {
			t.Errorf("trickle=%v: connection not closed by the grace deadline (%v after %v)", trickle, err, time.Since(begin))
		}
	}
	waitLog(t, &logs, "Timeout before authentication for 127.0.0.1 port ")
}

// TestR6ManyDeadlines: 1000 connections whose grace deadlines fire
// together are all closed, under -race, without deadlock (docs/security.md#r6).
func TestR6ManyDeadlines(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	addr := alice.Start(t, &server.Server{Handler: echoHandler, LoginGraceTime: time.Second,
		MaxStartups: server.Startups{Start: -1}, PerSourceMaxStartups: -1, Penalties: &server.Penalties{Disabled: true}})
	conns := make([]net.Conn, 0, n)
	for i := range n {
		conns = append(conns, rawConn(t, addr, fmt.Sprintf("127.0.%d.%d", 2+i/250, 1+i%250)))
	}
	var closed atomic.Int32
	var wg sync.WaitGroup
	for _, nc := range conns {
		wg.Go(func() {
			nc.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.Copy(io.Discard, nc); err == nil {
				closed.Add(1)
			}
			nc.Close()
		})
	}
	wg.Wait()
	if int(closed.Load()) != n {
		t.Fatalf("%d of %d connections closed by the server at the deadline", closed.Load(), n)
	}
}

// TestR8Penalties: a source that fails authentication too often is
// refused at once afterwards; other sources are not (docs/security.md#r8).
func TestR8Penalties(t *testing.T) {
	auth := alice.Policy()
	auth.MaxAuthTries = 2
	srv := &server.Server{Handler: echoHandler, Auth: auth,
		Penalties: &server.Penalties{AuthFail: time.Minute, Min: time.Second, Max: 10 * time.Minute}}
	addr := alice.Start(t, srv)
	bad := func(src string) error {
		nc := rawConn(t, addr, src)
		defer nc.Close()
		c, ch, reqs, err := ssh.NewClientConn(nc, addr, &ssh.ClientConfig{User: "alice",
			Auth:            []ssh.AuthMethod{ssh.RetryableAuthMethod(ssh.Password("nope"), 5)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		if err == nil {
			ssh.NewClient(c, ch, reqs).Close()
		}
		return err
	}
	if err := bad("127.0.3.1"); err == nil {
		t.Fatal("wrong password accepted")
	}
	// The server records the penalty after the client has given up.
	for i := 0; !srv.Penalized(&net.TCPAddr{IP: net.ParseIP("127.0.3.1")}); i++ {
		if i == 500 {
			t.Fatal("no penalty recorded after MaxAuthTries")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if srv.Penalized(&net.TCPAddr{IP: net.ParseIP("127.0.3.2")}) {
		t.Error("another source penalized")
	}
	nc := rawConn(t, addr, "127.0.3.1")
	if !dropped(nc) {
		t.Error("penalized source still served")
	}
	nc.Close()
	nc = rawConn(t, addr, "127.0.3.2")
	if dropped(nc) {
		t.Error("another source refused")
	}
	nc.Close()
}

// TestR5NoPong: a PING before and during key exchange never gets a PONG
// (docs/security.md#r5, CVE-2025-26466).
func TestR5NoPong(t *testing.T) {
	addr := alice.Start(t, &server.Server{Handler: echoHandler, LoginGraceTime: time.Second})
	nc := rawConn(t, addr, "")
	defer nc.Close()
	io.WriteString(nc, "SSH-2.0-pinger\r\n")
	ping := []byte{192, 0, 0, 0, 4, 'p', 'i', 'n', 'g'}
	// Plaintext binary packet: length, padding length, payload, padding.
	pad := 8 - (5+len(ping))%8
	if pad < 4 {
		pad += 8
	}
	pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(ping)+pad))
	pkt = append(pkt, byte(pad))
	pkt = append(pkt, ping...)
	pkt = append(pkt, make([]byte, pad)...)
	for range 100 {
		nc.Write(pkt)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	all, _ := io.ReadAll(nc)
	// After the version line every packet is plaintext; look for a
	// payload starting with PONG (193).
	i := bytes.Index(all, []byte("\r\n"))
	if i < 0 {
		t.Fatalf("no version line: %q", all)
	}
	for p := all[i+2:]; len(p) >= 6; {
		n := int(binary.BigEndian.Uint32(p))
		if n+4 > len(p) || n < 2 {
			break
		}
		if p[5] == 193 {
			t.Fatal("server answered PING with PONG before authentication")
		}
		p = p[4+n:]
	}
}

// TestKeepalive: a client that answers keepalive@openssh.com stays; one
// whose answers are black-holed (a proxy stops forwarding to it) is
// disconnected after ClientAliveCountMax intervals.
func TestKeepalive(t *testing.T) {
	var logs syncBuf
	addr := alice.Start(t, &server.Server{Handler: echoHandler, ClientAliveInterval: 100 * time.Millisecond, ClientAliveCountMax: 2,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	time.Sleep(600 * time.Millisecond)
	if _, err := c.NewSession(); err != nil {
		t.Fatalf("answering client dropped: %v", err)
	}
	c.Close()

	// The proxy forwards until the client is authenticated, then drops
	// everything the server sends.
	p := servertest.StartProxy(t, addr)
	c2 := alice.Dial(t, p.Addr, ssh.PublicKeys(alice.XSigner(t)))
	p.DropFromTarget.Store(true)
	waitLog(t, &logs, "Timeout, client not responding from user alice 127.0.0.1 port ")
	c2.Close()
}

// TestAuthLocalAddr: the auth callbacks see the connection's local
// address (sshd's Match LocalAddress and LocalPort during
// authentication).
func TestAuthLocalAddr(t *testing.T) {
	got := make(chan net.Addr, 1)
	pol := alice.Policy()
	pol.PasswordCallback = func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
		got <- m.LocalAddr
		return nil, nil
	}
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Auth: pol})
	alice.Dial(t, addr, ssh.Password("x"))
	if a := <-got; a == nil || a.String() != addr {
		t.Errorf("ConnMeta.LocalAddr = %v, want %s", a, addr)
	}
}

// TestConnOnClose: functions registered with Conn.OnClose run once the
// connection ends, and at once when registered after that.
func TestConnOnClose(t *testing.T) {
	ran := make(chan string, 3)
	var conn atomic.Pointer[server.Conn]
	addr := alice.Start(t, &server.Server{Handler: func(ctx context.Context, s *server.Session) {
		conn.Store(s.Conn())
		s.Conn().OnClose(func() { ran <- "first" })
		s.Conn().OnClose(func() { ran <- "second" })
		s.Exit(0)
	}})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.Run("x")
	select {
	case r := <-ran:
		t.Fatalf("%s ran before the connection ended", r)
	case <-time.After(100 * time.Millisecond):
	}
	c.Close()
	for _, want := range []string{"first", "second"} {
		select {
		case got := <-ran:
			if got != want {
				t.Errorf("ran %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not run after the connection ended", want)
		}
	}
	conn.Load().OnClose(func() { ran <- "late" })
	if got := <-ran; got != "late" {
		t.Errorf("late OnClose: %s", got)
	}
}

// TestUnusedConnectionTimeout: a connection that opens no channel is
// ended after UnusedConnectionTimeout; one holding a session is not,
// however long the session lasts, and is ended once the session closes.
func TestUnusedConnectionTimeout(t *testing.T) {
	var logs syncBuf
	addr := alice.Start(t, &server.Server{Handler: echoHandler, UnusedConnectionTimeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	idle := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	idleDone := make(chan error, 1)
	go func() { idleDone <- idle.Wait() }()
	waitLog(t, &logs, "terminating inactive connection from user alice 127.0.0.1 port ")
	select {
	case <-idleDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the unused connection was not closed")
	}

	busy := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	defer busy.Close()
	sess, err := busy.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // five timeouts with the session open
	s2, err := busy.NewSession()
	if err != nil {
		t.Fatalf("connection with an open session was closed: %v", err)
	}
	s2.Close()
	sess.Close()
	busyDone := make(chan error, 1)
	go func() { busyDone <- busy.Wait() }()
	select {
	case <-busyDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection was not closed after its channels closed")
	}
}

// TestTrace: the per-connection trace hook sees the key exchange and
// authentication, described with secrets redacted.
func TestTrace(t *testing.T) {
	var mu sync.Mutex
	var events []wire.TraceEvent
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Trace: func(net.Addr) wire.Tracer {
		return func(e wire.TraceEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}
	}})
	c := alice.Dial(t, addr, ssh.Password("secret"))
	c.Close()
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	var all strings.Builder
	for _, e := range events {
		all.WriteString(e.String() + "\n")
	}
	for _, want := range []string{"KEXINIT", "NEWKEYS", "USERAUTH_REQUEST", "USERAUTH_SUCCESS"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("trace lacks %s:\n%s", want, all.String())
		}
	}
	if strings.Contains(all.String(), "secret") {
		t.Errorf("trace shows the password:\n%s", all.String())
	}
}

// TestA2NothingBeforeAuth: connection-protocol messages sent after key
// exchange but before USERAUTH_SUCCESS (a session open, an exec on a
// guessed channel, a global request) end the connection and never reach
// a handler (docs/security.md#a2, CVE-2025-32433).
func TestA2NothingBeforeAuth(t *testing.T) {
	msgs := map[string]wire.Message{
		"CHANNEL_OPEN session": &wire.ChannelOpen{Type: wire.ChannelTypeSession, Sender: 0, InitialWindow: 1 << 20, MaxPacket: 32 << 10},
		"CHANNEL_REQUEST exec": &wire.ChannelRequest{Recipient: 0, Type: wire.RequestExec, WantReply: true,
			Extra: (&wire.ExecRequest{Command: "id"}).Append(nil)},
		"GLOBAL_REQUEST tcpip-forward": &wire.GlobalRequest{Name: wire.GlobalTCPIPForward, WantReply: true,
			Data: (&wire.TCPIPForward{BindAddress: "127.0.0.1", BindPort: 0}).Append(nil)},
	}
	var calls atomic.Int32
	addr := alice.Start(t, &server.Server{
		Handler:      func(context.Context, *server.Session) { calls.Add(1) },
		PermitListen: func(*server.Conn, string, uint32) bool { calls.Add(1); return true },
	})
	for name, m := range msgs {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			nc := rawConn(t, addr, "")
			kt, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{
				HostKeyVerifier: kex.NewHostKeyVerifier(func(hostkey.PublicKey) error { return nil })})
			if err != nil {
				t.Fatal(err)
			}
			defer kt.Close()
			if _, err := userauth.RequestService(ctx, kt, wire.ServiceUserauth); err != nil {
				t.Fatal(err)
			}
			if err := kt.WritePacket(m.Append(nil)); err != nil {
				t.Fatal(err)
			}
			for {
				p, err := kt.ReadPacket()
				if err != nil {
					break // the server disconnected
				}
				if len(p) > 0 && (p[0] == byte(wire.MsgChannelOpenConfirmation) || p[0] == byte(wire.MsgRequestSuccess) ||
					p[0] == byte(wire.MsgChannelSuccess)) {
					t.Fatalf("server answered %v before authentication", wire.MsgNum(p[0]))
				}
			}
		})
	}
	if calls.Load() != 0 {
		t.Fatalf("%d handler calls before authentication", calls.Load())
	}
}

// TestSessionRequests: pty-req, env, window-change and signal reach the
// session; "exit-signal" reaches the client.
func TestSessionRequests(t *testing.T) {
	type seen struct {
		pty    server.Pty
		env    []string
		window wire.WindowChange
		signal string
	}
	got := make(chan seen, 1)
	addr := alice.Start(t, &server.Server{Handler: func(ctx context.Context, s *server.Session) {
		var mu sync.Mutex
		var v seen
		v.pty, _ = s.Pty()
		v.env = s.Environ()
		winCh := make(chan struct{}, 1)
		s.NotifyWindowChange(func(w wire.WindowChange) {
			mu.Lock()
			v.window = w
			mu.Unlock()
			select {
			case winCh <- struct{}{}:
			default:
			}
		})
		sigCh := make(chan string, 1)
		s.NotifySignal(func(name string) {
			select {
			case sigCh <- name:
			default:
			}
		})
		io.WriteString(s, "ready\n")
		select {
		case <-winCh:
		case <-ctx.Done():
			return
		}
		select {
		case sig := <-sigCh:
			mu.Lock()
			v.signal = sig
			mu.Unlock()
		case <-ctx.Done():
			return
		}
		mu.Lock()
		got <- v
		mu.Unlock()
		s.ExitSignal(v.signal, false, "stopped")
	}, AcceptEnv: func(name, _ string) bool { return name == "LC_OK" }})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Setenv("LC_OK", "1"); err != nil {
		t.Fatal(err)
	}
	if err := sess.Setenv("LD_PRELOAD", "x"); err == nil {
		t.Error("env not in AcceptEnv accepted")
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(out, buf); err != nil {
		t.Fatal(err)
	}
	if err := sess.WindowChange(50, 132); err != nil {
		t.Fatal(err)
	}
	if err := sess.Signal(ssh.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	v := <-got
	err = sess.Wait()
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.Signal() != "USR1" {
		t.Errorf("Wait = %v, want exit signal USR1", err)
	}
	if v.pty.Term != "xterm-256color" || v.pty.Window.Columns != 80 || v.pty.Window.Rows != 24 || len(v.pty.Modes) == 0 {
		t.Errorf("pty %+v", v.pty)
	}
	if strings.Join(v.env, ",") != "LC_OK=1" {
		t.Errorf("env %v", v.env)
	}
	if v.window.Columns != 132 || v.window.Rows != 50 {
		t.Errorf("window %+v", v.window)
	}
	if v.signal != "USR1" {
		t.Errorf("signal %q", v.signal)
	}
}

// TestR3HugeLength: a packet length claim of 100 MB after the version
// line closes the connection at once, without waiting for the data
// (docs/security.md#r3).
func TestR3HugeLength(t *testing.T) {
	addr := alice.Start(t, &server.Server{Handler: echoHandler})
	nc := rawConn(t, addr, "")
	defer nc.Close()
	io.WriteString(nc, "SSH-2.0-liar\r\n")
	nc.Write(binary.BigEndian.AppendUint32(nil, 100<<20))
	nc.Write([]byte{4, 20}) // a trickle of the claimed packet
	begin := time.Now()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open %v after a 100 MB length claim", time.Since(begin))
	}
}

// TestPermitUserEnvironment: environment= entries of the Permissions
// reach the session only where PermitUserEnvironment allows them; by
// default none does, as sshd's PermitUserEnvironment no.
func TestPermitUserEnvironment(t *testing.T) {
	auth := alice.Policy()
	pk := auth.PublicKeyCallback
	auth.PublicKeyCallback = func(ctx context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
		if _, err := pk(ctx, m, k); err != nil {
			return nil, err
		}
		return &userauth.Permissions{Environment: []string{"LD_PRELOAD=/tmp/evil.so", "FOO=bar"}}, nil
	}
	for name, tt := range map[string]struct {
		permit func(string) bool
		want   string
	}{
		"default": {nil, ""},
		"yes":     {func(string) bool { return true }, "LD_PRELOAD=/tmp/evil.so\nFOO=bar"},
		"FOO":     {func(n string) bool { return n == "FOO" }, "FOO=bar"},
	} {
		t.Run(name, func(t *testing.T) {
			addr := alice.Start(t, &server.Server{Handler: echoHandler, Auth: auth, PermitUserEnvironment: tt.permit})
			c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			out, err := sess.Output("env")
			if err != nil || string(out) != tt.want {
				t.Fatalf("env: %q, %v; want %q", out, err, tt.want)
			}
		})
	}
}

// TestPenaltiesConfigurable: a burst of 50 half-open pre-auth connections
// from 127.0.0.1 locks that source out under the default penalties, but
// not with penalties off (PerSourcePenalties no) nor when 127.0.0.1 is on
// the exempt list (PerSourcePenaltyExemptList); then a normal login
// succeeds. Every connection of the burst is waited for through the log,
// so nothing depends on timing.
func TestPenaltiesConfigurable(t *testing.T) {
	exempt := server.DefaultPenalties
	exempt.Exempt = func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) }
	for name, tt := range map[string]struct {
		pen        *server.Penalties
		penalized  bool
		wantLogins bool
	}{
		"default": {nil, true, false},
		"no":      {&server.Penalties{Disabled: true}, false, true},
		"exempt":  {&exempt, false, true},
	} {
		t.Run(name, func(t *testing.T) {
			var logs syncBuf
			srv := &server.Server{Handler: echoHandler, Penalties: tt.pen, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			addr := alice.Start(t, srv)
			const burst = 50
			for range burst {
				rawConn(t, addr, "127.0.0.1").Close()
			}
			for i := 0; ; i++ {
				s := logs.String()
				if strings.Count(s, "Connection closed by 127.0.0.1")+strings.Count(s, "drop connection #") >= burst {
					break
				}
				if i == 1000 {
					t.Fatalf("the burst was not handled:\n%s", s)
				}
				time.Sleep(10 * time.Millisecond)
			}
			lo := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
			if got := srv.Penalized(lo); got != tt.penalized {
				t.Fatalf("Penalized = %v, want %v", got, tt.penalized)
			}
			c, err := servertest.DialAs(addr, "alice", ssh.Password("secret"))
			if (err == nil) != tt.wantLogins {
				t.Fatalf("login after the burst: %v, want success %v", err, tt.wantLogins)
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

// TestBreak: "break" (RFC 4335) reaches a session that asked for it with
// its length, and the handler's answer is the reply; a session that did
// not is refused, as sshd refuses a break without a terminal. A break
// that comes, on a session with a pty, before the handler asked for
// breaks is answered with success and handed over when it asks.
// Requirement: 4335-3-reply, 4335-3-success, 4335-3-failure
func TestBreak(t *testing.T) {
	got := make(chan uint32, 1)
	addr := alice.Start(t, &server.Server{Handler: func(ctx context.Context, s *server.Session) {
		if s.Command() == "with-break" {
			s.NotifyBreak(func(ms uint32) bool { got <- ms; return true })
		}
		io.WriteString(s, "ready\n")
		io.Copy(io.Discard, s)
		s.Exit(0)
	}})
	c := alice.Dial(t, addr, ssh.Password("secret"))
	for _, tt := range []struct {
		cmd  string
		want bool
	}{{"with-break", true}, {"without", false}} {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out, _ := sess.StdoutPipe()
		in, _ := sess.StdinPipe()
		if err := sess.Start(tt.cmd); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(out, make([]byte, 6)); err != nil { // "ready\n": NotifyBreak is set
			t.Fatal(err)
		}
		ok, err := sess.SendRequest("break", true, (&wire.BreakRequest{Length: 300}).Append(nil))
		if err != nil || ok != tt.want {
			t.Errorf("%s: break reply %v %v, want %v", tt.cmd, ok, err, tt.want)
		}
		if tt.want {
			if ms := <-got; ms != 300 {
				t.Errorf("break of %d ms delivered, want 300", ms)
			}
		}
		in.Close()
		sess.Wait()
	}
}

func TestBreakBeforeNotify(t *testing.T) {
	got := make(chan uint32, 1)
	release := make(chan struct{})
	addr := alice.Start(t, &server.Server{Handler: func(ctx context.Context, s *server.Session) {
		<-release
		s.NotifyBreak(func(ms uint32) bool { got <- ms; return true })
		s.Exit(0)
	}})
	c := alice.Dial(t, addr, ssh.Password("secret"))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("x"); err != nil {
		t.Fatal(err)
	}
	ok, err := sess.SendRequest("break", true, (&wire.BreakRequest{Length: 700}).Append(nil))
	if err != nil || !ok {
		t.Fatalf("break before NotifyBreak: %v %v, want success", ok, err)
	}
	close(release)
	if ms := <-got; ms != 700 {
		t.Errorf("held break of %d ms, want 700", ms)
	}
	sess.Wait()
}

// TestOnConnCount: OnConnCount follows the open connections, 1 and 2 as
// two clients connect, then 1 and 0 as they leave, in order.
func TestOnConnCount(t *testing.T) {
	counts := make(chan int, 16)
	addr := alice.Start(t, &server.Server{Handler: echoHandler, OnConnCount: func(n int) { counts <- n }})
	next := func(want int) {
		t.Helper()
		select {
		case got := <-counts:
			if got != want {
				t.Fatalf("OnConnCount(%d), want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no OnConnCount(%d)", want)
		}
	}
	c1 := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	next(1)
	c2 := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	next(2)
	c1.Close()
	next(1)
	c2.Close()
	next(0)
}
