package mux

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// proxy serves a mux client in proxy mode (MUX_C_PROXY, PROTOCOL.mux
// Section 9). Where OpenSSH's master renumbers the proxy client's
// channels into its own table, this one relays channel by channel: the
// socket carries a connection.Conn of its own, each channel the proxy
// client opens is opened on the Client with the same type and data, and
// data, EOF, channel requests and the exit status go across. A
// want-reply request is answered at once with success (the reply cannot
// wait for the server's: connection's handlers must not block) and sent
// on in order; a failure upstream closes the channel. Of the proxy
// client's global requests, "tcpip-forward" and "cancel-tcpip-forward"
// are made upstream in its name, and the connections the server forwards
// come down to it as "forwarded-tcpip" channels, as OpenSSH's master
// passes them downstream (channels.c, channel_proxy_downstream); the
// others (no-more-sessions, stream-local forwards) are refused.
func (m *Master) proxy(ctx context.Context, p *packetConn, rid uint32) {
	if p.write(&Request{Kind: MsgProxyOK, ReqID: rid}) != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	fw := &proxyForwards{m: m, ctx: ctx, wg: &wg, ls: map[fwdAddr]*client.Listener{}}
	defer fw.closeAll()
	down := connection.New(&proxyTransport{c: &Conn{p: *p}}, &connection.Config{
		Logger:             m.log(),
		TCPIPForward:       fw.forward,
		CancelTCPIPForward: fw.cancel,
	})
	fw.down = down
	wg.Go(func() {
		down.Run(ctx)
		cancel()
	})
	defer down.Close()
	for {
		nc, err := down.Accept(ctx)
		if err != nil {
			return
		}
		wg.Go(func() { m.relay(ctx, nc) })
	}
}

// A requestQueue carries a channel's requests from the Run goroutine of
// the proxy side, which must not block, to the goroutine that sends them
// upstream in order.
type requestQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	q      []queued // guarded by mu
	closed bool     // guarded by mu
}

type queued struct {
	name      string
	wantReply bool
	payload   []byte
}

func (q *requestQueue) put(r queued) {
	q.mu.Lock()
	if len(q.q) < connection.MaxEnvPerChannel+64 {
		q.q = append(q.q, r)
	}
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *requestQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *requestQueue) get() (queued, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.q) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.q) == 0 {
		return queued{}, false
	}
	r := q.q[0]
	q.q = q.q[1:]
	return r, true
}

// rejectAs refuses nc with the reason and message the other side's
// open failed with (err), or CONNECT_FAILED.
func rejectAs(nc *connection.NewChannel, err error) {
	reason, msg := wire.ConnectFailed, "open failed"
	var oe *connection.OpenError
	if errors.As(err, &oe) {
		reason, msg = oe.Reason, oe.Message
	}
	nc.Reject(reason, msg)
}

func (m *Master) relay(ctx context.Context, nc *connection.NewChannel) {
	up, err := m.Client.OpenChannel(ctx, nc.Type(), nc.ExtraData())
	if err != nil {
		rejectAs(nc, err)
		return
	}
	defer up.Close()
	q := &requestQueue{}
	q.cond = sync.NewCond(&q.mu)
	down, err := nc.Accept(func(_ *connection.Channel, req *connection.Request) bool {
		q.put(queued{name: req.Type, wantReply: req.WantReply, payload: append([]byte(nil), req.Payload...)})
		return true
	})
	if err != nil {
		return
	}
	defer down.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer q.close()
	wg.Go(func() {
		for {
			r, ok := q.get()
			if !ok {
				return
			}
			if ok, err := up.SendRequest(ctx, r.name, r.wantReply, r.payload); err != nil || r.wantReply && !ok {
				m.log().Debug("mux: proxied request refused upstream", "request", r.name, "err", err)
				down.Close()
				up.Close()
				return
			}
		}
	})
	wg.Go(func() {
		io.Copy(up, down)
		up.CloseWrite()
	})
	// A proxy client that goes away closes the upstream channel.
	wg.Go(func() {
		down.Wait(ctx)
		up.Close()
	})
	var ew sync.WaitGroup
	ew.Go(func() { io.Copy(down.Stderr(), up.Stderr()) })
	io.Copy(down, up)
	ew.Wait()
	up.Wait(ctx)
	if st, ok := up.ExitStatus(); ok {
		down.SendRequest(ctx, wire.RequestExitStatus, false, wire.AppendUint32(nil, st))
	} else if sig, ok := up.ExitSignal(); ok {
		down.SendRequest(ctx, wire.RequestExitSignal, false, sig.Append(nil))
	}
	down.CloseWrite()
	down.Close()
}

// proxyForwards are the remote forwards a proxy client asked for.
type proxyForwards struct {
	m    *Master
	ctx  context.Context
	wg   *sync.WaitGroup
	down *connection.Conn

	mu sync.Mutex
	ls map[fwdAddr]*client.Listener // guarded by mu
}

type fwdAddr struct {
	host string
	port uint32
}

// forward makes the proxy client's tcpip-forward upstream and relays
// what arrives on it. It runs on the proxy connection's Run goroutine,
// which waits meanwhile; the upstream reply comes through the Client's.
func (fw *proxyForwards) forward(f wire.TCPIPForward) (uint32, error) {
	ctx, cancel := context.WithTimeout(fw.ctx, 30*time.Second)
	defer cancel()
	nl, err := fw.m.Client.Listen(ctx, "tcp", net.JoinHostPort(f.BindAddress, strconv.Itoa(int(f.BindPort))))
	if err != nil {
		return 0, err
	}
	l := nl.(*client.Listener)
	port := f.BindPort
	if _, ps, err := net.SplitHostPort(l.Addr().String()); err == nil {
		if n, err := strconv.ParseUint(ps, 10, 16); err == nil {
			port = uint32(n)
		}
	}
	fw.mu.Lock()
	if fw.ls == nil { // the proxy client has gone meanwhile
		fw.mu.Unlock()
		l.Close()
		return 0, net.ErrClosed
	}
	fw.ls[fwdAddr{f.BindAddress, port}] = l
	fw.mu.Unlock()
	fw.wg.Go(func() {
		for {
			nc, err := l.AcceptChannel(fw.ctx)
			if err != nil {
				return
			}
			fw.wg.Go(func() { fw.relayDown(nc) })
		}
	})
	return port, nil
}

func (fw *proxyForwards) cancel(f wire.TCPIPForward) error {
	fw.mu.Lock()
	l := fw.ls[fwdAddr{f.BindAddress, f.BindPort}]
	delete(fw.ls, fwdAddr{f.BindAddress, f.BindPort})
	fw.mu.Unlock()
	if l == nil {
		return errors.New("mux: no such forward")
	}
	return l.Close()
}

// closeAll cancels the forwards upstream when the proxy client goes.
func (fw *proxyForwards) closeAll() {
	fw.mu.Lock()
	ls := fw.ls
	fw.ls = nil
	fw.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
}

// relayDown opens the channel the server forwarded, with its type and
// data, on the proxy client's connection and relays its data.
func (fw *proxyForwards) relayDown(nc *connection.NewChannel) {
	down, err := fw.down.OpenChannel(fw.ctx, nc.Type(), nc.ExtraData(), nil)
	if err != nil {
		rejectAs(nc, err)
		return
	}
	defer down.Close()
	up, err := nc.Accept(nil)
	if err != nil {
		return
	}
	defer up.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		io.Copy(up, down)
		up.CloseWrite()
	})
	io.Copy(down, up)
	down.CloseWrite()
	wg.Wait()
}
