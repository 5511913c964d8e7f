package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/hostkey/krl"
)

// genKRL is -k: make (or with -u update) the KRL -f from key and
// specification files (ssh-keygen(1), "KEY REVOCATION LISTS").
func (f *flags) genKRL() error {
	if f.file == "" {
		return fatalf("KRL generation requires an output file")
	}
	k := &krl.KRL{}
	if f.set['u'] {
		if data, err := os.ReadFile(f.file); err == nil {
			if k, err = krl.Parse(data); err != nil {
				return fatalf("Invalid KRL file %s: %v", f.file, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return fatalf("open %s: %v", f.file, err)
		}
	}
	var ca hostkey.PublicKey
	wildCA := false
	if f.caKey != "" {
		if strings.EqualFold(f.caKey, "none") {
			wildCA = true
		} else {
			pub, _, err := f.loadPublic(f.caKey)
			if err != nil {
				return err
			}
			ca = pub
		}
	}
	if f.serial != "" {
		v, err := strconv.ParseUint(f.serial, 10, 64)
		if err != nil {
			return fatalf("Invalid KRL version \"%s\"", f.serial)
		}
		k.Version = v
	}
	for _, file := range f.args {
		if err := f.updateKRL(k, file, ca, wildCA); err != nil {
			return err
		}
	}
	k.Date = uint64(f.now.Unix())
	if err := os.WriteFile(f.file, k.Marshal(), 0o644); err != nil {
		return fatalf("write %s: %v", f.file, err)
	}
	return nil
}

func (f *flags) updateKRL(k *krl.KRL, file string, ca hostkey.PublicKey, wildCA bool) error {
	data, err := f.readFile(file)
	if err != nil {
		return fatalf("open %s: %v", file, err)
	}
	if !f.quiet {
		f.logit("Revoking from %s", file)
	}
	certs := func(what string, n int) (*krl.Certs, error) {
		if ca == nil && !wildCA {
			return nil, fatalf("%s:%d: revoking certificates by %s requires specification of a CA key", file, n, what)
		}
		return k.CertsFor(ca), nil
	}
	key := func(s string, n int) (hostkey.PublicKey, error) {
		pub, _, err := hostkey.ParsePublicKeyFile([]byte(strings.TrimSpace(s)))
		if err != nil {
			return nil, fatalf("%s:%d: invalid key", file, n)
		}
		if c, ok := pub.(*hostkey.Certificate); ok {
			pub = c.Key
		}
		return pub, nil
	}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		line := strings.TrimSpace(string(raw))
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = strings.TrimSpace(line[:c])
		}
		if line == "" {
			continue
		}
		name, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		switch strings.ToLower(name) {
		case "serial":
			c, err := certs("serial number", n)
			if err != nil {
				return err
			}
			lo, hi, isRange := strings.Cut(val, "-")
			a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 0, 64)
			b := a
			var err2 error
			if isRange {
				b, err2 = strconv.ParseUint(strings.TrimSpace(hi), 0, 64)
			}
			if err1 != nil || err2 != nil || b < a || a == 0 {
				return fatalf("%s:%d: invalid serial \"%s\"", file, n, val)
			}
			c.Serials = append(c.Serials, krl.Range{Lo: a, Hi: b})
		case "id":
			c, err := certs("key ID", n)
			if err != nil {
				return err
			}
			c.KeyIDs = append(c.KeyIDs, val)
		case "key":
			pub, err := key(val, n)
			if err != nil {
				return err
			}
			k.Keys = append(k.Keys, pub.Marshal())
		case "sha1":
			pub, err := key(val, n)
			if err != nil {
				return err
			}
			h := sha1.Sum(pub.Marshal())
			k.SHA1 = append(k.SHA1, h[:])
		case "sha256":
			pub, err := key(val, n)
			if err != nil {
				return err
			}
			h := sha256.Sum256(pub.Marshal())
			k.SHA256 = append(k.SHA256, h[:])
		case "hash":
			b64, ok := strings.CutPrefix(val, "SHA256:")
			h, err := base64.RawStdEncoding.DecodeString(b64)
			if !ok || err != nil || len(h) != sha256.Size {
				return fatalf("%s:%d: invalid hash \"%s\"", file, n, val)
			}
			k.SHA256 = append(k.SHA256, h)
		default:
			pub, _, err := hostkey.ParsePublicKeyFile([]byte(line))
			if err != nil {
				return fatalf("%s:%d: invalid key", file, n)
			}
			k.Revoke(pub)
		}
	}
	return nil
}

// checkKRL is -Q: say for each key file whether the KRL -f revokes it;
// the exit status is 1 if any is revoked.
func (f *flags) checkKRL() error {
	if f.file == "" {
		return fatalf("KRL checking requires an input file")
	}
	data, err := os.ReadFile(f.file)
	if err != nil {
		return fatalf("open %s: %v", f.file, err)
	}
	k, err := krl.Parse(data)
	if err != nil {
		return fatalf("Invalid KRL file %s: %v", f.file, err)
	}
	if f.set['l'] {
		f.dumpKRL(k)
	}
	revoked := false
	for _, file := range f.args {
		pub, comment, err := f.loadPublic(file)
		if err != nil {
			return fatalf("Cannot load public key %s: %v", file, err)
		}
		res := "ok"
		if k.Revoked(pub) {
			res, revoked = "REVOKED", true
		}
		if comment != "" {
			comment = " (" + comment + ")"
		}
		fmt.Fprintf(f.stdout, "%s%s: %s\n", file, comment, res)
	}
	if revoked {
		return &exitError{code: 1}
	}
	return nil
}

// dumpKRL is -Q -l: the KRL in ssh-keygen's specification syntax.
func (f *flags) dumpKRL(k *krl.KRL) {
	w := f.stdout
	fmt.Fprintf(w, "# KRL version %d\n", k.Version)
	if k.Date != 0 {
		fmt.Fprintf(w, "# Generated at %s\n", fmtKRLTime(k.Date))
	}
	if k.Comment != "" {
		fmt.Fprintf(w, "# Comment: %s\n", k.Comment)
	}
	for _, b := range k.Keys {
		if pub, err := hostkey.ParsePublicKey(b); err == nil {
			fmt.Fprintf(w, "key: %s", hostkey.MarshalAuthorizedKey(pub, ""))
		}
	}
	for _, h := range k.SHA1 {
		fmt.Fprintf(w, "# hash SHA1:%x\n", h)
	}
	for _, h := range k.SHA256 {
		fmt.Fprintf(w, "hash: SHA256:%s\n", base64.RawStdEncoding.EncodeToString(h))
	}
	for _, c := range k.Certs {
		if c.CA == nil {
			fmt.Fprint(w, "# Wildcard CA\n")
		} else if pub, err := hostkey.ParsePublicKey(c.CA); err == nil {
			fmt.Fprintf(w, "# CA key %s %s\n", pub.Type(), hostkey.FingerprintSHA256(pub))
		}
		for _, r := range c.Serials {
			if r.Lo == r.Hi {
				fmt.Fprintf(w, "serial: %d\n", r.Lo)
			} else {
				fmt.Fprintf(w, "serial: %d-%d\n", r.Lo, r.Hi)
			}
		}
		for _, bm := range c.Bitmaps {
			for i := 0; i < 8*len(bm.Bits); i++ {
				if bm.Bits[len(bm.Bits)-1-i/8]&(1<<(i%8)) != 0 {
					fmt.Fprintf(w, "serial: %d\n", bm.Offset+uint64(i))
				}
			}
		}
		for _, id := range c.KeyIDs {
			fmt.Fprintf(w, "id: %s\n", id)
		}
	}
}

// fmtKRLTime is krl_dump's time format, local time.
func fmtKRLTime(t uint64) string {
	return time.Unix(int64(t), 0).Format("20060102T150405")
}
