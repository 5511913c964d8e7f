package hostkey

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by this package. Decoding errors from malformed blobs
// wrap a wire sentinel (wire.ErrTruncated, wire.ErrTrailingData,
// wire.ErrInvalid, wire.ErrTooLarge) instead.
var (
	// ErrUnknownAlgorithm means a key type or signature algorithm is not
	// registered.
	ErrUnknownAlgorithm = errors.New("hostkey: unknown algorithm")

	// ErrInvalidKey means a key blob decodes but its contents are not a
	// valid key: wrong length, point not on the curve, bad RSA exponent.
	ErrInvalidKey = errors.New("hostkey: invalid key")

	// ErrSignature means a signature does not verify.
	ErrSignature = errors.New("hostkey: signature verification failed")

	// ErrAlgorithmMismatch means a signature's format, a key's type and
	// the negotiated or requested algorithm name do not agree
	// (RFC 8332, Section 3; RFC 4252, Section 7).
	ErrAlgorithmMismatch = errors.New("hostkey: algorithm does not match key or signature")

	// ErrAlgorithmDisabled means the algorithm is known but the Policy
	// does not allow it (ssh-rsa with SHA-1 unless Policy.AllowSHA1).
	ErrAlgorithmDisabled = errors.New("hostkey: algorithm disabled by policy")

	// ErrKeyTooSmall means an RSA key is below the Policy minimum
	// (1024 bits at least).
	ErrKeyTooSmall = errors.New("hostkey: key too small")

	// ErrUserPresence means a security-key signature lacks the
	// user-presence flag and the Policy requires it (OpenSSH PROTOCOL.u2f).
	ErrUserPresence = errors.New("hostkey: security key signature without user presence")

	// ErrUserVerification means a security-key signature lacks the
	// user-verification flag and the Policy requires it.
	ErrUserVerification = errors.New("hostkey: security key signature without user verification")
)

// A LineError reports a line of a text file (authorized_keys,
// known_hosts, *.pub) that could not be parsed.
type LineError struct {
	File string // file name; empty when parsing from a reader without a name
	Line int    // 1-based line number
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("hostkey: %s:%d: %s", e.File, e.Line, strings.TrimPrefix(e.Err.Error(), "hostkey: "))
}

func (e *LineError) Unwrap() error { return e.Err }
