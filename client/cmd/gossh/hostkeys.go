package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/hostkey/krl"
	"github.com/sshstack/sshstack/kex"
)

// rsaBits is the modulus size of an RSA key (or of a certificate's
// RSA key), 0 for other keys.
func rsaBits(pub hostkey.PublicKey) int {
	if ck, ok := pub.(hostkey.CryptoPublicKey); ok {
		if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok {
			return rk.N.BitLen()
		}
	}
	return 0
}

// errRSASize is RequiredRSASize refusing a key.
var errRSASize = errors.New("gossh: RSA key too small")

// An rsaSizeError is RequiredRSASize refusing the RSA key what.
type rsaSizeError struct {
	what      string
	bits, min int
}

func (e *rsaSizeError) Error() string {
	return fmt.Sprintf("%s: Invalid key length (%d bits < RequiredRSASize %d)", e.what, e.bits, e.min)
}
func (e *rsaSizeError) Unwrap() error { return errRSASize }

// checkRSASize applies RequiredRSASize (ssh's sshkey_check_rsa_length).
func (o *options) checkRSASize(what string, pub hostkey.PublicKey) error {
	min := 1024
	fmt.Sscan(o.getDefault("requiredrsasize", "1024"), &min)
	if pub == nil {
		return nil
	}
	if n := rsaBits(pub); n > 0 && n < min {
		return &rsaSizeError{what, n, min}
	}
	return nil
}

// errCASignature is CASignatureAlgorithms refusing a certificate.
var errCASignature = errors.New("gossh: certificate signature algorithm not in CASignatureAlgorithms")

// checkCASignature applies CASignatureAlgorithms to a host
// certificate: the CA's signature algorithm must be listed (ssh's
// sshkey_check_cert_sigtype).
func (o *options) checkCASignature(key hostkey.PublicKey) error {
	cert, ok := key.(*hostkey.Certificate)
	if !ok || cert.Signature == nil {
		return nil
	}
	if !slices.Contains(splitList(o.get("casignaturealgorithms")), cert.Signature.Format) {
		return fmt.Errorf("%w: host certificate signed with %s", errCASignature, cert.Signature.Format)
	}
	return nil
}

// errRevoked is RevokedHostKeys refusing a host key.
var errRevoked = errors.New("gossh: host key revoked")

// checkRevoked applies RevokedHostKeys: OpenSSH's binary KRL (package
// hostkey/krl), or a file of public keys, one per line as in
// authorized_keys or a .pub file, where a certificate is revoked when its
// key or its CA's is listed. A missing file revokes nothing, as in ssh; a
// file that cannot be read or parsed refuses every key.
func (o *options) checkRevoked(key hostkey.PublicKey) error {
	path := o.get("revokedhostkeys")
	if path == "" || path == "none" {
		return nil
	}
	path = expandTilde(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: reading RevokedHostKeys %s: %v", errRevoked, path, err)
	}
	if bytes.HasPrefix(data, krl.Magic) {
		// OpenSSH's binary KRL (PROTOCOL.krl), read as ssh's
		// ssh_krl_check_key: the key, a certificate's key, serial, key
		// ID and CA. A KRL that does not parse refuses, never skips.
		k, err := krl.Parse(data)
		if err != nil {
			return fmt.Errorf("%w: RevokedHostKeys %s: %v", errRevoked, path, err)
		}
		if k.Revoked(key) {
			return fmt.Errorf("%w: Host key %s %s revoked by file %s", errRevoked, key.Type(), o.fingerprint(key), path)
		}
		return nil
	}
	check := []hostkey.PublicKey{key}
	if cert, ok := key.(*hostkey.Certificate); ok {
		check = append(check, cert.Key, cert.SignatureKey)
	}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		ak, err := hostkey.ParseAuthorizedKey(line)
		if err != nil {
			return fmt.Errorf("%w: RevokedHostKeys %s line %d: %v", errRevoked, path, n+1, err)
		}
		for _, k := range check {
			if k != nil && hostkey.Equal(k, ak.Key) {
				return fmt.Errorf("%w: Host key %s %s revoked by file %s", errRevoked, k.Type(), o.fingerprint(k), path)
			}
		}
	}
	return nil
}

// fingerprint is pub's fingerprint with FingerprintHash.
func (o *options) fingerprint(pub hostkey.PublicKey) string {
	if strings.EqualFold(o.get("fingerprinthash"), "md5") {
		return hostkey.FingerprintMD5(pub)
	}
	return hostkey.FingerprintSHA256(pub)
}

// gated runs dial (a handshake with cfg) with the host key checks
// gossh adds before known_hosts, as ssh's verify_host_key does
// (Config.RefuseHostKey): RequiredRSASize refuses a short RSA host key,
// CASignatureAlgorithms a host certificate signed with an algorithm it
// does not list and RevokedHostKeys a revoked key, before any
// known_hosts prompt and before authentication; VerifyHostKeyDNS then
// looks the key up in SSHFP records (dnsCheck); VisualHostKey draws the
// key's randomart once the key exchange is done.
func (o *options) gated(ctx context.Context, cfg *client.Config, lg *logger, dial func(context.Context, *client.Config) (*client.Client, error)) (*client.Client, error) {
	c2 := *cfg
	var refused error
	prevRefuse := cfg.RefuseHostKey
	c2.RefuseHostKey = func(key hostkey.PublicKey) error {
		for _, check := range []func(hostkey.PublicKey) error{
			func(k hostkey.PublicKey) error { return o.checkRSASize("Bad server host key", k) },
			o.checkCASignature, o.checkRevoked,
		} {
			if err := check(key); err != nil {
				refused = err
				return err
			}
		}
		if prevRefuse != nil {
			return prevRefuse(key)
		}
		return nil
	}
	if mode := o.dnsMode(); mode != "" {
		d := &dnsCheck{o: o, lg: lg, host: o.get("hostname"), mode: mode}
		o.dns = d
		c2.TrustHostKey = func(key hostkey.PublicKey) bool { return d.trust(ctx, key) }
	}
	prev := cfg.KexDone
	c2.KexDone = func(a kex.Algorithms, key hostkey.PublicKey) {
		if prev != nil {
			prev(a, key)
		}
		if key != nil && o.yes("visualhostkey", false) {
			lg.info("Host key fingerprint is %s\n%s", o.fingerprint(key), randomart(key, o.get("fingerprinthash")))
		}
	}
	c, err := dial(ctx, &c2)
	if err != nil && refused != nil {
		return nil, refused
	}
	return c, err
}

// randomart draws the key's fingerprint as OpenSSH's "drunken bishop"
// (sshkey.c's fingerprint_randomart): a bishop starts in the middle of
// a 17x9 board and moves diagonally two bits of the digest at a time,
// each square showing how often it was visited; S marks the start and
// E the end. The frame names the key type and size, and the hash.
func randomart(pub hostkey.PublicKey, hash string) string {
	const w, h = 17, 9
	const chars = " .o+=*BOX@%&#/^SE"
	var digest []byte
	hname := "SHA256"
	if strings.EqualFold(hash, "md5") {
		d := md5.Sum(pub.Marshal())
		digest, hname = d[:], "MD5"
	} else {
		d := sha256.Sum256(pub.Marshal())
		digest = d[:]
	}
	var field [w][h]int
	x, y := w/2, h/2
	for _, b := range digest {
		for range 4 {
			if b&1 != 0 {
				x++
			} else {
				x--
			}
			if b&2 != 0 {
				y++
			} else {
				y--
			}
			x = max(0, min(x, w-1))
			y = max(0, min(y, h-1))
			if field[x][y] < len(chars)-3 {
				field[x][y]++
			}
			b >>= 2
		}
	}
	field[w/2][h/2] = len(chars) - 2
	field[x][y] = len(chars) - 1
	var sb strings.Builder
	title := fmt.Sprintf("[%s %d]", keyTypeName(pub), keyBits(pub))
	if len(title) > w {
		title = title[:w]
	}
	pad := (w - len(title)) / 2
	sb.WriteString("+" + strings.Repeat("-", pad) + title + strings.Repeat("-", w-pad-len(title)) + "+\n")
	for j := range h {
		sb.WriteByte('|')
		for i := range w {
			sb.WriteByte(chars[field[i][j]])
		}
		sb.WriteString("|\n")
	}
	htitle := "[" + hname + "]"
	pad = (w - len(htitle)) / 2
	sb.WriteString("+" + strings.Repeat("-", pad) + htitle + strings.Repeat("-", w-pad-len(htitle)) + "+")
	return sb.String()
}

// keyTypeName is sshkey_type()'s short name: ED25519, ECDSA, RSA.
func keyTypeName(pub hostkey.PublicKey) string {
	t := pub.Type()
	switch {
	case strings.Contains(t, "ed25519"):
		return "ED25519"
	case strings.Contains(t, "ecdsa"):
		return "ECDSA"
	case strings.Contains(t, "rsa"):
		return "RSA"
	}
	return strings.ToUpper(t)
}

// keyBits is the key size as ssh prints it: the modulus for RSA, the
// curve for ECDSA, 256 for Ed25519.
func keyBits(pub hostkey.PublicKey) int {
	if n := rsaBits(pub); n > 0 {
		return n
	}
	t := pub.Type()
	for _, c := range []string{"nistp256", "nistp384", "nistp521"} {
		if strings.Contains(t, c) {
			var n int
			fmt.Sscan(c[len("nistp"):], &n)
			return n
		}
	}
	return 256
}
