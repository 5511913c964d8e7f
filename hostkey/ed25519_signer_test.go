package hostkey_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"io"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// countingSigner is a crypto.Signer that is not an ed25519.PrivateKey, as
// an agent's is: CryptoSigner must call its Sign.
type countingSigner struct {
	ed25519.PrivateKey
	calls int
}

func (s *countingSigner) Sign(rand io.Reader, data []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.calls++
	return s.PrivateKey.Sign(rand, data, opts)
}

// TestEd25519SignerPaths checks that CryptoSigner signs an
// ed25519.PrivateKey and a *ed25519.PrivateKey with the package's own
// Ed25519 to crypto/ed25519's bytes, that other signers keep their own
// Sign, and that ssh-ed25519 verification accepts the result and rejects
// a changed one (TestSKUserPresence covers sk-ssh-ed25519's).
func TestEd25519SignerPaths(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	data := []byte("exchange hash")
	want := ed25519.Sign(priv, data)
	other := &countingSigner{PrivateKey: priv}
	for _, s := range []crypto.Signer{priv, &priv, other} {
		cs, err := hostkey.NewSigner(s)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := cs.Sign(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sig.Blob, want) {
			t.Fatalf("%T: signature %x, want %x", s, sig.Blob, want)
		}
		if err := cs.PublicKey().Verify(data, sig); err != nil {
			t.Fatalf("%T: %v", s, err)
		}
		sig.Blob[5] ^= 1
		if err := cs.PublicKey().Verify(data, sig); err == nil {
			t.Fatalf("%T: a changed signature verifies", s)
		}
	}
	if other.calls != 1 {
		t.Fatalf("the other signer was called %d times, want 1", other.calls)
	}
}
