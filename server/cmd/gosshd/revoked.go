package main

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/hostkey/krl"
)

// errKRL is a RevokedKeys file in OpenSSH's binary KRL format that
// gosshd cannot read (krl.Parse): every key is refused rather than none.
var errKRL = errors.New("RevokedKeys is a binary KRL which gosshd cannot read: refusing every public key")

// A revocation is the content of RevokedKeys: a key list or a KRL.
type revocation struct {
	keys []hostkey.PublicKey
	krl  *krl.KRL
}

// revoked reports whether k (a plain key or a CA) is listed, or for a
// KRL whether k, its certified key or its CA is revoked.
func (rv *revocation) revoked(k hostkey.PublicKey) bool {
	if rv == nil {
		return false
	}
	if rv.krl != nil {
		return rv.krl.Revoked(k)
	}
	return slices.ContainsFunc(rv.keys, func(r hostkey.PublicKey) bool { return hostkey.Equal(r, k) })
}

// maxRevokedFile caps the RevokedKeys file gosshd reads.
const maxRevokedFile = 16 << 20

// loadRevoked reads RevokedKeys: public keys, one per line, as
// ssh-keygen writes them (# comments and blank lines skipped). An
// unreadable or malformed file, or a KRL, is an error; sshd too refuses
// every key then.
func loadRevoked(file string) (*revocation, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("RevokedKeys: %w", err)
	}
	if len(data) > maxRevokedFile {
		return nil, fmt.Errorf("RevokedKeys %s: larger than %d bytes", file, maxRevokedFile)
	}
	if bytes.HasPrefix(data, krl.Magic) {
		k, err := krl.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", file, errKRL, err)
		}
		return &revocation{krl: k}, nil
	}
	var out []hostkey.PublicKey
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, _, err := hostkey.ParsePublicKeyFile(line)
		if err != nil {
			return nil, fmt.Errorf("RevokedKeys %s line %d: %w", file, n+1, err)
		}
		out = append(out, k)
	}
	return &revocation{keys: out}, nil
}

// rsaBits is the modulus size of an RSA key, 0 for other keys.
func rsaBits(k hostkey.PublicKey) int {
	ck, ok := k.(hostkey.CryptoPublicKey)
	if !ok {
		return 0
	}
	if r, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok {
		return r.N.BitLen()
	}
	return 0
}

// checkRSASize refuses an RSA key below RequiredRSASize.
func checkRSASize(k hostkey.PublicKey, required int) error {
	if n := rsaBits(k); n > 0 && n < required {
		return fmt.Errorf("RSA key of %d bits is smaller than RequiredRSASize %d", n, required)
	}
	return nil
}

// keyPolicy applies the keywords that judge the key itself before any
// authorized_keys line or CA is consulted, as sshd's auth2-pubkey.c and
// auth2-pubkeyfile.c do: RevokedKeys (the key, and for a certificate
// its certified key and its CA), RequiredRSASize (the key and the CA),
// CASignatureAlgorithms (the CA's signature algorithm) and
// PubkeyAuthOptions verify-required (a security key's user-verification
// flag, which gosshd cannot see here, so such keys are refused).
func (p *policy) keyPolicy(key hostkey.PublicKey) error {
	m := &p.cfg.more
	keys := []hostkey.PublicKey{key}
	cert, isCert := key.(*hostkey.Certificate)
	if isCert {
		keys = []hostkey.PublicKey{cert.Key, cert.SignatureKey}
	}
	revoked, err := loadRevoked(m.RevokedKeys)
	if err != nil {
		if p.log != nil {
			p.log.Error(err.Error())
		}
		return err
	}
	if revoked != nil && revoked.krl != nil && revoked.krl.Revoked(key) {
		return errRevoked
	}
	for _, k := range keys {
		if k == nil {
			continue
		}
		if revoked != nil && revoked.krl == nil && revoked.revoked(k) {
			return errRevoked
		}
		if err := checkRSASize(k, m.RequiredRSASize); err != nil {
			return err
		}
	}
	if isCert && m.CASignatureAlgorithms != nil {
		alg := ""
		if cert.Signature != nil {
			alg = cert.Signature.Format
		}
		if !slices.Contains(m.CASignatureAlgorithms, alg) {
			return fmt.Errorf("certificate signature algorithm %q not in CASignatureAlgorithms", alg)
		}
	}
	if slices.Contains(m.PubkeyAuthOptions, "verify-required") && isSecurityKey(key) {
		return errors.New("PubkeyAuthOptions verify-required cannot be enforced for security keys by gosshd")
	}
	return nil
}
