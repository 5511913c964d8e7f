package wire

import (
	"fmt"
	"net"
	"strconv"
	"unicode/utf8"
)

// A DisconnectReason is the reason code of SSH_MSG_DISCONNECT
// (RFC 4250, Section 4.2.2).
type DisconnectReason uint32

// Disconnect reason codes.
const (
	HostNotAllowedToConnect     DisconnectReason = 1
	ProtocolError               DisconnectReason = 2
	KeyExchangeFailed           DisconnectReason = 3
	Reserved                    DisconnectReason = 4
	MACError                    DisconnectReason = 5
	CompressionError            DisconnectReason = 6
	ServiceNotAvailable         DisconnectReason = 7
	ProtocolVersionNotSupported DisconnectReason = 8
	HostKeyNotVerifiable        DisconnectReason = 9
	ConnectionLost              DisconnectReason = 10
	ByApplication               DisconnectReason = 11
	TooManyConnections          DisconnectReason = 12
	AuthCancelledByUser         DisconnectReason = 13
	NoMoreAuthMethodsAvailable  DisconnectReason = 14
	IllegalUserName             DisconnectReason = 15
)

var disconnectNames = [...]string{
	HostNotAllowedToConnect:     "HOST_NOT_ALLOWED_TO_CONNECT",
	ProtocolError:               "PROTOCOL_ERROR",
	KeyExchangeFailed:           "KEY_EXCHANGE_FAILED",
	Reserved:                    "RESERVED",
	MACError:                    "MAC_ERROR",
	CompressionError:            "COMPRESSION_ERROR",
	ServiceNotAvailable:         "SERVICE_NOT_AVAILABLE",
	ProtocolVersionNotSupported: "PROTOCOL_VERSION_NOT_SUPPORTED",
	HostKeyNotVerifiable:        "HOST_KEY_NOT_VERIFIABLE",
	ConnectionLost:              "CONNECTION_LOST",
	ByApplication:               "BY_APPLICATION",
	TooManyConnections:          "TOO_MANY_CONNECTIONS",
	AuthCancelledByUser:         "AUTH_CANCELLED_BY_USER",
	NoMoreAuthMethodsAvailable:  "NO_MORE_AUTH_METHODS_AVAILABLE",
	IllegalUserName:             "ILLEGAL_USER_NAME",
}

func (r DisconnectReason) String() string {
	if r >= 1 && int(r) < len(disconnectNames) {
		return disconnectNames[r]
	}
	return "DisconnectReason(" + strconv.FormatUint(uint64(r), 10) + ")"
}

// A DisconnectError is an SSH_MSG_DISCONNECT (RFC 4253, Section 11.1),
// received from the peer or sent by us. It unwraps to net.ErrClosed: the
// connection is over either way.
type DisconnectError struct {
	Reason  DisconnectReason
	Message string
	Remote  bool // true if the peer sent it
}

func (e *DisconnectError) Error() string {
	who := "local"
	if e.Remote {
		who = "remote"
	}
	return fmt.Sprintf("wire: %s disconnect (%v): %s", who, e.Reason, Sanitize(e.Message))
}

func (e *DisconnectError) Unwrap() error { return net.ErrClosed }

// An OpenFailureReason is the reason code of SSH_MSG_CHANNEL_OPEN_FAILURE
// (RFC 4254, Section 5.1; RFC 4250, Section 4.3).
type OpenFailureReason uint32

// Channel open failure reason codes.
const (
	AdministrativelyProhibited OpenFailureReason = 1
	ConnectFailed              OpenFailureReason = 2
	UnknownChannelType         OpenFailureReason = 3
	ResourceShortage           OpenFailureReason = 4
)

func (r OpenFailureReason) String() string {
	switch r {
	case AdministrativelyProhibited:
		return "ADMINISTRATIVELY_PROHIBITED"
	case ConnectFailed:
		return "CONNECT_FAILED"
	case UnknownChannelType:
		return "UNKNOWN_CHANNEL_TYPE"
	case ResourceShortage:
		return "RESOURCE_SHORTAGE"
	}
	return "OpenFailureReason(" + strconv.FormatUint(uint64(r), 10) + ")"
}

// ExtendedDataStderr is the only extended data type code RFC 4254 defines
// (Section 5.2; RFC 4250, Section 4.4).
const ExtendedDataStderr uint32 = 1

// Sanitize returns s with control characters (C0 other than tab and
// newline, DEL, C1) and invalid UTF-8 replaced by escapes, so that
// peer-supplied text such as a DISCONNECT message or a banner can be shown
// on a terminal or written to a log without injecting escape sequences
// (docs/security.md#w4).
func Sanitize(s string) string {
	i := 0
	for i < len(s) {
		c, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(c, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	out := make([]byte, i, len(s)+8)
	copy(out, s[:i])
	for i < len(s) {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, "\\x%02x", s[i])
		case unsafeRune(c, size):
			out = fmt.Appendf(out, "\\u%04x", c)
		default:
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return string(out)
}

func unsafeRune(c rune, size int) bool {
	switch {
	case c == utf8.RuneError && size == 1:
		return true
	case c == '\t' || c == '\n':
		return false
	case c < 0x20 || c == 0x7f:
		return true
	case c >= 0x80 && c < 0xa0:
		return true
	}
	return false
}
