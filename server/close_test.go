package server_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

// failingListener fails its Close, after closing the listener it wraps.
type failingListener struct {
	net.Listener
}

var errListenerClose = errors.New("listener close failed")

func (l failingListener) Close() error {
	l.Listener.Close()
	return errListenerClose
}

// TestCloseReportsListenerFailure: Close returns what failed while
// closing the listeners, and Serve still ends with ErrServerClosed.
func TestCloseReportsListenerFailure(t *testing.T) {
	l := servertest.Listen(t)
	srv := &server.Server{HostKeys: nil, Handler: echoHandler}
	alice.Start(t, srv) // sets the host key and the policy; serves another listener too
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), failingListener{l}) }()
	// Serve has registered the listener once a connection gets through.
	c := alice.Dial(t, l.Addr().String(), ssh.PublicKeys(alice.XSigner(t)))
	c.Close()
	if err := srv.Close(); !errors.Is(err, errListenerClose) {
		t.Errorf("Close: %v, want the listener's failure", err)
	}
	if err := <-done; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve: %v, want ErrServerClosed", err)
	}
}

// TestConnGoAfterEnd: a function Conn.Go runs is waited for: Close
// returns only after it has ended, and Go refuses once the connection
// has ended.
func TestConnGoAfterEnd(t *testing.T) {
	conns := make(chan *server.Conn, 1)
	var finished, accepted atomic.Bool
	srv := &server.Server{Handler: func(ctx context.Context, s *server.Session) {
		c := s.Conn()
		accepted.Store(c.Go(func() {
			<-c.Context().Done()
			time.Sleep(50 * time.Millisecond) // Close must wait for this
			finished.Store(true)
		}))
		conns <- c
		s.Exit(0)
	}}
	addr := alice.Start(t, srv)
	cl := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Run("x"); err != nil {
		t.Fatal(err)
	}
	c := <-conns
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if !accepted.Load() || !finished.Load() {
		t.Errorf("Go accepted %v; the goroutine finished before Close returned: %v", accepted.Load(), finished.Load())
	}
	if c.Go(func() { t.Error("ran after the connection ended") }) {
		t.Error("Go accepted after the connection ended")
	}
}
