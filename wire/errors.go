package wire

import (
	"errors"
	"fmt"
)

// Errors returned by decoders. Every decoding error wraps one of these, so
// callers can test for the condition with errors.Is.
var (
	// ErrTruncated means the payload ended before a field did, or a
	// length or count claims more bytes than remain.
	ErrTruncated = errors.New("wire: truncated")

	// ErrTrailingData means bytes follow the last field of a message
	// whose end the RFC defines.
	ErrTrailingData = errors.New("wire: trailing data after last field")

	// ErrInvalid means a field is present but its encoding is not
	// allowed: a non-minimal or negative mpint, a malformed name-list,
	// invalid UTF-8 where UTF-8 is required.
	ErrInvalid = errors.New("wire: invalid encoding")

	// ErrTooLarge means a length or count fits in the payload but is past
	// a hard cap of this package (for example a name-list longer than
	// MaxNameListLen).
	ErrTooLarge = errors.New("wire: field exceeds limit")

	// ErrUnexpectedMessage means a payload's message number is not the
	// one the decoder, or the current protocol phase, expects.
	ErrUnexpectedMessage = errors.New("wire: unexpected message")
)

// A DecodeError reports where decoding a message failed. It unwraps to
// one of the sentinel errors of this package.
type DecodeError struct {
	Msg    string // message name, e.g. "KEXINIT"; empty if not known
	Offset int    // byte offset in the payload where the failing field began
	Detail string // optional detail, e.g. the field name
	Err    error  // ErrTruncated, ErrTrailingData, ErrInvalid, ErrTooLarge or ErrUnexpectedMessage
}

func (e *DecodeError) Error() string {
	s := "wire: "
	if e.Msg != "" {
		s += e.Msg + ": "
	}
	inner := e.Err.Error()
	if len(inner) > 6 && inner[:6] == "wire: " {
		inner = inner[6:]
	}
	s += inner
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s + fmt.Sprintf(" at offset %d", e.Offset)
}

func (e *DecodeError) Unwrap() error { return e.Err }
