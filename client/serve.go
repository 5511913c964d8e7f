package client

import (
	"context"
	"net"
	"sync"
)

// ServeLocalForward accepts connections on l and forwards each to
// network/addr as seen from the server (ssh -L): a direct-tcpip or
// direct-streamlocal channel per connection. It returns when ctx ends or
// l fails, after closing l and the connections it serves.
func (c *Client) ServeLocalForward(ctx context.Context, l net.Listener, network, addr string) error {
	return serveEach(ctx, l, func(ctx context.Context, conn net.Conn) {
		remote, err := c.Dial(ctx, network, addr)
		if err != nil {
			c.log.Debug("local forward", "to", addr, "err", err)
			return
		}
		defer remote.Close()
		proxy(conn, remote)
	})
}

// ServeRemoteForward accepts the connections the server forwards on rl
// (a Listener from Listen) and connects each to network/addr on this
// side (ssh -R). It returns when ctx ends or rl is closed, after closing
// rl and the connections it serves.
func (c *Client) ServeRemoteForward(ctx context.Context, rl net.Listener, network, addr string) error {
	return serveEach(ctx, rl, func(ctx context.Context, conn net.Conn) {
		var d net.Dialer
		local, err := d.DialContext(ctx, network, addr)
		if err != nil {
			c.log.Debug("remote forward", "to", addr, "err", err)
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
