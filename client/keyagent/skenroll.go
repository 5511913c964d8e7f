package keyagent

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// An SKEnrollRequest asks an authenticator, through ssh-sk-helper, for a
// new security key, as ssh-keygen -t ecdsa-sk or ed25519-sk does.
type SKEnrollRequest struct {
	Type     string // hostkey.SKECDSAP256 or hostkey.SKED25519
	Provider string // the SecurityKeyProvider library, or "internal"
	Device   string // the authenticator's device path; empty lets the provider choose
	// Application is the FIDO application; empty is "ssh:".
	Application string
	User        string // the user id of a resident key; empty is none
	// Flags are hostkey.SKUserPresent (touch required),
	// hostkey.SKUserVerified (PIN or biometric required),
	// hostkey.SKResidentKey and hostkey.SKForceOperation.
	Flags     byte
	PIN       string // empty: none
	Challenge []byte // empty: the helper picks 32 random bytes
	// Helper is the program; empty is $SSH_SK_HELPER, else SKHelper.
	Helper string
	// Timeout bounds the enrolment; zero is two minutes.
	Timeout time.Duration
}

// An SKEnrollment is what an enrolment gives: the key to write in the
// key file, and the attestation (ssh-keygen's write-attestation file: a
// "ssh-sk-attest-v01" blob with the authenticator's certificate,
// signature and authenticator data).
type SKEnrollment struct {
	Key         *hostkey.SKPrivateKey
	Attestation []byte
}

// EnrollSK runs ssh-sk-helper's SSH_SK_HELPER_ENROLL. A refusal is an
// *SKHelperError: SKErrPINRequired asks for the PIN (try again with
// it), SKErrCredentialExists that a resident key would be overwritten
// (try again with hostkey.SKForceOperation). ctx and req.Timeout bound
// the helper, which is killed when either ends.
func EnrollSK(ctx context.Context, req *SKEnrollRequest) (*SKEnrollment, error) {
	var typ uint32
	switch req.Type {
	case hostkey.SKECDSAP256:
		typ = skKeyECDSA
	case hostkey.SKED25519:
		typ = skKeyED25519
	default:
		return nil, fmt.Errorf("%w: key type %q", hostkey.ErrUnknownAlgorithm, req.Type)
	}
	app := req.Application
	if app == "" {
		app = "ssh:"
	}
	b := binary.BigEndian.AppendUint32(nil, typ)
	b = wire.AppendString(b, []byte(req.Provider))
	b = wire.AppendString(b, []byte(req.Device))
	b = wire.AppendString(b, []byte(app))
	b = wire.AppendString(b, []byte(req.User))
	b = append(b, req.Flags)
	b = wire.AppendString(b, []byte(req.PIN))
	b = wire.AppendString(b, req.Challenge)
	r, err := skConverse(ctx, req.Helper, req.Timeout, skHelperEnroll, b)
	if err != nil {
		return nil, err
	}
	e, err := parseSKEnrollReply(r.Rest())
	if err != nil {
		return nil, err
	}
	if e.Key.PublicKey.Type() != req.Type {
		return nil, fmt.Errorf("%w: enrolled a %s key, not %s", ErrSKHelper, e.Key.PublicKey.Type(), req.Type)
	}
	return e, nil
}

// parseSKEnrollReply decodes the body of an SSH_SK_HELPER_ENROLL answer:
// the key's private serialisation as a string, then the attestation as
// a string.
func parseSKEnrollReply(b []byte) (*SKEnrollment, error) {
	r := wire.NewReader(b)
	ser := r.StringBytes()
	att := r.StringBytes()
	if err := r.End("ssh-sk-helper enroll reply"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSKHelper, err)
	}
	k, err := parseSKKey(ser)
	if err != nil {
		return nil, fmt.Errorf("%w: enrolled key: %v", ErrSKHelper, err)
	}
	return &SKEnrollment{Key: k, Attestation: append([]byte(nil), att...)}, nil
}

// parseSKKey decodes a key serialisation with nothing after it.
func parseSKKey(ser []byte) (*hostkey.SKPrivateKey, error) {
	k, rest, err := hostkey.ParseSKSerialized(ser)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(rest))
	}
	return k, nil
}

// An SKResidentKey is a key an authenticator holds (enrolled with
// hostkey.SKResidentKey), as ssh-keygen -K downloads it.
type SKResidentKey struct {
	Key    *hostkey.SKPrivateKey
	UserID []byte // the user id given at enrolment, zero-padded by some authenticators
}

// SKLoadOptions are the optional parts of LoadResidentSK.
type SKLoadOptions struct {
	Device  string        // the authenticator's device path; empty lets the provider choose
	PIN     string        // empty: none
	Helper  string        // empty is $SSH_SK_HELPER, else SKHelper
	Timeout time.Duration // zero is two minutes
}

// LoadResidentSK runs ssh-sk-helper's SSH_SK_HELPER_LOAD_RESIDENT and
// returns the resident keys of the authenticator that provider reaches
// whose application begins with "ssh:" (the helper drops the others).
// An authenticator that needs a PIN refuses with SKErrPINRequired; opt
// may be nil.
func LoadResidentSK(ctx context.Context, provider string, opt *SKLoadOptions) ([]*SKResidentKey, error) {
	if opt == nil {
		opt = &SKLoadOptions{}
	}
	b := wire.AppendString(nil, []byte(provider))
	b = wire.AppendString(b, []byte(opt.Device))
	b = wire.AppendString(b, []byte(opt.PIN))
	b = binary.BigEndian.AppendUint32(b, 0) // flags
	r, err := skConverse(ctx, opt.Helper, opt.Timeout, skHelperLoadResident, b)
	if err != nil {
		return nil, err
	}
	return parseSKResidentReply(r.Rest())
}

// parseSKResidentReply decodes the body of an SSH_SK_HELPER_LOAD_RESIDENT
// answer: until its end, each key as a string holding its private
// serialisation, a comment (empty) and the user id.
func parseSKResidentReply(b []byte) ([]*SKResidentKey, error) {
	r := wire.NewReader(b)
	var out []*SKResidentKey
	for r.Len() > 0 {
		if len(out) == maxResidentKeys {
			return nil, fmt.Errorf("%w: more than %d resident keys", ErrSKHelper, maxResidentKeys)
		}
		ser := r.StringBytes()
		r.StringBytes() // comment
		user := r.StringBytes()
		if r.Failed() {
			break
		}
		k, err := parseSKKey(ser)
		if err != nil {
			return nil, fmt.Errorf("%w: resident key %d: %v", ErrSKHelper, len(out), err)
		}
		out = append(out, &SKResidentKey{Key: k, UserID: append([]byte(nil), user...)})
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: resident keys: %v", ErrSKHelper, err)
	}
	return out, nil
}
