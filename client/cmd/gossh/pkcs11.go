package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/userauth"
)

// pkcs11Sources is PKCS11Provider (and -I): the keys of the token the
// module at provider reaches, loaded through OpenSSH's ssh-pkcs11-helper
// (keyagent.OpenPKCS11) as ssh does, one query-first publickey source
// each, labelled with the token's label as ssh names them. ssh 9.2 sends
// the helper no PIN, so a token that needs a login gives it no keys;
// gossh then asks for the PIN (terminal or askpass) unless BatchMode,
// and loads the provider again with it. The Closer stops the helper.
func pkcs11Sources(ctx context.Context, o *options, lg *logger, p *prompter, provider string, accepted []string) ([]userauth.Method, io.Closer) {
	opt := &keyagent.PKCS11Options{}
	if lg.level >= 4 {
		// As ssh: -vvv for the helper from DEBUG1 on; it logs to stderr.
		opt.Verbose, opt.Stderr = true, lg.w
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	lg.debug(1, "pkcs11_add_provider: provider %s", provider)
	tok, err := keyagent.OpenPKCS11(ctx, provider, "", opt)
	if errors.Is(err, keyagent.ErrPKCS11NoKeys) && !o.yes("batchmode", false) {
		pin, perr := p.ask(fmt.Sprintf("Enter PIN for PKCS#11 provider '%s': ", provider), false)
		if perr == nil && pin != "" {
			tok, err = keyagent.OpenPKCS11(ctx, provider, pin, opt)
		}
	}
	if err != nil {
		if errors.Is(err, keyagent.ErrPKCS11NoKeys) {
			lg.debug(1, "pkcs11_add_provider: provider %s returned no slots (PIN needed, wrong, or no usable keys)", provider)
		} else {
			lg.errorf("PKCS#11 provider %s: %v", provider, err)
		}
		return nil, nil
	}
	var out []userauth.Method
	for _, k := range tok.Keys() {
		pub := k.Signer.PublicKey()
		if err := o.checkRSASize(k.Label, pub); err != nil {
			lg.debug(1, "Skipping %s: %v", k.Label, err)
			continue
		}
		lg.debug(1, "identity file %s type %s (PKCS#11)", k.Label, pub.Type())
		src := userauth.InMemoryPrivateKey(k.Signer)
		src.Query, src.Label, src.Algorithms = true, "pkcs11 "+k.Label, accepted
		out = append(out, src)
	}
	return out, tok
}

// closers closes each of its Closers, last first, and returns the first
// error.
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for i := len(cs) - 1; i >= 0; i-- {
		if err := cs[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// pkcs11Provider is the provider to load: PKCS11Provider (or -I), "" for
// none.
func pkcs11Provider(o *options) string {
	v := o.get("pkcs11provider")
	if v == "none" {
		return ""
	}
	return v
}
