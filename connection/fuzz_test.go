package connection

import (
	"encoding/binary"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// sinkTransport discards writes and never reads: the fuzz targets call
// dispatch directly, so no goroutine runs and nothing can block.
type sinkTransport struct{}

func (sinkTransport) ReadPacket() ([]byte, error) { return nil, ErrClosed }
func (sinkTransport) WritePacket([]byte) error    { return nil }
func (sinkTransport) SessionID() []byte           { return nil }
func (sinkTransport) Close() error                { return nil }

// fuzzStates are the states a fuzzed message meets: channel id i is in
// fuzzStates[i]; id len(fuzzStates) was closed and freed, and higher ids
// were never allocated.
var fuzzStates = []State{StateOpening, StatePending, StateOpen, StateEOFSent, StateEOFReceived, StateEOFBoth, StateCloseSent}

// fuzzConn returns a Conn, not running, with a channel in every state of
// fuzzStates, a pending request on each open one and a pending global
// request, and every hook set.
func fuzzConn() *Conn {
	c := New(sinkTransport{}, &Config{
		Window:                   4096,
		MaxPacket:                1024,
		MaxChannels:              16,
		MaxSessions:              2,
		TCPIPForward:             func(wire.TCPIPForward) (uint32, error) { return 4000, nil },
		CancelTCPIPForward:       func(wire.TCPIPForward) error { return nil },
		StreamLocalForward:       func(string) error { return nil },
		CancelStreamLocalForward: func(string) error { return nil },
		HostKeys:                 func([][]byte) {},
		ProveHostKeys:            func(k [][]byte) ([][]byte, error) { return k, nil },
		GlobalRequest:            func(*GlobalRequest) (bool, []byte) { return true, []byte("r") },
	})
	h := func(ch *Channel, req *Request) bool { return len(req.Payload)%2 == 0 }
	for i, st := range fuzzStates {
		ch := c.newChannel(wire.ChannelTypeSession, nil)
		ch.state = st
		ch.handler = h
		ch.remoteID = uint32(100 + i)
		ch.remoteWin = 1000
		ch.sendMax = 1000
		switch st {
		case StateOpening:
			ch.openDone = make(chan struct{})
		case StateEOFReceived, StateEOFBoth:
			ch.eofRecv = true
		case StateCloseSent:
			ch.localClosed = true
			ch.markDead()
		}
		if st.open() {
			ch.replies = []*replyWaiter{{done: make(chan struct{})}}
		}
		c.mu.Lock()
		c.allocate(ch)
		c.mu.Unlock()
	}
	c.chans = append(c.chans, nil) // a freed id
	c.greplies = []*replyWaiter{{done: make(chan struct{})}}
	return c
}

// checkInvariants fails if any channel holds more than its window
// (docs/security.md#c1).
func checkInvariants(t *testing.T, c *Conn) {
	for _, ch := range c.chans {
		if ch == nil {
			continue
		}
		ch.mu.Lock()
		buffered := uint64(ch.out.buf.len() + ch.ext.buf.len())
		sum := buffered + uint64(ch.recvWin) + uint64(ch.adjust)
		st := ch.state
		ch.mu.Unlock()
		if buffered > uint64(ch.localWin) || (st.open() && sum != uint64(ch.localWin)) {
			t.Fatalf("channel %d (%v): buffered %d, window accounting %d != %d", ch.localID, st, buffered, sum, ch.localWin)
		}
	}
}

// fuzzMessage feeds num followed by arbitrary bytes to a multiplexer with
// a channel in every state. When the body is long enough, id picks the
// recipient so that every state is reached. Up to three messages are fed
// (split on a 0xff 0xff marker) to reach transitions. No panic, no hang
// (dispatch never blocks on the sink), no leak (no goroutine starts).
func fuzzMessage(f *testing.F, num wire.MsgNum, seeds ...wire.Message) {
	for _, s := range seeds {
		b := s.Append(nil)
		for id := range len(fuzzStates) + 2 {
			f.Add(uint8(id), b[1:])
		}
	}
	f.Fuzz(func(t *testing.T, id uint8, body []byte) {
		c := fuzzConn()
		defer c.Close()
		for range 3 {
			msg := body
			for i := 0; i+1 < len(body); i++ {
				if body[i] == 0xff && body[i+1] == 0xff {
					msg, body = body[:i], body[i+2:]
					break
				}
			}
			p := append([]byte{byte(num)}, msg...)
			if num != wire.MsgChannelOpen && num != wire.MsgGlobalRequest && len(p) >= 5 {
				binary.BigEndian.PutUint32(p[1:], uint32(id)%uint32(len(fuzzStates)+3))
			}
			err := c.dispatch(p)
			checkInvariants(t, c)
			if err != nil || len(msg) == len(body) {
				return
			}
		}
	})
}

func FuzzChannelOpen(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelOpen,
		&wire.ChannelOpen{Type: "session", Sender: 1, InitialWindow: 100, MaxPacket: 100},
		&wire.ChannelOpen{Type: "direct-tcpip", Sender: 1, InitialWindow: 100, MaxPacket: 100,
			Extra: (&wire.DirectTCPIP{Host: "h", Port: 1}).Append(nil)})
}

func FuzzChannelOpenConfirmation(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelOpenConfirmation,
		&wire.ChannelOpenConfirmation{Recipient: 0, Sender: 3, InitialWindow: 100, MaxPacket: 100})
}

func FuzzChannelOpenFailure(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelOpenFailure,
		&wire.ChannelOpenFailure{Recipient: 0, Reason: wire.ConnectFailed, Description: "no"})
}

func FuzzChannelWindowAdjust(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelWindowAdjust, &wire.ChannelWindowAdjust{Recipient: 2, Bytes: 1 << 31})
}

func FuzzChannelData(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelData, &wire.ChannelData{Recipient: 2, Data: make([]byte, 1000)})
}

func FuzzChannelExtendedData(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelExtendedData,
		&wire.ChannelExtendedData{Recipient: 2, DataType: 1, Data: make([]byte, 1000)},
		&wire.ChannelExtendedData{Recipient: 2, DataType: 7, Data: make([]byte, 1000)})
}

func FuzzChannelEOF(f *testing.F) { fuzzMessage(f, wire.MsgChannelEOF, &wire.ChannelEOF{Recipient: 2}) }

func FuzzChannelClose(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelClose, &wire.ChannelClose{Recipient: 2})
}

func FuzzChannelRequest(f *testing.F) {
	pty := &wire.PtyRequest{Term: "vt100", Columns: 80, Rows: 24, Modes: wire.AppendTerminalModes(nil, []wire.TerminalMode{{Opcode: wire.ECHO, Value: 1}})}
	fuzzMessage(f, wire.MsgChannelRequest,
		&wire.ChannelRequest{Recipient: 2, Type: wire.RequestPtyReq, WantReply: true, Extra: pty.Append(nil)},
		&wire.ChannelRequest{Recipient: 2, Type: wire.RequestExitStatus, Extra: (&wire.ExitStatus{Status: 1}).Append(nil)},
		&wire.ChannelRequest{Recipient: 2, Type: wire.RequestEnv, WantReply: true, Extra: (&wire.EnvRequest{Name: "A", Value: "b"}).Append(nil)},
		&wire.ChannelRequest{Recipient: 2, Type: wire.RequestX11Req, WantReply: true, Extra: (&wire.X11Request{AuthProtocol: "p", AuthCookie: "abcd"}).Append(nil)})
}

func FuzzChannelSuccess(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelSuccess, &wire.ChannelSuccess{Recipient: 2})
}

func FuzzChannelFailure(f *testing.F) {
	fuzzMessage(f, wire.MsgChannelFailure, &wire.ChannelFailure{Recipient: 2})
}

func FuzzGlobalRequest(f *testing.F) {
	fuzzMessage(f, wire.MsgGlobalRequest,
		&wire.GlobalRequest{Name: wire.GlobalTCPIPForward, WantReply: true, Data: (&wire.TCPIPForward{BindPort: 0}).Append(nil)},
		&wire.GlobalRequest{Name: wire.GlobalHostKeysProve, WantReply: true, Data: (&wire.HostKeys{Keys: [][]byte{[]byte("k")}}).Append(nil)},
		&wire.GlobalRequest{Name: wire.GlobalNoMoreSessions},
		&wire.GlobalRequest{Name: "x@example.com", WantReply: true})
}

func FuzzRequestSuccess(f *testing.F) {
	fuzzMessage(f, wire.MsgRequestSuccess, &wire.RequestSuccess{Data: []byte{0, 0, 0, 1}})
}

func FuzzRequestFailure(f *testing.F) {
	fuzzMessage(f, wire.MsgRequestFailure, &wire.RequestFailure{})
}

// FuzzDispatch feeds any payload, whatever its message number.
func FuzzDispatch(f *testing.F) {
	f.Add([]byte{byte(wire.MsgChannelData), 0, 0, 0, 2, 0, 0, 0, 1, 'x'})
	f.Add([]byte{byte(wire.MsgDisconnect)})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		c := fuzzConn()
		defer c.Close()
		c.dispatch(p)
		checkInvariants(t, c)
	})
}
