package mux

import (
	"context"
	"errors"
	"io"
	"sync"

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
// on in order; a failure upstream closes the channel. Global requests
// of the proxy client (tcpip-forward, no-more-sessions) are refused and
// not passed on.
func (m *Master) proxy(ctx context.Context, p *packetConn, rid uint32) {
	if p.write(&Request{Kind: MsgProxyOK, ReqID: rid}) != nil {
		return
	}
	down := connection.New(&proxyTransport{c: &Conn{p: *p}}, &connection.Config{Logger: m.log()})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
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

func (m *Master) relay(ctx context.Context, nc *connection.NewChannel) {
	up, err := m.Client.OpenChannel(ctx, nc.Type(), nc.ExtraData())
	if err != nil {
		reason, msg := wire.ConnectFailed, "open failed"
		var oe *connection.OpenError
		if errors.As(err, &oe) {
			reason, msg = oe.Reason, oe.Message
		}
		nc.Reject(reason, msg)
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
