package hostkey_test

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
)

// BenchmarkSign and BenchmarkVerify measure each algorithm; the XCrypto
// variants run golang.org/x/crypto/ssh on the same keys for comparison.

func BenchmarkSign(b *testing.B) {
	data := make([]byte, 64)
	for _, tc := range algorithmCases {
		b.Run(tc.alg, func(b *testing.B) {
			s := signerFor(b, tc.keyType)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SignWithAlgorithm(rand.Reader, data, tc.alg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	data := make([]byte, 64)
	for _, tc := range algorithmCases {
		b.Run(tc.alg, func(b *testing.B) {
			s := signerFor(b, tc.keyType)
			sig, _ := s.SignWithAlgorithm(rand.Reader, data, tc.alg)
			pub := s.PublicKey()
			var p *hostkey.Policy
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Verify(pub, tc.alg, data, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkXCryptoSign(b *testing.B) {
	data := make([]byte, 64)
	for _, tc := range algorithmCases {
		b.Run(tc.alg, func(b *testing.B) {
			s, err := ssh.NewSignerFromSigner(signerFor(b, tc.keyType).Crypto())
			if err != nil {
				b.Fatal(err)
			}
			as := s.(ssh.AlgorithmSigner)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := as.SignWithAlgorithm(rand.Reader, data, tc.alg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkXCryptoVerify(b *testing.B) {
	data := make([]byte, 64)
	for _, tc := range algorithmCases {
		b.Run(tc.alg, func(b *testing.B) {
			s, _ := ssh.NewSignerFromSigner(signerFor(b, tc.keyType).Crypto())
			sig, _ := s.(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, data, tc.alg)
			pub := s.PublicKey()
			b.ReportAllocs()
			for b.Loop() {
				if err := pub.Verify(data, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParsePublicKey(b *testing.B) {
	for _, k := range testKeys(b) {
		b.Run(k.name, func(b *testing.B) {
			blob := signerFor(b, k.name).PublicKey().Marshal()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := hostkey.ParsePublicKey(blob); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCertCheck(b *testing.B) {
	ca := signerFor(b, hostkey.ED25519)
	c := &hostkey.Certificate{Key: signerFor(b, hostkey.ECDSAP256).PublicKey(), CertType: hostkey.UserCert,
		ValidPrincipals: []string{"alice"}, ValidBefore: hostkey.CertTimeInfinity}
	c.SignCert(rand.Reader, ca)
	blob := c.Marshal()
	cc := &hostkey.CertChecker{IsUserAuthority: func(a hostkey.PublicKey) bool { return hostkey.Equal(a, ca.PublicKey()) }}
	b.ReportAllocs()
	for b.Loop() {
		pub, err := hostkey.ParsePublicKey(blob)
		if err != nil {
			b.Fatal(err)
		}
		if err := cc.CheckUserCert("alice", pub.(*hostkey.Certificate)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKnownHostsVerify looks a host up among 1000 hashed entries,
// one HMAC-SHA1 per entry.
func BenchmarkKnownHostsVerify(b *testing.B) {
	key := signerFor(b, hostkey.ED25519).PublicKey()
	var sb strings.Builder
	for i := range 1000 {
		sb.Write(hostkey.MarshalKnownHost([]string{fmt.Sprintf("host%d.example.com", i)}, key, true))
	}
	kh, err := hostkey.ParseKnownHosts(strings.NewReader(sb.String()), "kh")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kh.Verify("host999.example.com", key); err != nil {
			b.Fatal(err)
		}
	}
}
