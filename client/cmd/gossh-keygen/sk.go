package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/hostkey"
)

// skType is the key type of -t ecdsa-sk or ed25519-sk, or "".
func skType(t string) string {
	switch strings.ToLower(t) {
	case "ecdsa-sk":
		return hostkey.SKECDSAP256
	case "ed25519-sk":
		return hostkey.SKED25519
	}
	return ""
}

// skProvider is -w, else $SSH_SK_PROVIDER, else "internal", as
// ssh-keygen resolves it.
func (f *flags) skProvider() string {
	if f.provider != "" {
		return f.provider
	}
	if p := os.Getenv("SSH_SK_PROVIDER"); p != "" {
		return p
	}
	return "internal"
}

// skOptions is the enrolment -O options of ssh-keygen 9.2.
type skOptions struct {
	req         keyagent.SKEnrollRequest
	attestation string // write-attestation=
}

func (f *flags) parseSKOptions(typ string) (*skOptions, error) {
	o := &skOptions{req: keyagent.SKEnrollRequest{Type: typ, Provider: f.skProvider(), Application: "ssh:", Flags: hostkey.SKUserPresent}}
	for _, opt := range f.options {
		name, val, _ := strings.Cut(opt, "=")
		switch strings.ToLower(name) {
		case "no-touch-required":
			o.req.Flags &^= hostkey.SKUserPresent
		case "verify-required":
			o.req.Flags |= hostkey.SKUserVerified
		case "resident":
			o.req.Flags |= hostkey.SKResidentKey
		case "device":
			o.req.Device = val
		case "user":
			o.req.User = val
		case "challenge":
			c, err := os.ReadFile(val)
			if err != nil {
				return nil, fatalf("Unable to load FIDO enrollment challenge \"%s\": %s", val, strerror(err))
			}
			o.req.Challenge = c
		case "write-attestation":
			o.attestation = val
		case "application":
			if !strings.HasPrefix(val, "ssh:") {
				return nil, fatalf("FIDO application string must begin with \"ssh:\"")
			}
			o.req.Application = val
		default:
			return nil, fatalf("Option \"%s\" is unsupported for FIDO authenticator enrollment", opt)
		}
	}
	return o, nil
}

// enrollSK asks the authenticator for a key through ssh-sk-helper, as
// ssh-keygen: without a PIN first, then asking for it (three tries);
// a resident key that exists is overwritten only if the user agrees.
func (f *flags) enrollSK(o *skOptions) (*keyagent.SKEnrollment, error) {
	if !f.quiet {
		fmt.Fprintln(f.stdout, "You may need to touch your authenticator to authorize key generation.")
	}
	tries := 0
	for {
		e, err := keyagent.EnrollSK(context.Background(), &o.req)
		if err == nil {
			return e, nil
		}
		var he *keyagent.SKHelperError
		if !errors.As(err, &he) {
			return nil, fatalf("Key enrollment failed: %v", err)
		}
		switch {
		case he.Code == keyagent.SKErrCredentialExists && o.req.Flags&hostkey.SKResidentKey != 0 && o.req.Flags&hostkey.SKForceOperation == 0:
			user := o.req.User
			if user == "" {
				user = "null"
			}
			fmt.Fprintf(f.stdout, "A resident key scoped to '%s' with user id '%s' already exists.\nOverwrite key in token (y/n)? ", o.req.Application, user)
			a, _ := f.line()
			if !strings.HasPrefix(strings.ToLower(a), "y") {
				return nil, fatalf("Key enrollment failed: %v", err)
			}
			o.req.Flags |= hostkey.SKForceOperation
			continue
		case he.Code != keyagent.SKErrPINRequired:
			return nil, fatalf("Key enrollment failed: %v", err)
		case o.req.PIN != "":
			f.logit("PIN incorrect")
		}
		if tries++; tries >= 3 {
			return nil, fatalf("Too many incorrect PINs")
		}
		pin, perr := f.askPass("Enter PIN for authenticator: ")
		if perr != nil {
			return nil, fatalf("")
		}
		o.req.PIN = pin
		if !f.quiet {
			fmt.Fprintln(f.stdout, "You may need to touch your authenticator again to authorize key generation.")
		}
	}
}

// generateSK is -t ecdsa-sk or ed25519-sk: enrol, then write the key
// file (the key handle, not a secret key) and its .pub, as ssh-keygen.
func (f *flags) generateSK(typ string) error {
	o, err := f.parseSKOptions(typ)
	if err != nil {
		return err
	}
	if err := f.checkCipher(); err != nil {
		return err
	}
	label := strings.ToLower(f.keyType)
	file, err := f.newKeyFile(label, strings.ReplaceAll(label, "-", "_"))
	if err != nil {
		return err
	}
	e, err := f.enrollSK(o)
	if err != nil {
		return err
	}
	if o.attestation != "" {
		if err := os.WriteFile(o.attestation, e.Attestation, 0o600); err != nil {
			return fatalf("Unable to write attestation data \"%s\": %s", o.attestation, strerror(err))
		}
		if !f.quiet {
			fmt.Fprintf(f.stdout, "Your FIDO attestation certificate has been saved in %s\n", o.attestation)
		}
	}
	pass, err := f.newPassphrase("Enter passphrase (empty for no passphrase): ")
	if err != nil {
		return err
	}
	comment := f.comment
	if !f.hasComment {
		comment = defaultComment()
	}
	if err := f.writeSKPair(file, e.Key, comment, pass); err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(f.stdout, "Your identification has been saved in %s\n", file)
		fmt.Fprintf(f.stdout, "Your public key has been saved in %s.pub\n", file)
		fp, err := f.fingerprintOf(e.Key.PublicKey)
		if err != nil {
			return err
		}
		fmt.Fprintf(f.stdout, "The key fingerprint is:\n%s %s\n", fp, comment)
		fmt.Fprintf(f.stdout, "The key's randomart image is:\n%s\n", f.randomArt(e.Key.PublicKey))
	}
	return nil
}

// writeSKPair writes an sk key file (0600) and its .pub (0644).
func (f *flags) writeSKPair(file string, k *hostkey.SKPrivateKey, comment, pass string) error {
	switch strings.ToUpper(f.format) {
	case "", "RFC4716":
	default:
		// ssh-keygen cannot write security keys as PEM either.
		return fatalf("Saving key \"%s\" failed: key type not supported in format %s", file, f.format)
	}
	data, err := hostkey.MarshalSKPrivateKey(k, comment, []byte(pass), &hostkey.KeyFileOptions{Rounds: f.rounds, Cipher: f.cipher})
	if err != nil {
		return fatalf("Saving key \"%s\" failed: %v", file, err)
	}
	os.Remove(file)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return fatalf("Saving key \"%s\" failed: %s", file, strerror(err))
	}
	if err := os.WriteFile(file+".pub", hostkey.MarshalAuthorizedKey(k.PublicKey, comment), 0o644); err != nil {
		return fatalf("Unable to save public key to %s.pub: %s", file, strerror(err))
	}
	return nil
}

// downloadSK is -K: the authenticator's resident keys, each written to
// id_<type>_rk[_<application>[_<user>]] in the current directory with
// its application as the comment, as ssh-keygen 9.2 does (which asks
// for the PIN first, always).
func (f *flags) downloadSK() error {
	var device string
	for _, opt := range f.options {
		if name, val, _ := strings.Cut(opt, "="); strings.EqualFold(name, "device") {
			device = val
		}
	}
	pin, err := f.askPass("Enter PIN for authenticator: ")
	if err != nil {
		pin = ""
	}
	if !f.quiet {
		fmt.Fprintln(f.stdout, "You may need to touch your authenticator to authorize key download.")
	}
	keys, err := keyagent.LoadResidentSK(context.Background(), f.skProvider(), &keyagent.SKLoadOptions{Device: device, PIN: pin})
	if err != nil {
		f.logit("Unable to load resident keys: %v", err)
		return &exitError{code: 1}
	}
	if len(keys) == 0 {
		f.logit("No keys to download")
	}
	var pass string
	havePass := false
	for _, rk := range keys {
		k := rk.Key
		typ := "ecdsa_sk"
		if k.PublicKey.Type() == hostkey.SKED25519 {
			typ = "ed25519_sk"
		}
		ext := skSuffix(k.PublicKey.Application, rk.UserID)
		path := "id_" + typ + "_rk"
		if ext != "" {
			path += "_" + ext
		}
		if _, err := os.Stat(path); err == nil {
			fmt.Fprintf(f.stdout, "%s already exists.\nOverwrite (y/n)? ", path)
			a, _ := f.line()
			if !strings.HasPrefix(strings.ToLower(a), "y") {
				break
			}
		}
		if !havePass {
			if pass, err = f.newPassphrase("Enter passphrase (empty for no passphrase): "); err != nil {
				return err
			}
			havePass = true
		}
		app := k.PublicKey.Application
		if err := f.writeSKPair(path, k, app, pass); err != nil {
			f.logit("%s", err.(*exitError).msg)
			return &exitError{code: 1}
		}
		if !f.quiet {
			sep, shown := "", ""
			if ext != "" {
				sep, shown = " ", app
			}
			fmt.Fprintf(f.stdout, "Saved %s key%s%s to %s\n", keyName(k.PublicKey), sep, shown, path)
		}
	}
	return nil
}

// skSuffix is ssh-keygen's sk_suffix: the application without its
// "ssh:" or "ssh://" prefix, then "_" and the user id without its
// trailing zero bytes, in hex if it could name another directory.
func skSuffix(application string, user []byte) string {
	ret := application
	if s, ok := strings.CutPrefix(application, "ssh://"); ok {
		ret = s
	} else if s, ok := strings.CutPrefix(application, "ssh:"); ok {
		ret = s
	}
	n := len(user)
	for n > 0 && user[n-1] == 0 {
		n--
	}
	if n == 0 {
		return ret
	}
	u := sanitizeUser(user[:n])
	if strings.Contains(u, "/") || strings.Contains(u, "..") || strings.Contains(u, `\`) {
		u = fmt.Sprintf("%x", user[:n])
	}
	if ret == "" { // xextendf adds the separator only after something
		return u
	}
	return ret + "_" + u
}

// sanitizeUser escapes what is not printable UTF-8 as OpenSSH's
// asmprintf does (\ooo octal for each such byte).
func sanitizeUser(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f {
			fmt.Fprintf(&s, "\\%03o", b[0])
			b = b[1:]
			continue
		}
		s.Write(b[:n])
		b = b[n:]
	}
	return s.String()
}
