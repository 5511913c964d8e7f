package keyagent

import (
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// SessionBindExtension is the name of OpenSSH's session-binding agent
// extension (PROTOCOL.agent, Section 1).
const SessionBindExtension = "session-bind@openssh.com"

// Limits on session bindings, ssh-agent's AGENT_MAX_SID_LEN and
// AGENT_MAX_SESSION_IDS.
const (
	maxSessionIDLen = 128
	maxBindings     = 16
)

// ErrBind means a session-bind@openssh.com request was refused: a bad
// signature, a duplicate session, too many bindings, or a connection
// already bound for authentication.
var ErrBind = errors.New("keyagent: session bind refused")

// A SessionBind is the body of a session-bind@openssh.com extension
// request (PROTOCOL.agent, Section 1), after the extension name.
type SessionBind struct {
	HostKey    []byte // the server's host key blob
	SessionID  []byte // the exchange hash of the initial key exchange
	Signature  []byte // the host key's signature of SessionID
	Forwarding bool   // bound for forwarding rather than authentication
}

// ParseSessionBind decodes b, the extension contents. The result aliases
// b. Errors wrap a wire sentinel; no input makes it panic.
func ParseSessionBind(b []byte) (*SessionBind, error) {
	r := wire.NewReader(b)
	var m SessionBind
	m.HostKey = r.StringBytes()
	m.SessionID = r.StringBytes()
	m.Signature = r.StringBytes()
	m.Forwarding = r.Bool()
	if err := r.End("session-bind@openssh.com"); err != nil {
		return nil, fmt.Errorf("keyagent: %w", err)
	}
	return &m, nil
}

// Append appends the encoding ParseSessionBind reads.
func (m *SessionBind) Append(b []byte) []byte {
	b = wire.AppendString(b, m.HostKey)
	b = wire.AppendString(b, m.SessionID)
	b = wire.AppendString(b, m.Signature)
	return wire.AppendBool(b, m.Forwarding)
}

// Verify checks that Signature is HostKey's signature of SessionID, as
// ssh-agent does before it records a binding.
func (m *SessionBind) Verify() error {
	if len(m.SessionID) == 0 || len(m.SessionID) > maxSessionIDLen {
		return fmt.Errorf("%w: session id of %d bytes", ErrBind, len(m.SessionID))
	}
	pub, err := hostkey.ParsePublicKey(m.HostKey)
	if err != nil {
		return fmt.Errorf("%w: host key: %v", ErrBind, err)
	}
	sig, err := hostkey.ParseSignature(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature: %v", ErrBind, err)
	}
	if err := pub.Verify(m.SessionID, sig); err != nil {
		return fmt.Errorf("%w: %v", ErrBind, err)
	}
	return nil
}

// bindings are one connection's session bindings; the serving goroutine
// owns them.
type bindings struct {
	list []SessionBind // copies, not aliasing any request
	auth bool          // bound for authentication: no further binds
}

// bind records m after verifying it, refusing what ssh-agent refuses.
func (bs *bindings) bind(m *SessionBind) error {
	if err := m.Verify(); err != nil {
		return err
	}
	if bs.auth {
		return fmt.Errorf("%w: connection already bound for authentication", ErrBind)
	}
	for _, b := range bs.list {
		if string(b.SessionID) == string(m.SessionID) {
			if string(b.HostKey) == string(m.HostKey) {
				return nil // the same binding again
			}
			return fmt.Errorf("%w: session id recorded against another host key", ErrBind)
		}
	}
	if len(bs.list) >= maxBindings {
		return fmt.Errorf("%w: too many bindings", ErrBind)
	}
	bs.list = append(bs.list, SessionBind{
		HostKey:    append([]byte(nil), m.HostKey...),
		SessionID:  append([]byte(nil), m.SessionID...),
		Signature:  append([]byte(nil), m.Signature...),
		Forwarding: m.Forwarding,
	})
	bs.auth = !m.Forwarding
	return nil
}
