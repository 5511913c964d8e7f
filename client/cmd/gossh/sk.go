package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// skProvider is SecurityKeyProvider as ssh resolves it: "$NAME" is the
// environment variable's value ("" if unset: no provider), else the
// value, "internal" by default.
func skProvider(o *options) string {
	v := o.getDefault("securitykeyprovider", "internal")
	if strings.HasPrefix(v, "$") && len(v) > 1 {
		return os.Getenv(v[1:])
	}
	return v
}

// skSource is the signer of the sk-* identity file at path: its key
// handle, read now (the passphrase asked if the file is encrypted),
// signs through ssh-sk-helper with SecurityKeyProvider, as ssh does.
// nil if the file cannot be used.
func skSource(o *options, lg *logger, p *prompter, path string, pub *hostkey.SKPublicKey, batch bool) *keyagent.SKSigner {
	prov := skProvider(o)
	if prov == "" {
		lg.debug(1, "Authenticator provider %s did not resolve; disabling", o.get("securitykeyprovider"))
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		lg.debug(1, "Skipping %s: %v", path, err)
		return nil
	}
	key, err := hostkey.ParseSKPrivateKey(data, nil)
	var pm *hostkey.PassphraseMissingError
	if errors.As(err, &pm) && !batch {
		var pp string
		if pp, err = p.ask(fmt.Sprintf("Enter passphrase for key '%s': ", path), false); err == nil {
			key, err = hostkey.ParseSKPrivateKey(data, []byte(pp))
		}
	}
	if err != nil {
		lg.debug(1, "Skipping %s: %v", path, err)
		return nil
	}
	lg.debug(1, "identity file %s type %s (security key, provider %s)", path, pub.Type(), prov)
	signer := &keyagent.SKSigner{Key: key, Provider: prov}
	typ, fp := keyName(pub)+"-SK", o.fingerprint(pub)
	signer.PIN = func() (string, error) {
		// As ssh's identity_sign: a PIN for a key that asks for user
		// verification, then the notice to touch the key.
		pin := ""
		if key.Flags&hostkey.SKUserVerified != 0 && !batch {
			var err error
			if pin, err = p.ask(fmt.Sprintf("Enter PIN for %s key %s: ", typ, fp), false); err != nil {
				return "", err
			}
		}
		if key.Flags&hostkey.SKUserPresent != 0 {
			p.show(fmt.Sprintf("Confirm user presence for key %s %s", typ, fp))
		}
		return pin, nil
	}
	return signer
}

// skSources is the sk-* identity file at path as publickey sources: its
// certificates (certs: files, each for this key) first, as ssh does,
// then the plain key. The authenticator is asked only once the server
// accepts a key (Query).
func skSources(o *options, lg *logger, p *prompter, path string, pub *hostkey.SKPublicKey, batch bool, certs []string) []*userauth.PrivateKey {
	signer := skSource(o, lg, p, path, pub, batch)
	if signer == nil {
		return nil
	}
	var out []*userauth.PrivateKey
	for _, cf := range certs {
		data, err := os.ReadFile(cf)
		if err != nil {
			continue
		}
		cp, _, err := hostkey.ParsePublicKeyFile(data)
		cert, ok := cp.(*hostkey.Certificate)
		if err != nil || !ok {
			lg.debug(1, "Skipping certificate %s: not a certificate", cf)
			continue
		}
		cs, err := hostkey.NewCertSigner(cert, signer)
		if err != nil {
			lg.debug(1, "Skipping certificate %s: %v", cf, err)
			continue
		}
		lg.debug(1, "identity file %s type %s", cf, cert.Type())
		csrc := userauth.InMemoryPrivateKey(cs)
		csrc.Query, csrc.Label = true, cf
		out = append(out, csrc)
	}
	src := userauth.InMemoryPrivateKey(signer)
	src.Query, src.Label = true, path
	return append(out, src)
}
