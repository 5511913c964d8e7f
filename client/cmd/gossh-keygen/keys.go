package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
	"golang.org/x/term"
)

// keyName is ssh-keygen's short type name ("ED25519", "ECDSA-CERT").
func keyName(pub hostkey.PublicKey) string {
	t := pub.Type()
	suffix := ""
	if c, ok := pub.(*hostkey.Certificate); ok {
		t, suffix = c.Key.Type(), "-CERT"
	}
	switch {
	case t == hostkey.ED25519:
		t = "ED25519"
	case t == hostkey.SKED25519:
		t = "ED25519-SK"
	case t == hostkey.SKECDSAP256:
		t = "ECDSA-SK"
	case strings.HasPrefix(t, "ecdsa-sha2-"):
		t = "ECDSA"
	case t == hostkey.RSA:
		t = "RSA"
	}
	return t + suffix
}

// plain is the certified key of a certificate, which fingerprints
// use as ssh-keygen does.
func plain(pub hostkey.PublicKey) hostkey.PublicKey {
	if c, ok := pub.(*hostkey.Certificate); ok {
		return c.Key
	}
	return pub
}

// keyBits is ssh-keygen's key size.
func keyBits(pub hostkey.PublicKey) int {
	if c, ok := pub.(*hostkey.Certificate); ok {
		pub = c.Key
	}
	cp, ok := pub.(hostkey.CryptoPublicKey)
	if !ok {
		return 0
	}
	switch k := cp.CryptoPublicKey().(type) {
	case ed25519.PublicKey:
		return 256
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case *rsa.PublicKey:
		return k.N.BitLen()
	}
	return 0
}

// digestOf is -E's hash of pub's plain blob, with its upper-case name.
// newKeyFile announces a new key pair of the type label, asks where to
// save it (default ~/.ssh/id_<name>) and, as ssh-keygen, whether to
// overwrite a file that is there.
func (f *flags) newKeyFile(label, name string) (string, error) {
	if !f.quiet {
		fmt.Fprintf(f.stdout, "Generating public/private %s key pair.\n", label)
	}
	file, err := f.askFile("Enter file in which to save the key", defaultKeyFile(name))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(file); err == nil {
		fmt.Fprintf(f.stdout, "%s already exists.\nOverwrite (y/n)? ", file)
		a, _ := f.line()
		if !strings.HasPrefix(strings.ToLower(a), "y") {
			return "", &exitError{code: 1}
		}
	}
	return file, nil
}

func (f *flags) digestOf(pub hostkey.PublicKey) (string, []byte, error) {
	blob := plain(pub).Marshal()
	switch strings.ToLower(f.hashAlg) {
	case "", "sha256":
		d := sha256.Sum256(blob)
		return "SHA256", d[:], nil
	case "md5":
		d := md5.Sum(blob)
		return "MD5", d[:], nil
	case "sha1":
		d := sha1.Sum(blob)
		return "SHA1", d[:], nil
	case "sha384":
		d := sha512.Sum384(blob)
		return "SHA384", d[:], nil
	case "sha512":
		d := sha512.Sum512(blob)
		return "SHA512", d[:], nil
	}
	return "", nil, fatalf("Invalid hash algorithm \"%s\"", f.hashAlg)
}

// checkHash refuses an -E that ssh-keygen does not know.
func (f *flags) checkHash() error {
	if f.hashAlg == "" {
		return nil
	}
	_, _, err := (&flags{hashAlg: f.hashAlg}).digestOf(emptyKey{})
	return err
}

// emptyKey lets checkHash try a hash name without a key.
type emptyKey struct{ hostkey.PublicKey }

func (emptyKey) Marshal() []byte { return nil }

// fingerprintOf is -E's fingerprint of pub, as ssh-keygen prints it:
// "MD5:" and hex pairs, or the hash name and unpadded base64.
func (f *flags) fingerprintOf(pub hostkey.PublicKey) (string, error) {
	name, d, err := f.digestOf(pub)
	if err != nil {
		return "", err
	}
	if name == "MD5" {
		h := make([]string, len(d))
		for i, b := range d {
			h[i] = fmt.Sprintf("%02x", b)
		}
		return "MD5:" + strings.Join(h, ":"), nil
	}
	return name + ":" + base64.RawStdEncoding.EncodeToString(d), nil
}

// randomArt draws OpenSSH's "drunken bishop" picture of the digest of
// pub (ssh-keygen -lv, VisualHostKey).
func (f *flags) randomArt(pub hostkey.PublicKey) string {
	const sx, sy = 17, 9
	const aug = " .o+=*BOX@%&#/^SE"
	alg, digest, err := f.digestOf(pub)
	if err != nil {
		alg, digest, _ = (&flags{}).digestOf(pub)
	}
	var field [sx][sy]int
	x, y := sx/2, sy/2
	n := len(aug) - 1
	for _, in := range digest {
		for b := 0; b < 4; b++ {
			if in&1 != 0 {
				x++
			} else {
				x--
			}
			if in&2 != 0 {
				y++
			} else {
				y--
			}
			x, y = min(max(x, 0), sx-1), min(max(y, 0), sy-1)
			if field[x][y] < n-2 {
				field[x][y]++
			}
			in >>= 2
		}
	}
	field[sx/2][sy/2] = n - 1
	field[x][y] = n
	title := fmt.Sprintf("[%s %d]", keyName(pub), keyBits(pub))
	if len(title) > sx+1 {
		title = "[" + keyName(pub) + "]"
	}
	border := func(label string) string {
		pad := max((sx-len(label))/2, 0)
		s := "+" + strings.Repeat("-", pad) + label
		return s + strings.Repeat("-", max(sx-pad-len(label), 0)) + "+\n"
	}
	var b strings.Builder
	b.WriteString(border(title))
	for yy := 0; yy < sy; yy++ {
		b.WriteByte('|')
		for xx := 0; xx < sx; xx++ {
			b.WriteByte(aug[min(field[xx][yy], n)])
		}
		b.WriteString("|\n")
	}
	b.WriteString(strings.TrimSuffix(border("["+alg+"]"), "\n"))
	return b.String()
}

// askPass reads a passphrase from the terminal, or a line of stdin
// when there is none.
func (f *flags) askPass(prompt string) (string, error) {
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		fmt.Fprint(tty, prompt)
		p, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err == nil {
			return string(p), nil
		}
	}
	fmt.Fprint(f.stderr, prompt)
	return f.line()
}

// newPassphrase is -N, or asked for twice.
func (f *flags) newPassphrase(first string) (string, error) {
	if f.hasNewPass {
		return f.newPass, nil
	}
	p1, err := f.askPass(first)
	if err != nil {
		return "", fatalf("")
	}
	p2, err := f.askPass("Enter same passphrase again: ")
	if err != nil {
		return "", fatalf("")
	}
	if p1 != p2 {
		return "", fatalf("Passphrases do not match.  Try again.")
	}
	return p1, nil
}

// loadPrivate reads a private key file, with -P or the empty
// passphrase first and then a prompt, as ssh-keygen.
func (f *flags) loadPrivate(name, prompt string) (*hostkey.CryptoSigner, string, error) {
	data, err := f.readFile(name)
	if err != nil {
		return nil, "", fatalf("%s: %s", name, strerror(err))
	}
	pass := f.oldPass
	key, comment, err := hostkey.ParseRawPrivateKey(data, []byte(pass))
	if errors.Is(err, hostkey.ErrPassphraseNeeded) && !f.hasOldPass {
		if pass, err = f.askPass(prompt); err != nil {
			return nil, "", fatalf("")
		}
		key, comment, err = hostkey.ParseRawPrivateKey(data, []byte(pass))
	}
	if errors.Is(err, hostkey.ErrWrongPassphrase) || errors.Is(err, hostkey.ErrPassphraseNeeded) {
		return nil, "", fatalf("Load key \"%s\": incorrect passphrase supplied to decrypt private key", name)
	}
	if err != nil {
		return nil, "", fatalf("Load key \"%s\": invalid format", name)
	}
	s, err := hostkey.NewSigner(key)
	if err != nil {
		return nil, "", fatalf("Load key \"%s\": %v", name, err)
	}
	f.oldPass, f.hasOldPass = pass, true
	return s, comment, nil
}

// isPrivate reports whether data looks like a PEM private key.
func isPrivate(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN ")) && bytes.Contains(data, []byte("PRIVATE KEY-----"))
}

// loadPublic reads the public key of a file: a public key line, or
// the public half of a private key (its .pub file for the comment of an
// encrypted one).
func (f *flags) loadPublic(name string) (hostkey.PublicKey, string, error) {
	data, err := f.readFile(name)
	if err != nil {
		return nil, "", fatalf("%s: %s", name, strerror(err))
	}
	if !isPrivate(data) {
		pub, comment, err := hostkey.ParsePublicKeyFile(data)
		if err != nil {
			return nil, "", fatalf("%s is not a public key file.", name)
		}
		return pub, comment, nil
	}
	key, comment, err := hostkey.ParseRawPrivateKey(data, nil)
	var pm *hostkey.PassphraseMissingError
	if errors.As(err, &pm) && pm.PublicKey != nil {
		comment = ""
		if d, err := os.ReadFile(name + ".pub"); err == nil {
			if p, c, err := hostkey.ParsePublicKeyFile(d); err == nil && hostkey.Equal(p, pm.PublicKey) {
				comment = c
			}
		}
		return pm.PublicKey, comment, nil
	}
	if err != nil {
		if sk, err := hostkey.ParseSKPrivateKey(data, nil); err == nil {
			return sk.PublicKey, sk.Comment, nil
		}
		s, c, err := f.loadPrivate(name, "Enter passphrase: ")
		if err != nil {
			return nil, "", err
		}
		return s.PublicKey(), c, nil
	}
	s, err := hostkey.NewSigner(key)
	if err != nil {
		return nil, "", fatalf("%s: %v", name, err)
	}
	return s.PublicKey(), comment, nil
}

// keyTypes maps -t to what GenerateKey makes, by -b.
func keyTypeFor(t string, bits int) (string, int, error) {
	switch strings.ToLower(t) {
	case "", "rsa":
		if bits == 0 {
			bits = hostkey.DefaultRSABits
		}
		if bits < 1024 {
			return "", 0, fatalf("Invalid RSA key length: minimum is 1024 bits")
		}
		if bits > 16384 {
			return "", 0, fatalf("Invalid RSA key length: maximum is 16384 bits")
		}
		return hostkey.RSA, bits, nil
	case "ecdsa":
		switch bits {
		case 0, 256:
			return hostkey.ECDSAP256, 256, nil
		case 384:
			return hostkey.ECDSAP384, 384, nil
		case 521:
			return hostkey.ECDSAP521, 521, nil
		}
		return "", 0, fatalf("Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits")
	case "ed25519":
		return hostkey.ED25519, 256, nil
	}
	return "", 0, fatalf("unknown key type %s (gossh-keygen makes rsa, ecdsa, ed25519, ecdsa-sk and ed25519-sk keys)", t)
}

// typeLabel is the -t name printed in "Generating public/private %s key pair."
func typeLabel(t string) string {
	if t == "" {
		return "rsa"
	}
	return strings.ToLower(t)
}

// generate makes a key pair (the default mode).
func (f *flags) generate() error {
	if t := skType(f.keyType); t != "" {
		return f.generateSK(t)
	}
	typ, bits, err := keyTypeFor(f.keyType, f.bits)
	if err != nil {
		return err
	}
	if err := f.checkCipher(); err != nil {
		return err
	}
	file, err := f.newKeyFile(typeLabel(f.keyType), typeLabel(f.keyType))
	if err != nil {
		return err
	}
	rsaBits := 0
	if typ == hostkey.RSA {
		rsaBits = bits
	}
	key, err := generateKey(typ, rsaBits)
	if err != nil {
		return fatalf("key_generate failed: %v", err)
	}
	pass, err := f.newPassphrase("Enter passphrase (empty for no passphrase): ")
	if err != nil {
		return err
	}
	comment := f.comment
	if !f.hasComment {
		comment = defaultComment()
	}
	if err := f.writeKeyPair(file, key, comment, pass); err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(f.stdout, "Your identification has been saved in %s\n", file)
		fmt.Fprintf(f.stdout, "Your public key has been saved in %s.pub\n", file)
		fp, err := f.fingerprintOf(key.PublicKey())
		if err != nil {
			return err
		}
		fmt.Fprintf(f.stdout, "The key fingerprint is:\n%s %s\n", fp, comment)
		fmt.Fprintf(f.stdout, "The key's randomart image is:\n%s\n", f.randomArt(key.PublicKey()))
	}
	return nil
}

// generateKey is hostkey.GenerateKey, which refuses RSA under 2048
// bits; ssh-keygen still makes 1024.
func generateKey(typ string, bits int) (*hostkey.CryptoSigner, error) {
	if typ == hostkey.RSA && bits < 2048 {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		return hostkey.NewSigner(k)
	}
	return hostkey.GenerateKey(rand.Reader, typ, bits)
}

// writeKeyPair writes file (0600, openssh-key-v1, aes256-ctr with -a
// rounds under a passphrase) and file.pub.
func (f *flags) writeKeyPair(file string, key *hostkey.CryptoSigner, comment, pass string) error {
	if err := f.writePrivate(file, key, comment, pass); err != nil {
		return err
	}
	if err := os.WriteFile(file+".pub", hostkey.MarshalAuthorizedKey(key.PublicKey(), comment), 0o644); err != nil {
		return fatalf("Unable to save public key to %s.pub: %v", file, err)
	}
	return nil
}

func (f *flags) writePrivate(file string, key *hostkey.CryptoSigner, comment, pass string) error {
	var pem []byte
	var err error
	switch strings.ToUpper(f.format) {
	case "", "RFC4716":
	case "PEM", "PKCS8":
		// pem stays nil for a key only OpenSSH's format holds (Ed25519).
		if pem, err = marshalPEMKey(key, f.format, pass); err != nil {
			return fatalf("Saving key \"%s\" failed: %v", file, err)
		}
	default:
		return fatalf("Unsupported conversion format \"%s\"", f.format)
	}
	if pem == nil {
		pem, err = hostkey.MarshalPrivateKey(key.Crypto(), comment, []byte(pass), &hostkey.KeyFileOptions{Rounds: f.rounds, Cipher: f.cipher})
	}
	if err != nil {
		return fatalf("Saving key \"%s\" failed: %v", file, err)
	}
	os.Remove(file)
	if err := os.WriteFile(file, pem, 0o600); err != nil {
		return fatalf("Saving key \"%s\" failed: %v", file, err)
	}
	return nil
}

// checkCipher refuses a -Z that MarshalPrivateKey cannot write.
func (f *flags) checkCipher() error {
	if f.cipher == "" {
		return nil
	}
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err == nil {
		_, err = hostkey.MarshalPrivateKey(k.Crypto(), "", []byte("x"), &hostkey.KeyFileOptions{Rounds: 1, Cipher: f.cipher})
	}
	if err != nil {
		return fatalf("Unknown cipher \"%s\"", f.cipher)
	}
	return nil
}

// changePassphrase is -p.
func (f *flags) changePassphrase() error {
	if err := f.checkCipher(); err != nil {
		return err
	}
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	key, comment, err := f.loadPrivate(file, "Enter old passphrase: ")
	if err != nil {
		return err
	}
	if comment != "" {
		fmt.Fprintf(f.stdout, "Key has comment '%s'\n", comment)
	}
	pass, err := f.newPassphrase("Enter new passphrase (empty for no passphrase): ")
	if err != nil {
		return err
	}
	if err := f.writePrivate(file, key, comment, pass); err != nil {
		return err
	}
	fmt.Fprintln(f.stdout, "Your identification has been saved with the new passphrase.")
	return nil
}

// printPublic is -y.
func (f *flags) printPublic() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	data, err := f.readFile(file)
	if err != nil {
		return fatalf("%s: %s", file, strerror(err))
	}
	if !isPrivate(data) {
		pub, comment, err := hostkey.ParsePublicKeyFile(data)
		if err != nil {
			return fatalf("Load key \"%s\": invalid format", file)
		}
		f.stdout.Write(hostkey.MarshalAuthorizedKey(pub, comment))
		return nil
	}
	if sk, err := f.loadSK(file, data, "Enter passphrase: "); sk != nil || err != nil {
		if err != nil {
			return err
		}
		f.stdout.Write(hostkey.MarshalAuthorizedKey(sk.PublicKey, sk.Comment))
		return nil
	}
	key, comment, err := f.loadPrivate(file, "Enter passphrase: ")
	if err != nil {
		return err
	}
	f.stdout.Write(hostkey.MarshalAuthorizedKey(key.PublicKey(), comment))
	return nil
}

// loadSK reads an sk-* key file (nil, nil for another key type), with
// -P or the empty passphrase first and then a prompt.
func (f *flags) loadSK(name string, data []byte, prompt string) (*hostkey.SKPrivateKey, error) {
	pass := f.oldPass
	k, err := hostkey.ParseSKPrivateKey(data, []byte(pass))
	if errors.Is(err, hostkey.ErrUnknownAlgorithm) || errors.Is(err, hostkey.ErrUnsupportedKeyFile) {
		return nil, nil
	}
	var pm *hostkey.PassphraseMissingError
	if errors.As(err, &pm) && pm.PublicKey != nil {
		if _, ok := pm.PublicKey.(*hostkey.SKPublicKey); !ok {
			return nil, nil
		}
	}
	if errors.Is(err, hostkey.ErrPassphraseNeeded) && !f.hasOldPass {
		if pass, err = f.askPass(prompt); err != nil {
			return nil, fatalf("")
		}
		k, err = hostkey.ParseSKPrivateKey(data, []byte(pass))
	}
	if errors.Is(err, hostkey.ErrWrongPassphrase) || errors.Is(err, hostkey.ErrPassphraseNeeded) {
		return nil, fatalf("Load key \"%s\": incorrect passphrase supplied to decrypt private key", name)
	}
	if err != nil {
		return nil, fatalf("Load key \"%s\": invalid format", name)
	}
	f.oldPass, f.hasOldPass = pass, true
	return k, nil
}

// A keyEntry is one key of a file and its comment.
type keyEntry struct {
	pub     hostkey.PublicKey
	comment string
}

// keysOfFile returns every key of a public key, authorized_keys or
// known_hosts file, or the key of a private key file, as ssh-keygen -l
// reads them.
func (f *flags) keysOfFile(file string) ([]keyEntry, error) {
	data, err := f.readFile(file)
	if err != nil {
		return nil, fatalf("%s: %s", file, strerror(err))
	}
	var keys []keyEntry
	if isPrivate(data) {
		pub, comment, err := f.loadPublic(file)
		if err != nil {
			return nil, err
		}
		return []keyEntry{{pub, comment}}, nil
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		// A key line, or (as ssh-keygen) one whose first field is
		// authorized_keys options or known_hosts host names.
		pub, comment, err := hostkey.ParsePublicKeyFile(line)
		if err != nil {
			pub, comment, err = hostkey.ParsePublicKeyFile(skipField(line))
		}
		if err == nil {
			keys = append(keys, keyEntry{pub, comment})
		}
	}
	if len(keys) == 0 {
		return nil, fatalf("%s is not a public key file.", file)
	}
	return keys, nil
}

// fingerprint is -l (and -B): every key of a public key, authorized_keys or
// known_hosts file, or the key of a private key file.
func (f *flags) fingerprint() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	if err := f.checkHash(); err != nil {
		return err
	}
	keys, err := f.keysOfFile(file)
	if err != nil {
		return err
	}
	for _, k := range keys {
		fp, err := f.fingerprintOf(k.pub)
		if err != nil {
			return err
		}
		c := k.comment
		if c == "" {
			c = "no comment"
		}
		if f.set['B'] {
			fp = bubbleBabble(plain(k.pub).Marshal())
		}
		fmt.Fprintf(f.stdout, "%d %s %s (%s)\n", keyBits(k.pub), fp, c, keyName(k.pub))
		if f.verbose > 0 && !f.set['B'] {
			fmt.Fprintln(f.stdout, f.randomArt(k.pub))
		}
	}
	return nil
}

// skipField drops the first whitespace-separated field of line, in
// which double quotes protect whitespace.
func skipField(line []byte) []byte {
	inq := false
	for i, c := range line {
		switch {
		case c == '"':
			inq = !inq
		case (c == ' ' || c == '\t') && !inq:
			return bytes.TrimLeft(line[i:], " \t")
		}
	}
	return nil
}
