package gssauth_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	testSessionID = []byte("session-id-0123456789abcdef")
	testRemote    = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 50000}
	testHostKey   = []byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20host-key-bytes-0123456789abcdef")
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
type rawClient struct {
	t    testing.TB
	tr   *wiretest.Transport
	done chan struct{}
	res  *userauth.Result
	err  error
}

// startServer runs Serve on one end of a pipe and returns a rawClient on
// the other; the test must call finish.
func startServer(t testing.TB, cfg *userauth.ServerConfig) *rawClient {
	t.Helper()
	a, b := wiretest.Pipe()
	a.SetSessionID(testSessionID)
	b.SetSessionID(testSessionID)
	rc := &rawClient{t: t, tr: a, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	go func() {
		defer close(rc.done)
		defer cancel()
		rc.res, rc.err = userauth.Serve(ctx, b, cfg, userauth.ConnInfo{RemoteAddr: testRemote, HostKey: testHostKey})
		b.Close() // lets a test blocked in recv see the end

	}()
	return rc
}

func (rc *rawClient) send(m wire.Message) {
	rc.t.Helper()
	if err := rc.tr.WritePacket(m.Append(nil)); err != nil {
		rc.t.Fatalf("send %v: %v", m.Num(), err)
	}
}

func (rc *rawClient) sendRaw(p []byte) {
	rc.t.Helper()
	if err := rc.tr.WritePacket(p); err != nil {
		rc.t.Fatalf("send raw: %v", err)
	}
}

// recv returns the next payload from the server, or nil once it closed.
func (rc *rawClient) recv() []byte {
	rc.t.Helper()
	p, err := rc.tr.ReadPacket()
	if err != nil {
		return nil
	}
	return p
}

// serviceOK performs the service request.
func (rc *rawClient) serviceOK() {
	rc.t.Helper()
	rc.send(&wire.ServiceRequest{Service: wire.ServiceUserauth})
	p := rc.recv()
	if _, err := wire.ParseServiceAccept(p); err != nil {
		rc.t.Fatalf("SERVICE_ACCEPT: %v (%x)", err, p)
	}
}

// finish closes the client end and waits for Serve.
func (rc *rawClient) finish() (*userauth.Result, error) {
	rc.tr.Close()
	<-rc.done
	return rc.res, rc.err
}

// wait waits for Serve to return without closing the client end first.
func (rc *rawClient) wait() (*userauth.Result, error) {
	select {
	case <-rc.done:
	case <-time.After(10 * time.Second):
		rc.t.Fatal("Serve did not return")
	}
	rc.tr.Close()
	return rc.res, rc.err
}

// expectDisconnect reads until a DISCONNECT and returns its reason.
func (rc *rawClient) expectDisconnect() wire.DisconnectReason {
	rc.t.Helper()
	for {
		p := rc.recv()
		if p == nil {
			rc.t.Fatal("connection closed without DISCONNECT")
		}
		if wire.MsgNum(p[0]) == wire.MsgDisconnect {
			d, err := wire.ParseDisconnect(p)
			if err != nil {
				rc.t.Fatal(err)
			}
			return d.Reason
		}
	}
}

// methodFunc is a client Method written inline by a test.
type methodFunc struct {
	name string
	fn   func(ctx context.Context, c *userauth.ClientConn) error
}

func (m methodFunc) Name() string { return m.name }
func (m methodFunc) Authenticate(ctx context.Context, c *userauth.ClientConn) error {
	return m.fn(ctx, c)
}
