package servertest

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
)

// Alice is the identity server tests log in with: a host key for the
// server and a user key that Policy accepts for the user "alice", as
// does the password "secret".
type Alice struct {
	HostKey, UserKey *hostkey.CryptoSigner
}

// NewAlice makes fresh Ed25519 host and user keys. It panics if the
// keys cannot be made, so that test packages can call it in a var
// declaration.
func NewAlice() *Alice {
	return &Alice{HostKey: mustKey(), UserKey: mustKey()}
}

func mustKey() *hostkey.CryptoSigner {
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		panic(err)
	}
	return k
}

// Policy accepts UserKey and the password "secret" for alice, without
// a failure delay; other users are server.ErrInvalidUser.
func (a *Alice) Policy() *userauth.ServerConfig {
	return &userauth.ServerConfig{
		FailureDelay: -1,
		PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
			if m.User != "alice" {
				return nil, server.ErrInvalidUser
			}
			if !hostkey.Equal(k, a.UserKey.PublicKey()) {
				return nil, errors.New("unknown key")
			}
			return nil, nil
		},
		PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if m.User != "alice" {
				return nil, server.ErrInvalidUser
			}
			if pw != "secret" {
				return nil, errors.New("wrong password")
			}
			return nil, nil
		},
	}
}

// Start serves srv, with HostKey and Policy unless it has host keys or
// an auth policy of its own, until the test ends (see Start).
func (a *Alice) Start(tb testing.TB, srv *server.Server) string {
	tb.Helper()
	if srv.HostKeys == nil {
		srv.HostKeys = []hostkey.Signer{a.HostKey}
	}
	if srv.Auth == nil {
		srv.Auth = a.Policy()
	}
	return Start(tb, srv)
}

// XSigner is UserKey as an x/crypto/ssh signer.
func (a *Alice) XSigner(tb testing.TB) ssh.Signer {
	s, err := ssh.NewSignerFromSigner(a.UserKey.Crypto())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Dial connects an x/crypto/ssh client to addr as alice with auth and
// closes it when the test ends.
func (a *Alice) Dial(tb testing.TB, addr string, auth ...ssh.AuthMethod) *ssh.Client {
	tb.Helper()
	c, err := DialAs(addr, "alice", auth...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// DialAs connects an x/crypto/ssh client to addr as user with auth,
// trusting any host key, within 10 s.
func DialAs(addr, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}
