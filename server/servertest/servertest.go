// Package servertest runs servers for the tests of other packages and
// modules, and stops them when the test ends.
//
// Start serves a server.Server on a loopback TCP listener, Serve on a
// listener of the test's own (from Listen when the test needs the port
// before it builds the Server, or a net.Pipe listener). Every tweak of
// the server is a field of the *server.Server the test passes in. They
// replace the copies of "listen, go Serve, shut down in Cleanup" that
// tests of server, client and conformance had.
//
// Accept runs a plain TCP (or Unix) service, such as Echo or Discard, as
// the far end of a forwarding; it replaces the copies of "listen, accept
// in a loop, io.Copy". StartProxy relays to a server and can go silent
// in either direction, for keepalive and stalled-peer tests. Package xsshtest does the same for x/crypto/ssh
// servers.
package servertest

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
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
	l := Listen(tb)
	Serve(tb, srv, l)
	return l.Addr().String()
}

// Listen returns a TCP listener on 127.0.0.1 with a free port, closed
// when the test ends.
func Listen(tb testing.TB) net.Listener {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("servertest: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// ListenDisplay returns a TCP listener on 127.0.0.1:6000+N for the first
// free X11 display number N from first up (below 1000), and N; the
// listener is closed when the test ends. With Accept it is a fake X
// server for X11 forwarding tests.
func ListenDisplay(tb testing.TB, first int) (net.Listener, int) {
	tb.Helper()
	for n := first; n < 1000; n++ {
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(6000+n))
		if err == nil {
			tb.Cleanup(func() { l.Close() })
			return l, n
		}
	}
	tb.Fatalf("servertest: no free X11 display from %d up", first)
	return nil, 0
}

// Port returns the TCP port l listens on.
func Port(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }

// Accept accepts connections on l until the test ends and runs serve
// for each in its own goroutine, closing the connection when serve
// returns. When the test ends it closes l and every live connection and
// waits for the goroutines. It returns l.
func Accept(tb testing.TB, l net.Listener, serve func(net.Conn)) net.Listener {
	tb.Helper()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  = map[net.Conn]struct{}{} // guarded by mu
		closed bool                      // guarded by mu
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				serve(c)
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			})
		}
	})
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l
}

// A Proxy relays every connection accepted on its loopback listener to
// a TCP connection to Target. Either direction can be cut at any time:
// the proxy goes on reading that side and drops the bytes, so no peer
// blocks and one hears nothing more from the other, as behind a dead
// link (a peer gone silent, not one that hung up).
type Proxy struct {
	Addr   string // "127.0.0.1:port", to dial instead of Target
	Port   int    // the port of Addr
	Target string

	DropToTarget   atomic.Bool // drop what clients send
	DropFromTarget atomic.Bool // drop what Target sends
}

// StartProxy starts a Proxy to target on a new loopback listener
// (Accept); when the test ends it closes both sides of every relayed
// connection.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p := &Proxy{Target: target}
	l := Accept(tb, Listen(tb), p.relay)
	p.Addr, p.Port = l.Addr().String(), Port(l)
	return p
}

func (p *Proxy) relay(c net.Conn) {
	tc, err := net.DialTimeout("tcp", p.Target, 10*time.Second)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { pump(tc, c, &p.DropToTarget) })
	pump(c, tc, &p.DropFromTarget)
	wg.Wait()
}

// pump copies src to dst, or drops it while drop is set, until src
// fails; then it closes dst, which ends the pump of the other direction.
func pump(dst, src net.Conn, drop *atomic.Bool) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !drop.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Echo writes back what it reads from c until EOF: with Accept, an echo
// service.
func Echo(c net.Conn) { io.Copy(c, c) }

// Discard reads c until EOF and throws the data away: with Accept, a
// sink.
func Discard(c net.Conn) { io.Copy(io.Discard, c) }

// EchoAddr runs Echo on a new loopback listener (Accept) and returns its
// address.
func EchoAddr(tb testing.TB) string {
	tb.Helper()
	return Accept(tb, Listen(tb), Echo).Addr().String()
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
