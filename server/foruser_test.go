package server_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
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
