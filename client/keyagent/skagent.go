package keyagent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// The messages and constraint by which ssh-add gives an agent a
// security key (draft-miller-ssh-agent, Section 4.2; OpenSSH
// PROTOCOL.agent): the key handle in the identity's private fields, and
// the provider library as a constraint extension.
const (
	msgAddIdentity      = 17 // SSH2_AGENTC_ADD_IDENTITY
	msgAddIDConstrained = 25 // SSH2_AGENTC_ADD_ID_CONSTRAINED
	SKProviderExtension = "sk-provider@openssh.com"
	skInternalProvider  = "internal"
)

// An skAddRequest is an SSH2_AGENTC_ADD_IDENTITY of a security key.
type skAddRequest struct {
	key      *hostkey.SKPrivateKey
	comment  string
	life     time.Duration
	confirm  bool
	provider string
}

// isSKAdd reports whether msg (type byte first) adds a security key,
// which x/crypto/ssh/agent cannot parse.
func isSKAdd(msg []byte) bool {
	if len(msg) == 0 || msg[0] != msgAddIdentity && msg[0] != msgAddIDConstrained {
		return false
	}
	r := wire.NewReader(msg[1:])
	t := r.Text()
	return !r.Failed() && (t == hostkey.SKECDSAP256 || t == hostkey.SKED25519)
}

// parseSKAdd decodes an SSH2_AGENTC_ADD_IDENTITY or ADD_ID_CONSTRAINED
// holding a security key: its private serialisation, comment, then
// constraints (lifetime, confirm, sk-provider@openssh.com; any other
// extension is ErrConstraint). Without a provider constraint the
// provider is "internal", as ssh-agent assumes.
func parseSKAdd(msg []byte) (*skAddRequest, error) {
	if len(msg) == 0 {
		return nil, fmt.Errorf("keyagent: empty add request")
	}
	typ := msg[0]
	k, rest, err := hostkey.ParseSKSerialized(msg[1:])
	if err != nil {
		return nil, fmt.Errorf("keyagent: security key: %w", err)
	}
	req := &skAddRequest{key: k, provider: skInternalProvider}
	r := wire.NewReader(rest)
	req.comment = r.Text()
	if typ == msgAddIDConstrained {
		for !r.Failed() && r.Len() > 0 {
			switch c := r.Byte(); c {
			case constrainLifetime:
				req.life = time.Duration(r.Uint32()) * time.Second
			case constrainConfirm:
				req.confirm = true
			case constrainExtension:
				name := r.Text()
				if name != SKProviderExtension {
					return nil, fmt.Errorf("%w: %s", ErrConstraint, wire.Sanitize(name))
				}
				req.provider = r.Text()
			default:
				return nil, fmt.Errorf("%w: %d", ErrConstraint, c)
			}
		}
	}
	if err := r.End("add identity"); err != nil {
		return nil, err
	}
	k.Comment = req.comment
	return req, nil
}

// AddSK adds a security key that signs through ssh-sk-helper and
// provider (a library path, matched against Config.AllowedProviders
// after its symbolic links are resolved, or "internal"), with the given
// lifetime (zero: the keyring's default) and confirm constraint, as
// ssh-agent does for ssh-add of an sk key file. Keys that need user
// verification are refused: the agent cannot ask for the PIN (ssh-add
// refuses them too).
func (k *Keyring) AddSK(key *hostkey.SKPrivateKey, comment, provider string, life time.Duration, confirm bool) error {
	if provider == "" {
		provider = skInternalProvider
	}
	if !strings.EqualFold(provider, skInternalProvider) {
		canon, err := k.allowedProvider(provider)
		if err != nil {
			return err
		}
		provider = canon
	}
	if key.Flags&hostkey.SKUserVerified != 0 {
		return fmt.Errorf("%w: verify-required security key", ErrConstraint)
	}
	ss, err := newSSHSigner(&SKSigner{Key: key, Provider: provider})
	if err != nil {
		return err
	}
	var signer ssh.Signer = ss
	if !k.cfg.NoRestrictWebsafe && !strings.HasPrefix(key.PublicKey.Application, "ssh:") {
		signer = &websafeSigner{Signer: ss, pub: key.PublicKey}
	}
	pub := key.PublicKey
	id := &identity{blob: pub.Marshal(), pub: pub, signer: signer, comment: comment, confirm: confirm}
	if life == 0 {
		life = k.cfg.Lifetime
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.closed:
		return fmt.Errorf("keyagent: keyring closed")
	case k.locked:
		return ErrLocked
	}
	if life > 0 {
		id.expire = k.cfg.Now().Add(life)
	}
	if i := k.find(id.blob); i >= 0 {
		k.ids[i] = id
	} else {
		if len(k.ids) >= k.cfg.MaxKeys {
			return ErrTooManyKeys
		}
		k.ids = append(k.ids, id)
	}
	k.debug("key added", "type", pub.Type(), "fingerprint", hostkey.FingerprintSHA256(pub), "comment", comment, "sk-provider", provider)
	k.reapLocked()
	return nil
}

// ErrNotWebsafe means a security key whose application is not "ssh:"
// was asked to sign what is neither an SSH user authentication request
// nor an SSHSIG signature: ssh-agent refuses that (unless -O
// no-restrict-websafe), as it could be a web site's challenge.
var ErrNotWebsafe = errors.New("keyagent: refusing to sign non-SSH data with a non-SSH security key")

// A websafeSigner signs with a security key of a non-SSH application
// only data that ssh-agent's check_websafe_message_contents accepts.
type websafeSigner struct {
	ssh.Signer
	pub hostkey.PublicKey
}

func (s *websafeSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	if !websafe(data, s.pub) {
		return nil, ErrNotWebsafe
	}
	return s.Signer.Sign(r, data)
}

// websafe reports whether data is an SSH user authentication request
// to be signed by pub (RFC 4252, Section 7: session id, then
// SSH_MSG_USERAUTH_REQUEST for "ssh-connection" with "publickey" or
// "publickey-hostbound-v00@openssh.com", the signature flag, the
// algorithm and pub itself, and for the latter the host key) or an
// SSHSIG blob (PROTOCOL.sshsig), as ssh-agent checks.
func websafe(data []byte, pub hostkey.PublicKey) bool {
	if bytes.HasPrefix(data, []byte("SSHSIG")) {
		return true
	}
	r := wire.NewReader(data)
	sid := r.StringBytes()
	t := r.Byte()
	r.Text() // user
	service := r.Text()
	method := r.Text()
	follows := r.Byte()
	alg := r.Text()
	blob := r.StringBytes()
	if r.Failed() || len(sid) == 0 || t != byte(wire.MsgUserauthRequest) || follows != 1 || service != "ssh-connection" ||
		!bytes.Equal(blob, pub.Marshal()) || hostkey.KeyTypeForAlgorithm(alg) != pub.Type() {
		return false
	}
	switch method {
	case "publickey-hostbound-v00@openssh.com":
		r.StringBytes()
	case "publickey":
	default:
		return false
	}
	return !r.Failed() && r.Len() == 0
}
