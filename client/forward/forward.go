// Package forward serves port forwarding over a client.Client, as ssh
// does it: Local is ssh -L (RFC 4254, Section 7.2, direct-tcpip and
// OpenSSH's direct-streamlocal), Remote is ssh -R (Section 7.1,
// tcpip-forward and streamlocal-forward, on a listener from
// client.Client.Listen) and SOCKS is ssh -D, a SOCKS4/4A/5 dynamic
// forwarder. Each serves a listener until its ctx ends, and returns
// after the connections it serves are closed.
package forward

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/sshstack/sshstack/client"
)

// Local accepts connections on l and forwards each to
// network/addr as seen from the server (ssh -L): a direct-tcpip or
// direct-streamlocal channel per connection. It returns when ctx ends or
// l fails, after closing l and the connections it serves.
func Local(ctx context.Context, c *client.Client, l net.Listener, network, addr string) error {
	log := c.Logger()
	return serveEach(ctx, l, func(ctx context.Context, conn net.Conn) {
		remote, err := c.Dial(ctx, network, addr)
		if err != nil {
			log.Debug("local forward", "to", addr, "err", err)
			return
		}
		defer remote.Close()
		proxy(conn, remote)
	})
}

// Remote accepts the connections the server forwards on rl
// (a *client.Listener from Client.Listen) and connects each to network/addr on this
// side (ssh -R). It returns when ctx ends or rl is closed, after closing
// rl and the connections it serves.
func Remote(ctx context.Context, c *client.Client, rl net.Listener, network, addr string) error {
	log := c.Logger()
	return serveEach(ctx, rl, func(ctx context.Context, conn net.Conn) {
		var d net.Dialer
		local, err := d.DialContext(ctx, network, addr)
		if err != nil {
			log.Debug("remote forward", "to", addr, "err", err)
			return
		}
		defer local.Close()
		proxy(conn, local)
	})
}

// serveEach runs handle for every connection of l until ctx ends or l
// fails, and waits for the handlers.
func serveEach(ctx context.Context, l net.Listener, handle func(context.Context, net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		wg.Go(func() {
			defer conn.Close()
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			handle(ctx, conn)
		})
	}
}

// proxy copies both ways between two connections, half-closing each
// direction at its end, and returns when both are done.
func proxy(a, b net.Conn) {
	var wg sync.WaitGroup
	half := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Go(func() { half(a, b) })
	half(b, a)
	wg.Wait()
}
