package packet

import (
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// Errors returned by a Conn. ErrPayloadSize, ErrAlgorithm and the
// ErrVersion of a second ExchangeVersions call or a bad local version
// leave the Conn usable; every other error is fatal: the Conn closes, and
// every later call returns the same error.
var (
	// ErrMAC means a packet's MAC or AEAD tag did not verify (RFC 4253,
	// Section 6.4). The Conn sent DISCONNECT with MAC_ERROR (best effort)
	// and closed.
	ErrMAC = errors.New("packet: message authentication failed")

	// ErrLength means a packet_length is larger than the maximum, smaller
	// than a minimal packet, or not a multiple of the cipher's block size
	// (RFC 4253, Section 6). It is detected right after the length is
	// read, before the packet is buffered.
	ErrLength = errors.New("packet: bad packet length")

	// ErrPadding means padding_length is below 4 or leaves no room for a
	// payload (RFC 4253, Section 6).
	ErrPadding = errors.New("packet: bad padding length")

	// ErrSeqWrap means a sequence number wrapped around during the
	// initial key exchange (SetInitialKex), which OpenSSH treats as fatal
	// (RFC 4344, Section 3.1; strict kex).
	ErrSeqWrap = errors.New("packet: sequence number wrapped during initial key exchange")

	// ErrPayloadSize means WritePacket was given an empty payload or one
	// that does not fit the maximum packet size. It is not fatal.
	ErrPayloadSize = errors.New("packet: payload empty or too large")

	// ErrCompression means a compressed payload was malformed or inflated
	// past the maximum packet size (docs/security.md#r7).
	ErrCompression = errors.New("packet: decompression failed")

	// ErrAlgorithm means SetReadKeys or SetWriteKeys was given an unknown
	// algorithm, a non-AEAD cipher without a MAC, or key material of the
	// wrong size. It is not fatal.
	ErrAlgorithm = errors.New("packet: unusable algorithm or keys")

	// ErrVersion means the peer's identification string is malformed: too
	// long, without "SSH-", with control characters, or preceded by too
	// many other lines (RFC 4253, Section 4.2).
	ErrVersion = errors.New("packet: bad identification string")

	// ErrProtocolVersion means the peer speaks an SSH protocol version
	// other than 2.0 (or 1.99, which means 2.0; RFC 4253, Section 5.1).
	ErrProtocolVersion = errors.New("packet: unsupported protocol version")
)

// A VersionError reports an unusable identification string received from
// the peer. It unwraps to ErrVersion or ErrProtocolVersion.
type VersionError struct {
	Line string // the offending line, sanitised and truncated for display
	Err  error  // ErrVersion or ErrProtocolVersion
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%v: %q", e.Err, e.Line)
}

func (e *VersionError) Unwrap() error { return e.Err }

func versionError(err error, line []byte) error {
	if len(line) > 64 {
		line = line[:64]
	}
	return &VersionError{Line: wire.Sanitize(string(line)), Err: err}
}

// disconnectReason maps a fatal read error to the DISCONNECT reason sent
// to the peer, or 0 for none (I/O errors, version exchange).
func disconnectReason(err error) wire.DisconnectReason {
	switch {
	case errors.Is(err, ErrMAC):
		return wire.MACError
	case errors.Is(err, ErrLength), errors.Is(err, ErrPadding), errors.Is(err, ErrSeqWrap):
		return wire.ProtocolError
	case errors.Is(err, ErrCompression):
		return wire.CompressionError
	}
	return 0
}
