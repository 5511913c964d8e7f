package hostkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// Requirement: 8709-4-key-format
func TestPublicKeyRoundTrip(t *testing.T) {
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			s := signerFor(t, k.name)
			pub := s.PublicKey()
			if pub.Type() != k.name {
				t.Fatalf("Type = %q, want %q", pub.Type(), k.name)
			}
			blob := pub.Marshal()
			got, err := hostkey.ParsePublicKey(blob)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Marshal(), blob) || !hostkey.Equal(got, pub) {
				t.Fatal("re-encoding differs")
			}
			truncations(t, blob, func(b []byte) error { _, err := hostkey.ParsePublicKey(b); return err })
			if _, err := hostkey.ParsePublicKey(append(blob, 0)); !errors.Is(err, wire.ErrTrailingData) {
				t.Errorf("trailing byte: %v, want ErrTrailingData", err)
			}
		})
	}
}

// Requirement: 5656-10.1-curves, 8709-7-verify
func TestSignVerify(t *testing.T) {
	data := []byte("exchange hash")
	for _, tc := range algorithmCases {
		t.Run(tc.alg, func(t *testing.T) {
			s := signerFor(t, tc.keyType)
			sig, err := s.SignWithAlgorithm(rand.Reader, data, tc.alg)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Format != tc.alg {
				t.Fatalf("Format = %q", sig.Format)
			}
			// Through the wire encoding, as a peer sees it.
			sig2, err := hostkey.ParseSignature(sig.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sig, sig2); diff != "" {
				t.Fatalf("signature round trip (-want +got):\n%s", diff)
			}
			pub, _ := hostkey.ParsePublicKey(s.PublicKey().Marshal())
			if err := pub.Verify(data, sig2); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var p *hostkey.Policy
			if err := p.Verify(pub, tc.alg, data, sig2); err != nil {
				t.Fatalf("Policy.Verify: %v", err)
			}
			if err := pub.Verify([]byte("other hash"), sig2); !errors.Is(err, hostkey.ErrSignature) {
				t.Fatalf("other data: %v, want ErrSignature", err)
			}
			bad := *sig2
			bad.Blob = append([]byte(nil), sig2.Blob...)
			bad.Blob[len(bad.Blob)-1] ^= 1
			if err := pub.Verify(data, &bad); err == nil {
				t.Fatal("flipped bit verified")
			}
			bad = *sig2
			bad.Rest = []byte{1}
			if err := pub.Verify(data, &bad); err == nil {
				t.Fatal("trailing signature bytes verified")
			}
			truncations(t, sig.Marshal(), func(b []byte) error {
				s, err := hostkey.ParseSignature(b)
				if err != nil {
					return err
				}
				return pub.Verify(data, s)
			})
		})
	}
}

func TestDefaultSignAlgorithm(t *testing.T) {
	s := signerFor(t, hostkey.RSA)
	sig, err := s.Sign(rand.Reader, []byte("x"))
	if err != nil || sig.Format != hostkey.RSASHA512 {
		t.Fatalf("Sign = %v, %v; want rsa-sha2-512", sig, err)
	}
	if _, err := s.SignWithAlgorithm(rand.Reader, []byte("x"), hostkey.RSA); !errors.Is(err, hostkey.ErrAlgorithmDisabled) {
		t.Fatalf("ssh-rsa signing without AllowSHA1: %v", err)
	}
	s2, _ := hostkey.NewSigner(s.Crypto())
	s2.AllowSHA1 = true
	sig, err = s2.SignWithAlgorithm(rand.Reader, []byte("x"), hostkey.RSA)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PublicKey().Verify([]byte("x"), sig); !errors.Is(err, hostkey.ErrAlgorithmDisabled) {
		t.Fatalf("ssh-rsa under zero Policy: %v", err)
	}
	if err := (&hostkey.Policy{AllowSHA1: true}).Verify(s.PublicKey(), hostkey.RSA, []byte("x"), sig); err != nil {
		t.Fatalf("ssh-rsa with AllowSHA1: %v", err)
	}
	if _, err := signerFor(t, hostkey.ED25519).SignWithAlgorithm(rand.Reader, nil, hostkey.RSASHA256); !errors.Is(err, hostkey.ErrAlgorithmMismatch) {
		t.Fatalf("rsa algorithm with ed25519 key: %v", err)
	}
}

// TestH2 covers docs/security.md#h2 and #a3: a signature must match the key,
// the negotiated algorithm and the hash its label names (RFC 8332,
// Section 3; RFC 4252, Section 7).
// Requirement: 5656-3.1.1-hash, 8332-3.1-host-sig
func TestH2AlgorithmMismatch(t *testing.T) {
	data := []byte("H")
	rsaS := signerFor(t, hostkey.RSA)
	edS := signerFor(t, hostkey.ED25519)
	ecS := signerFor(t, hostkey.ECDSAP256)
	sig512, _ := rsaS.SignWithAlgorithm(rand.Reader, data, hostkey.RSASHA512)
	sig256, _ := rsaS.SignWithAlgorithm(rand.Reader, data, hostkey.RSASHA256)
	edSig, _ := edS.Sign(rand.Reader, data)
	ecSig, _ := ecS.Sign(rand.Reader, data)
	relabel := func(s *hostkey.Signature, f string) *hostkey.Signature {
		c := *s
		c.Format = f
		return &c
	}
	sha1 := &hostkey.Policy{AllowSHA1: true}
	tests := []struct {
		name string
		p    *hostkey.Policy
		pub  hostkey.PublicKey
		alg  string
		sig  *hostkey.Signature
		want error
	}{
		{"sha512 body with sha256 label", nil, rsaS.PublicKey(), hostkey.RSASHA256, relabel(sig512, hostkey.RSASHA256), hostkey.ErrSignature},
		{"sha256 body with sha512 label", nil, rsaS.PublicKey(), hostkey.RSASHA512, relabel(sig256, hostkey.RSASHA512), hostkey.ErrSignature},
		{"sha256 sig, sha512 negotiated", nil, rsaS.PublicKey(), hostkey.RSASHA512, sig256, hostkey.ErrAlgorithmMismatch},
		{"rsa-sha2-256 with ed25519 blob", nil, edS.PublicKey(), hostkey.RSASHA256, edSig, hostkey.ErrAlgorithmMismatch},
		{"ed25519 negotiated, rsa key", nil, rsaS.PublicKey(), hostkey.ED25519, sig512, hostkey.ErrAlgorithmMismatch},
		{"ed25519 sig relabelled ecdsa", nil, ecS.PublicKey(), hostkey.ECDSAP256, relabel(edSig, hostkey.ECDSAP256), hostkey.ErrSignature},
		{"ecdsa p256 sig for p384 algorithm", nil, ecS.PublicKey(), hostkey.ECDSAP384, ecSig, hostkey.ErrAlgorithmMismatch},
		{"wrong key", nil, signerFor(t, hostkey.ECDSAP384).PublicKey(), hostkey.ECDSAP384, relabel(ecSig, hostkey.ECDSAP384), hostkey.ErrSignature},
		{"ssh-rsa disabled", nil, rsaS.PublicKey(), hostkey.RSA, relabel(sig512, hostkey.RSA), hostkey.ErrAlgorithmDisabled},
		{"ssh-rsa label over sha512 body", sha1, rsaS.PublicKey(), hostkey.RSA, relabel(sig512, hostkey.RSA), hostkey.ErrSignature},
		{"rsa below policy minimum", &hostkey.Policy{MinRSABits: 3072}, rsaS.PublicKey(), hostkey.RSASHA512, sig512, hostkey.ErrKeyTooSmall},
		{"unknown algorithm", nil, edS.PublicKey(), "ssh-dss", edSig, hostkey.ErrUnknownAlgorithm},
		{"cert algorithm, plain key", nil, edS.PublicKey(), hostkey.ED25519Cert, edSig, hostkey.ErrAlgorithmMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Verify(tt.pub, tt.alg, data, tt.sig); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	// Signature over another connection's H.
	if err := (*hostkey.Policy)(nil).Verify(edS.PublicKey(), hostkey.ED25519, []byte("other H"), edSig); !errors.Is(err, hostkey.ErrSignature) {
		t.Fatalf("other H: %v", err)
	}
}

// TestA3SmallRSA: keys under 1024 bits never verify (docs/security.md#a3).
func TestA3SmallRSA(t *testing.T) {
	n := new(big.Int).Lsh(big.NewInt(1), 1022) // 1023 bits: one short
	n.Add(n, big.NewInt(12345))
	blob := wire.AppendString(nil, hostkey.RSA)
	blob = wire.AppendMPInt(blob, big.NewInt(65537))
	blob = wire.AppendMPInt(blob, n)
	pub, err := hostkey.ParsePublicKey(blob)
	if err != nil {
		t.Fatal(err)
	}
	sig := &hostkey.Signature{Format: hostkey.RSASHA256, Blob: make([]byte, 128)}
	if err := pub.Verify([]byte("x"), sig); !errors.Is(err, hostkey.ErrKeyTooSmall) {
		t.Fatalf("1023-bit key: %v, want ErrKeyTooSmall", err)
	}
	if _, err := hostkey.GenerateKey(rand.Reader, hostkey.RSA, 1024); !errors.Is(err, hostkey.ErrKeyTooSmall) {
		t.Fatalf("GenerateKey 1024: %v", err)
	}
}

// TestMalformedKeys: wrong lengths and invalid points are errors, never
// panics (CVE-2020-9283; docs/security.md#k6).
// Requirement: 8709-4-key-format, 8709-6-signature-format
func TestMalformedKeys(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	q, _ := p256.PublicKey.Bytes()
	offCurve := append([]byte(nil), q...)
	offCurve[len(offCurve)-1] ^= 1
	compressed := append([]byte{2 | q[64]&1}, q[1:33]...)
	str := func(fields ...[]byte) []byte {
		var b []byte
		for _, f := range fields {
			b = wire.AppendString(b, f)
		}
		return b
	}
	mp := func(v int64) []byte { return wire.AppendMPInt(nil, big.NewInt(v)) }
	tests := []struct {
		name string
		blob []byte
		want error
	}{
		{"ed25519 31 bytes", str([]byte(hostkey.ED25519), make([]byte, 31)), hostkey.ErrInvalidKey},
		{"ed25519 33 bytes", str([]byte(hostkey.ED25519), make([]byte, 33)), hostkey.ErrInvalidKey},
		{"ed25519 empty", str([]byte(hostkey.ED25519), nil), hostkey.ErrInvalidKey},
		{"sk-ed25519 short", str([]byte(hostkey.SKED25519), make([]byte, 5), []byte("ssh:")), hostkey.ErrInvalidKey},
		{"ecdsa off curve", str([]byte(hostkey.ECDSAP256), []byte("nistp256"), offCurve), hostkey.ErrInvalidKey},
		{"ecdsa compressed", str([]byte(hostkey.ECDSAP256), []byte("nistp256"), compressed), hostkey.ErrInvalidKey},
		{"ecdsa infinity", str([]byte(hostkey.ECDSAP256), []byte("nistp256"), []byte{0}), hostkey.ErrInvalidKey},
		{"ecdsa curve mismatch", str([]byte(hostkey.ECDSAP384), []byte("nistp256"), q), hostkey.ErrInvalidKey},
		{"rsa even exponent", append(append(str([]byte(hostkey.RSA)), mp(65536)...), mp(1<<62+1)...), hostkey.ErrInvalidKey},
		{"rsa exponent 1", append(append(str([]byte(hostkey.RSA)), mp(1)...), mp(1<<62+1)...), hostkey.ErrInvalidKey},
		{"rsa tiny modulus", append(append(str([]byte(hostkey.RSA)), mp(65537)...), mp(1<<62+1)...), hostkey.ErrInvalidKey},
		{"rsa negative modulus", append(append(str([]byte(hostkey.RSA)), mp(65537)...), 0, 0, 0, 1, 0x80), wire.ErrInvalid},
		{"unknown type", str([]byte("ssh-dss"), nil), hostkey.ErrUnknownAlgorithm},
		{"empty", nil, wire.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := hostkey.ParsePublicKey(tt.blob); !errors.Is(err, tt.want) {
				t.Fatalf("ParsePublicKey = %v, want %v", err, tt.want)
			}
		})
	}
	// A hand-built key with a bad length must not panic in Verify either.
	pub, err := hostkey.NewPublicKey(ed25519.PublicKey(make([]byte, 31)))
	if err == nil {
		pub.Verify(nil, &hostkey.Signature{Format: hostkey.ED25519, Blob: make([]byte, 64)})
	}
	ed := signerFor(t, hostkey.ED25519).PublicKey()
	for _, n := range []int{0, 63, 65} {
		if err := ed.Verify(nil, &hostkey.Signature{Format: hostkey.ED25519, Blob: make([]byte, n)}); !errors.Is(err, hostkey.ErrSignature) {
			t.Errorf("ed25519 signature of %d bytes: %v", n, err)
		}
	}
}

// skSign plays a software authenticator (OpenSSH PROTOCOL.u2f).
func skSign(t *testing.T, priv any, pub *hostkey.SKPublicKey, flags byte, data []byte) *hostkey.Signature {
	t.Helper()
	signed := hostkey.SKSignedData(pub.Application, flags, 7, data)
	sig := &hostkey.Signature{Format: pub.Type(), Rest: []byte{flags, 0, 0, 0, 7}}
	switch k := priv.(type) {
	case ed25519.PrivateKey:
		sig.Blob = ed25519.Sign(k, signed)
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(signed)
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		sig.Blob = wire.AppendMPInt(wire.AppendMPInt(nil, r), s)
	}
	return sig
}

// TestSKUserPresence: security-key signatures need the user-presence
// flag unless the policy says no-touch-required (CVE-2026-39831), and
// the user-verification flag when verify-required.
// Requirement: certkeys-verify-required
func TestSKUserPresence(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name string
		priv any
		pub  any
	}{{"ed25519", edPriv, edPub}, {"ecdsa", ecPriv, &ecPriv.PublicKey}} {
		t.Run(tc.name, func(t *testing.T) {
			sk, err := hostkey.NewSKPublicKey(tc.pub, "ssh:")
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := hostkey.ParsePublicKey(sk.Marshal())
			if err != nil || !hostkey.Equal(parsed, sk) {
				t.Fatalf("round trip: %v", err)
			}
			truncations(t, sk.Marshal(), func(b []byte) error { _, err := hostkey.ParsePublicKey(b); return err })
			data := []byte("session")
			alg := sk.Type()
			tests := []struct {
				name  string
				flags byte
				p     *hostkey.Policy
				want  error
			}{
				{"present", hostkey.SKUserPresent, nil, nil},
				{"no presence", 0, nil, hostkey.ErrUserPresence},
				{"no presence, no-touch-required", 0, &hostkey.Policy{NoTouchRequired: true}, nil},
				{"verify-required, not verified", hostkey.SKUserPresent, &hostkey.Policy{VerifyRequired: true}, hostkey.ErrUserVerification},
				{"verify-required, verified", hostkey.SKUserPresent | hostkey.SKUserVerified, &hostkey.Policy{VerifyRequired: true}, nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					sig := skSign(t, tc.priv, sk, tt.flags, data)
					sig2, err := hostkey.ParseSignature(sig.Marshal())
					if err != nil {
						t.Fatal(err)
					}
					if err := tt.p.Verify(parsed, alg, data, sig2); !errors.Is(err, tt.want) {
						t.Fatalf("Verify = %v, want %v", err, tt.want)
					}
				})
			}
			// x/crypto/ssh, an independent implementation, agrees on the
			// signed-data layout and on the user-presence rule.
			xpub, err := ssh.ParsePublicKey(sk.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			for _, flags := range []byte{hostkey.SKUserPresent, 0} {
				sig := skSign(t, tc.priv, sk, flags, data)
				xerr := xpub.Verify(data, &ssh.Signature{Format: sig.Format, Blob: sig.Blob, Rest: sig.Rest})
				if (xerr == nil) != (parsed.Verify(data, sig) == nil) {
					t.Fatalf("flags %#x: x/crypto says %v, we disagree", flags, xerr)
				}
			}
			// A flags byte changed after signing breaks the signature.
			sig := skSign(t, tc.priv, sk, 0, data)
			sig.Rest[0] = hostkey.SKUserPresent
			if err := parsed.Verify(data, sig); !errors.Is(err, hostkey.ErrSignature) {
				t.Fatalf("forged flags: %v", err)
			}
			sig.Rest = sig.Rest[:4]
			if err := parsed.Verify(data, sig); !errors.Is(err, hostkey.ErrSignature) {
				t.Fatalf("short flags: %v", err)
			}
		})
	}
}

func TestFingerprints(t *testing.T) {
	// The ed25519 key of RFC 8032, Section 7.1, TEST 1.
	pk, _ := base64.StdEncoding.DecodeString("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	pub, err := hostkey.NewPublicKey(ed25519.PublicKey(pk))
	if err != nil {
		t.Fatal(err)
	}
	// Expected values computed with: ssh-keygen -l [-E md5] -f on a .pub
	// file holding this key (OpenSSH 9.2).
	if got, want := hostkey.FingerprintSHA256(pub), fingerprintVectorSHA256; got != want {
		t.Errorf("SHA256 = %s, want %s", got, want)
	}
	if got, want := hostkey.FingerprintMD5(pub), fingerprintVectorMD5; got != want {
		t.Errorf("MD5 = %s, want %s", got, want)
	}
}

func TestNewSignerTypes(t *testing.T) {
	for _, kt := range []string{hostkey.ED25519, hostkey.ECDSAP256, hostkey.ECDSAP384, hostkey.ECDSAP521} {
		s, err := hostkey.GenerateKey(rand.Reader, kt, 0)
		if err != nil || s.PublicKey().Type() != kt {
			t.Fatalf("GenerateKey(%s): %v", kt, err)
		}
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := hostkey.NewSigner(p224); !errors.Is(err, hostkey.ErrUnknownAlgorithm) {
		t.Fatalf("P-224: %v", err)
	}
	if _, err := hostkey.NewSigner(nil); err == nil {
		t.Fatal("nil signer accepted")
	}
	rk := testKeys(t)[4].priv.(*rsa.PrivateKey)
	if got := hostkey.SignatureAlgorithms(signerFor(t, hostkey.RSA).PublicKey()); !cmp.Equal(got, []string{hostkey.RSASHA512, hostkey.RSASHA256, hostkey.RSA}) {
		t.Fatalf("rsa algorithms %v", got)
	}
	_ = rk
}

func TestAlgorithmNames(t *testing.T) {
	tests := []struct{ alg, keyType, format string }{
		{hostkey.ED25519, hostkey.ED25519, hostkey.ED25519},
		{hostkey.RSASHA256, hostkey.RSA, hostkey.RSASHA256},
		{hostkey.RSASHA512Cert, hostkey.RSACert, hostkey.RSASHA512},
		{hostkey.RSACert, hostkey.RSACert, hostkey.RSA},
		{hostkey.ECDSAP521Cert, hostkey.ECDSAP521Cert, hostkey.ECDSAP521},
		{hostkey.SKED25519Cert, hostkey.SKED25519Cert, hostkey.SKED25519},
		{hostkey.SKECDSAP256, hostkey.SKECDSAP256, hostkey.SKECDSAP256},
		{"ssh-dss", "", ""},
	}
	for _, tt := range tests {
		if got := hostkey.KeyTypeForAlgorithm(tt.alg); got != tt.keyType {
			t.Errorf("KeyTypeForAlgorithm(%s) = %q, want %q", tt.alg, got, tt.keyType)
		}
		if got := hostkey.SignatureFormat(tt.alg); got != tt.format {
			t.Errorf("SignatureFormat(%s) = %q, want %q", tt.alg, got, tt.format)
		}
	}
	var p *hostkey.Policy
	if p.Allows(hostkey.RSA) || p.Allows(hostkey.RSACert) || !p.Allows(hostkey.RSASHA256Cert) {
		t.Error("zero Policy Allows is wrong about ssh-rsa")
	}
}

// Recorded from OpenSSH 9.2 ssh-keygen -l for the RFC 8032 TEST 1 key.
const (
	fingerprintVectorSHA256 = "SHA256:bbXpuKG6zhzdmnxq256TlqzFBzRl2f6OOg722cYNbU8"
	fingerprintVectorMD5    = "MD5:cf:07:be:9d:68:ae:65:54:6d:a0:93:c3:6f:bd:0d:82"
)

func TestDefaultAlgorithmLists(t *testing.T) {
	// Recorded from OpenSSH 9.2: ssh -F none -G localhost | grep hostkeyalgorithms.
	const openssh = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"
	if got := strings.Join(hostkey.OpenSSHAlgorithms(), ","); got != openssh {
		t.Errorf("OpenSSHAlgorithms:\n got %s\nwant %s", got, openssh)
	}
	var p *hostkey.Policy
	for _, a := range append(hostkey.DefaultAlgorithms(), hostkey.OpenSSHAlgorithms()...) {
		if hostkey.KeyTypeForAlgorithm(a) == "" || !p.Allows(a) {
			t.Errorf("%s: not a known, allowed algorithm", a)
		}
		if strings.Contains(a, "nistp") && slices.Contains(hostkey.DefaultAlgorithms(), a) {
			t.Errorf("%s in DefaultAlgorithms", a)
		}
	}
}
