package userauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// Reasons a publickey or hostbased request is denied before any
// callback runs. They never reach the client, which sees the same
// FAILURE for each.
var (
	errKeyAlgorithm = errors.New("userauth: algorithm does not match the key")
	errKeyReused    = errors.New("userauth: key already used for a factor")
	errHostKey      = errors.New("userauth: host key does not match the connection's")
	errNoCA         = errors.New("userauth: certificate without a configured authority")
)

// publicKey is the server side of RFC 4252, Section 7 and of
// publickey-hostbound-v00@openssh.com.
func (s *server) publicKey(ctx context.Context, c *ServerConn, req *wire.UserauthRequest) (*Permissions, error) {
	cfg := s.cfg
	pk, err := parsePKRequest(req)
	if err != nil {
		return nil, err
	}
	key, err := s.checkKey(pk.alg, pk.blob)
	if err != nil {
		return nil, err
	}
	if pk.method == MethodPublicKeyHostbound && (s.info.HostKey == nil || !bytes.Equal(pk.hostKey, s.info.HostKey)) {
		return nil, errHostKey
	}
	var certPerms *Permissions
	cert, isCert := key.(*hostkey.Certificate)
	if isCert && cfg.PublicKeyCallbackCerts {
		isCert = false // the callback decides it, as a plain key
	}
	if isCert {
		if cfg.CertChecker == nil {
			return nil, errNoCA
		}
		if err := cfg.CertChecker.CheckUserCert(c.meta.User, cert); err != nil {
			return nil, err
		}
		r, err := cert.Restrictions()
		if err != nil {
			return nil, err
		}
		certPerms = PermissionsFromRestrictions(r)
	} else if cfg.PublicKeyCallback == nil {
		return nil, errNoCallback
	}
	decide := func(key hostkey.PublicKey, signed bool) (*Permissions, error) {
		if isCert {
			return certPerms, nil // authorized by its authority
		}
		m := c.meta
		m.Signed = signed
		return cfg.PublicKeyCallback(ctx, m, key)
	}
	if !pk.hasSig {
		// A query (RFC 4252, Section 7): PK_OK if the key would do. The
		// Permissions of this call are dropped (docs/security.md#a5).
		if _, err := decide(key, false); err != nil {
			return nil, err
		}
		if err := c.Write(&wire.UserauthPKOK{Algorithm: pk.alg, PublicKey: pk.blob}); err != nil {
			return nil, err
		}
		return nil, ErrPostponed
	}
	sig, err := hostkey.ParseSignature(pk.sig)
	if err != nil {
		return nil, err
	}
	data := pk.signedData(c.meta.SessionID, c.meta.User, c.meta.Service)
	if err := cfg.KeyPolicy.Verify(key, pk.alg, data, sig); err != nil {
		return nil, err
	}
	perms, err := decide(key, true)
	if err != nil {
		return nil, err
	}
	c.key = key
	return perms, nil
}

// checkKey parses a key blob and checks it against the request's
// algorithm and the key policy (docs/security.md#a3) and against the keys that
// already completed a factor.
func (s *server) checkKey(alg string, blob []byte) (hostkey.PublicKey, error) {
	key, err := hostkey.ParsePublicKey(blob)
	if err != nil {
		return nil, err
	}
	if kt := hostkey.KeyTypeForAlgorithm(alg); kt == "" || kt != key.Type() {
		return nil, fmt.Errorf("%w: %q with a %s key", errKeyAlgorithm, wire.Sanitize(alg), key.Type())
	}
	if !s.cfg.KeyPolicy.Allows(alg) {
		return nil, fmt.Errorf("%w: %s", hostkey.ErrAlgorithmDisabled, alg)
	}
	if slices.ContainsFunc(s.usedKeys, func(b []byte) bool { return bytes.Equal(b, blob) }) {
		return nil, errKeyReused
	}
	return key, nil
}

// hostbased is the server side of RFC 4252, Section 9.
func (s *server) hostbased(ctx context.Context, c *ServerConn, req *wire.UserauthRequest) (*Permissions, error) {
	cfg := s.cfg
	if cfg.HostbasedAlgorithms != nil && !slices.Contains(cfg.HostbasedAlgorithms, req.Algorithm) {
		return nil, fmt.Errorf("%w: %s not in the hostbased algorithms", hostkey.ErrAlgorithmDisabled, wire.Sanitize(req.Algorithm))
	}
	key, err := s.checkKey(req.Algorithm, req.PublicKey)
	if err != nil {
		return nil, err
	}
	var certPerms *Permissions
	if cert, ok := key.(*hostkey.Certificate); ok {
		if cfg.CertChecker == nil {
			return nil, errNoCA
		}
		if err := cfg.CertChecker.CheckHostCert(req.ClientHost, cert); err != nil {
			return nil, err
		}
	}
	sig, err := hostkey.ParseSignature(req.Signature)
	if err != nil {
		return nil, err
	}
	// The verifier's own session identifier (docs/security.md#a4).
	if err := cfg.KeyPolicy.Verify(key, req.Algorithm, wire.AppendPublicKeySignedData(nil, c.meta.SessionID, req), sig); err != nil {
		return nil, err
	}
	p, err := cfg.HostbasedCallback(ctx, c.meta, req.ClientHost, req.ClientUser, key)
	if err != nil {
		return nil, err
	}
	c.key = key
	return certPerms.Merge(p)
}

// PermissionsFromRestrictions converts the restrictions of an
// authorized_keys line or a user certificate (hostkey.Restrictions,
// whose permission fields are true when allowed) to Permissions, for a
// PublicKeyCallback to return. from= and source-address each become one
// SourceAddress list; tunnel=, principals and the security-key flags
// have no Permissions field (the callback enforces them).
func PermissionsFromRestrictions(r *hostkey.Restrictions) *Permissions {
	if r == nil {
		return &Permissions{}
	}
	p := &Permissions{
		NoPTY:             !r.PTY,
		NoPortForwarding:  !r.PortForwarding,
		NoAgentForwarding: !r.AgentForwarding,
		NoX11Forwarding:   !r.X11Forwarding,
		NoUserRC:          !r.UserRC,
		Environment:       slices.Clone(r.Environment),
		ExpiryTime:        r.ExpiryTime,
	}
	if r.HasCommand {
		p.ForceCommand = r.Command
	}
	for _, l := range [][]string{r.From, r.SourceAddress} {
		if len(l) > 0 {
			p.SourceAddress = append(p.SourceAddress, slices.Clone(l))
		}
	}
	if len(r.PermitOpen) > 0 {
		p.PermitOpen = [][]string{slices.Clone(r.PermitOpen)}
	}
	if len(r.PermitListen) > 0 {
		p.PermitListen = [][]string{slices.Clone(r.PermitListen)}
	}
	return p
}
