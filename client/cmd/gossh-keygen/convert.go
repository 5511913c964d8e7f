package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
)

const (
	rfc4716Begin = "---- BEGIN SSH2 PUBLIC KEY ----"
	rfc4716End   = "---- END SSH2 PUBLIC KEY ----"
)

// export is -e: the public key of -f as RFC 4716 (the default), PKCS8
// or PEM (-m).
func (f *flags) export() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	pub, _, err := f.loadPublic(file)
	if err != nil {
		return err
	}
	switch strings.ToUpper(f.format) {
	case "", "RFC4716":
		name := "unknown"
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		host, _ := os.Hostname()
		comment := fmt.Sprintf("%d-bit %s, converted by %s@%s from OpenSSH", keyBits(pub), keyName(pub), name, host)
		fmt.Fprintf(f.stdout, "%s\nComment: \"%s\"\n", rfc4716Begin, comment)
		enc := base64.StdEncoding.EncodeToString(pub.Marshal())
		for len(enc) > 70 {
			fmt.Fprintln(f.stdout, enc[:70])
			enc = enc[70:]
		}
		fmt.Fprintf(f.stdout, "%s\n%s\n", enc, rfc4716End)
		return nil
	case "PKCS8", "PEM":
		cp, ok := pub.(hostkey.CryptoPublicKey)
		if !ok {
			return fatalf("unsupported key type %s", keyName(pub))
		}
		var block *pem.Block
		switch k := cp.CryptoPublicKey().(type) {
		case *rsa.PublicKey:
			if strings.EqualFold(f.format, "PEM") {
				block = &pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(k)}
				break
			}
			der, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				return fatalf("%v", err)
			}
			block = &pem.Block{Type: "PUBLIC KEY", Bytes: der}
		case *ecdsa.PublicKey:
			der, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				return fatalf("%v", err)
			}
			block = &pem.Block{Type: "PUBLIC KEY", Bytes: der}
		default:
			// As ssh-keygen 9.2, which exports only RSA and ECDSA keys so.
			return fatalf("do_convert_to_%s: unsupported key type %s", strings.ToLower(f.format), keyName(pub))
		}
		return pem.Encode(f.stdout, block)
	}
	return fatalf("Unsupported conversion format \"%s\"", f.format)
}

// importKey is -i: an RFC 4716, PKCS8 or PEM public key (-m) printed
// as an OpenSSH public key.
func (f *flags) importKey() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	data, err := f.readFile(file)
	if err != nil {
		return fatalf("%s: %s", file, strerror(err))
	}
	var pub hostkey.PublicKey
	switch strings.ToUpper(f.format) {
	case "", "RFC4716":
		pub, err = parseRFC4716(data)
	case "PKCS8", "PEM":
		pub, err = parsePEMPublic(data)
	default:
		return fatalf("Unsupported conversion format \"%s\"", f.format)
	}
	if err != nil {
		return fatalf("%s: %s", file, strerror(err))
	}
	f.stdout.Write(hostkey.MarshalAuthorizedKey(pub, ""))
	return nil
}

// parseRFC4716 reads an RFC 4716 public key file: header lines (a
// trailing backslash continues one), then the base64 key blob.
func parseRFC4716(data []byte) (hostkey.PublicKey, error) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) || strings.TrimSpace(lines[i]) != rfc4716Begin {
		if strings.Contains(string(data), "SSH2 ENCRYPTED PRIVATE KEY") {
			return nil, fmt.Errorf("ssh.com private keys are not supported by gossh-keygen yet (docs/gossh-keygen.md)")
		}
		return nil, fmt.Errorf("not an RFC 4716 public key (%s)", rfc4716Begin)
	}
	var body strings.Builder
	inHeader, cont, ended := true, false, false
	for _, l := range lines[i+1:] {
		l = strings.TrimSpace(l)
		if l == rfc4716End {
			ended = true
			break
		}
		if cont {
			cont = strings.HasSuffix(l, "\\")
			continue
		}
		if inHeader && strings.Contains(l, ":") {
			cont = strings.HasSuffix(l, "\\")
			continue
		}
		inHeader = false
		body.WriteString(l)
	}
	if !ended {
		return nil, fmt.Errorf("no %s line", rfc4716End)
	}
	blob, err := base64.StdEncoding.DecodeString(body.String())
	if err != nil {
		return nil, fmt.Errorf("bad base64: %v", err)
	}
	return hostkey.ParsePublicKey(blob)
}

// parsePEMPublic reads a "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA
// PUBLIC KEY" (PKCS #1) PEM block.
func parsePEMPublic(data []byte) (hostkey.PublicKey, error) {
	block, _ := pem.Decode(bytes.TrimSpace(data))
	if block == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	var k any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM %q: only public keys are imported by gossh-keygen yet", block.Type)
	}
	if err != nil {
		return nil, err
	}
	return hostkey.NewPublicKey(k)
}
