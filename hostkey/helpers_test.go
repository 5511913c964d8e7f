package hostkey_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// testKey is a private key of each built-in type, generated once.
type testKey struct {
	name string // key type
	priv crypto.Signer
}

var (
	keysOnce sync.Once
	keys     []testKey
)

func testKeys(t testing.TB) []testKey {
	t.Helper()
	keysOnce.Do(func() {
		_, ed, _ := ed25519.GenerateKey(rand.Reader)
		p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys = []testKey{
			{hostkey.ED25519, ed},
			{hostkey.ECDSAP256, p256},
			{hostkey.ECDSAP384, p384},
			{hostkey.ECDSAP521, p521},
			{hostkey.RSA, rk},
		}
	})
	return keys
}

func signerFor(t testing.TB, name string) *hostkey.CryptoSigner {
	t.Helper()
	for _, k := range testKeys(t) {
		if k.name == name {
			s, err := hostkey.NewSigner(k.priv)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("no test key %s", name)
	return nil
}

// algorithmCases lists every signature algorithm we sign with and the
// key type that makes it.
var algorithmCases = []struct{ alg, keyType string }{
	{hostkey.ED25519, hostkey.ED25519},
	{hostkey.ECDSAP256, hostkey.ECDSAP256},
	{hostkey.ECDSAP384, hostkey.ECDSAP384},
	{hostkey.ECDSAP521, hostkey.ECDSAP521},
	{hostkey.RSASHA256, hostkey.RSA},
	{hostkey.RSASHA512, hostkey.RSA},
}

// truncations cuts b at every byte and calls parse, which must fail.
func truncations(t *testing.T, b []byte, parse func([]byte) error) {
	t.Helper()
	for i := 0; i < len(b); i++ {
		if err := parse(b[:i]); err == nil {
			t.Fatalf("cut at %d of %d: no error", i, len(b))
		}
	}
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
