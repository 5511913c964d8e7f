package krl

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// BenchmarkRevoked is what a server pays per public-key login with
// RevokedKeys set: a lookup in a KRL of 10000 hashes, 1000 explicit keys
// and 1000 serials, for a plain key and for a certificate.
func BenchmarkRevoked(b *testing.B) {
	k := &KRL{}
	for i := 0; i < 10000; i++ {
		h := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		k.SHA256 = append(k.SHA256, h[:])
	}
	for i := 0; i < 1000; i++ {
		k.Keys = append(k.Keys, binary.BigEndian.AppendUint32([]byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"), uint32(i)))
	}
	ca := genKey(b, hostkey.ED25519, 0)
	c := k.CertsFor(ca.PublicKey())
	for i := uint64(0); i < 1000; i++ {
		c.Serials = append(c.Serials, Range{2*i + 1, 2*i + 1})
	}
	k, err := Parse(k.Marshal())
	if err != nil {
		b.Fatal(err)
	}
	key := genKey(b, hostkey.ED25519, 0)
	cert := &hostkey.Certificate{Key: key.PublicKey(), Serial: 4000, CertType: hostkey.UserCert, ValidBefore: hostkey.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		pub  hostkey.PublicKey
	}{{"plain", key.PublicKey()}, {"certificate", cert}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if k.Revoked(bc.pub) {
					b.Fatal("revoked")
				}
			}
		})
	}
}

// BenchmarkParse reads the same KRL (about 360 KB) from its encoding.
func BenchmarkParse(b *testing.B) {
	k := &KRL{}
	for i := 0; i < 10000; i++ {
		h := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		k.SHA256 = append(k.SHA256, h[:])
	}
	data := k.Marshal()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashBaseline is BenchmarkRevoked/plain's same-run baseline:
// the SHA-1 and SHA-256 of the key blob that any hash lookup needs.
func BenchmarkHashBaseline(b *testing.B) {
	blob := genKey(b, hostkey.ED25519, 0).PublicKey().Marshal()
	b.ReportAllocs()
	for b.Loop() {
		sha1.Sum(blob)
		sha256.Sum256(blob)
	}
}
