package main

import (
	"context"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/server"
)

// serveInetd is sshd -i: one connection on standard input and output,
// and gosshd exits when it ends. inetd and a systemd unit with
// Accept=yes hand over the accepted socket; ssh's ProxyCommand (and
// tests) two pipes.
func serveInetd(srv *server.Server, stdin, stdout *os.File) int {
	nc, err := stdioConn(stdin, stdout)
	if err != nil {
		srv.Logger.Error("inetd mode: " + err.Error())
		return 255
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Serve returns once its one connection has ended: the listener's
	// second Accept fails.
	srv.Serve(ctx, &inetdListener{c: nc})
	return 0
}

// stdioConn makes the connection of standard input and output: the
// socket itself when stdin is one, else the two descriptors, made
// non-blocking (pollable) so that deadlines and Close reach a blocked
// read.
func stdioConn(stdin, stdout *os.File) (net.Conn, error) {
	if c, err := net.FileConn(stdin); err == nil {
		return c, nil
	}
	r, err := pollable(stdin)
	if err != nil {
		return nil, err
	}
	w, err := pollable(stdout)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &pipeConn{r: r, w: w}, nil
}

// A pipeConn is a connection over two pipes; its addresses are sshd's
// "UNKNOWN port 65535".
type pipeConn struct {
	r, w *os.File
	once sync.Once
}

func (c *pipeConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *pipeConn) Close() error {
	var err error
	c.once.Do(func() {
		err = c.r.Close()
		if werr := c.w.Close(); err == nil {
			err = werr
		}
	})
	return err
}
func (c *pipeConn) LocalAddr() net.Addr  { return unknownAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr { return unknownAddr{} }
func (c *pipeConn) SetDeadline(t time.Time) error {
	if err := c.r.SetReadDeadline(t); err != nil {
		return err
	}
	return c.w.SetWriteDeadline(t)
}
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.r.SetReadDeadline(t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.w.SetWriteDeadline(t) }

type unknownAddr struct{}

func (unknownAddr) Network() string { return "pipe" }
func (unknownAddr) String() string  { return "UNKNOWN:65535" }

// An inetdListener hands out its one connection, then fails.
type inetdListener struct {
	mu   sync.Mutex
	c    net.Conn
	done bool
}

func (l *inetdListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil, net.ErrClosed
	}
	l.done = true
	return l.c, nil
}

func (l *inetdListener) Close() error   { return nil }
func (l *inetdListener) Addr() net.Addr { return unknownAddr{} }
