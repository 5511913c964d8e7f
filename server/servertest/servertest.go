// Package servertest runs a server.Server for the tests of other
// packages and modules: Start serves it on a loopback TCP listener,
// Serve on a listener of the test's own (a net.Pipe listener, say), and
// both stop it when the test ends. It replaces the copies of "listen,
// go Serve, shut down in Cleanup" that tests of server, client and
// conformance had.
package servertest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/sshstack/sshstack/server"
)

// ShutdownGrace is how long the cleanup of Start and Serve lets live
// connections finish (server.Server.Shutdown) before they are closed.
const ShutdownGrace = 5 * time.Second

// Start serves srv on a new listener on 127.0.0.1 with a free port and
// returns its address, "127.0.0.1:port". srv is used as it is: set its
// HostKeys and Auth. See Serve for what happens when the test ends.
func Start(tb testing.TB, srv *server.Server) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("servertest: %v", err)
	}
	Serve(tb, srv, l)
	return l.Addr().String()
}

// Serve runs srv.Serve on l in a goroutine. When the test ends it shuts
// srv down (ShutdownGrace for live connections, which are closed after
// it), waits for Serve to return, and fails the test if Serve returned
// anything but server.ErrServerClosed.
func Serve(tb testing.TB, srv *server.Server, l net.Listener) {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			tb.Errorf("servertest: Serve returned %v, want ErrServerClosed", err)
		}
	})
}
