package krl

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// TestKRL checks Parse and KRL.Revoked on KRLs made by OpenSSH's
// ssh-keygen -k: explicit keys, SHA-1 and SHA-256 hashes, and for one
// CA serial lists, ranges and key IDs (ssh-keygen cannot write a
// section for every CA; FuzzParseKRL's seed has one).
func TestKRL(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		wiretest.MissingPeer(t, "no ssh-keygen")
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keys := map[string]*hostkey.CryptoSigner{}
	for _, n := range []string{"explicit", "sha1", "sha256", "plain", "ca", "otherca", "certkey"} {
		keys[n] = genKey(t, hostkey.ED25519, 0)
		write(n+".pub", hostkey.MarshalAuthorizedKey(keys[n].PublicKey(), n))
	}
	cert := func(ca string, serial uint64, id string) *hostkey.Certificate {
		c := &hostkey.Certificate{Key: keys["certkey"].PublicKey(), Serial: serial, KeyID: id, CertType: hostkey.UserCert,
			ValidPrincipals: []string{"alice"}, ValidBefore: hostkey.CertTimeInfinity}
		if err := c.SignCert(rand.Reader, keys[ca]); err != nil {
			t.Fatal(err)
		}
		return c
	}
	pub := func(n string) string { return filepath.Join(dir, n+".pub") }
	spec := write("spec", []byte("serial: 5\nserial: 10-20\nserial: 100\nserial: 102\nserial: 104\nid: bad-id\n"+
		"sha1: "+string(hostkey.MarshalAuthorizedKey(keys["sha1"].PublicKey(), ""))+
		"sha256: "+string(hostkey.MarshalAuthorizedKey(keys["sha256"].PublicKey(), ""))))
	krlFile := filepath.Join(dir, "krl")
	run := func(args ...string) {
		if out, err := exec.Command(keygen, args...).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
		}
	}
	run("-k", "-f", krlFile, "-s", pub("ca"), spec)
	run("-k", "-u", "-f", krlFile, pub("explicit"))
	data, err := os.ReadFile(krlFile)
	if err != nil {
		t.Fatal(err)
	}
	k, err := Parse(data)
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
		{"serial listed", cert("ca", 5, "x"), true},
		{"serial in range", cert("ca", 15, "x"), true},
		{"serial in a run (bitmap or list)", cert("ca", 102, "x"), true},
		{"serial between", cert("ca", 103, "x"), false},
		{"serial not listed", cert("ca", 6, "x"), false},
		{"serial 0", cert("ca", 0, "x"), false},
		{"key ID", cert("ca", 7, "bad-id"), true},
		{"same serial, other CA", cert("otherca", 5, "x"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := k.Revoked(tc.key); got != tc.want {
				t.Errorf("revoked = %v, want %v", got, tc.want)
			}
		})
	}
	// A certificate whose certified key or CA is revoked as a plain key.
	run("-k", "-u", "-f", krlFile, pub("certkey"))
	data, _ = os.ReadFile(krlFile)
	if k, err = Parse(data); err != nil {
		t.Fatal(err)
	}
	if !k.Revoked(cert("otherca", 1, "x")) {
		t.Error("a certificate of a revoked key passed")
	}
	ca := filepath.Join(dir, "krl-ca")
	run("-k", "-f", ca, pub("otherca"))
	data, _ = os.ReadFile(ca)
	if k, err = Parse(data); err != nil {
		t.Fatal(err)
	}
	if !k.Revoked(cert("otherca", 1, "x")) || k.Revoked(cert("ca", 1, "x")) {
		t.Error("a revoked CA key did not revoke its certificates, or revoked another CA's")
	}
	// Truncations of a valid KRL fail closed.
	for n := len(Magic); n < len(data); n++ {
		if _, err := Parse(data[:n]); err == nil && n < 8+4+8+8+8+4+4 {
			t.Errorf("a KRL cut to %d bytes parsed", n)
		} else if err != nil && !errors.Is(err, ErrFormat) {
			t.Errorf("cut to %d: %v is not ErrFormat", n, err)
		}
	}
}

// krlSeed is a KRL with a certificates section for every CA (a serial
// bitmap revoking 5 and 7 and a key ID) and an explicit key section.
func krlSeed() []byte {
	str := func(b []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...) }
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	b := append([]byte("SSHKRL\n\x00"), 0, 0, 0, 1)
	b = append(append(append(b, u64(1)...), u64(0)...), u64(0)...)
	b = append(append(b, str(nil)...), str([]byte("seed"))...)
	var certs []byte
	certs = append(append(certs, str(nil)...), str(nil)...) // every CA, reserved
	certs = append(append(certs, 0x22), str(append(u64(5), str([]byte{0x05})...))...)
	certs = append(append(certs, 0x23), str(str([]byte("any-ca-id")))...)
	b = append(append(b, 1), str(certs)...)
	b = append(append(b, 2), str(str([]byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x01x")))...)
	return b
}

// TestKRLEveryCA: a certificates section without a CA applies to
// certificates of every CA; a bitmap revokes its set bits.
func TestKRLEveryCA(t *testing.T) {
	k, err := Parse(krlSeed())
	if err != nil {
		t.Fatal(err)
	}
	ca, key := genKey(t, hostkey.ED25519, 0), genKey(t, hostkey.ED25519, 0)
	for _, tc := range []struct {
		serial uint64
		id     string
		want   bool
	}{{5, "x", true}, {6, "x", false}, {7, "x", true}, {8, "x", false}, {9, "any-ca-id", true}} {
		c := &hostkey.Certificate{Key: key.PublicKey(), Serial: tc.serial, KeyID: tc.id, CertType: hostkey.UserCert, ValidBefore: hostkey.CertTimeInfinity}
		if err := c.SignCert(rand.Reader, ca); err != nil {
			t.Fatal(err)
		}
		if got := k.Revoked(c); got != tc.want {
			t.Errorf("serial %d id %s: revoked %v, want %v", tc.serial, tc.id, got, tc.want)
		}
	}
}

// FuzzParseKRL: Parse never panics, and what it accepts can be
// queried.
func FuzzParseKRL(f *testing.F) {
	f.Add(append([]byte("SSHKRL\n\x00"), 0, 0, 0, 1))
	f.Add(krlSeed())
	key, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		f.Fatal(err)
	}
	c := &hostkey.Certificate{Key: key.PublicKey(), Serial: 5, CertType: hostkey.UserCert, ValidBefore: hostkey.CertTimeInfinity}
	if err := c.SignCert(rand.Reader, key); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("%v is not ErrFormat", err)
			}
			return
		}
		k.Revoked(key.PublicKey())
		k.Revoked(c)
	})
}

func genKey(t testing.TB, typ string, bits int) *hostkey.CryptoSigner {
	t.Helper()
	k, err := hostkey.GenerateKey(rand.Reader, typ, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
