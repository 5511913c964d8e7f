package userauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/wire"
)

// Errors a caller tests for with errors.Is.
var (
	// ErrDenied means the server answered a request with
	// SSH_MSG_USERAUTH_FAILURE (RFC 4252, Section 5.1). The attempt's
	// error is a *DeniedError carrying the methods that can continue.
	ErrDenied = errors.New("userauth: request denied")

	// ErrNotOffered means a source was skipped because its method was not
	// among the server's "authentications that can continue".
	ErrNotOffered = errors.New("userauth: method not offered by the server")

	// ErrAnswered is what ClientConn.Next returns once the server has
	// answered the current request with USERAUTH_SUCCESS or
	// USERAUTH_FAILURE. A Method returns it (or any error) to end its
	// attempt; the engine, not the Method, records the outcome.
	ErrAnswered = errors.New("userauth: request answered")

	// ErrAlgorithmNotAccepted means a publickey source skipped its key
	// because none of the key's algorithms is in its Algorithms list
	// (OpenSSH's PubkeyAcceptedAlgorithms).
	ErrAlgorithmNotAccepted = errors.New("userauth: key algorithm not accepted by the configuration")

	// ErrNoAnswer means a Method returned without an error and without
	// the server having answered its request.
	ErrNoAnswer = errors.New("userauth: method ended without an answer")

	// ErrPasswordChange means the server requires a new password
	// (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ, RFC 4252, Section 8) and the
	// Password source has no way to choose one.
	ErrPasswordChange = errors.New("userauth: server requires a password change")

	// ErrAborted is what ServerConn.Next returns when the client sent a
	// new USERAUTH_REQUEST in the middle of a method's conversation
	// (RFC 4252, Section 5; RFC 4256, Section 3.4). The engine processes
	// the new request once the Handler returns.
	ErrAborted = errors.New("userauth: request aborted by a new request")

	// ErrMaxAuthTries means the server disconnected a client after
	// MaxAuthTries failed attempts (docs/security.md#a6).
	ErrMaxAuthTries = errors.New("userauth: too many authentication failures")

	// ErrConflict means two factors of one authentication returned
	// Permissions that cannot be merged, for example two different
	// forced commands (docs/security.md#a9).
	ErrConflict = errors.New("userauth: conflicting permissions")

	// ErrPasswordTooLong means a password or keyboard-interactive
	// response is longer than MaxPasswordLen (docs/security.md#a8).
	ErrPasswordTooLong = errors.New("userauth: password too long")

	// ErrConfig means a ServerConfig cannot work, for example a chain
	// naming a method that is not enabled.
	ErrConfig = errors.New("userauth: invalid configuration")

	// ErrSourceAddress means a factor's source-address restriction does
	// not allow the client's address.
	ErrSourceAddress = errors.New("userauth: source address not allowed")
)

// A DeniedError is the server's SSH_MSG_USERAUTH_FAILURE to one request
// (RFC 4252, Section 5.1). It unwraps to ErrDenied.
type DeniedError struct {
	Method  string   // the method of the denied request
	Methods []string // authentications that can continue
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("userauth: %s denied (can continue: %s)", e.Method, strings.Join(e.Methods, ","))
}

func (e *DeniedError) Unwrap() error { return ErrDenied }

// protocolError wraps wire.ErrUnexpectedMessage with the message and the
// phase it arrived in.
func protocolError(p []byte, ctx wire.Context, phase string) error {
	name := "empty payload"
	if len(p) > 0 {
		name = wire.MsgNum(p[0]).Name(ctx)
	}
	return fmt.Errorf("userauth: %s in phase %s: %w", name, phase, wire.ErrUnexpectedMessage)
}
