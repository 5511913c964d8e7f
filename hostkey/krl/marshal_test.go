package krl

import (
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// TestMarshalOpenSSH writes a KRL with every kind of entry Marshal
// encodes and asks OpenSSH's ssh-keygen -Q about revoked and unrevoked
// keys and certificates: the answers must be ours.
func TestMarshalOpenSSH(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		wiretest.MissingPeer(t, "no ssh-keygen")
	}
	dir := t.TempDir()
	keys := map[string]*hostkey.CryptoSigner{}
	for _, n := range []string{"explicit", "sha1", "sha256", "plain", "ca", "otherca", "certkey"} {
		keys[n] = genKey(t, hostkey.ED25519, 0)
	}
	cert := func(ca string, serial uint64, id string) *hostkey.Certificate {
		c := &hostkey.Certificate{Key: keys["certkey"].PublicKey(), Serial: serial, KeyID: id, CertType: hostkey.UserCert,
			ValidPrincipals: []string{"alice"}, ValidBefore: hostkey.CertTimeInfinity}
		if err := c.SignCert(rand.Reader, keys[ca]); err != nil {
			t.Fatal(err)
		}
		return c
	}
	k := &KRL{Version: 3, Comment: "test"}
	k.Keys = append(k.Keys, keys["explicit"].PublicKey().Marshal())
	h1 := sha1.Sum(keys["sha1"].PublicKey().Marshal())
	k.SHA1 = append(k.SHA1, h1[:])
	k.Revoke(keys["sha256"].PublicKey())
	k.Revoke(cert("ca", 5, "x"))
	k.Revoke(cert("ca", 0, "zero-serial-id"))
	c := k.CertsFor(keys["ca"].PublicKey())
	c.Serials = append(c.Serials, Range{10, 20}, Range{15, 30}, Range{31, 31}, Range{5, 5})
	c.Bitmaps = append(c.Bitmaps, Bitmap{Offset: 100, Bits: []byte{0x05}}) // 100 and 102
	c.KeyIDs = append(c.KeyIDs, "bad-id")
	file := filepath.Join(dir, "krl")
	if err := os.WriteFile(file, k.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(k.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  hostkey.PublicKey
		want bool
	}{
		{"explicit key", keys["explicit"].PublicKey(), true},
		{"SHA-1 hash", keys["sha1"].PublicKey(), true},
		{"SHA-256 hash", keys["sha256"].PublicKey(), true},
		{"unlisted key", keys["plain"].PublicKey(), false},
		{"serial", cert("ca", 5, "x"), true},
		{"merged range start", cert("ca", 10, "x"), true},
		{"merged range end", cert("ca", 31, "x"), true},
		{"after range", cert("ca", 32, "x"), false},
		{"bitmap bit", cert("ca", 102, "x"), true},
		{"bitmap gap", cert("ca", 101, "x"), false},
		{"key ID", cert("ca", 7, "bad-id"), true},
		{"key ID of serial 0", cert("ca", 0, "zero-serial-id"), true},
		{"other CA", cert("otherca", 5, "x"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := back.Revoked(tc.key); got != tc.want {
				t.Errorf("Revoked = %v, want %v", got, tc.want)
			}
			pub := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".pub")
			if err := os.WriteFile(pub, hostkey.MarshalAuthorizedKey(tc.key, ""), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(keygen, "-Q", "-f", file, pub).CombinedOutput()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if got := strings.Contains(string(out), "REVOKED"); got != tc.want || (err != nil) != tc.want {
				t.Errorf("ssh-keygen -Q: revoked %v (exit %v), want %v\n%s", got, err, tc.want, out)
			}
		})
	}
}

// FuzzMarshal: what Parse accepts, Marshal encodes to a KRL that Parse
// accepts and that revokes the same keys.
func FuzzMarshal(f *testing.F) {
	f.Add(krlSeed())
	key, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		f.Fatal(err)
	}
	var certs []*hostkey.Certificate
	for _, s := range []uint64{0, 5, 6, 7, 1 << 40} {
		c := &hostkey.Certificate{Key: key.PublicKey(), Serial: s, KeyID: "any-ca-id", CertType: hostkey.UserCert, ValidBefore: hostkey.CertTimeInfinity}
		if err := c.SignCert(rand.Reader, key); err != nil {
			f.Fatal(err)
		}
		certs = append(certs, c)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Parse(b)
		if err != nil {
			return
		}
		k2, err := Parse(k.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		for _, c := range certs {
			if k.Revoked(c) != k2.Revoked(c) {
				t.Fatalf("serial %d: revoked %v before Marshal, %v after", c.Serial, k.Revoked(c), k2.Revoked(c))
			}
		}
	})
}
