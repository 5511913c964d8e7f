package userauth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/userauthtest"
	"github.com/sshstack/sshstack/wire"
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

// A runOption sees every payload the client sends.
type runOption func(p []byte)

// sniffer passes the client's payloads to a runOption on their way in.
type sniffer struct {
	wire.Transport
	see runOption
}

func (s sniffer) ReadPacket() ([]byte, error) {
	p, err := s.Transport.ReadPacket()
	if err == nil {
		s.see(p)
	}
	return p, err
}

// run authenticates a client with ccfg against a server with scfg over
// an in-memory pipe and returns what each side returned.
func run(t testing.TB, ccfg *userauth.ClientConfig, scfg *userauth.ServerConfig, opts ...runOption) outcome {
	t.Helper()
	a, bp := wiretest.Pipe()
	a.SetSessionID(testSessionID)
	bp.SetSessionID(testSessionID)
	var b wire.Transport = bp
	for _, o := range opts {
		b = sniffer{b, o}
	}
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

// passwordCallback accepts the password want for user "alice" and counts
// its calls.
func passwordCallback(want string, calls *int) func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) {
	return func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
		*calls++
		if m.User == "alice" && pw == want {
			return nil, nil
		}
		return nil, errors.New("wrong password")
	}
}

// countingPassword is a Password source whose getter counts its calls.
func countingPassword(pw string, calls *int) *userauth.Password {
	return &userauth.Password{Get: func(context.Context) (string, error) {
		*calls++
		return pw, nil
	}}
}

// rawClient drives the server by hand, for hostile-client tests.
type rawClient = userauthtest.RawClient

var startServer = userauthtest.StartServer

func passwordReq(user, pw string) *wire.UserauthRequest {
	return &wire.UserauthRequest{User: user, Service: wire.ServiceConnection, Method: wire.MethodPassword, Password: pw}
}

func wirePipe() (*wiretest.Transport, *wiretest.Transport) {
	a, b := wiretest.Pipe()
	a.SetSessionID(testSessionID)
	b.SetSessionID(testSessionID)
	return a, b
}
