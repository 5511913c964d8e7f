package keyagent

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// PKCS11Helper is where Debian installs OpenSSH's ssh-pkcs11-helper(8);
// ssh and ssh-agent run it to reach a PKCS#11 token, and so does
// OpenPKCS11 (the SSH_PKCS11_HELPER environment variable overrides it,
// as in ssh).
const PKCS11Helper = "/usr/lib/openssh/ssh-pkcs11-helper"

// The messages ssh-pkcs11-helper answers: a subset of the agent protocol
// (draft-miller-ssh-agent, Section 6.1), spoken on its stdin and stdout.
const (
	msgFailure           = 5  // SSH_AGENT_FAILURE
	msgIdentitiesAnswer  = 12 // SSH2_AGENT_IDENTITIES_ANSWER
	msgSignRequest       = 13 // SSH2_AGENTC_SIGN_REQUEST
	msgSignResponse      = 14 // SSH2_AGENT_SIGN_RESPONSE
	msgAddSmartcardKey   = 20 // SSH_AGENTC_ADD_SMARTCARD_KEY
	maxPKCS11KeysPerList = 1024
)

// ErrPKCS11NoKeys means the helper loaded the provider but found no key
// it could use: the token needs a PIN that was not given or was wrong,
// or holds no RSA or ECDSA key. ssh-pkcs11-helper does not say which.
var ErrPKCS11NoKeys = errors.New("keyagent: PKCS#11 provider gave no keys")

// ErrPKCS11Helper means ssh-pkcs11-helper could not be run, or stopped
// answering, or answered what the protocol does not allow.
var ErrPKCS11Helper = errors.New("keyagent: ssh-pkcs11-helper failed")

// A PKCS11 is a running ssh-pkcs11-helper with one provider loaded. Its
// keys sign through the helper: the private keys never leave the token.
// Close stops the helper; the keys are unusable after that.
type PKCS11 struct {
	cmd  *exec.Cmd // nil when built on a plain stream (tests)
	w    io.WriteCloser
	r    io.Reader
	mu   sync.Mutex // serialises requests; guards buf and err
	buf  []byte
	err  error // the first transport error, kept
	keys []*PKCS11Key

	closeOnce sync.Once
	closed    atomic.Bool
}

// A PKCS11Key is one key of a token: its public half, the label the
// token gives it, and a crypto.Signer that signs through the helper.
type PKCS11Key struct {
	Label  string
	Signer *hostkey.CryptoSigner
}

// PKCS11Options are the optional parts of OpenPKCS11.
type PKCS11Options struct {
	// Helper is the program to run; empty is $SSH_PKCS11_HELPER, else
	// PKCS11Helper.
	Helper string
	// Verbose passes -vvv to the helper (ssh does at LogLevel DEBUG1 and
	// above); its log then goes to Stderr.
	Verbose bool
	// Stderr receives the helper's standard error; nil discards it.
	Stderr io.Writer
}

// OpenPKCS11 runs ssh-pkcs11-helper and asks it to load the PKCS#11
// module at provider, logging in with pin ("" for none), as ssh -I does
// (ssh-pkcs11-client.c): SSH_AGENTC_ADD_SMARTCARD_KEY, answered by the
// list of keys. A token that needs a PIN gives no keys without one
// (ErrPKCS11NoKeys). ctx bounds the start and the loading; the helper
// runs until Close.
func OpenPKCS11(ctx context.Context, provider, pin string, opt *PKCS11Options) (*PKCS11, error) {
	if opt == nil {
		opt = &PKCS11Options{}
	}
	helper := opt.Helper
	if helper == "" {
		helper = os.Getenv("SSH_PKCS11_HELPER")
	}
	if helper == "" {
		helper = PKCS11Helper
	}
	var args []string
	if opt.Verbose {
		args = append(args, "-vvv")
	}
	cmd := exec.Command(helper, args...)
	cmd.Stderr = opt.Stderr
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPKCS11Helper, err)
	}
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPKCS11Helper, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: starting %s: %v", ErrPKCS11Helper, helper, err)
	}
	p := &PKCS11{cmd: cmd, w: w, r: r}
	// A helper that hangs in the module is killed when ctx ends.
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	err = p.add(provider, pin)
	if !stop() {
		if err == nil {
			err = ErrPKCS11Helper
		}
		err = fmt.Errorf("%w: %w", err, ctx.Err())
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// newPKCS11 speaks the helper protocol on rw (tests and fuzzing).
func newPKCS11(r io.Reader, w io.WriteCloser) *PKCS11 { return &PKCS11{r: r, w: w} }

// Keys returns the token's keys in the helper's order.
func (p *PKCS11) Keys() []*PKCS11Key { return p.keys }

// Close ends the helper: it exits at the end of its input, after any
// request in progress, and is killed if it has not within 5 seconds (a
// module that hangs). Close waits for it; a signature in progress then
// fails. It is safe to call more than once and from any goroutine.
func (p *PKCS11) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		if p.w != nil {
			p.w.Close()
		}
		if p.cmd == nil {
			return
		}
		t := time.AfterFunc(5*time.Second, func() { p.cmd.Process.Kill() })
		defer t.Stop()
		if werr := p.cmd.Wait(); werr != nil {
			var ee *exec.ExitError
			if !errors.As(werr, &ee) { // killed, or a non-zero exit after EOF, is fine
				err = werr
			}
		}
	})
	return err
}

// add sends SSH_AGENTC_ADD_SMARTCARD_KEY and reads the keys.
func (p *PKCS11) add(provider, pin string) error {
	req := []byte{msgAddSmartcardKey}
	req = wire.AppendString(req, []byte(provider))
	req = wire.AppendString(req, []byte(pin))
	reply, err := p.roundTrip(req)
	if err != nil {
		return err
	}
	keys, err := parsePKCS11Keys(reply)
	if err != nil {
		return err
	}
	for _, k := range keys {
		s, err := hostkey.NewSigner(&pkcs11Signer{p: p, blob: k.blob, pub: k.pub})
		if err != nil {
			continue // a key type hostkey does not sign with
		}
		p.keys = append(p.keys, &PKCS11Key{Label: k.label, Signer: s})
	}
	if len(p.keys) == 0 {
		return ErrPKCS11NoKeys
	}
	return nil
}

type pkcs11Entry struct {
	blob  []byte
	label string
	pub   crypto.PublicKey
}

// parsePKCS11Keys decodes the helper's answer to ADD_SMARTCARD_KEY:
// SSH2_AGENT_IDENTITIES_ANSWER (uint32 count, then key blob and label
// for each), or SSH_AGENT_FAILURE. Keys of types the helper cannot sign
// with (only RSA and ECDSA) are dropped.
func parsePKCS11Keys(msg []byte) ([]pkcs11Entry, error) {
	r := wire.NewReader(msg)
	switch t := r.Byte(); {
	case r.Failed():
		return nil, fmt.Errorf("%w: empty reply", ErrPKCS11Helper)
	case t == msgFailure:
		return nil, ErrPKCS11NoKeys
	case t != msgIdentitiesAnswer:
		return nil, fmt.Errorf("%w: reply type %d to ADD_SMARTCARD_KEY", ErrPKCS11Helper, t)
	}
	n := r.Uint32()
	if n > maxPKCS11KeysPerList {
		return nil, fmt.Errorf("%w: %d keys", ErrPKCS11Helper, n)
	}
	var out []pkcs11Entry
	for i := uint32(0); i < n && !r.Failed(); i++ {
		blob := r.StringBytes()
		label := r.Text()
		if r.Failed() {
			break
		}
		pub, err := hostkey.ParsePublicKey(blob)
		if err != nil {
			continue
		}
		cp, ok := pub.(interface{ CryptoPublicKey() crypto.PublicKey })
		if !ok {
			continue
		}
		switch cp.CryptoPublicKey().(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
		default:
			continue
		}
		out = append(out, pkcs11Entry{blob: append([]byte(nil), blob...), label: label, pub: cp.CryptoPublicKey()})
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: parsing key list: %v", ErrPKCS11Helper, err)
	}
	return out, nil
}

// roundTrip sends one request and returns the reply (message type
// first), which aliases p.buf until the next call. The caller holds no
// lock.
func (p *PKCS11) roundTrip(req []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil && p.closed.Load() {
		p.err = fmt.Errorf("%w: closed", ErrPKCS11Helper)
	}
	if p.err != nil {
		return nil, p.err
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(req)), uint32(len(req)))
	frame = append(frame, req...)
	if _, err := p.w.Write(frame); err != nil {
		p.err = fmt.Errorf("%w: writing: %v", ErrPKCS11Helper, err)
		return nil, p.err
	}
	// The same limit as the helper's own replies (256 KiB) and as ours
	// for agent clients (docs/security.md#w7).
	buf, err := readFrame(p.r, p.buf)
	p.buf = buf
	if err != nil {
		p.err = fmt.Errorf("%w: reading: %v", ErrPKCS11Helper, err)
		return nil, p.err
	}
	return buf[4:], nil
}

// A pkcs11Signer is a crypto.Signer whose private operation runs in the
// helper: for RSA the helper applies PKCS#1 v1.5 padding to the
// DigestInfo it is given (RSA_private_encrypt), for ECDSA it signs the
// digest and returns an ASN.1 signature, which is what crypto.Signer
// returns too.
type pkcs11Signer struct {
	p    *PKCS11
	blob []byte
	pub  crypto.PublicKey
}

var _ crypto.Signer = (*pkcs11Signer)(nil)

func (s *pkcs11Signer) Public() crypto.PublicKey { return s.pub }

// digestInfoPrefix is the DER prefix of PKCS#1 v1.5's DigestInfo for
// each hash an SSH RSA signature uses (RFC 8017, Section 9.2, note 1).
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// Sign asks the helper to sign digest (SSH2_AGENTC_SIGN_REQUEST with
// flags 0: the helper ignores the agent's hash flags, the digest
// decides).
func (s *pkcs11Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	data := digest
	if _, ok := s.pub.(*rsa.PublicKey); ok {
		prefix, ok := digestInfoPrefix[opts.HashFunc()]
		if !ok {
			return nil, fmt.Errorf("keyagent: PKCS#11 RSA signing with hash %v is not supported", opts.HashFunc())
		}
		data = append(append([]byte(nil), prefix...), digest...)
	}
	req := []byte{msgSignRequest}
	req = wire.AppendString(req, s.blob)
	req = wire.AppendString(req, data)
	req = binary.BigEndian.AppendUint32(req, 0)
	reply, err := s.p.roundTrip(req)
	if err != nil {
		return nil, err
	}
	r := wire.NewReader(reply)
	switch t := r.Byte(); t {
	case msgSignResponse:
	case msgFailure:
		return nil, fmt.Errorf("keyagent: PKCS#11 token refused to sign")
	default:
		return nil, fmt.Errorf("%w: reply type %d to SIGN_REQUEST", ErrPKCS11Helper, t)
	}
	sig := r.StringBytes()
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: parsing signature: %v", ErrPKCS11Helper, err)
	}
	return append([]byte(nil), sig...), nil
}
