package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
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
			return fatalf("Unable to load KRL %s: %s", f.file, strerror(err))
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
		return fatalf("%s: %s", file, strerror(err))
	}
	if !f.quiet {
		fmt.Fprintf(f.stdout, "Revoking from %s\n", file)
	}
	return krlSpec(k, file, data, ca, wildCA)
}

// krlSpec adds the revocations of a key or specification file to k
// (ssh-keygen(1), "KEY REVOCATION LISTS").
func krlSpec(k *krl.KRL, file string, data []byte, ca hostkey.PublicKey, wildCA bool) error {
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
		return fatalf("Unable to load KRL %s: %s", f.file, strerror(err))
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

// dumpKRL is -Q -l: the KRL as ssh-keygen's krl_dump lists it, each
// list in OpenSSH's tree order, serials merged into ranges.
func (f *flags) dumpKRL(k *krl.KRL) {
	w := f.stdout
	fmt.Fprintf(w, "# KRL version %d\n", k.Version)
	fmt.Fprintf(w, "# Generated at %s\n", fmtKRLTime(k.Date))
	if k.Comment != "" {
		fmt.Fprintf(w, "# Comment: %s\n", k.Comment)
	}
	fmt.Fprint(w, "\n")
	sorted := func(l [][]byte) [][]byte {
		l = slices.Clone(l)
		slices.SortFunc(l, bytes.Compare)
		return slices.CompactFunc(l, bytes.Equal)
	}
	for _, b := range sorted(k.Keys) {
		if pub, err := hostkey.ParsePublicKey(b); err == nil {
			fmt.Fprintf(w, "hash: %s # %s\n", hostkey.FingerprintSHA256(pub), pub.Type())
		}
	}
	for _, h := range sorted(k.SHA256) {
		fmt.Fprintf(w, "hash: SHA256:%x\n", h)
	}
	for _, h := range sorted(k.SHA1) {
		fmt.Fprintf(w, "# hash SHA1:%x\n", h)
	}
	// Sections for the same CA are one in OpenSSH's memory.
	var order []string
	byCA := map[string][]*krl.Certs{}
	for _, c := range k.Certs {
		key := string(c.CA)
		if c.CA == nil {
			key = "\x00wild"
		}
		if byCA[key] == nil {
			order = append(order, key)
		}
		byCA[key] = append(byCA[key], c)
	}
	for _, key := range order {
		fmt.Fprint(w, "\n")
		var ranges []krl.Range
		var ids []string
		for _, c := range byCA[key] {
			ranges = append(ranges, c.Serials...)
			for _, bm := range c.Bitmaps {
				for i := 0; i < 8*len(bm.Bits); i++ {
					if bm.Bits[len(bm.Bits)-1-i/8]&(1<<(i%8)) != 0 {
						s := bm.Offset + uint64(i)
						ranges = append(ranges, krl.Range{Lo: s, Hi: s})
					}
				}
			}
			ids = append(ids, c.KeyIDs...)
		}
		if key == "\x00wild" {
			fmt.Fprint(w, "# Wildcard CA\n")
		} else if pub, err := hostkey.ParsePublicKey([]byte(key)); err == nil {
			fmt.Fprintf(w, "# CA key %s %s\n", pub.Type(), hostkey.FingerprintSHA256(pub))
		}
		for _, r := range mergeRanges(ranges) {
			if r.Lo == r.Hi {
				fmt.Fprintf(w, "serial: %d\n", r.Lo)
			} else {
				fmt.Fprintf(w, "serial: %d-%d\n", r.Lo, r.Hi)
			}
		}
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			fmt.Fprintf(w, "id: %s\n", id)
		}
	}
}

// mergeRanges sorts serial ranges and merges those that overlap or
// touch.
func mergeRanges(rs []krl.Range) []krl.Range {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b krl.Range) int {
		if a.Lo != b.Lo {
			if a.Lo < b.Lo {
				return -1
			}
			return 1
		}
		return 0
	})
	var out []krl.Range
	for _, r := range rs {
		if n := len(out); n > 0 && (r.Lo <= out[n-1].Hi || out[n-1].Hi != ^uint64(0) && r.Lo == out[n-1].Hi+1) {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// fmtKRLTime is krl_dump's time format, local time.
func fmtKRLTime(t uint64) string {
	return time.Unix(int64(t), 0).Format("20060102T150405")
}
