package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
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
