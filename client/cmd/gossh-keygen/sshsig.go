package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/hostkey/krl"
	"github.com/sshstack/sshstack/hostkey/sshsig"
)

// sshsig is -Y: sign, verify, check-novalidate and find-principals
// (PROTOCOL.sshsig).
func (f *flags) sshsig() error {
	if f.op != "sign" {
		for _, o := range f.options {
			switch lo := strings.ToLower(o); {
			case lo == "print-pubkey":
				f.printPubkey = true
			case strings.HasPrefix(lo, "verify-time="):
				t, err := parseAbsTime(o[len("verify-time="):])
				if err != nil {
					return fatalf("Invalid \"verify-time\" option")
				}
				f.now = time.Unix(int64(t), 0)
			default:
				return fatalf("Invalid option \"%s\"", o)
			}
		}
	}
	switch f.op {
	case "sign":
		return f.sigSign()
	case "verify":
		return f.sigVerify(true)
	case "check-novalidate":
		return f.sigVerify(false)
	case "find-principals":
		return f.sigFindPrincipals()
	case "match-principals":
		return f.sigMatchPrincipals()
	}
	return fatalf("gossh-keygen: -Y %s is not supported by gossh-keygen (docs/gossh-keygen.md)", f.op)
}

// sigHash is -O hashalg=.
func (f *flags) sigHash() (string, error) {
	alg := ""
	for _, o := range f.options {
		if v, ok := strings.CutPrefix(strings.ToLower(o), "hashalg="); ok {
			if v != sshsig.SHA256 && v != sshsig.SHA512 {
				return "", fatalf("Unsupported hash algorithm \"%s\"", v)
			}
			alg = v
		} else {
			return "", fatalf("Invalid option \"%s\"", o)
		}
	}
	return alg, nil
}

func (f *flags) sigSign() error {
	if f.principals == "" {
		return fatalf("Too few arguments for sign: missing namespace")
	}
	if f.file == "" {
		return fatalf("Too few arguments for sign: missing key")
	}
	alg, err := f.sigHash()
	if err != nil {
		return err
	}
	// -f names the private key; a certificate file (key-cert.pub) signs
	// as the certificate with the private key beside it (ssh-keygen
	// needs an agent for that).
	keyFile, certFile := f.file, ""
	if base, ok := strings.CutSuffix(f.file, "-cert.pub"); ok {
		keyFile, certFile = base, f.file
	}
	key, _, err := f.loadPrivate(keyFile, "Enter passphrase: ")
	if err != nil {
		return err
	}
	var signer hostkey.Signer = key
	if certFile != "" {
		d, err := os.ReadFile(certFile)
		if err != nil {
			return fatalf("%s: %v", certFile, err)
		}
		pub, _, err := hostkey.ParsePublicKeyFile(d)
		c, ok := pub.(*hostkey.Certificate)
		if err != nil || !ok {
			return fatalf("%s is not a certificate", certFile)
		}
		if signer, err = hostkey.NewCertSigner(c, key); err != nil {
			return fatalf("%s: %v", certFile, err)
		}
	}
	sign := func(in io.Reader) ([]byte, error) {
		s, err := sshsig.Sign(rand.Reader, signer, f.principals, alg, in)
		if err != nil {
			return nil, fatalf("Signing failed: %v", err)
		}
		return s.Armor(), nil
	}
	if len(f.args) == 0 || len(f.args) == 1 && f.args[0] == "-" {
		out, err := sign(f.stdin)
		if err != nil {
			return err
		}
		f.stdout.Write(out)
		return nil
	}
	for _, file := range f.args {
		if _, err := os.Stat(file + ".sig"); err == nil {
			fmt.Fprintf(f.stdout, "%s.sig already exists.\nOverwrite (y/n)? ", file)
			if a, _ := f.line(); !strings.HasPrefix(strings.ToLower(a), "y") {
				return &exitError{code: 255}
			}
		}
		in, err := os.Open(file)
		if err != nil {
			return fatalf("Cannot open %s: %v", file, err)
		}
		if !f.quiet {
			fmt.Fprintf(f.stderr, "Signing file %s\n", file)
		}
		out, err := sign(in)
		in.Close()
		if err != nil {
			return err
		}
		if err := os.WriteFile(file+".sig", out, 0o644); err != nil {
			return fatalf("Cannot write %s.sig: %v", file, err)
		}
		if !f.quiet {
			fmt.Fprintf(f.stderr, "Write signature to %s.sig\n", file)
		}
	}
	return nil
}

func (f *flags) loadSig() (*sshsig.Signature, error) {
	if f.caKey == "" {
		return nil, fatalf("Too few arguments: missing signature file (-s)")
	}
	data, err := os.ReadFile(f.caKey)
	if err != nil {
		return nil, fatalf("Couldn't read signature file: %v", err)
	}
	s, err := sshsig.Parse(data)
	if err != nil {
		return nil, fatalf("Couldn't parse signature: %v", err)
	}
	return s, nil
}

func (f *flags) allowedSigners() ([]*sshsig.AllowedSigner, error) {
	if f.file == "" {
		return nil, fatalf("Too few arguments: missing allowed signers file (-f)")
	}
	data, err := os.ReadFile(f.file)
	if err != nil {
		return nil, fatalf("Couldn't open allowed keys file %s: %v", f.file, err)
	}
	a, err := sshsig.ParseAllowedSigners(bytes.NewReader(data))
	if err != nil {
		return nil, fatalf("%s: %v", f.file, err)
	}
	return a, nil
}

// sigVerify is -Y verify (validate the signer against -f) and -Y
// check-novalidate (the signature only).
func (f *flags) sigVerify(validate bool) error {
	if f.principals == "" {
		return fatalf("Too few arguments: missing namespace (-n)")
	}
	s, err := f.loadSig()
	if err != nil {
		return err
	}
	// As ssh-keygen: the reason on stderr, the verdict on stdout.
	fail := func(why string) error {
		if why != "" {
			f.logit("%s", why)
		}
		fmt.Fprintln(f.stdout, "Could not verify signature.")
		return &exitError{code: 255}
	}
	if err := s.Verify(f.principals, f.stdin); errors.Is(err, sshsig.ErrNamespace) {
		return fail("Couldn't verify signature: namespace does not match")
	} else if err != nil {
		return fail("Signature verification failed: incorrect signature")
	}
	fp, _ := f.fingerprintOf(s.PublicKey)
	if !validate {
		fmt.Fprintf(f.stdout, "Good \"%s\" signature with %s key %s\n", f.principals, keyName(s.PublicKey), fp)
		f.maybePrintPubkey(s)
		return nil
	}
	if f.identity == "" {
		return fatalf("Too few arguments: missing signer identity (-I)")
	}
	signers, err := f.allowedSigners()
	if err != nil {
		return err
	}
	if _, err := sshsig.Find(signers, s, f.identity, f.now); err != nil {
		return fail("")
	}
	if f.krlFile != "" {
		data, err := os.ReadFile(f.krlFile)
		if err != nil {
			return fatalf("Couldn't read KRL %s: %v", f.krlFile, err)
		}
		k, err := krl.Parse(data)
		if err != nil {
			return fatalf("Invalid KRL file %s: %v", f.krlFile, err)
		}
		if k.Revoked(s.PublicKey) {
			return fail("Signature verification failed: key is revoked")
		}
	}
	fmt.Fprintf(f.stdout, "Good \"%s\" signature for %s with %s key %s\n", f.principals, f.identity, keyName(s.PublicKey), fp)
	f.maybePrintPubkey(s)
	return nil
}

// sigFindPrincipals is -Y find-principals.
func (f *flags) sigFindPrincipals() error {
	s, err := f.loadSig()
	if err != nil {
		return err
	}
	signers, err := f.allowedSigners()
	if err != nil {
		return err
	}
	ps := sshsig.Principals(signers, s, f.now)
	if len(ps) == 0 {
		return fatalf("No principal matched.")
	}
	for _, p := range ps {
		fmt.Fprintln(f.stdout, p)
	}
	return nil
}

// sigMatchPrincipals is -Y match-principals: the principals fields of
// the allowed signers lines whose patterns match -I.
func (f *flags) sigMatchPrincipals() error {
	if f.identity == "" {
		return fatalf("Too few arguments: missing principal (-I)")
	}
	signers, err := f.allowedSigners()
	if err != nil {
		return err
	}
	found := false
	for _, a := range signers {
		if sshsig.MatchPatternList(f.identity, a.Principals) {
			fmt.Fprintln(f.stdout, a.Principals)
			found = true
		}
	}
	if !found {
		// ssh-keygen 9.2 exits with its SSH_ERR_KEY_NOT_FOUND (-46) & 0xff.
		fmt.Fprintln(f.stderr, "No principal matched.")
		return &exitError{code: 210}
	}
	return nil
}

// maybePrintPubkey is -O print-pubkey: the signer's key after a good
// signature.
func (f *flags) maybePrintPubkey(s *sshsig.Signature) {
	if f.printPubkey {
		f.stdout.Write(hostkey.MarshalAuthorizedKey(s.PublicKey, ""))
	}
}
