package keyagent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// SKHelper is where Debian installs OpenSSH's ssh-sk-helper(8), which
// ssh runs to sign with a FIDO security key (the SSH_SK_HELPER
// environment variable overrides it, as in ssh).
const SKHelper = "/usr/lib/openssh/ssh-sk-helper"

// The ssh-sk-helper protocol (OpenSSH 9.2 ssh-sk-client.c): a uint32
// length, then a version byte and the request, answered the same way.
const (
	skHelperVersion      = 5
	skHelperError        = 0
	skHelperSign         = 1
	skHelperEnroll       = 2
	skHelperLoadResident = 3
)

// OpenSSH's key type numbers (sshkey.h), which an enrolment names.
const (
	skKeyECDSA   = 10 // KEY_ECDSA_SK
	skKeyED25519 = 12 // KEY_ED25519_SK
)

// maxResidentKeys bounds the keys one SSH_SK_HELPER_LOAD_RESIDENT
// answer may hold (docs/security.md#w7); an authenticator holds a few
// dozen at most.
const maxResidentKeys = 1024

// ErrSKHelper means ssh-sk-helper could not be run or answered what the
// protocol does not allow; an *SKHelperError is its refusal.
var ErrSKHelper = errors.New("keyagent: ssh-sk-helper failed")

// Codes of an SKHelperError (OpenSSH ssherr.h, as ssh-sk.c maps the
// provider's errors).
const (
	SKErrPINRequired      = 43 // SSH_ERR_KEY_WRONG_PASSPHRASE: a PIN is needed, or was wrong
	SKErrCredentialExists = 44 // SSH_ERR_KEY_BAD_PERMISSIONS: a resident key of that application and user exists
	SKErrUnsupported      = 59 // SSH_ERR_FEATURE_UNSUPPORTED: the authenticator cannot (key type, resident keys)
	SKErrDeviceNotFound   = 60 // SSH_ERR_DEVICE_NOT_FOUND
)

// An SKHelperError is ssh-sk-helper's SSH_SK_HELPER_ERROR: an OpenSSH
// error code (ssherr.h), negated on the wire, one of the SKErr
// constants or another.
type SKHelperError struct{ Code uint32 }

func (e *SKHelperError) Error() string {
	switch e.Code {
	case SKErrPINRequired:
		return "keyagent: ssh-sk-helper: the authenticator needs a PIN, or the PIN was wrong"
	case SKErrCredentialExists:
		return "keyagent: ssh-sk-helper: a resident key for that application and user already exists"
	case SKErrUnsupported:
		return "keyagent: ssh-sk-helper: not supported by the authenticator"
	case SKErrDeviceNotFound:
		return "keyagent: ssh-sk-helper: no authenticator found"
	}
	return fmt.Sprintf("keyagent: ssh-sk-helper refused (error -%d)", e.Code)
}

// An SKSigner signs with a FIDO security key through ssh-sk-helper and
// the provider library that reaches the authenticator (ssh_config's
// SecurityKeyProvider: a path, or "internal" for OpenSSH's built-in
// libfido2 support). Each signature runs the helper once, as ssh does.
// It implements hostkey.Signer.
type SKSigner struct {
	Key      *hostkey.SKPrivateKey
	Provider string
	// PIN, if set, gives the authenticator PIN; nil sends none.
	PIN func() (string, error)
	// Helper is the program; empty is $SSH_SK_HELPER, else SKHelper.
	Helper string
	// Timeout bounds one signature (the user may have to touch the key);
	// zero is two minutes.
	Timeout time.Duration
}

var _ hostkey.Signer = (*SKSigner)(nil)

// PublicKey returns the security key's public key.
func (s *SKSigner) PublicKey() hostkey.PublicKey { return s.Key.PublicKey }

// Sign asks the authenticator, through ssh-sk-helper, to sign data
// (SSH_SK_HELPER_SIGN: key, provider, data, algorithm, compat flags,
// PIN) and returns the sk-* signature the helper makes of its answer.
func (s *SKSigner) Sign(_ io.Reader, data []byte) (*hostkey.Signature, error) {
	pin := ""
	if s.PIN != nil {
		p, err := s.PIN()
		if err != nil {
			return nil, err
		}
		pin = p
	}
	req := wire.AppendString(nil, s.Key.Serialized) // the key
	req = wire.AppendString(req, []byte(s.Provider))
	req = wire.AppendString(req, data)
	req = wire.AppendString(req, []byte(nil)) // algorithm: the key's own
	req = binary.BigEndian.AppendUint32(req, 0)
	req = wire.AppendString(req, []byte(pin))
	r, err := skConverse(context.Background(), s.Helper, s.Timeout, skHelperSign, req)
	if err != nil {
		return nil, err
	}
	blob := r.StringBytes()
	if err := r.End("ssh-sk-helper sign reply"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSKHelper, err)
	}
	sig, err := hostkey.ParseSignature(blob)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrSKHelper, err)
	}
	if sig.Format != s.Key.PublicKey.Type() {
		return nil, fmt.Errorf("%w: %q signature from a %s key", ErrSKHelper, wire.Sanitize(sig.Format), s.Key.PublicKey.Type())
	}
	return sig, nil
}

// skConverse runs the helper (empty: $SSH_SK_HELPER, else SKHelper)
// with one request of type typ (its body after the type, logging
// fields first) and returns a Reader on the reply after its version
// and type, which it checks; a refusal is an *SKHelperError. timeout
// zero is two minutes, the time a user has to touch the key.
func skConverse(ctx context.Context, helper string, timeout time.Duration, typ uint32, body []byte) (*wire.Reader, error) {
	if helper == "" {
		helper = os.Getenv("SSH_SK_HELPER")
	}
	if helper == "" {
		helper = SKHelper
	}
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req := binary.BigEndian.AppendUint32(nil, typ)
	req = append(req, 0)                        // log to stderr: no
	req = binary.BigEndian.AppendUint32(req, 0) // log level: quiet
	req = append(req, body...)
	reply, err := skRoundTrip(ctx, helper, req)
	if err != nil {
		return nil, err
	}
	return parseSKReply(reply, typ)
}

// parseSKReply checks the version and type of a helper reply and
// returns a Reader on the rest.
func parseSKReply(reply []byte, want uint32) (*wire.Reader, error) {
	r := wire.NewReader(reply)
	version := r.Byte()
	typ := r.Uint32()
	switch {
	case r.Failed():
		return nil, fmt.Errorf("%w: short reply", ErrSKHelper)
	case version != skHelperVersion:
		return nil, fmt.Errorf("%w: version %d", ErrSKHelper, version)
	case typ == skHelperError:
		code := r.Uint32()
		if r.Failed() {
			return nil, fmt.Errorf("%w: short error", ErrSKHelper)
		}
		return nil, &SKHelperError{Code: code}
	case typ != want:
		return nil, fmt.Errorf("%w: reply type %d to request %d", ErrSKHelper, typ, want)
	}
	return r, nil
}

// skRoundTrip runs the helper with one request and returns its reply.
func skRoundTrip(ctx context.Context, helper string, req []byte) ([]byte, error) {
	cmd := exec.CommandContext(ctx, helper)
	cmd.Stderr = nil
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSKHelper, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSKHelper, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: starting %s: %v", ErrSKHelper, helper, err)
	}
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(req)+1))
	frame = append(frame, skHelperVersion)
	frame = append(frame, req...)
	_, werr := w.Write(frame)
	w.Close()
	buf, rerr := readFrame(out, nil)
	cmd.Wait()
	if werr != nil {
		return nil, fmt.Errorf("%w: writing: %v", ErrSKHelper, werr)
	}
	if rerr != nil {
		if ctx.Err() != nil {
			rerr = fmt.Errorf("%v: %w", rerr, ctx.Err())
		}
		return nil, fmt.Errorf("%w: reading: %w", ErrSKHelper, rerr)
	}
	return buf[4:], nil
}
