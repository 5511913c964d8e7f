//go:build unix

package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sshstack/sshstack/hostkey"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want flags
		bad  bool
	}{
		{"files", []string{"a", "b"}, flags{hash: "sha256", files: []string{"a", "b"}}, false},
		{"constraints", []string{"-ct", "10m", "-q", "k"}, flags{c: true, q: true, hash: "sha256", life: 10 * time.Minute, files: []string{"k"}}, false},
		{"list md5", []string{"-E", "md5", "-l"}, flags{l: 'l', hash: "md5", files: []string{}}, false},
		{"lock", []string{"-x"}, flags{x: 'x', hash: "sha256", files: []string{}}, false},
		{"delete key only", []string{"-dk", "k"}, flags{d: true, k: true, hash: "sha256", files: []string{"k"}}, false},
		{"-l twice", []string{"-l", "-L"}, flags{}, true},
		{"-x and -X", []string{"-xX"}, flags{}, true},
		{"bad lifetime", []string{"-t", "x"}, flags{}, true},
		{"lifetime past uint32", []string{"-t", "5000000000"}, flags{}, true},
		{"pkcs11 add", []string{"-s", "/lib/p11.so"}, flags{hash: "sha256", provider: "/lib/p11.so", files: []string{}}, false},
		{"pkcs11 remove", []string{"-e", "/lib/p11.so"}, flags{hash: "sha256", provider: "/lib/p11.so", deleting: true, files: []string{}}, false},
		{"security key provider", []string{"-S", "/lib/sk.so", "k"}, flags{hash: "sha256", skProvider: "/lib/sk.so", files: []string{"k"}}, false},
		{"test keys", []string{"-T", "k.pub"}, flags{T: true, hash: "sha256", files: []string{"k.pub"}}, false},
		{"unknown", []string{"-Z"}, flags{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args)
			if tt.bad {
				if err == nil {
					t.Errorf("no error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(flags{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseFlags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyInfo(t *testing.T) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	mk := func(k any) hostkey.PublicKey {
		p, err := hostkey.NewPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ed := mk(edPub)
	ca, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	cert := &hostkey.Certificate{Key: ed, CertType: hostkey.UserCert, KeyID: "id", ValidBefore: hostkey.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	tests := []struct { // ssh-add -l's columns, as OpenSSH 9.2 prints them
		name string
		pub  hostkey.PublicKey
		bits int
		typ  string
	}{
		{"ed25519", ed, 256, "ED25519"},
		{"ecdsa p384", mk(&ec.PublicKey), 384, "ECDSA"},
		{"rsa", mk(&rk.PublicKey), 1024, "RSA"},
		{"certificate", cert, 256, "ED25519-CERT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bits, typ := keyInfo(tt.pub)
			if bits != tt.bits || typ != tt.typ {
				t.Errorf("keyInfo = %d %s, want %d %s", bits, typ, tt.bits, tt.typ)
			}
		})
	}
}
