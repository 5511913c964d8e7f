package connection

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sshstack/sshstack/wire"
)

// A GlobalRequest is an incoming global request (RFC 4254, Section 4)
// that no typed hook of Config handles. Data aliases the packet and is
// valid only during the Config.GlobalRequest call.
type GlobalRequest struct {
	Name      string
	WantReply bool
	Data      []byte
}

// handleGlobalRequest answers one global request. Requests are handled
// one at a time on the Run goroutine and each reply joins the bounded
// control queue (MaxControlQueue) in order, so replies go out in order and
// a flood is stopped by back-pressure once the peer stops reading
// (docs/security.md#c7).
func (c *Conn) handleGlobalRequest(m wire.GlobalRequest) error {
	ok, reply := c.globalRequest(m)
	if !m.WantReply {
		return nil
	}
	var b []byte
	if ok {
		b = append([]byte{byte(wire.MsgRequestSuccess)}, reply...)
	} else {
		b = []byte{byte(wire.MsgRequestFailure)}
	}
	return c.enqueue(ctlPacket{b: b})
}

func (c *Conn) globalRequest(m wire.GlobalRequest) (bool, []byte) {
	cfg := &c.cfg
	switch m.Name {
	case wire.GlobalTCPIPForward:
		f, err := wire.ParseTCPIPForward(m.Data)
		if err != nil || cfg.TCPIPForward == nil {
			return false, nil
		}
		port, err := cfg.TCPIPForward(f)
		if err != nil {
			c.log.Debug("connection: tcpip-forward refused", "err", err)
			return false, nil
		}
		if f.BindPort == 0 {
			r := wire.TCPIPForwardReply{BoundPort: port}
			return true, r.Append(nil)
		}
		return true, nil
	case wire.GlobalCancelTCPIPForward:
		f, err := wire.ParseTCPIPForward(m.Data)
		if err != nil || cfg.CancelTCPIPForward == nil {
			return false, nil
		}
		return cfg.CancelTCPIPForward(f) == nil, nil
	case wire.GlobalStreamLocalForward:
		f, err := wire.ParseStreamLocalForward(m.Data)
		if err != nil || cfg.StreamLocalForward == nil {
			return false, nil
		}
		return cfg.StreamLocalForward(f.SocketPath) == nil, nil
	case wire.GlobalCancelStreamLocalForward:
		f, err := wire.ParseStreamLocalForward(m.Data)
		if err != nil || cfg.CancelStreamLocalForward == nil {
			return false, nil
		}
		return cfg.CancelStreamLocalForward(f.SocketPath) == nil, nil
	case wire.GlobalNoMoreSessions:
		if len(m.Data) != 0 {
			return false, nil
		}
		c.mu.Lock()
		c.noSessions = true
		c.mu.Unlock()
		return true, nil
	case wire.GlobalHostKeys:
		k, err := wire.ParseHostKeys(m.Data)
		if err != nil || cfg.HostKeys == nil {
			return false, nil
		}
		cfg.HostKeys(cloneAll(k.Keys))
		return true, nil
	case wire.GlobalHostKeysProve:
		k, err := wire.ParseHostKeys(m.Data)
		if err != nil || cfg.ProveHostKeys == nil || len(k.Keys) == 0 {
			return false, nil
		}
		sigs, err := cfg.ProveHostKeys(cloneAll(k.Keys))
		if err != nil || len(sigs) != len(k.Keys) {
			return false, nil
		}
		r := wire.HostKeys{Keys: sigs}
		return true, r.Append(nil)
	}
	if cfg.GlobalRequest == nil {
		return false, nil
	}
	return cfg.GlobalRequest(&GlobalRequest{Name: m.Name, WantReply: m.WantReply, Data: m.Data})
}

func cloneAll(b [][]byte) [][]byte {
	out := make([][]byte, len(b))
	for i, k := range b {
		out[i] = slices.Clone(k)
	}
	return out
}

// handleGlobalReply handles REQUEST_SUCCESS and REQUEST_FAILURE: the
// answer to our oldest global request that wants one.
func (c *Conn) handleGlobalReply(ok bool, data []byte) error {
	c.mu.Lock()
	if len(c.greplies) == 0 {
		c.mu.Unlock()
		num := wire.MsgRequestFailure
		if ok {
			num = wire.MsgRequestSuccess
		}
		return fmt.Errorf("connection: %v: %w", num, ErrUnexpectedReply)
	}
	w := c.greplies[0]
	c.greplies[0] = nil
	c.greplies = c.greplies[1:]
	c.mu.Unlock()
	w.ok = ok
	w.data = slices.Clone(data)
	close(w.done)
	return nil
}

// SendRequest sends a global request (RFC 4254, Section 4) and, if
// wantReply, waits for the answer and the response-specific data;
// replies are matched to requests in order. ok is false when wantReply
// is false. If ctx ends first it returns ctx's error and the reply, when
// it comes, is dropped.
func (c *Conn) SendRequest(ctx context.Context, name string, wantReply bool, payload []byte) (bool, []byte, error) {
	if err := ctx.Err(); err != nil {
		return false, nil, err
	}
	var w *replyWaiter
	if wantReply {
		w = &replyWaiter{done: make(chan struct{})}
	}
	c.writeMu.Lock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		c.writeMu.Unlock()
		return false, nil, err
	}
	if w != nil {
		c.greplies = append(c.greplies, w)
	}
	c.mu.Unlock()
	m := wire.GlobalRequest{Name: name, WantReply: wantReply, Data: payload}
	err := c.writeLocked(m.Append(c.wbuf[:0]))
	c.writeMu.Unlock()
	if err != nil || w == nil {
		return false, nil, err
	}
	select {
	case <-w.done:
		return w.ok, w.data, nil
	case <-c.dead:
		select {
		case <-w.done:
			return w.ok, w.data, nil
		default:
		}
		return false, nil, c.failed()
	case <-ctx.Done():
		return false, nil, ctx.Err()
	}
}

func (c *Conn) callGlobal(ctx context.Context, name string, payload []byte) ([]byte, error) {
	ok, data, err := c.SendRequest(ctx, name, true, payload)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrRequestDenied, name)
	}
	return data, nil
}

// ForwardTCPIP asks the peer (a server) to listen on addr:port and
// forward connections as "forwarded-tcpip" channels (RFC 4254,
// Section 7.1). It returns the port bound: the one the server chose when
// port is 0, else port.
func (c *Conn) ForwardTCPIP(ctx context.Context, addr string, port uint32) (uint32, error) {
	f := wire.TCPIPForward{BindAddress: addr, BindPort: port}
	data, err := c.callGlobal(ctx, wire.GlobalTCPIPForward, f.Append(nil))
	if err != nil {
		return 0, err
	}
	if port != 0 {
		return port, nil
	}
	r, err := wire.ParseTCPIPForwardReply(data)
	if err != nil {
		return 0, fmt.Errorf("connection: tcpip-forward reply: %w", err)
	}
	return r.BoundPort, nil
}

// CancelForwardTCPIP sends "cancel-tcpip-forward" (RFC 4254,
// Section 7.1).
func (c *Conn) CancelForwardTCPIP(ctx context.Context, addr string, port uint32) error {
	f := wire.TCPIPForward{BindAddress: addr, BindPort: port}
	_, err := c.callGlobal(ctx, wire.GlobalCancelTCPIPForward, f.Append(nil))
	return err
}

// ForwardStreamLocal sends "streamlocal-forward@openssh.com" (OpenSSH
// PROTOCOL, Section 2.4).
func (c *Conn) ForwardStreamLocal(ctx context.Context, path string) error {
	f := wire.StreamLocalForward{SocketPath: path}
	_, err := c.callGlobal(ctx, wire.GlobalStreamLocalForward, f.Append(nil))
	return err
}

// CancelForwardStreamLocal sends "cancel-streamlocal-forward@openssh.com".
func (c *Conn) CancelForwardStreamLocal(ctx context.Context, path string) error {
	f := wire.StreamLocalForward{SocketPath: path}
	_, err := c.callGlobal(ctx, wire.GlobalCancelStreamLocalForward, f.Append(nil))
	return err
}

// Keepalive sends "keepalive@openssh.com" with want-reply and waits: any
// answer, success or failure, proves the peer alive.
func (c *Conn) Keepalive(ctx context.Context) error {
	_, _, err := c.SendRequest(ctx, wire.GlobalKeepalive, true, nil)
	return err
}

// NoMoreSessions sends "no-more-sessions@openssh.com" (OpenSSH PROTOCOL,
// Section 2.2): the peer should refuse further session opens.
func (c *Conn) NoMoreSessions(ctx context.Context) error {
	_, _, err := c.SendRequest(ctx, wire.GlobalNoMoreSessions, false, nil)
	return err
}

// SendHostKeys sends "hostkeys-00@openssh.com" (OpenSSH PROTOCOL,
// Section 2.5) with the server's host key blobs; no reply is expected.
func (c *Conn) SendHostKeys(ctx context.Context, keys [][]byte) error {
	k := wire.HostKeys{Keys: keys}
	_, _, err := c.SendRequest(ctx, wire.GlobalHostKeys, false, k.Append(nil))
	return err
}

// ProveHostKeys sends "hostkeys-prove-00@openssh.com" (OpenSSH PROTOCOL,
// Section 2.5) and returns one signature blob per key, in order.
// Verifying them (over the session identifier) is the caller's job.
func (c *Conn) ProveHostKeys(ctx context.Context, keys [][]byte) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("connection: hostkeys-prove with no keys: %w", ErrInvalidArgument)
	}
	k := wire.HostKeys{Keys: keys}
	data, err := c.callGlobal(ctx, wire.GlobalHostKeysProve, k.Append(nil))
	if err != nil {
		return nil, err
	}
	sigs, err := wire.ParseHostKeys(data)
	if err != nil {
		return nil, fmt.Errorf("connection: hostkeys-prove reply: %w", err)
	}
	if len(sigs.Keys) != len(keys) {
		return nil, errors.New("connection: hostkeys-prove reply: signature count differs from key count")
	}
	return sigs.Keys, nil
}
