package hostkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"slices"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// Every parser here must return an error, never panic (docs/security.md#w8),
// and what parses must re-encode to the same bytes and parse again.

func seedKeys(f *testing.F) {
	for _, k := range testKeys(f) {
		s := signerFor(f, k.name)
		f.Add(s.PublicKey().Marshal())
		c := &hostkey.Certificate{Key: s.PublicKey(), CertType: hostkey.UserCert, ValidPrincipals: []string{"u"}, ValidBefore: hostkey.CertTimeInfinity,
			CriticalOptions: map[string]string{hostkey.OptForceCommand: "ls"}, Extensions: map[string]string{hostkey.ExtPermitPTY: ""}}
		c.SignCert(rand.Reader, signerFor(f, hostkey.ED25519))
		f.Add(c.Marshal())
	}
	// Security key certificates.
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, k := range []any{edPub, &ec.PublicKey} {
		sk, err := hostkey.NewSKPublicKey(k, "ssh:")
		if err != nil {
			f.Fatal(err)
		}
		c := &hostkey.Certificate{Key: sk, CertType: hostkey.UserCert, ValidPrincipals: []string{"u"}, ValidBefore: hostkey.CertTimeInfinity,
			CriticalOptions: map[string]string{hostkey.OptVerifyRequired: ""}, Extensions: map[string]string{hostkey.ExtNoTouchRequired: ""}}
		c.SignCert(rand.Reader, signerFor(f, hostkey.ED25519))
		f.Add(c.Marshal())
	}
}

func FuzzParsePublicKey(f *testing.F) {
	seedKeys(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := hostkey.ParsePublicKey(b)
		if err != nil {
			return
		}
		enc := pub.Marshal()
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, enc)
		}
		pub2, err := hostkey.ParsePublicKey(enc)
		if err != nil || !hostkey.Equal(pub, pub2) {
			t.Fatalf("round trip: %v", err)
		}
		_ = pub.Verify([]byte("x"), &hostkey.Signature{Format: pub.Type(), Blob: make([]byte, 64)})
		if c, ok := pub.(*hostkey.Certificate); ok {
			_ = c.CheckSignature(nil)
			(&hostkey.CertChecker{}).CheckUserCert("u", c)
			c.Restrictions()
		}
		hostkey.FingerprintSHA256(pub)
	})
}

func FuzzCertificate(f *testing.F) {
	seedKeys(f)
	cc := &hostkey.CertChecker{
		IsUserAuthority: func(hostkey.PublicKey) bool { return true },
		IsHostAuthority: func(hostkey.PublicKey, string) bool { return true },
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := hostkey.ParsePublicKey(b)
		if err != nil {
			return
		}
		c, ok := pub.(*hostkey.Certificate)
		if !ok {
			return
		}
		cc.CheckUserCert("u", c)
		cc.CheckHostCert("h:22", c)
		c.Restrictions()
	})
}

func FuzzParseSignature(f *testing.F) {
	data := []byte("data")
	for _, tc := range algorithmCases {
		sig, _ := signerFor(f, tc.keyType).SignWithAlgorithm(rand.Reader, data, tc.alg)
		f.Add(sig.Marshal())
	}
	f.Add([]byte("\x00\x00\x00\x1ask-ssh-ed25519@openssh.com\x00\x00\x00\x40" + string(make([]byte, 64)) + "\x01\x00\x00\x00\x01"))
	pubs := []hostkey.PublicKey{}
	for _, k := range testKeys(f) {
		pubs = append(pubs, signerFor(f, k.name).PublicKey())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := hostkey.ParseSignature(b)
		if err != nil {
			return
		}
		if enc := sig.Marshal(); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs")
		}
		sig.SKFlags()
		for _, p := range pubs {
			if p.Verify(data, sig) == nil && !slices.Contains(hostkey.SignatureAlgorithms(p), sig.Format) {
				t.Fatalf("verified a signature of another format")
			}
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	for _, k := range testKeys(f) {
		b, _ := hostkey.MarshalPrivateKey(k.priv, "c", nil, nil)
		block, _ := pem.Decode(b)
		f.Add(block.Bytes)
		b, _ = hostkey.MarshalPrivateKey(k.priv, "c", []byte("p"), &hostkey.KeyFileOptions{Rounds: 1})
		block, _ = pem.Decode(b)
		f.Add(block.Bytes)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: b})
		// No passphrase: the KDF never runs, so a hostile rounds count
		// cannot stall the fuzzer.
		key, comment, err := hostkey.ParseRawPrivateKey(p, nil)
		if err != nil {
			return
		}
		out, err := hostkey.MarshalPrivateKey(key, comment, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		key2, _, err := hostkey.ParseRawPrivateKey(out, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := hostkey.NewPublicKey(key.Public())
		c, _ := hostkey.NewPublicKey(key2.Public())
		if !hostkey.Equal(a, c) {
			t.Fatal("round trip changed the key")
		}
	})
}

func FuzzAuthorizedKey(f *testing.F) {
	k := string(bytes.TrimSpace(hostkey.MarshalAuthorizedKey(signerFor(f, hostkey.ED25519).PublicKey(), "c")))
	f.Add(k)
	f.Add(`restrict,pty,command="echo \"x\"",from="*.a,!b,10.0.0.0/8",expiry-time="20300101Z",permitopen="h:1" ` + k)
	f.Add(`environment="A=b",principals="x,y",cert-authority,tunnel="1" ` + k)
	f.Fuzz(func(t *testing.T, line string) {
		ak, err := hostkey.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return
		}
		r := ak.Restrictions
		r.AllowsFrom(nil, "h")
		r.AllowsOpen("h", 1)
		r.AllowsListen("h", 1)
		if _, err := hostkey.ParsePublicKey(ak.Key.Marshal()); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzKnownHostsLine(f *testing.F) {
	k := string(bytes.TrimSpace(hostkey.MarshalAuthorizedKey(signerFor(f, hostkey.ED25519).PublicKey(), "")))
	f.Add("host,*.wild,!no.wild,[h]:2222 " + k)
	f.Add(hostkey.HashHostname("h", nil) + " " + k)
	f.Add("@cert-authority *.example.com " + k)
	f.Add("@revoked * " + k)
	f.Fuzz(func(t *testing.T, line string) {
		l, err := hostkey.ParseKnownHostsLine([]byte(line))
		if err != nil {
			return
		}
		l.Matches("host")
		l.Matches("[h]:2222")
		kh := &hostkey.KnownHosts{Lines: []*hostkey.KnownHostsLine{l}}
		kh.Verify("host", l.Key)
		kh.HostKeyAlgorithms("host")
	})
}

func FuzzParsePEM(f *testing.F) {
	for _, name := range []string{"legacy-ec-aes128.pem", "legacy-ec-aes256.pem", "legacy-ec-des3.pem", "pkcs8-ec-aes256.pem"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, k := range testKeys(f) {
		der, _ := x509.MarshalPKCS8PrivateKey(k.priv)
		f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hostkey.ParseRawPrivateKey(b, nil)
		// Only legacy PEM is tried with a passphrase: its key derivation
		// is one MD5, while a hostile PBKDF2 or bcrypt count would stall
		// the fuzzer.
		if block, _ := pem.Decode(b); block != nil && block.Headers["Proc-Type"] != "" && block.Type != "OPENSSH PRIVATE KEY" {
			hostkey.ParseRawPrivateKey(b, []byte("passw"))
		}
	})
}
