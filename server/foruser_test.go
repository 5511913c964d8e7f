package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// TestAuthForUser: the policy Auth.ForUser returns for a user decides
// that user's login, and its callbacks are logged as sshd logs them,
// like Auth's own.
func TestAuthForUser(t *testing.T) {
	var logs syncBuf
	pol := alice.Policy()
	pol.ForUser = func(_ context.Context, m userauth.ConnMeta) (*userauth.ServerConfig, error) {
		if m.User != "bob" {
			return nil, nil
		}
		return &userauth.ServerConfig{PasswordCallback: func(_ context.Context, _ userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if pw == "bobs" {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}}, nil
	}
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Auth: pol, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := servertest.DialAs(addr, "bob", ssh.Password("secret")); err == nil {
		t.Fatal("bob logged in with alice's password")
	}
	c, err := servertest.DialAs(addr, "bob", ssh.Password("bobs"))
	if err != nil {
		t.Fatalf("bob's own password: %v", err)
	}
	c.Close()
	alice.Dial(t, addr, ssh.Password("secret")).Close()
	waitLog(t, &logs, "Failed password for bob from 127.0.0.1 port ", "Accepted password for bob from 127.0.0.1 port ",
		"Accepted password for alice from 127.0.0.1 port ")
}

// TestAuthForUserLogger: a Logger in the policy Auth.ForUser returns is
// the connection's from then on (sshd's LogLevel in Match): it gets the
// failures and the acceptance of that login, the end of the connection,
// and is Conn.Logger; the Server's logger keeps what came before the
// user was known, and the other users' connections.
func TestAuthForUserLogger(t *testing.T) {
	var global, bobs syncBuf
	bobLog := slog.New(slog.NewTextHandler(&bobs, nil))
	pol := alice.Policy()
	pol.ForUser = func(_ context.Context, m userauth.ConnMeta) (*userauth.ServerConfig, error) {
		if m.User != "bob" {
			return nil, nil
		}
		return &userauth.ServerConfig{Logger: bobLog, PasswordCallback: func(_ context.Context, _ userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if pw == "bobs" {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}}, nil
	}
	connLogger := make(chan *slog.Logger, 2)
	handler := func(ctx context.Context, s *server.Session) {
		connLogger <- s.Conn().Logger()
		echoHandler(ctx, s)
	}
	addr := alice.Start(t, &server.Server{Handler: handler, Auth: pol, Logger: slog.New(slog.NewTextHandler(&global, nil))})
	if _, err := servertest.DialAs(addr, "bob", ssh.Password("secret")); err == nil {
		t.Fatal("bob logged in with alice's password")
	}
	c, err := servertest.DialAs(addr, "bob", ssh.Password("bobs"))
	if err != nil {
		t.Fatalf("bob's own password: %v", err)
	}
	run := func(c *ssh.Client) {
		defer c.Close()
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Run("exit 0"); err != nil {
			t.Fatal(err)
		}
	}
	run(c)
	run(alice.Dial(t, addr, ssh.Password("secret")))
	waitLog(t, &bobs, "Failed password for bob from 127.0.0.1 port ", "Accepted password for bob from 127.0.0.1 port ",
		"Disconnected from user bob 127.0.0.1 port ")
	waitLog(t, &global, "Connection from 127.0.0.1 port ", "Accepted password for alice from 127.0.0.1 port ")
	if strings.Contains(global.String(), "for bob") || strings.Contains(bobs.String(), "alice") {
		t.Errorf("records in the wrong logger:\nServer's:\n%s\nbob's:\n%s", global.String(), bobs.String())
	}
	if strings.Contains(bobs.String(), "Connection from") {
		t.Error("bob's logger got a record from before the user was known")
	}
	if got := <-connLogger; got != bobLog {
		t.Error("bob's Conn.Logger is not his policy's Logger")
	}
	if got := <-connLogger; got == bobLog {
		t.Error("alice's Conn.Logger is bob's")
	}
}

// TestGSSForUser: the policy Auth.ForUser returns gets the connection's
// GSS-API methods, unless its Handlers map gssapi-with-mic to nil
// (GSSAPIAuthentication no in a Match section).
func TestGSSForUser(t *testing.T) {
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	srv := gssServer(t, f, make(chan gssSessionSeen, 1))
	var off atomic.Bool
	srv.Auth.ForUser = func(context.Context, userauth.ConnMeta) (*userauth.ServerConfig, error) {
		u := &userauth.ServerConfig{FailureDelay: -1}
		if off.Load() {
			u.Handlers = map[string]userauth.Handler{wire.MethodGSSAPIWithMIC: nil}
		}
		return u, nil
	}
	addr := alice.Start(t, srv)
	login := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		k, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{HostKeyAlgorithms: []string{hostkey.ED25519},
			HostKeyVerifier: gssVerifier{}, ServerName: "localhost"})
		if err != nil {
			nc.Close()
			t.Fatal(err)
		}
		defer k.Close()
		_, err = userauth.Authenticate(ctx, k, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}})
		return err
	}
	if err := login(); err != nil {
		t.Errorf("gssapi-with-mic under the user's policy: %v", err)
	}
	off.Store(true)
	if err := login(); err == nil {
		t.Error("gssapi-with-mic logged in with the user's policy turning it off")
	}
}
