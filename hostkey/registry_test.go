package hostkey_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// A researcher's key type: Ed25519 under another name, to show that a
// registered Algorithm gets parsing, verification, certificates and
// algorithm-name mapping without changes to the package.
const testAlg = "test-ed25519@example.com"

type testAlgorithm struct{}

func (testAlgorithm) Name() string                  { return testAlg }
func (testAlgorithm) SignatureAlgorithms() []string { return []string{testAlg} }
func (testAlgorithm) ParsePublicKey(r *wire.Reader) (hostkey.PublicKey, error) {
	pk := r.StringBytes()
	if err := r.Finish("test key"); err != nil {
		return nil, err
	}
	if len(pk) != ed25519.PublicKeySize {
		return nil, hostkey.ErrInvalidKey
	}
	return testPub(append([]byte(nil), pk...)), nil
}

type testPub []byte

func (k testPub) Type() string { return testAlg }
func (k testPub) Marshal() []byte {
	return wire.AppendString(wire.AppendString(nil, testAlg), []byte(k))
}
func (k testPub) Verify(data []byte, sig *hostkey.Signature) error {
	if sig.Format != testAlg || len(sig.Blob) != ed25519.SignatureSize || !ed25519.Verify(ed25519.PublicKey(k), data, sig.Blob) {
		return hostkey.ErrSignature
	}
	return nil
}

type testSigner struct{ priv ed25519.PrivateKey }

func (s testSigner) PublicKey() hostkey.PublicKey {
	return testPub(s.priv.Public().(ed25519.PublicKey))
}
func (s testSigner) Sign(_ io.Reader, data []byte) (*hostkey.Signature, error) {
	return &hostkey.Signature{Format: testAlg, Blob: ed25519.Sign(s.priv, data)}, nil
}

func TestRegistryPlugin(t *testing.T) {
	hostkey.Register(testAlgorithm{})
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := testSigner{priv}
	pub, err := hostkey.ParsePublicKey(s.PublicKey().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := s.Sign(rand.Reader, []byte("d"))
	if err := (*hostkey.Policy)(nil).Verify(pub, testAlg, []byte("d"), sig); err != nil {
		t.Fatal(err)
	}
	if err := (*hostkey.Policy)(nil).Verify(pub, hostkey.ED25519, []byte("d"), sig); !errors.Is(err, hostkey.ErrAlgorithmMismatch) {
		t.Fatalf("wrong algorithm: %v", err)
	}
	// Certificates of the plug-in type, signed by a built-in CA and
	// signing for a plug-in CA.
	c := &hostkey.Certificate{Key: pub, CertType: hostkey.UserCert, ValidPrincipals: []string{"u"}, ValidBefore: hostkey.CertTimeInfinity}
	if err := c.SignCert(rand.Reader, signerFor(t, hostkey.ED25519)); err != nil {
		t.Fatal(err)
	}
	if c.Type() != testAlg+"-cert-v01@openssh.com" {
		t.Fatalf("cert type %s", c.Type())
	}
	got, err := hostkey.ParsePublicKey(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.(*hostkey.Certificate).CheckSignature(nil); err != nil {
		t.Fatal(err)
	}
	if hostkey.KeyTypeForAlgorithm(c.Type()) != c.Type() || hostkey.SignatureFormat(c.Type()) != testAlg {
		t.Fatal("cert algorithm mapping")
	}
	c2 := &hostkey.Certificate{Key: signerFor(t, hostkey.ED25519).PublicKey(), CertType: hostkey.HostCert, ValidPrincipals: []string{"h"}, ValidBefore: hostkey.CertTimeInfinity}
	if err := c2.SignCert(rand.Reader, s); err != nil {
		t.Fatal(err)
	}
	got, err = hostkey.ParsePublicKey(c2.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.(*hostkey.Certificate).CheckSignature(nil); err != nil {
		t.Fatal(err)
	}
}
