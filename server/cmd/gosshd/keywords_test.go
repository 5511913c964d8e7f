package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

func genKey(t *testing.T, alg string, bits int) *hostkey.CryptoSigner {
	t.Helper()
	k, err := hostkey.GenerateKey(rand.Reader, alg, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeyPolicy: RevokedKeys (plain list: the key, a certificate's key
// and its CA; a KRL refuses everything), RequiredRSASize,
// CASignatureAlgorithms and PubkeyAuthOptions verify-required.
func TestKeyPolicy(t *testing.T) {
	dir := t.TempDir()
	user, other, ca := genKey(t, hostkey.ED25519, 0), genKey(t, hostkey.ED25519, 0), genKey(t, hostkey.ED25519, 0)
	cert := &hostkey.Certificate{Key: user.PublicKey(), CertType: hostkey.UserCert, ValidPrincipals: []string{"alice"},
		ValidBefore: hostkey.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	listUser := write("user", hostkey.MarshalAuthorizedKey(user.PublicKey(), "revoked"))
	listCA := write("ca", append([]byte("# CAs\n\n"), hostkey.MarshalAuthorizedKey(ca.PublicKey(), "")...))
	listOther := write("other", hostkey.MarshalAuthorizedKey(other.PublicKey(), ""))
	krl := write("krl", append([]byte("SSHKRL\n\x00"), 0, 0, 0, 1))
	bad := write("bad", []byte("not a key\n"))
	rk, err := rsa.GenerateKey(rand.Reader, 1024) // hostkey refuses to make one
	if err != nil {
		t.Fatal(err)
	}
	smallPub, err := hostkey.NewPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  string
		key  hostkey.PublicKey
		want error // nil: allowed; errRevoked/errKRL by errors.Is; other: any error
	}{
		{"no RevokedKeys", "", user.PublicKey(), nil},
		{"key listed", "RevokedKeys " + listUser, user.PublicKey(), errRevoked},
		{"certificate's key listed", "RevokedKeys " + listUser, cert, errRevoked},
		{"CA listed", "RevokedKeys " + listCA, cert, errRevoked},
		{"CA listed, plain key", "RevokedKeys " + listCA, user.PublicKey(), nil},
		{"other key listed", "RevokedKeys " + listOther, cert, nil},
		{"binary KRL", "RevokedKeys " + krl, other.PublicKey(), errKRL},
		{"malformed list", "RevokedKeys " + bad, other.PublicKey(), errors.New("any")},
		{"missing file", "RevokedKeys " + filepath.Join(dir, "missing"), other.PublicKey(), os.ErrNotExist},
		{"RSA 1024 default", "", smallPub, nil},
		{"RSA 1024 under 2048", "RequiredRSASize 2048", smallPub, errors.New("any")},
		{"CA signature algorithm listed", "CASignatureAlgorithms ssh-ed25519", cert, nil},
		{"CA signature algorithm not listed", "CASignatureAlgorithms rsa-sha2-512", cert, errors.New("any")},
		{"verify-required, plain key", "PubkeyAuthOptions verify-required", user.PublicKey(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(writeConfig(t, tc.cfg+"\n"), nil)
			if err != nil {
				t.Fatal(err)
			}
			err = (&policy{cfg: c}).keyPolicy(tc.key)
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != nil && err == nil:
				t.Error("allowed")
			case tc.want != nil && (tc.want == errRevoked || tc.want == errKRL || tc.want == os.ErrNotExist) && !errors.Is(err, tc.want):
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	if n := rsaBits(smallPub); n != 1024 {
		t.Errorf("rsaBits %d", n)
	}
}

func TestIPQoS(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"af21 cs1", "af21 cs1"}, {"ef", "ef ef"}, {"0x10 throughput", "lowdelay throughput"}, {"none", "none none"},
		{"reliability 0x2a", "le 0x2a"}, {"cs0 7", "cs0 0x07"},
	} {
		c, err := loadConfig(writeConfig(t, "IPQoS "+tc.in+"\n"), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		var b bytes.Buffer
		c.dump(&b)
		if !strings.Contains(b.String(), "\nipqos "+tc.out+"\n") {
			t.Errorf("IPQoS %s: want ipqos %s in\n%s", tc.in, tc.out, b.String())
		}
	}
	for _, bad := range []string{"af99", "256", "-1", "a b c"} {
		if _, err := loadConfig(writeConfig(t, "IPQoS "+bad+"\n"), nil); err == nil {
			t.Errorf("IPQoS %s accepted", bad)
		}
	}
}

func TestListenAddrs(t *testing.T) {
	for _, tc := range []struct {
		cfg  string
		want []string
	}{
		{"", []string{"[::]:22", "0.0.0.0:22"}},
		{"Port 1\nPort 2\nAddressFamily inet\n", []string{"0.0.0.0:1", "0.0.0.0:2"}},
		{"AddressFamily inet6\n", []string{"[::]:22"}},
		{"Port 5\nListenAddress 127.0.0.1\nListenAddress [::1]:7\nListenAddress ::1\n", []string{"127.0.0.1:5", "[::1]:7", "[::1]:5"}},
	} {
		c, err := loadConfig(writeConfig(t, tc.cfg), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.listenAddrs(); !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.cfg, got, tc.want)
		}
	}
}

// TestSafelyChroot: root-owned, not group/world-writable directories
// pass; a writable component, a file or a missing path do not.
func TestSafelyChroot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root-owned directories")
	}
	if err := safelyChroot("/"); err != nil {
		t.Errorf("/: %v", err)
	}
	if err := safelyChroot("/usr/bin"); err != nil {
		t.Errorf("/usr/bin: %v", err)
	}
	if err := safelyChroot(filepath.Join(t.TempDir(), "x")); err == nil { // under world-writable /tmp
		t.Error("a path under /tmp passed")
	}
	if err := safelyChroot("/etc/passwd"); err == nil {
		t.Error("a file passed")
	}
	a := &account{Name: "alice", Home: "/home/alice", UID: 1001}
	for in, want := range map[string]string{"/srv/%u": "/srv/alice", "%h": "/home/alice", "/x/%%/": "/x/%", "/srv/%U": "/srv/1001"} {
		if got, err := expandChroot(in, a); err != nil || got != want {
			t.Errorf("expandChroot(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"relative/%u", "/srv/%z"} {
		if _, err := expandChroot(bad, a); err == nil {
			t.Errorf("expandChroot(%q) accepted", bad)
		}
	}
}

// TestMatchKeywords: PermitTTY, DisableForwarding, ChrootDirectory and
// ExposeAuthInfo apply per connection from Match.
func TestMatchKeywords(t *testing.T) {
	c, err := loadConfig(writeConfig(t, "Match User bob\n  PermitTTY no\n  DisableForwarding yes\n  ChrootDirectory /srv/%u\n  ExposeAuthInfo yes\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	bob, alice := c.forConn(testConn("bob", "", 0)), c.forConn(testConn("alice", "", 0))
	if bob.more.PermitTTY || !bob.more.DisableForwarding || bob.more.ChrootDirectory != "/srv/%u" || !bob.more.ExposeAuthInfo {
		t.Errorf("bob: %+v", bob.more)
	}
	if !alice.more.PermitTTY || alice.more.DisableForwarding || alice.more.ChrootDirectory != "" || alice.more.ExposeAuthInfo {
		t.Errorf("alice: %+v", alice.more)
	}
}
