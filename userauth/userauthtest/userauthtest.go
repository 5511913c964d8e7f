// Package userauthtest holds test doubles for code built on package
// userauth: a raw client that drives userauth.Serve by hand over an
// in-memory transport, for hostile-client tests of the server and of
// methods plugged into it (userauth/gssauth, say).
package userauthtest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// The session and connection the server sees in StartServer.
var (
	SessionID  = []byte("session-id-0123456789abcdef")
	RemoteAddr = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 50000}
	HostKey    = []byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20host-key-bytes-0123456789abcdef")
)

// A RawClient drives a server by hand. Its methods fail the test on a
// transport error.
type RawClient struct {
	T    testing.TB
	Tr   *wiretest.Transport // the client's end
	done chan struct{}
	res  *userauth.Result
	err  error
}

// StartServer runs userauth.Serve with cfg on one end of a pipe (session
// id SessionID, peer RemoteAddr, host key HostKey) and returns a
// RawClient on the other; the test must call Finish or Wait.
func StartServer(t testing.TB, cfg *userauth.ServerConfig) *RawClient {
	t.Helper()
	a, b := wiretest.Pipe()
	a.SetSessionID(SessionID)
	b.SetSessionID(SessionID)
	rc := &RawClient{T: t, Tr: a, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	go func() {
		defer close(rc.done)
		defer cancel()
		rc.res, rc.err = userauth.Serve(ctx, b, cfg, userauth.ConnInfo{RemoteAddr: RemoteAddr, HostKey: HostKey})
		b.Close() // lets a test blocked in Recv see the end
	}()
	return rc
}

// Send writes m.
func (rc *RawClient) Send(m wire.Message) {
	rc.T.Helper()
	if err := rc.Tr.WritePacket(m.Append(nil)); err != nil {
		rc.T.Fatalf("send %v: %v", m.Num(), err)
	}
}

// SendRaw writes the payload p as it is.
func (rc *RawClient) SendRaw(p []byte) {
	rc.T.Helper()
	if err := rc.Tr.WritePacket(p); err != nil {
		rc.T.Fatalf("send raw: %v", err)
	}
}

// Recv returns the next payload from the server, or nil once it closed.
func (rc *RawClient) Recv() []byte {
	rc.T.Helper()
	p, err := rc.Tr.ReadPacket()
	if err != nil {
		return nil
	}
	return p
}

// ServiceOK performs the ssh-userauth service request.
func (rc *RawClient) ServiceOK() {
	rc.T.Helper()
	rc.Send(&wire.ServiceRequest{Service: wire.ServiceUserauth})
	p := rc.Recv()
	if _, err := wire.ParseServiceAccept(p); err != nil {
		rc.T.Fatalf("SERVICE_ACCEPT: %v (%x)", err, p)
	}
}

// Finish closes the client end and waits for Serve.
func (rc *RawClient) Finish() (*userauth.Result, error) {
	rc.Tr.Close()
	<-rc.done
	return rc.res, rc.err
}

// Wait waits for Serve to return without closing the client end first,
// failing the test after 10 seconds.
func (rc *RawClient) Wait() (*userauth.Result, error) {
	select {
	case <-rc.done:
	case <-time.After(10 * time.Second):
		rc.T.Fatal("Serve did not return")
	}
	rc.Tr.Close()
	return rc.res, rc.err
}

// ExpectDisconnect reads until a DISCONNECT and returns its reason.
func (rc *RawClient) ExpectDisconnect() wire.DisconnectReason {
	rc.T.Helper()
	for {
		p := rc.Recv()
		if p == nil {
			rc.T.Fatal("connection closed without DISCONNECT")
		}
		if wire.MsgNum(p[0]) == wire.MsgDisconnect {
			d, err := wire.ParseDisconnect(p)
			if err != nil {
				rc.T.Fatal(err)
			}
			return d.Reason
		}
	}
}
