package main

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sshstack/sshstack/client/sshfp"
	"github.com/sshstack/sshstack/hostkey"
)

// bubbleBabble is the Bubble Babble encoding of SHA-1(blob), ssh-keygen
// -B's fingerprint.
func bubbleBabble(blob []byte) string {
	const vowels = "aeiouy"
	const consonants = "bcdfghklmnprstvzx"
	d := sha1.Sum(blob)
	rounds := len(d)/2 + 1
	seed := 1
	var b strings.Builder
	b.WriteByte('x')
	for i := 0; i < rounds; i++ {
		if i+1 < rounds || len(d)%2 != 0 {
			c := int(d[2*i])
			b.WriteByte(vowels[((c>>6)&3+seed)%6])
			b.WriteByte(consonants[(c>>2)&15])
			b.WriteByte(vowels[((c&3)+seed/6)%6])
			if i+1 < rounds {
				c2 := int(d[2*i+1])
				b.WriteByte(consonants[(c2>>4)&15])
				b.WriteByte('-')
				b.WriteByte(consonants[c2&15])
				seed = (seed*5 + c*7 + c2) % 36
			}
		} else {
			b.WriteByte(vowels[seed%6])
			b.WriteByte(consonants[16])
			b.WriteByte(vowels[seed/6])
		}
	}
	b.WriteByte('x')
	return b.String()
}

// sshfp is -r hostname: SSHFP resource records for the keys of -f.
func (f *flags) sshfp() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	keys, err := f.keysOfFile(file)
	if err != nil {
		return err
	}
	for _, k := range keys {
		for _, r := range sshfp.Records(k.pub) { // what gossh's VerifyHostKeyDNS compares
			fmt.Fprintf(f.stdout, "%s IN SSHFP %s\n", f.krlFile, r)
		}
	}
	return nil
}

// changeComment is -c: a new comment in the private key file and its
// .pub.
func (f *flags) changeComment() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	key, comment, err := f.loadPrivate(file, "Enter passphrase: ")
	if err != nil {
		return err
	}
	fmt.Fprintf(f.stdout, "Old comment: %s\n", comment)
	nc := f.comment
	if !f.hasComment {
		fmt.Fprint(f.stdout, "New comment: ")
		if nc, err = f.line(); err != nil {
			return fatalf("")
		}
	}
	if err := f.writeKeyPair(file, key, nc, f.oldPass); err != nil {
		return err
	}
	fmt.Fprintf(f.stdout, "Comment '%s' applied\n", nc)
	return nil
}

// hostKeys is -A: every missing default host key under -f's prefix.
func (f *flags) hostKeys() error {
	var made []string
	for _, t := range []struct{ name, label string }{{"rsa", "RSA"}, {"ecdsa", "ECDSA"}, {"ed25519", "ED25519"}} {
		path := filepath.Join(f.file, "/etc/ssh", "ssh_host_"+t.name+"_key")
		if _, err := os.Stat(path); err == nil {
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			return fatalf("Could not stat %s: %v", path, err)
		}
		if len(made) == 0 {
			fmt.Fprint(f.stdout, "gossh-keygen: generating new host keys: ")
		}
		fmt.Fprintf(f.stdout, "%s ", t.label)
		typ, bits, _ := keyTypeFor(t.name, 0)
		if typ != hostkey.RSA {
			bits = 0
		}
		key, err := generateKey(typ, bits)
		if err != nil {
			return fatalf("key_generate failed: %v", err)
		}
		if err := f.writeKeyPair(path, key, defaultComment(), ""); err != nil {
			return err
		}
		made = append(made, t.label)
	}
	if len(made) > 0 {
		fmt.Fprintln(f.stdout)
	}
	return nil
}
