package keyagent

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
)

// Errors a Keyring returns. The agent protocol carries none of them: the
// client sees SSH_AGENT_FAILURE.
var (
	ErrLocked      = errors.New("keyagent: agent is locked")
	ErrNotLocked   = errors.New("keyagent: agent is not locked")
	ErrBadPassword = errors.New("keyagent: incorrect lock password")
	ErrNoKey       = errors.New("keyagent: key not found")
	ErrDenied      = errors.New("keyagent: use of key not confirmed")
	ErrTooManyKeys = errors.New("keyagent: too many keys")
	ErrConstraint  = errors.New("keyagent: unsupported key constraint")
)

// MaxKeys is the default cap on the keys a Keyring holds.
const MaxKeys = 1024

// lockRounds, lockSalt and lockSize are ssh-agent's: the lock password is
// kept only as a salted bcrypt_pbkdf hash.
const (
	lockRounds = 1
	lockSalt   = 16
	lockSize   = 32
)

// Config configures a Keyring.
type Config struct {
	// Lifetime is the default lifetime of a key added without a
	// lifetime constraint (ssh-agent -t); zero means forever.
	Lifetime time.Duration

	// Confirm asks the user whether a key added with the confirm
	// constraint may sign; prompt is ssh-agent's ("Allow use of key
	// COMMENT?\nKey fingerprint FP."). Nil refuses every such signature.
	Confirm func(ctx context.Context, prompt string) bool

	// Fingerprint formats the fingerprint in Confirm's prompt (ssh-agent
	// -E); nil means hostkey.FingerprintSHA256.
	Fingerprint func(hostkey.PublicKey) string

	// MaxKeys caps the keys held; zero means MaxKeys.
	MaxKeys int

	// Logger receives debug records of every add, removal, expiry and
	// signature; nil discards them.
	Logger *slog.Logger

	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time

	// AllowedProviders is the pattern list of PKCS#11 modules
	// AddSmartcard may load (ssh-agent -P); empty means
	// DefaultAllowedProviders.
	AllowedProviders string

	// PKCS11 are the options of the ssh-pkcs11-helper runs; nil for
	// the defaults.
	PKCS11 *PKCS11Options

	// NoRestrictWebsafe lets a security key whose application is not
	// "ssh:" sign anything (ssh-agent -O no-restrict-websafe); by
	// default it signs only SSH user authentication requests and
	// SSHSIG blobs (ErrNotWebsafe).
	NoRestrictWebsafe bool
}

// An identity is one key in the keyring.
type identity struct {
	blob    []byte // the public key or certificate blob
	pub     hostkey.PublicKey
	signer  ssh.Signer
	comment string
	expire  time.Time // zero: never
	confirm bool
	// provider is the PKCS#11 module whose token holds the key; empty
	// for a key added with its private half.
	provider string
}

// A Keyring holds private keys with their constraints. It implements
// agent.ExtendedAgent; its methods are safe for concurrent use.
type Keyring struct {
	cfg Config

	mu       sync.Mutex
	ids      []*identity        // in the order added; guarded by mu
	locked   bool               // guarded by mu
	salt     [lockSalt]byte     // guarded by mu
	hash     [lockSize]byte     // guarded by mu
	failures int                // unlock failures in a row; guarded by mu
	timer    *time.Timer        // fires at the next expiry; guarded by mu
	closed   bool               // guarded by mu
	tokens   map[string]*PKCS11 // the loaded PKCS#11 providers, by canonical path; guarded by mu
}

var _ agent.ExtendedAgent = (*Keyring)(nil)

// NewKeyring returns an empty, unlocked keyring. cfg may be nil.
func NewKeyring(cfg *Config) *Keyring {
	k := &Keyring{}
	if cfg != nil {
		k.cfg = *cfg
	}
	if k.cfg.MaxKeys <= 0 {
		k.cfg.MaxKeys = MaxKeys
	}
	if k.cfg.Now == nil {
		k.cfg.Now = time.Now
	}
	if k.cfg.Fingerprint == nil {
		k.cfg.Fingerprint = hostkey.FingerprintSHA256
	}
	return k
}

// Close removes every key, stops the expiry timer and the PKCS#11
// helpers. The Keyring refuses new keys afterwards.
func (k *Keyring) Close() error {
	k.mu.Lock()
	k.closed = true
	k.ids = nil
	if k.timer != nil {
		k.timer.Stop()
		k.timer = nil
	}
	tokens := k.tokens
	k.tokens = nil
	k.mu.Unlock()
	closeTokens(tokens) // outside the lock: a helper may take seconds to stop
	return nil
}

// Len returns the number of keys held (expired keys excluded).
func (k *Keyring) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reapLocked()
	return len(k.ids)
}

func (k *Keyring) debug(msg string, args ...any) {
	if k.cfg.Logger != nil {
		k.cfg.Logger.Debug(msg, args...)
	}
}

// reapLocked removes expired keys and sets the timer for the next expiry.
func (k *Keyring) reapLocked() {
	now := k.cfg.Now()
	var next time.Time
	kept := k.ids[:0]
	for _, id := range k.ids {
		if !id.expire.IsZero() && !now.Before(id.expire) {
			k.debug("key expired", "comment", id.comment, "fingerprint", hostkey.FingerprintSHA256(id.pub))
			continue
		}
		if !id.expire.IsZero() && (next.IsZero() || id.expire.Before(next)) {
			next = id.expire
		}
		kept = append(kept, id)
	}
	clear(k.ids[len(kept):])
	k.ids = kept
	if k.timer != nil {
		k.timer.Stop()
		k.timer = nil
	}
	if !next.IsZero() && !k.closed {
		k.timer = time.AfterFunc(next.Sub(now), k.reap)
	}
}

func (k *Keyring) reap() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.reapLocked()
	}
}

func (k *Keyring) find(blob []byte) int {
	for i, id := range k.ids {
		if bytes.Equal(id.blob, blob) {
			return i
		}
	}
	return -1
}

// List returns the keys held, in the order added; a locked keyring lists
// none, as ssh-agent does.
func (k *Keyring) List() ([]*agent.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locked {
		return nil, nil
	}
	k.reapLocked()
	out := make([]*agent.Key, 0, len(k.ids))
	for _, id := range k.ids {
		out = append(out, &agent.Key{Format: id.pub.Type(), Blob: append([]byte(nil), id.blob...), Comment: id.comment})
	}
	return out, nil
}

// Add adds a key, or a certificate when key.Certificate is set, with its
// constraints. Adding a key already held replaces its comment and
// constraints (ssh-agent's behaviour). Constraint extensions are
// refused with ErrConstraint: restrict-destination-v00@openssh.com is not
// implemented, and accepting it silently would drop the restriction.
func (k *Keyring) Add(key agent.AddedKey) error {
	if len(key.ConstraintExtensions) > 0 {
		return fmt.Errorf("%w: %s", ErrConstraint, key.ConstraintExtensions[0].ExtensionName)
	}
	signer, err := ssh.NewSignerFromKey(key.PrivateKey)
	if err != nil {
		return fmt.Errorf("keyagent: adding key: %w", err)
	}
	if key.Certificate != nil {
		if signer, err = ssh.NewCertSigner(key.Certificate, signer); err != nil {
			return fmt.Errorf("keyagent: adding certificate: %w", err)
		}
	}
	blob := signer.PublicKey().Marshal()
	pub, err := hostkey.ParsePublicKey(blob)
	if err != nil {
		return fmt.Errorf("keyagent: adding key: %w", err)
	}
	id := &identity{blob: blob, pub: pub, signer: signer, comment: key.Comment, confirm: key.ConfirmBeforeUse}
	life := time.Duration(key.LifetimeSecs) * time.Second
	if life == 0 {
		life = k.cfg.Lifetime
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return net.ErrClosed
	}
	if k.locked {
		return ErrLocked
	}
	if life > 0 {
		id.expire = k.cfg.Now().Add(life)
	}
	if i := k.find(blob); i >= 0 {
		k.ids[i] = id
	} else {
		if len(k.ids) >= k.cfg.MaxKeys {
			return ErrTooManyKeys
		}
		k.ids = append(k.ids, id)
	}
	k.debug("key added", "type", pub.Type(), "fingerprint", hostkey.FingerprintSHA256(pub),
		"comment", id.comment, "lifetime", life, "confirm", id.confirm)
	k.reapLocked()
	return nil
}

// Remove removes the key (or certificate) whose blob is key.Marshal().
func (k *Keyring) Remove(key ssh.PublicKey) error {
	blob := key.Marshal()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locked {
		return ErrLocked
	}
	k.reapLocked()
	i := k.find(blob)
	if i < 0 {
		return ErrNoKey
	}
	k.debug("key removed", "comment", k.ids[i].comment)
	k.ids = append(k.ids[:i], k.ids[i+1:]...)
	return nil
}

// RemoveAll removes every key.
func (k *Keyring) RemoveAll() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locked {
		return ErrLocked
	}
	k.debug("all keys removed", "count", len(k.ids))
	clear(k.ids)
	k.ids = k.ids[:0]
	k.reapLocked()
	return nil
}

// Lock locks the keyring with passphrase, which must not be empty.
// Locking a locked keyring fails, as in ssh-agent.
func (k *Keyring) Lock(passphrase []byte) error {
	if len(passphrase) == 0 {
		return fmt.Errorf("keyagent: empty lock password")
	}
	var salt [lockSalt]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return err
	}
	h, err := hostkey.BcryptPBKDF(passphrase, salt[:], lockRounds, lockSize)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locked {
		return ErrLocked
	}
	k.locked, k.salt = true, salt
	copy(k.hash[:], h)
	k.debug("agent locked")
	return nil
}

// Unlock unlocks the keyring. A wrong password fails after a delay that
// grows by 100 ms with each failure in a row, up to 10 s (ssh-agent's);
// the delay holds up only the caller.
func (k *Keyring) Unlock(passphrase []byte) error {
	return k.unlock(context.Background(), passphrase)
}

func (k *Keyring) unlock(ctx context.Context, passphrase []byte) error {
	k.mu.Lock()
	if !k.locked {
		k.mu.Unlock()
		return ErrNotLocked
	}
	salt, want := k.salt, k.hash
	k.mu.Unlock()
	var h []byte
	var err error
	if len(passphrase) > 0 {
		h, err = hostkey.BcryptPBKDF(passphrase, salt[:], lockRounds, lockSize)
		if err != nil {
			return err
		}
	}
	k.mu.Lock()
	if len(h) == lockSize && k.locked && k.salt == salt && subtle.ConstantTimeCompare(h, want[:]) == 1 {
		k.locked, k.failures = false, 0
		clear(k.hash[:])
		k.mu.Unlock()
		k.debug("agent unlocked")
		return nil
	}
	if k.failures < 100 {
		k.failures++
	}
	delay := time.Duration(k.failures) * 100 * time.Millisecond
	k.mu.Unlock()
	k.debug("unlock failed", "delay", delay)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return ErrBadPassword
}

// Signers returns signers for every key; they bypass the confirm
// constraint, so they are for the agent's owner, not its clients.
func (k *Keyring) Signers() ([]ssh.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locked {
		return nil, ErrLocked
	}
	k.reapLocked()
	out := make([]ssh.Signer, 0, len(k.ids))
	for _, id := range k.ids {
		out = append(out, id.signer)
	}
	return out, nil
}

// Sign signs data with key's default algorithm (ssh-rsa for RSA keys,
// as draft-miller-ssh-agent's zero flags ask).
func (k *Keyring) Sign(key ssh.PublicKey, data []byte) (*ssh.Signature, error) {
	return k.sign(context.Background(), key, data, 0)
}

// SignWithFlags signs data with key; flags choose rsa-sha2-256 or
// rsa-sha2-512 for an RSA key (draft-miller-ssh-agent, Section 4.5.1)
// and are ignored for other keys. A key with the confirm constraint
// signs only if Config.Confirm says yes.
func (k *Keyring) SignWithFlags(key ssh.PublicKey, data []byte, flags agent.SignatureFlags) (*ssh.Signature, error) {
	return k.sign(context.Background(), key, data, flags)
}

func (k *Keyring) sign(ctx context.Context, key ssh.PublicKey, data []byte, flags agent.SignatureFlags) (*ssh.Signature, error) {
	blob := key.Marshal()
	k.mu.Lock()
	if k.locked {
		k.mu.Unlock()
		return nil, ErrLocked
	}
	k.reapLocked()
	i := k.find(blob)
	if i < 0 {
		k.mu.Unlock()
		return nil, ErrNoKey
	}
	id := k.ids[i]
	k.mu.Unlock()

	if id.confirm {
		prompt := fmt.Sprintf("Allow use of key %s?\nKey fingerprint %s.", id.comment, k.cfg.Fingerprint(id.pub))
		if k.cfg.Confirm == nil || !k.cfg.Confirm(ctx, prompt) {
			k.debug("signature refused", "comment", id.comment)
			return nil, ErrDenied
		}
	}
	algo := ""
	if t := id.pub.Type(); t == hostkey.RSA || t == hostkey.RSACert {
		switch {
		case flags&agent.SignatureFlagRsaSha256 != 0:
			algo = ssh.KeyAlgoRSASHA256
		case flags&agent.SignatureFlagRsaSha512 != 0:
			algo = ssh.KeyAlgoRSASHA512
		}
	}
	var sig *ssh.Signature
	var err error
	if algo != "" {
		as, ok := id.signer.(ssh.AlgorithmSigner)
		if !ok {
			return nil, fmt.Errorf("keyagent: key cannot sign with %s", algo)
		}
		sig, err = as.SignWithAlgorithm(rand.Reader, data, algo)
	} else {
		sig, err = id.signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("keyagent: signing: %w", err)
	}
	k.debug("signed", "comment", id.comment, "format", sig.Format)
	return sig, nil
}

// Extension answers SSH_AGENTC_EXTENSION for the keyring alone; it knows
// none, so every extension is agent.ErrExtensionUnsupported. A Server
// answers session-bind@openssh.com per connection.
func (k *Keyring) Extension(string, []byte) ([]byte, error) {
	return nil, agent.ErrExtensionUnsupported
}
