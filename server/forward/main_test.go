package forward_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	hostKey = mustKey(hostkey.ED25519)
	userKey = mustKey(hostkey.ED25519)
)

func mustKey(typ string) *hostkey.CryptoSigner {
	k, err := hostkey.GenerateKey(rand.Reader, typ, 0)
	if err != nil {
		panic(err)
	}
	return k
}

// authPolicy lets userKey in as alice; other users are invalid.
func authPolicy() *userauth.ServerConfig {
	return &userauth.ServerConfig{
		FailureDelay: -1,
		PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
			if m.User != "alice" {
				return nil, server.ErrInvalidUser
			}
			if !hostkey.Equal(k, userKey.PublicKey()) {
				return nil, errors.New("unknown key")
			}
			return nil, nil
		},
	}
}

// start serves srv, with hostKey and authPolicy unless it has its own,
// until the test ends (servertest.Start).
func start(t *testing.T, srv *server.Server) string {
	t.Helper()
	if srv.HostKeys == nil {
		srv.HostKeys = []hostkey.Signer{hostKey}
	}
	if srv.Auth == nil {
		srv.Auth = authPolicy()
	}
	return servertest.Start(t, srv)
}

func xSigner(t testing.TB) ssh.Signer {
	s, err := ssh.NewSignerFromSigner(userKey.Crypto())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dial connects an x/crypto/ssh client as alice and closes it when the
// test ends.
func dial(t testing.TB, addr string, auth ...ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := dialErr(addr, "alice", auth...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dialErr(addr, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// echoHandler answers every command with exit status 0.
func echoHandler(ctx context.Context, s *server.Session) {
	io.Copy(s, s)
	s.Exit(0)
}
