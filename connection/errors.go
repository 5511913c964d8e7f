package connection

import (
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// Errors callers test for with errors.Is. Protocol violations by the peer
// are fatal to the Conn: Run returns an error wrapping one of these (or
// wire.ErrUnexpectedMessage, or a *wire.DecodeError), and every later call
// returns it too.
var (
	// ErrClosed is returned by calls on a Conn after Close, and by Run
	// when Close ended it.
	ErrClosed = errors.New("connection: closed")

	// ErrChannelClosed is returned by I/O and requests on a channel after
	// it was closed, locally or by the peer (for writes).
	ErrChannelClosed = errors.New("connection: channel closed")

	// ErrEOFSent is returned by Write after CloseWrite.
	ErrEOFSent = errors.New("connection: write after CloseWrite")

	// ErrWindowExceeded means the peer sent more data than the window we
	// granted it (RFC 4254, Section 5.2; docs/security.md#c1).
	ErrWindowExceeded = errors.New("connection: peer exceeded the channel window")

	// ErrPacketTooLarge means the peer sent a data packet larger than
	// the maximum packet size we advertised (RFC 4254, Section 5.2).
	ErrPacketTooLarge = errors.New("connection: data packet larger than our maximum packet size")

	// ErrMessageTooLarge means a Write on a datagram channel
	// (ChannelConfig.Datagram) was larger than the peer's maximum packet
	// size, so it cannot go as one message.
	ErrMessageTooLarge = errors.New("connection: datagram larger than the peer's maximum packet size")

	// ErrWindowOverflow means a CHANNEL_WINDOW_ADJUST would take the
	// window past 2^32-1 (RFC 4254, Section 5.2; docs/security.md#c2).
	ErrWindowOverflow = errors.New("connection: window adjust past 2^32-1")

	// ErrUnknownChannel means the peer named a channel id that is not
	// allocated (never was, or was freed after CLOSE) (docs/security.md#c3).
	ErrUnknownChannel = errors.New("connection: message for unknown channel")

	// ErrUnexpectedReply means the peer sent a reply (CHANNEL_SUCCESS,
	// CHANNEL_FAILURE, REQUEST_SUCCESS, REQUEST_FAILURE) for which no
	// request of ours is waiting.
	ErrUnexpectedReply = errors.New("connection: reply without a pending request")

	// ErrTooManyChannels is returned by Open when the local channel cap
	// (Config.MaxChannels) is reached.
	ErrTooManyChannels = errors.New("connection: too many channels")

	// ErrRequestDenied is returned by the typed request helpers when the
	// peer answered with a failure.
	ErrRequestDenied = errors.New("connection: request denied")

	// ErrInvalidArgument is returned when a caller passes a value that
	// cannot be encoded or is out of range.
	ErrInvalidArgument = errors.New("connection: invalid argument")
)

// An OpenError is the CHANNEL_OPEN_FAILURE (RFC 4254, Section 5.1) that
// answered one of our channel opens.
type OpenError struct {
	Reason  wire.OpenFailureReason
	Message string // peer text, not checked; Error sanitises it
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("connection: channel open failed (%v): %s", e.Reason, wire.Sanitize(e.Message))
}

// unexpected reports a message that the channel's state does not allow;
// the error names both the message and the state
// (docs/architecture.md#state-machines).
func unexpected(num wire.MsgNum, st State) error {
	return fmt.Errorf("connection: %v in state %v: %w", num, st, wire.ErrUnexpectedMessage)
}
