package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// gssVerifier accepts hostKey's signatures only.
type gssVerifier struct{}

func (gssVerifier) VerifyHostKey(alg string, blob, data, sig []byte) error {
	if !bytes.Equal(blob, hostKey.PublicKey().Marshal()) {
		return errors.New("unexpected host key")
	}
	s, err := hostkey.ParseSignature(sig)
	if err != nil {
		return err
	}
	return (*hostkey.Policy)(nil).Verify(hostKey.PublicKey(), alg, data, s)
}

// gssSessionSeen is what the session handler saw: its KRB5CCNAME and the
// exit status of klist -s run with the session's environment.
type gssSessionSeen struct {
	ccname string
	klist  int
	mode   os.FileMode
	uid    int
}

// gssServer returns a Server with GSS-API authentication for alice
// (host/localhost, strict acceptor check) whose handler reports through
// seen.
func gssServer(t *testing.T, f *krb5test.Fixture, seen chan<- gssSessionSeen) *server.Server {
	return gssServerConf(t, f.KDC.ConfigPath, seen)
}

// gssServerConf is gssServer with the krb5.conf path for the sessions.
func gssServerConf(t *testing.T, krb5Conf string, seen chan<- gssSessionSeen) *server.Server {
	home := t.TempDir() // no ~/.k5login: alice@REALM is alice
	return &server.Server{
		Auth: &userauth.ServerConfig{FailureDelay: -1},
		GSSAPI: &gssauth.Server{StrictAcceptorCheck: true, Hostname: "localhost",
			HomeDir: func(string) (string, error) { return home, nil }},
		GSSCCacheDir: t.TempDir(),
		Handler: func(ctx context.Context, s *server.Session) {
			var got gssSessionSeen
			env := []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "KRB5_CONFIG=" + krb5Conf}
			for _, kv := range s.Environ() {
				if v, ok := strings.CutPrefix(kv, "KRB5CCNAME="); ok {
					got.ccname = v
				}
			}
			env = append(env, s.Environ()...)
			if got.ccname == "" {
				env = append(env, "KRB5CCNAME=FILE:/nonexistent")
			} else if fi, err := os.Stat(strings.TrimPrefix(got.ccname, "FILE:")); err == nil {
				got.mode = fi.Mode().Perm()
				got.uid = int(fi.Sys().(*syscall.Stat_t).Uid)
			}
			cmd := exec.CommandContext(ctx, "klist", "-s")
			cmd.Env = env
			err := cmd.Run()
			got.klist = cmd.ProcessState.ExitCode()
			if err != nil && got.klist == 0 {
				got.klist = -1
			}
			seen <- got
			s.Exit(0)
		},
	}
}

// gssLogin connects to addr as alice with GSS-API: gssapi-keyex after
// family when family is set, else gssapi-with-mic; it runs one session
// and returns the method that succeeded. after, if set, runs once the
// session has ended, before the connection closes.
func gssLogin(t *testing.T, addr, family string, delegate bool, after func(context.Context, *connection.Conn)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	holder := &gsskex.ContextHolder{}
	kcfg := &kex.Config{HostKeyAlgorithms: []string{hostkey.ED25519, kex.NullHostKey}, HostKeyVerifier: gssVerifier{}, ServerName: "localhost"}
	if family != "" {
		ms, err := gsskex.Methods(&gsskex.Config{Established: holder.Keep, Delegate: delegate}, family)
		if err != nil {
			t.Fatal(err)
		}
		kcfg.Methods = ms
	}
	k, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), kcfg)
	if err != nil {
		nc.Close()
		t.Fatalf("handshake: %v", err)
	}
	defer k.Close()
	if family != "" && k.Algorithms().Kex != family+gsskex.KerberosSuffix {
		t.Fatalf("kex %q, want %s", k.Algorithms().Kex, family)
	}
	res, err := userauth.Authenticate(ctx, k, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		&gssauth.Keyex{Context: holder.Context},
		&gssauth.WithMIC{Host: "localhost", Delegate: delegate},
	}})
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	last := res.Results[len(res.Results)-1]
	conn := connection.New(k, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()
	ch, err := conn.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Exec(ctx, "klist"); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, ch)
	ch.Wait(ctx)
	if after != nil {
		after(ctx, conn)
	}
	return last.Source.Name()
}

// TestGSSAPI: gssapi-with-mic and gssapi-keyex (after each default
// family) against the Server with a real KDC; a delegated TGT is in a
// mode 0600 ccache named by KRB5CCNAME in the session, which klist -s
// finds, and the ccache is gone after disconnect (docs/security.md#g7); with
// GSSKeepCredentials it stays; GSSCCacheOwner chowns it.
func TestGSSAPI(t *testing.T) {
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	type tc struct {
		name     string
		family   string
		delegate bool
		keep     bool
		owner    int  // -1: no GSSCCacheOwner
		noHK     bool // no host key: "null" (RFC 4462, Section 5)
	}
	cases := []tc{
		{"with-mic", "", false, false, -1, false},
		{"with-mic delegation", "", true, false, -1, false},
		{"with-mic delegation keep", "", true, true, -1, false},
		{"with-mic delegation owner", "", true, false, 65534, false},
	}
	for _, fam := range gsskex.DefaultFamilies() {
		cases = append(cases, tc{"keyex " + fam, fam, fam == gsskex.Curve25519SHA256, false, -1, false})
	}
	cases = append(cases, tc{"keyex null host key", gsskex.Curve25519SHA256, false, false, -1, true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.owner >= 0 && os.Getuid() != 0 {
				t.Skip("chown needs root")
			}
			seen := make(chan gssSessionSeen, 1)
			srv := gssServer(t, f, seen)
			srv.GSSKeepCredentials = c.keep
			if c.family != "" {
				srv.GSSKeyExchange = true
				srv.GSSKexFamilies = gsskex.DefaultFamilies()
			}
			if c.noHK {
				srv.HostKeys = []hostkey.Signer{}
			}
			if c.owner >= 0 {
				srv.GSSCCacheOwner = func(user string) (int, int, bool) { return c.owner, c.owner, user == "alice" }
			}
			var logs syncBuf
			srv.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			addr := alice.Start(t, srv)
			want := wire.MethodGSSAPIWithMIC
			if c.family != "" {
				want = wire.MethodGSSAPIKeyex
			}
			if got := gssLogin(t, addr, c.family, c.delegate, nil); got != want {
				t.Fatalf("logged in with %s, want %s", got, want)
			}
			got := <-seen
			waitLog(t, &logs, "Accepted "+want+" for alice from 127.0.0.1")
			// The connection ends once Shutdown has returned.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			if (got.ccname != "") != c.delegate || (got.klist == 0) != c.delegate {
				t.Fatalf("delegate %v: KRB5CCNAME %q, klist -s status %d", c.delegate, got.ccname, got.klist)
			}
			if !c.delegate {
				return
			}
			path := strings.TrimPrefix(got.ccname, "FILE:")
			if got.mode != 0o600 {
				t.Errorf("ccache mode %v, want 0600", got.mode)
			}
			if wantUID := os.Getuid(); c.owner >= 0 && got.uid != c.owner || c.owner < 0 && got.uid != wantUID {
				t.Errorf("ccache owner %d", got.uid)
			}
			_, err := os.Stat(path)
			if gone := errors.Is(err, os.ErrNotExist); gone == c.keep {
				t.Errorf("GSSKeepCredentials %v: ccache removed %v after disconnect", c.keep, gone)
			}
		})
	}
}

// TestGSSCleanupOnPanic: a panic in a hook that runs on the connection
// goroutine (PermitOpen) unwinds it past the deferred cleanup, so the
// delegated ccache is removed even though the process then dies; the
// server runs in a child process (TestGSSCleanupOnPanicChild).
func TestGSSCleanupOnPanic(t *testing.T) {
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGSSCleanupOnPanicChild$", "-test.count=1")
	// The child dies of the panic before its own t.TempDir cleanup can
	// run, so its temporary files go under one of ours.
	cmd.Env = append(os.Environ(), "SSHSTACK_GSS_PANIC_DIR="+dir, "KRB5_CONFIG="+f.KDC.ConfigPath, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("panic: gss test: hook panics")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`CCACHE=FILE:(\S+)`).FindSubmatch(out)
	if m == nil || filepath.Dir(string(m[1])) != dir {
		t.Fatalf("no delegated ccache in %s reported:\n%s", dir, out)
	}
	if _, err := os.Stat(string(m[1])); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ccache %s left behind after the panic: %v", m[1], err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("files left in the ccache directory: %v", left)
	}
}

// TestGSSCleanupOnPanicChild is TestGSSCleanupOnPanic's child process.
func TestGSSCleanupOnPanicChild(t *testing.T) {
	dir := os.Getenv("SSHSTACK_GSS_PANIC_DIR")
	if dir == "" {
		t.Skip("helper process of TestGSSCleanupOnPanic")
	}
	seen := make(chan gssSessionSeen, 1)
	srv := gssServerConf(t, os.Getenv("KRB5_CONFIG"), seen)
	srv.GSSCCacheDir = dir
	srv.PermitOpen = func(*server.Conn, string, uint32) bool { panic("gss test: hook panics") }
	addr := alice.Start(t, srv)
	gssLogin(t, addr, "", true, func(ctx context.Context, conn *connection.Conn) {
		got := <-seen
		fmt.Printf("CCACHE=%s\n", got.ccname)
		conn.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: "127.0.0.1", Port: 1, OriginatorAddress: "127.0.0.1", OriginatorPort: 1})
		time.Sleep(5 * time.Second) // the server's panic ends the process
	})
	t.Fatal("the PermitOpen hook did not panic")
}

// TestGSSNoAuthentication: with GSSNoAuthentication the GSS key
// exchange completes but neither GSS-API method is offered.
func TestGSSNoAuthentication(t *testing.T) {
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	srv := gssServer(t, f, make(chan gssSessionSeen, 1))
	srv.GSSKeyExchange = true
	srv.GSSNoAuthentication = true
	addr := alice.Start(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	holder := &gsskex.ContextHolder{}
	ms, err := gsskex.Methods(&gsskex.Config{Established: holder.Keep}, gsskex.Curve25519SHA256)
	if err != nil {
		t.Fatal(err)
	}
	k, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{Methods: ms,
		HostKeyAlgorithms: []string{hostkey.ED25519, kex.NullHostKey}, HostKeyVerifier: gssVerifier{}, ServerName: "localhost"})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	defer k.Close()
	_, err = userauth.Authenticate(ctx, k, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		&gssauth.Keyex{Context: holder.Context},
		&gssauth.WithMIC{Host: "localhost"},
	}})
	if err == nil {
		t.Fatal("logged in with GSS-API methods turned off")
	}
}

// TestGSSAPIFailures: without a keytab entry for host/localhost, or for
// another host name under the strict acceptor check, no GSS-API method
// logs in, and a password factor stores no delegated credential.
func TestGSSAPIFailures(t *testing.T) {
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	f.KDC.AddService(t, "host/otherhost")
	other := f.KDC.Keytab(t, "host/otherhost")
	for _, c := range []struct {
		name, keytab, hostname string
	}{
		{"no keytab entry", other, "localhost"},
		{"strict acceptor for another host", f.Keytab, "otherhost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("KRB5_KTNAME", "FILE:"+c.keytab)
			seen := make(chan gssSessionSeen, 1)
			srv := gssServer(t, f, seen)
			srv.GSSAPI.Hostname = c.hostname
			srv.Auth = alice.Policy()
			var logs syncBuf
			srv.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			addr := alice.Start(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			k, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{HostKeyVerifier: gssVerifier{}})
			if err != nil {
				nc.Close()
				t.Fatal(err)
			}
			defer k.Close()
			res, err := userauth.Authenticate(ctx, k, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
				&gssauth.WithMIC{Host: "localhost", Delegate: true},
				userauth.StaticPassword("secret"),
			}})
			if err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			if last := res.Results[len(res.Results)-1]; last.Source.Name() != wire.MethodPassword {
				t.Fatalf("result:\n%s", res)
			}
			for _, r := range res.Results {
				if r.Source.Name() == wire.MethodGSSAPIWithMIC && r.Outcome == userauth.Success {
					t.Fatalf("gssapi-with-mic succeeded:\n%s", res)
				}
			}
			conn := connection.New(k, nil)
			var wg sync.WaitGroup
			wg.Go(func() { conn.Run(ctx) })
			defer wg.Wait()
			defer conn.Close()
			ch, err := conn.OpenSession(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Exec(ctx, "klist"); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, ch)
			if got := <-seen; got.ccname != "" {
				t.Errorf("password login got KRB5CCNAME %q", got.ccname)
			}
			// The failure is logged and counted as sshd does (docs/security.md#g4).
			waitLog(t, &logs, "Failed gssapi-with-mic for alice from 127.0.0.1", "Accepted password for alice")
		})
	}
}
