package gssauth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/userauthtest"
	"github.com/sshstack/sshstack/wire/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	testSessionID = userauthtest.SessionID
	testRemote    = userauthtest.RemoteAddr
	testHostKey   = userauthtest.HostKey
)

// outcome is what both sides of one run returned.
type outcome struct {
	cres *userauth.AuthResult
	cerr error
	sres *userauth.Result
	serr error
}

// run authenticates a client with ccfg against a server with scfg over
// an in-memory pipe and returns what each side returned.
func run(t testing.TB, ccfg *userauth.ClientConfig, scfg *userauth.ServerConfig) outcome {
	t.Helper()
	a, b := wiretest.Pipe()
	a.SetSessionID(testSessionID)
	b.SetSessionID(testSessionID)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var o outcome
	var wg sync.WaitGroup
	wg.Go(func() {
		o.sres, o.serr = userauth.Serve(ctx, b, scfg, userauth.ConnInfo{RemoteAddr: testRemote, HostKey: testHostKey})
		if o.serr != nil {
			b.Close()
		}
	})
	o.cres, o.cerr = userauth.Authenticate(ctx, a, ccfg)
	if o.cerr != nil {
		a.Close()
	}
	wg.Wait()
	a.Close()
	return o
}

// fastServer returns a ServerConfig with no failure delay, for tests that
// do not look at timing.
func fastServer() *userauth.ServerConfig {
	return &userauth.ServerConfig{FailureDelay: -1}
}

// rawClient drives the server by hand, for hostile-client tests.
type rawClient = userauthtest.RawClient

var startServer = userauthtest.StartServer

// methodFunc is a client Method written inline by a test.
type methodFunc struct {
	name string
	fn   func(ctx context.Context, c *userauth.ClientConn) error
}

func (m methodFunc) Name() string { return m.name }
func (m methodFunc) Authenticate(ctx context.Context, c *userauth.ClientConn) error {
	return m.fn(ctx, c)
}
