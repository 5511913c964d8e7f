package connection

import (
	"errors"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

func TestStateString(t *testing.T) {
	for s := StateOpening; s <= StateClosed; s++ {
		if s.String() == "" || s.String()[0] == 'S' {
			t.Errorf("State(%d).String() = %q", s, s.String())
		}
	}
	if got := State(99).String(); got != "State(99)" {
		t.Errorf("unknown state: %q", got)
	}
}

// A step is one event in the life of a channel: a local call (name ends
// in ">") or a message from the peer (name starts with "<").
type step struct {
	ev    string
	out   wire.MsgNum // what we send in response; 0 for nothing
	state State       // the channel's state afterwards
}

// stateTable is the EOF/CLOSE state machine of RFC 4254, Section 5.3 as a
// table of event orders, including the hostile ones of docs/security.md#c3
// and #c8. fatal, when set, is the error the last step ends the Conn with.
var stateTable = []struct {
	name  string
	steps []step
	fatal error
}{
	{"eof both ways then close", []step{
		{"eof>", wire.MsgChannelEOF, StateEOFSent},
		{"<eof", 0, StateEOFBoth},
		{"close>", wire.MsgChannelClose, StateCloseSent},
		{"<close", 0, StateClosed}}, nil},
	{"peer eof first then peer close", []step{
		{"<eof", 0, StateEOFReceived},
		{"data>", wire.MsgChannelData, StateEOFReceived},
		{"eof>", wire.MsgChannelEOF, StateEOFBoth},
		{"<exit", 0, StateEOFBoth},
		{"<close", wire.MsgChannelClose, StateClosed}}, nil},
	{"we close first", []step{
		{"close>", wire.MsgChannelClose, StateCloseSent},
		{"close>", 0, StateCloseSent},
		{"<close", 0, StateClosed}}, nil},
	{"peer closes an open channel", []step{
		{"<close", wire.MsgChannelClose, StateClosed}}, nil},
	{"half close then peer close", []step{
		{"eof>", wire.MsgChannelEOF, StateEOFSent},
		{"eof>", 0, StateEOFSent},
		{"<data", 0, StateEOFSent},
		{"<close", wire.MsgChannelClose, StateClosed}}, nil},
	{"peer eof then we close", []step{
		{"<eof", 0, StateEOFReceived},
		{"close>", wire.MsgChannelClose, StateCloseSent},
		{"<close", 0, StateClosed}}, nil},
	{"close races with peer data, eof and requests", []step{
		{"close>", wire.MsgChannelClose, StateCloseSent},
		{"<data", 0, StateCloseSent},
		{"<adjust", 0, StateCloseSent},
		{"<eof", 0, StateCloseSent},
		{"<exit", 0, StateCloseSent},
		{"<close", 0, StateClosed}}, nil},
	{"C8 data after eof", []step{
		{"<eof", 0, StateEOFReceived},
		{"<data", 0, StateEOFReceived}}, wire.ErrUnexpectedMessage},
	{"C8 extended data after eof", []step{
		{"<eof", 0, StateEOFReceived},
		{"<stderr", 0, StateEOFReceived}}, wire.ErrUnexpectedMessage},
	{"double eof", []step{
		{"<eof", 0, StateEOFReceived},
		{"<eof", 0, StateEOFReceived}}, wire.ErrUnexpectedMessage},
	{"C8 double close", []step{
		{"<close", wire.MsgChannelClose, StateClosed},
		{"<close", 0, StateClosed}}, ErrUnknownChannel},
	{"C8 exit-status after close", []step{
		{"<close", wire.MsgChannelClose, StateClosed},
		{"<exit", 0, StateClosed}}, ErrUnknownChannel},
	{"C3 data on a closed channel", []step{
		{"close>", wire.MsgChannelClose, StateCloseSent},
		{"<close", 0, StateClosed},
		{"<data", 0, StateClosed}}, ErrUnknownChannel},
	{"C3 duplicate confirmation", []step{
		{"<confirm", 0, StateOpen}}, wire.ErrUnexpectedMessage},
	{"C3 open failure for an open channel", []step{
		{"<openfail", 0, StateOpen}}, wire.ErrUnexpectedMessage},
	{"reply without request", []step{
		{"<success", 0, StateOpen}}, ErrUnexpectedReply},
}

// Requirement: 4254-5.3-close-reply, 4254-4-global-respond
func TestStateMachine(t *testing.T) {
	for _, tt := range stateTable {
		for _, dir := range []string{"incoming", "outgoing"} {
			t.Run(tt.name+"/"+dir, func(t *testing.T) {
				c, p := rawPair(t, nil)
				open := openFromPeer
				if dir == "outgoing" {
					open = openToPeer
				}
				runSteps(t, c, p, open(t, c, p, 1<<20, 1<<15, nil), tt.steps, tt.fatal)
			})
		}
	}
}

// runSteps plays steps on ch and checks the state and output after each.
func runSteps(t *testing.T, c *running, p *peer, ch *Channel, steps []step, fatal error) {
	id := ch.LocalID()
	for i, s := range steps {
		last := i == len(steps)-1
		switch s.ev {
		case "eof>":
			if err := ch.CloseWrite(); err != nil {
				t.Fatalf("step %d CloseWrite: %v", i, err)
			}
		case "close>":
			if err := ch.Close(); err != nil {
				t.Fatalf("step %d Close: %v", i, err)
			}
		case "data>":
			if _, err := ch.Write([]byte("x")); err != nil {
				t.Fatalf("step %d Write: %v", i, err)
			}
		case "<eof":
			p.send(&wire.ChannelEOF{Recipient: id})
		case "<close":
			p.send(&wire.ChannelClose{Recipient: id})
		case "<data":
			p.send(&wire.ChannelData{Recipient: id, Data: []byte("d")})
		case "<stderr":
			p.send(&wire.ChannelExtendedData{Recipient: id, DataType: 1, Data: []byte("e")})
		case "<adjust":
			p.send(&wire.ChannelWindowAdjust{Recipient: id, Bytes: 10})
		case "<exit":
			p.send(&wire.ChannelRequest{Recipient: id, Type: wire.RequestExitStatus, Extra: (&wire.ExitStatus{Status: 1}).Append(nil)})
		case "<confirm":
			p.send(&wire.ChannelOpenConfirmation{Recipient: id, Sender: peerID, InitialWindow: 1, MaxPacket: 1})
		case "<openfail":
			p.send(&wire.ChannelOpenFailure{Recipient: id, Reason: wire.ConnectFailed})
		case "<success":
			p.send(&wire.ChannelSuccess{Recipient: id})
		default:
			t.Fatalf("unknown event %q", s.ev)
		}
		if last && fatal != nil {
			p.expectDisconnect()
			err := c.result(t)
			if !errors.Is(err, fatal) {
				t.Fatalf("Run = %v, want %v", err, fatal)
			}
			return
		}
		if s.out != 0 {
			p.expect(s.out)
		}
		// A global request's reply proves that nothing else was
		// sent and that the step was processed.
		p.send(&wire.GlobalRequest{Name: "sync@example.com", WantReply: true})
		p.expect(wire.MsgRequestFailure)
		if got := ch.State(); got != s.state {
			t.Fatalf("step %d %s: state %v, want %v", i, s.ev, got, s.state)
		}
	}
	if ch.State() == StateClosed {
		if err := ch.Wait(testCtx(t)); err != nil {
			t.Errorf("Wait: %v", err)
		}
		if n := c.channels(); n != 0 {
			t.Errorf("%d channel ids still allocated", n)
		}
	}
}

// TestUnexpectedInOpening sends every channel message to a channel that
// is still opening (we sent CHANNEL_OPEN, no answer yet) (docs/security.md#c3).
func TestUnexpectedInOpening(t *testing.T) {
	msgs := map[string]func(id uint32) wire.Message{
		"data":    func(id uint32) wire.Message { return &wire.ChannelData{Recipient: id, Data: []byte("x")} },
		"adjust":  func(id uint32) wire.Message { return &wire.ChannelWindowAdjust{Recipient: id, Bytes: 1} },
		"eof":     func(id uint32) wire.Message { return &wire.ChannelEOF{Recipient: id} },
		"close":   func(id uint32) wire.Message { return &wire.ChannelClose{Recipient: id} },
		"request": func(id uint32) wire.Message { return &wire.ChannelRequest{Recipient: id, Type: "shell"} },
		"success": func(id uint32) wire.Message { return &wire.ChannelSuccess{Recipient: id} },
	}
	for name, msg := range msgs {
		t.Run(name, func(t *testing.T) {
			c, p := rawPair(t, nil)
			opened := make(chan error, 1)
			go func() {
				_, err := c.OpenSession(testCtx(t), nil)
				opened <- err
			}()
			m, err := wire.ParseChannelOpen(p.expect(wire.MsgChannelOpen))
			if err != nil {
				t.Fatal(err)
			}
			p.send(msg(m.Sender))
			p.expectDisconnect()
			wantErr(t, "Run", c.result(t), wire.ErrUnexpectedMessage)
			if err := <-opened; err == nil {
				t.Error("Open succeeded on a dead Conn")
			}
		})
	}
}
