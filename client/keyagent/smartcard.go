package keyagent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/wire"
)

// DefaultAllowedProviders is ssh-agent's default -P: the PKCS#11
// modules it may load (ssh-agent(1), DEFAULT_ALLOWED_PROVIDERS).
const DefaultAllowedProviders = "/usr/lib*/*,/usr/local/lib*/*"

// The smartcard messages of draft-miller-ssh-agent, Section 4.2.6 and
// 4.4, which x/crypto/ssh/agent does not serve.
const (
	msgSuccess                    = 6  // SSH_AGENT_SUCCESS
	msgRemoveSmartcardKey         = 21 // SSH_AGENTC_REMOVE_SMARTCARD_KEY
	msgAddSmartcardKeyConstrained = 26 // SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED

	constrainLifetime  = 1
	constrainConfirm   = 2
	constrainExtension = 255
)

// ErrProviderNotAllowed means a PKCS#11 provider is not in the agent's
// allowlist (ssh-agent -P).
var ErrProviderNotAllowed = errors.New("keyagent: PKCS#11 provider not allowed")

// ErrProviderLoaded means the PKCS#11 provider is already loaded, or,
// for a removal, is not.
var ErrProviderLoaded = errors.New("keyagent: PKCS#11 provider already loaded")

// AddSmartcard loads the PKCS#11 module at provider through
// ssh-pkcs11-helper, logging in with pin, and adds every key of the
// token with the given lifetime (zero: the keyring's default) and
// confirm constraint, as ssh-agent does for SSH_AGENTC_ADD_SMARTCARD_KEY:
// provider is made absolute with symbolic links resolved and must match
// Config.AllowedProviders (ErrProviderNotAllowed), and must not be
// loaded already (ErrProviderLoaded). Keys that are held already keep
// their constraints. The helper runs until RemoveSmartcard or Close.
func (k *Keyring) AddSmartcard(ctx context.Context, provider, pin string, life time.Duration, confirm bool) error {
	canon, err := k.allowedProvider(provider)
	if err != nil {
		return err
	}
	k.mu.Lock()
	_, loaded := k.tokens[canon]
	closed, locked := k.closed, k.locked
	k.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("keyagent: keyring closed")
	case locked:
		return ErrLocked
	case loaded:
		return fmt.Errorf("%w: %s", ErrProviderLoaded, canon)
	}
	opt := k.cfg.PKCS11
	if opt == nil {
		opt = &PKCS11Options{}
	}
	p, err := OpenPKCS11(ctx, canon, pin, opt)
	if err != nil {
		return err
	}
	if life == 0 {
		life = k.cfg.Lifetime
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, loaded := k.tokens[canon]; loaded || k.closed {
		p.Close()
		return fmt.Errorf("%w: %s", ErrProviderLoaded, canon)
	}
	if k.tokens == nil {
		k.tokens = map[string]*PKCS11{}
	}
	k.tokens[canon] = p
	added := 0
	for _, key := range p.Keys() {
		pub := key.Signer.PublicKey()
		blob := pub.Marshal()
		if k.find(blob) >= 0 || len(k.ids) >= k.cfg.MaxKeys {
			continue
		}
		signer, err := newSSHSigner(key.Signer)
		if err != nil {
			continue
		}
		comment := key.Label
		if comment == "" {
			comment = canon
		}
		id := &identity{blob: blob, pub: pub, signer: signer, comment: comment, confirm: confirm, provider: canon}
		if life > 0 {
			id.expire = k.cfg.Now().Add(life)
		}
		k.ids = append(k.ids, id)
		added++
		k.debug("key added", "type", pub.Type(), "fingerprint", hostkey.FingerprintSHA256(pub), "provider", canon)
	}
	k.reapLocked()
	if added == 0 {
		return ErrPKCS11NoKeys
	}
	return nil
}

// RemoveSmartcard removes every key of the PKCS#11 provider and stops
// its helper (SSH_AGENTC_REMOVE_SMARTCARD_KEY); ErrProviderLoaded if it
// was not loaded.
func (k *Keyring) RemoveSmartcard(provider string) error {
	canon, err := canonicalProvider(provider)
	if err != nil {
		return err
	}
	k.mu.Lock()
	p, ok := k.tokens[canon]
	if !ok {
		k.mu.Unlock()
		return fmt.Errorf("%w: %s is not loaded", ErrProviderLoaded, canon)
	}
	delete(k.tokens, canon)
	kept := k.ids[:0]
	for _, id := range k.ids {
		if id.provider != canon {
			kept = append(kept, id)
		}
	}
	clear(k.ids[len(kept):])
	k.ids = kept
	k.mu.Unlock()
	k.debug("provider removed", "provider", canon)
	return p.Close()
}

// closeTokens stops every helper; the caller holds no lock.
func closeTokens(tokens map[string]*PKCS11) {
	for _, p := range tokens {
		p.Close()
	}
}

// canonicalProvider is provider made absolute with its symbolic links
// resolved (ssh-agent's realpath), which must exist.
func canonicalProvider(provider string) (string, error) {
	abs, err := filepath.Abs(provider)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", fmt.Errorf("keyagent: PKCS#11 provider: %w", err)
	}
	return abs, nil
}

func (k *Keyring) allowedProvider(provider string) (string, error) {
	canon, err := canonicalProvider(provider)
	if err != nil {
		return "", err
	}
	allowed := k.cfg.AllowedProviders
	if allowed == "" {
		allowed = DefaultAllowedProviders
	}
	if !sshconfig.MatchList(allowed, canon, nil) { // ssh-agent's match_pattern_list
		return "", fmt.Errorf("%w: %s", ErrProviderNotAllowed, canon)
	}
	return canon, nil
}

// An sshSigner is a hostkey.Signer as x/crypto/ssh's Signer, for the
// keyring's identities.
type sshSigner struct {
	s   hostkey.Signer
	pub ssh.PublicKey
}

var _ ssh.AlgorithmSigner = (*sshSigner)(nil)

func newSSHSigner(s hostkey.Signer) (*sshSigner, error) {
	pub, err := ssh.ParsePublicKey(s.PublicKey().Marshal())
	if err != nil {
		return nil, err
	}
	return &sshSigner{s: s, pub: pub}, nil
}

func (s *sshSigner) PublicKey() ssh.PublicKey { return s.pub }

func (s *sshSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	sig, err := s.s.Sign(r, data)
	if err != nil {
		return nil, err
	}
	return &ssh.Signature{Format: sig.Format, Blob: sig.Blob, Rest: sig.Rest}, nil
}

func (s *sshSigner) SignWithAlgorithm(r io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	as, ok := s.s.(hostkey.AlgorithmSigner)
	if !ok || algorithm == "" {
		return s.Sign(r, data)
	}
	sig, err := as.SignWithAlgorithm(r, data, algorithm)
	if err != nil {
		return nil, err
	}
	return &ssh.Signature{Format: sig.Format, Blob: sig.Blob, Rest: sig.Rest}, nil
}

// A smartcardRequest is a decoded SSH_AGENTC_ADD_SMARTCARD_KEY(_CONSTRAINED)
// or SSH_AGENTC_REMOVE_SMARTCARD_KEY.
type smartcardRequest struct {
	typ           byte
	provider, pin string
	life          time.Duration
	confirm       bool
}

// parseSmartcardRequest decodes msg (type byte first). Constraint
// extensions are refused with ErrConstraint, as for keys.
func parseSmartcardRequest(msg []byte) (*smartcardRequest, error) {
	r := wire.NewReader(msg)
	req := &smartcardRequest{typ: r.Byte()}
	req.provider = r.Text()
	req.pin = r.Text()
	if req.typ == msgAddSmartcardKeyConstrained {
		for !r.Failed() && r.Len() > 0 {
			switch c := r.Byte(); c {
			case constrainLifetime:
				req.life = time.Duration(r.Uint32()) * time.Second
			case constrainConfirm:
				req.confirm = true
			case constrainExtension:
				return nil, fmt.Errorf("%w: %s", ErrConstraint, wire.Sanitize(r.Text()))
			default:
				return nil, fmt.Errorf("%w: %d", ErrConstraint, c)
			}
		}
	}
	if err := r.End("smartcard request"); err != nil {
		return nil, err
	}
	return req, nil
}

// handleSmartcard answers the smartcard messages of one connection, and
// the additions of security keys; it returns nil for every other
// message, which agent.ServeAgent answers.
func (a *connAgent) handleSmartcard(frame []byte) []byte {
	if len(frame) < 5 {
		return nil
	}
	if isSKAdd(frame[4:]) {
		status := byte(msgFailure)
		req, err := parseSKAdd(frame[4:])
		if err == nil {
			err = a.AddSK(req.key, req.comment, req.provider, req.life, req.confirm)
		}
		if err != nil {
			a.debug("security key refused", "err", err)
		} else {
			status = msgSuccess
		}
		return append(binary.BigEndian.AppendUint32(nil, 1), status)
	}
	switch frame[4] {
	case msgAddSmartcardKey, msgAddSmartcardKeyConstrained, msgRemoveSmartcardKey:
	default:
		return nil
	}
	status := byte(msgFailure)
	req, err := parseSmartcardRequest(frame[4:])
	if err == nil {
		if req.typ == msgRemoveSmartcardKey {
			err = a.RemoveSmartcard(req.provider)
		} else {
			err = a.AddSmartcard(a.ctx, req.provider, req.pin, req.life, req.confirm)
		}
	}
	if err != nil {
		a.debug("smartcard request refused", "err", err)
	} else {
		status = msgSuccess
	}
	return append(binary.BigEndian.AppendUint32(nil, 1), status)
}
