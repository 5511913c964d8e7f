package connection

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// TestWindowExceeded is docs/security.md#c1: data past the window by one byte,
// 16 MiB past it, and larger than our maximum packet, as data and as
// stderr. Each ends the Conn with DISCONNECT, and the bytes buffered
// never exceed the window.
func TestWindowExceeded(t *testing.T) {
	const window, maxPacket = 64 << 10, 32 << 10
	full := make([]byte, maxPacket)
	tests := []struct {
		name string
		send func(p *peer, id uint32, ext bool)
		want error
	}{
		{"one byte past", func(p *peer, id uint32, ext bool) {
			p.send(data(id, ext, full))
			p.send(data(id, ext, full))
			p.send(data(id, ext, []byte{1}))
		}, ErrWindowExceeded},
		{"16 MiB past", func(p *peer, id uint32, ext bool) {
			for range (window + 16<<20) / maxPacket {
				if err := p.tr.WritePacket(data(id, ext, full).Append(nil)); err != nil {
					return // the Conn hung up, as it should
				}
			}
		}, ErrWindowExceeded},
		{"larger than max packet", func(p *peer, id uint32, ext bool) {
			p.send(data(id, ext, make([]byte, maxPacket+1)))
		}, ErrPacketTooLarge},
	}
	for _, tt := range tests {
		for _, ext := range []bool{false, true} {
			name := tt.name
			if ext {
				name += " stderr"
			}
			t.Run(name, func(t *testing.T) {
				c, p := rawPair(t, &Config{Window: window, MaxPacket: maxPacket})
				ch := openFromPeer(t, c, p, 0, 1, nil)
				go tt.send(p, ch.LocalID(), ext)
				err := c.result(t)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Run = %v, want %v", err, tt.want)
				}
				if b := ch.Buffered(); b > window {
					t.Errorf("buffered %d > window %d", b, window)
				}
				p.expectDisconnect()
			})
		}
	}
}

func data(id uint32, ext bool, b []byte) wire.Message {
	if ext {
		return &wire.ChannelExtendedData{Recipient: id, DataType: wire.ExtendedDataStderr, Data: b}
	}
	return &wire.ChannelData{Recipient: id, Data: b}
}

// TestWindowOverflow is docs/security.md#c2: a WINDOW_ADJUST taking the window
// past 2^32-1, in one adjust or in many small ones, ends the Conn; the
// window never wraps.
// Requirement: 4254-5.2-window-max
// Requirement: 4254-5.2-window-no-overflow
func TestWindowOverflow(t *testing.T) {
	t.Run("one big", func(t *testing.T) {
		c, p := rawPair(t, nil)
		ch := openFromPeer(t, c, p, 1000, 1<<15, nil)
		p.send(&wire.ChannelWindowAdjust{Recipient: ch.LocalID(), Bytes: 1<<32 - 1})
		wantErr(t, "Run", c.result(t), ErrWindowOverflow)
		p.expectDisconnect()
	})
	t.Run("many small", func(t *testing.T) {
		c, p := rawPair(t, nil)
		ch := openFromPeer(t, c, p, 0, 1<<15, nil)
		go func() {
			for range 1024 {
				if p.tr.WritePacket((&wire.ChannelWindowAdjust{Recipient: ch.LocalID(), Bytes: 1 << 22}).Append(nil)) != nil {
					return
				}
			}
		}()
		wantErr(t, "Run", c.result(t), ErrWindowOverflow)
		ch.mu.Lock()
		win := ch.remoteWin
		ch.mu.Unlock()
		if win != 1<<32-1<<22 {
			t.Errorf("window %d after overflow, want %d", win, uint32(1<<32-1<<22))
		}
	})
	t.Run("exactly 2^32-1 is fine", func(t *testing.T) {
		c, p := rawPair(t, nil)
		ch := openFromPeer(t, c, p, 1<<31, 1<<15, nil)
		p.send(&wire.ChannelWindowAdjust{Recipient: ch.LocalID(), Bytes: 1<<31 - 1})
		p.send(&wire.GlobalRequest{Name: "sync@example.com", WantReply: true})
		p.expect(wire.MsgRequestFailure)
		if _, err := ch.Write([]byte("ok")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestUnknownChannel is docs/security.md#c3: every channel message for an id
// that was never allocated ends the Conn.
func TestUnknownChannel(t *testing.T) {
	const id = 4242
	msgs := []wire.Message{
		&wire.ChannelData{Recipient: id, Data: []byte("x")},
		&wire.ChannelExtendedData{Recipient: id, DataType: 1, Data: []byte("x")},
		&wire.ChannelWindowAdjust{Recipient: id, Bytes: 1},
		&wire.ChannelEOF{Recipient: id},
		&wire.ChannelClose{Recipient: id},
		&wire.ChannelRequest{Recipient: id, Type: "exec", WantReply: true},
		&wire.ChannelSuccess{Recipient: id},
		&wire.ChannelFailure{Recipient: id},
		&wire.ChannelOpenConfirmation{Recipient: id, Sender: 1, InitialWindow: 1, MaxPacket: 1},
		&wire.ChannelOpenFailure{Recipient: id, Reason: wire.ConnectFailed},
	}
	for _, m := range msgs {
		t.Run(m.Num().String(), func(t *testing.T) {
			c, p := rawPair(t, nil)
			openFromPeer(t, c, p, 1, 1, nil) // id 0 exists; 4242 does not
			p.send(m)
			p.expectDisconnect()
			wantErr(t, "Run", c.result(t), ErrUnknownChannel)
		})
	}
}

// TestUnknownExtendedData is docs/security.md#c6: extended data of an unknown
// type is debited from the window but never delivered as stderr.
func TestUnknownExtendedData(t *testing.T) {
	const window = 4096
	c, p := rawPair(t, &Config{Window: window, MaxPacket: window})
	ch := openFromPeer(t, c, p, 1<<20, 1<<15, nil)
	id := ch.LocalID()
	p.send(&wire.ChannelExtendedData{Recipient: id, DataType: 7, Data: make([]byte, 2000)})
	p.send(&wire.ChannelData{Recipient: id, Data: make([]byte, window-2000)})
	p.send(&wire.GlobalRequest{Name: "sync@example.com", WantReply: true})
	p.expect(wire.MsgRequestFailure)
	if got := ch.Buffered(); got != window-2000 {
		t.Fatalf("buffered %d, want %d (type 7 dropped)", got, window-2000)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if n, err := ch.Stderr().ReadContext(ctx, make([]byte, 10)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stderr read %d, %v: type 7 delivered as stderr", n, err)
	}
	// The window is used up: the type 7 bytes were debited.
	p.send(&wire.ChannelData{Recipient: id, Data: []byte{1}})
	wantErr(t, "Run", c.result(t), ErrWindowExceeded)
}

// TestGlobalRequestFlood is docs/security.md#c7: 100k global requests with
// want-reply are answered in order (REQUEST_FAILURE for unknown names)
// and nothing queues up: a peer that stops reading replies is stopped
// by back-pressure after the transport's fixed queues fill.
// Requirement: 4254-4-global-respond, 4254-4-global-reply-order
func TestGlobalRequestFlood(t *testing.T) {
	cfg := &Config{GlobalRequest: func(req *GlobalRequest) (bool, []byte) {
		if req.Name == "seq@example.com" {
			return true, append([]byte(nil), req.Data...)
		}
		return false, nil
	}}
	t.Run("in order", func(t *testing.T) {
		const n = 100000
		c, p := rawPair(t, cfg)
		go func() {
			var seq [4]byte
			for i := range n {
				m := &wire.GlobalRequest{Name: "unknown@example.com", WantReply: true}
				if i%2 == 0 {
					binary.BigEndian.PutUint32(seq[:], uint32(i))
					m = &wire.GlobalRequest{Name: "seq@example.com", WantReply: true, Data: seq[:]}
				}
				if p.tr.WritePacket(m.Append(nil)) != nil {
					return
				}
			}
		}()
		for i := range n {
			b, err := p.tr.ReadPacket()
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 1 {
				if wire.MsgNum(b[0]) != wire.MsgRequestFailure {
					t.Fatalf("reply %d: %v", i, wire.MsgNum(b[0]))
				}
				continue
			}
			m, err := wire.ParseRequestSuccess(b)
			if err != nil || len(m.Data) != 4 || binary.BigEndian.Uint32(m.Data) != uint32(i) {
				t.Fatalf("reply %d out of order: %v %x", i, err, m.Data)
			}
		}
		if err := c.Err(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("back-pressure", func(t *testing.T) {
		_, p := rawPair(t, cfg)
		var sent atomic.Int64
		go func() {
			for {
				if p.tr.WritePacket((&wire.GlobalRequest{Name: "x", WantReply: true}).Append(nil)) != nil {
					return
				}
				sent.Add(1)
			}
		}()
		// Our replies fill the pipe towards the peer (64), the writer
		// holds at most one taken queue (MaxControlQueue) and the queue
		// refills (MaxControlQueue); then the Run goroutine blocks with
		// one request in hand and the peer's requests fill the other
		// pipe (64).
		const bound = 2*64 + 2*MaxControlQueue + 1
		waitFor(t, func() bool { return sent.Load() >= 2*64+MaxControlQueue })
		time.Sleep(50 * time.Millisecond)
		if s := sent.Load(); s > bound {
			t.Errorf("peer sent %d requests without reading a reply; want at most %d", s, bound)
		}
	})
	t.Run("ping flood", func(t *testing.T) {
		_, p := rawPair(t, nil)
		go func() {
			for range 10000 {
				if p.tr.WritePacket((&wire.Ping{Data: make([]byte, 16)}).Append(nil)) != nil {
					return
				}
			}
			p.tr.WritePacket((&wire.GlobalRequest{Name: "sync", WantReply: true}).Append(nil))
		}()
		p.expect(wire.MsgRequestFailure) // no PONG came first
	})
}

// TestTransportMessages: IGNORE, DEBUG and UNIMPLEMENTED pass through
// harmlessly; DISCONNECT ends the Conn with a remote *wire.DisconnectError;
// anything else outside 80-127 is a protocol error.
// Requirement: 4253-11.1-disconnect-process, 4253-11.2-ignore, 4253-11.3-debug
// Requirement: 4253-11.1-nothing-after
func TestTransportMessages(t *testing.T) {
	c, p := rawPair(t, nil)
	p.send(&wire.Ignore{Data: []byte("x")})
	p.send(&wire.Debug{Message: "hi"})
	p.send(&wire.Unimplemented{SeqNum: 3})
	p.send(&wire.GlobalRequest{Name: "sync", WantReply: true})
	p.expect(wire.MsgRequestFailure)
	p.send(&wire.Disconnect{Reason: wire.ByApplication, Description: "bye"})
	var de *wire.DisconnectError
	if err := c.result(t); !errors.As(err, &de) || !de.Remote || de.Reason != wire.ByApplication {
		t.Fatalf("Run = %v", err)
	}

	for _, b := range [][]byte{{byte(wire.MsgKexInit)}, {byte(wire.MsgUserauthSuccess)}, {83}, {127}, {}} {
		c, p := rawPair(t, nil)
		p.sendRaw(b)
		if err := c.result(t); err == nil {
			t.Errorf("%x accepted", b)
		}
	}
}

// TestMalformedMessages: a truncated or trailing-byte channel message is
// a fatal decode error, not a panic.
func TestMalformedMessages(t *testing.T) {
	for _, m := range []wire.Message{
		&wire.ChannelData{Recipient: 0, Data: []byte("abc")},
		&wire.ChannelWindowAdjust{Recipient: 0, Bytes: 5},
		&wire.ChannelEOF{Recipient: 0},
	} {
		enc := m.Append(nil)
		for _, b := range [][]byte{enc[:len(enc)-1], append(bytes.Clone(enc), 0)} {
			c, p := rawPair(t, nil)
			openFromPeer(t, c, p, 1<<20, 1<<15, nil)
			p.sendRaw(b)
			var de *wire.DecodeError
			if err := c.result(t); !errors.As(err, &de) {
				t.Errorf("%x: Run = %v, want *wire.DecodeError", b, err)
			}
		}
	}
}

// TestLateReplyAfterClose: a CHANNEL_SUCCESS or FAILURE for a channel
// that was open and is gone (the peer answered a request after its own
// CLOSE, as paramiko's threaded servers do) is ignored, as OpenSSH
// ignores it; the Conn goes on. For an id never allocated it stays fatal
// (TestUnknownChannel).
func TestLateReplyAfterClose(t *testing.T) {
	for _, m := range []wire.Message{&wire.ChannelSuccess{}, &wire.ChannelFailure{}} {
		t.Run(m.Num().String(), func(t *testing.T) {
			c, p := rawPair(t, nil)
			ch := openFromPeer(t, c, p, 1<<20, 1<<15, nil)
			id := ch.LocalID()
			p.send(&wire.ChannelClose{Recipient: id})
			p.expect(wire.MsgChannelClose)
			waitState(t, ch, StateClosed)
			switch m := m.(type) {
			case *wire.ChannelSuccess:
				m.Recipient = id
			case *wire.ChannelFailure:
				m.Recipient = id
			}
			p.send(m)
			p.send(&wire.GlobalRequest{Name: "alive@example.com", WantReply: true})
			p.expect(wire.MsgRequestFailure)
		})
	}
}
