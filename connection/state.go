package connection

import "strconv"

// A State is the state of a channel (RFC 4254, Sections 5.1 and 5.3).
//
// The state machine, per channel (docs/layers/connection.md draws it as a
// table):
//
//	Opening      we sent CHANNEL_OPEN; CONFIRMATION -> Open, FAILURE -> Closed
//	Pending      the peer sent CHANNEL_OPEN; Accept -> Open, Reject -> Closed
//	Open         data flows both ways
//	EOFSent      we sent CHANNEL_EOF (CloseWrite); we may still receive
//	EOFReceived  the peer sent CHANNEL_EOF; we may still send
//	EOFBoth      both sides sent CHANNEL_EOF; requests may still flow
//	CloseSent    we sent CHANNEL_CLOSE and wait for the peer's; incoming
//	             data, EOF and requests are dropped
//	Closed       both sides sent CHANNEL_CLOSE; the id is free again
//
// From Open, EOFSent, EOFReceived and EOFBoth a local Close goes to
// CloseSent and a peer CHANNEL_CLOSE to Closed (we answer with our own
// CHANNEL_CLOSE first). CloseSent goes to Closed on the peer's CLOSE. Any
// message that the current state does not expect is a protocol error
// naming both (wire.ErrUnexpectedMessage).
type State uint8

// Channel states.
const (
	StateOpening State = iota
	StatePending
	StateOpen
	StateEOFSent
	StateEOFReceived
	StateEOFBoth
	StateCloseSent
	StateClosed
)

var stateNames = [...]string{
	StateOpening:     "opening",
	StatePending:     "pending",
	StateOpen:        "open",
	StateEOFSent:     "eof-sent",
	StateEOFReceived: "eof-received",
	StateEOFBoth:     "eof-both",
	StateCloseSent:   "close-sent",
	StateClosed:      "closed",
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// open reports whether the channel is confirmed and not closing: data,
// EOF, requests and window adjustments are legal in both directions
// (subject to EOF).
func (s State) open() bool {
	return s == StateOpen || s == StateEOFSent || s == StateEOFReceived || s == StateEOFBoth
}

// canSend reports whether we may still send data.
func (s State) canSend() bool { return s == StateOpen || s == StateEOFReceived }

// canReceive reports whether the peer may still send data.
func (s State) canReceive() bool { return s == StateOpen || s == StateEOFSent }
