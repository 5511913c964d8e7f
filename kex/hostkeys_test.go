package kex_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
)

func trustKey(want hostkey.PublicKey) kex.HostKeyCallback {
	return func(k hostkey.PublicKey) error {
		if !hostkey.Equal(k, want) {
			return errUntrusted
		}
		return nil
	}
}

// TestHostKeyTypes: our client and server with RSA, ECDSA and Ed25519
// host keys from package hostkey; for RSA, rsa-sha2-512 is chosen and
// ssh-rsa is not offered.
// Requirement: 8332-3-sha2, 8332-3.1-host-sig
func TestHostKeyTypes(t *testing.T) {
	for _, tc := range []struct {
		keyType, want string
	}{
		{hostkey.ED25519, "ssh-ed25519"},
		{hostkey.ECDSAP256, "ecdsa-sha2-nistp256"},
		{hostkey.ECDSAP384, "ecdsa-sha2-nistp384"},
		{hostkey.RSA, "rsa-sha2-512"},
	} {
		t.Run(tc.keyType, func(t *testing.T) {
			s, err := hostkey.GenerateKey(rand.Reader, tc.keyType, 2048)
			if err != nil {
				t.Fatal(err)
			}
			hk := kex.NewHostKey(s, false)
			for _, a := range hk.Algorithms {
				if a == hostkey.RSA {
					t.Fatal("ssh-rsa offered without allowSHA1")
				}
			}
			ccfg, scfg := configs(t, kex.Curve25519SHA256)
			scfg.HostKeys = []kex.HostKey{hk}
			ccfg.HostKeyAlgorithms = nil // defaults
			ccfg.HostKeyVerifier = kex.NewHostKeyVerifier(trustKey(s.PublicKey()))
			c, _ := pair(t, ccfg, scfg)
			if got := c.Algorithms().HostKey; got != tc.want {
				t.Errorf("host key algorithm %s, want %s", got, tc.want)
			}
			if !bytes.Equal(c.HostKey(), s.PublicKey().Marshal()) {
				t.Error("HostKey() is not the server's key")
			}
		})
	}
}

// TestSSHRSAHostKeyOptIn: with allowSHA1, NewHostKey offers ssh-rsa and
// signs with it even for a CryptoSigner that refuses SHA-1 by itself
// (the caller's signer stays as it was); a client verifies it only under
// NewHostKeyVerifierPolicy with AllowSHA1, and refuses it by default.
// Requirement: 4253-6.6-ssh-rsa
func TestSSHRSAHostKeyOptIn(t *testing.T) {
	s, err := hostkey.GenerateKey(rand.Reader, hostkey.RSA, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		policy *hostkey.Policy
		ok     bool
	}{{"default verifier", nil, false}, {"AllowSHA1 verifier", &hostkey.Policy{AllowSHA1: true}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			ccfg, scfg := configs(t, kex.Curve25519SHA256)
			scfg.HostKeys = []kex.HostKey{kex.NewHostKey(s, true)}
			ccfg.HostKeyAlgorithms = []string{hostkey.RSA}
			ccfg.HostKeyVerifier = kex.NewHostKeyVerifier(trustKey(s.PublicKey()))
			if tc.policy != nil {
				ccfg.HostKeyVerifier = kex.NewHostKeyVerifierPolicy(trustKey(s.PublicKey()), tc.policy)
			}
			c, sc, err := tryPair(t, ccfg, scfg)
			if tc.ok {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if got := c.Algorithms().HostKey; got != hostkey.RSA {
					t.Errorf("host key algorithm %s", got)
				}
				c.Close()
				sc.Close()
			} else if !errors.Is(err, hostkey.ErrAlgorithmDisabled) {
				t.Errorf("default verifier on ssh-rsa: %v, want ErrAlgorithmDisabled", err)
			}
		})
	}
	if s.AllowSHA1 {
		t.Error("NewHostKey changed the caller's signer")
	}
}

// TestHostKeyVerifierH2 covers docs/security.md#h2 for the verifier: wrong
// key, a signature labelled with another algorithm, a blob type that
// differs from the negotiated algorithm, and a signature over another H.
// Requirement: 4253-8-sign-h, 8332-3.1-host-sig
func TestHostKeyVerifierH2(t *testing.T) {
	rsaKey, _ := hostkey.GenerateKey(rand.Reader, hostkey.RSA, 2048)
	edKey, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	other, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	h := []byte("exchange hash")
	sign := func(s hostkey.Signer, alg string, data []byte) []byte {
		sig, err := s.(hostkey.AlgorithmSigner).SignWithAlgorithm(rand.Reader, data, alg)
		if err != nil {
			t.Fatal(err)
		}
		return sig.Marshal()
	}
	relabel := func(sig []byte, format string) []byte {
		s, _ := hostkey.ParseSignature(sig)
		s.Format = format
		return s.Marshal()
	}
	trustAll := func(hostkey.PublicKey) error { return nil }
	tests := []struct {
		name      string
		alg       string
		blob, sig []byte
		trust     kex.HostKeyCallback
		wantErr   error
	}{
		{"good rsa-sha2-256", "rsa-sha2-256", rsaKey.PublicKey().Marshal(), sign(rsaKey, "rsa-sha2-256", h), trustAll, nil},
		{"good ed25519", "ssh-ed25519", edKey.PublicKey().Marshal(), sign(edKey, "ssh-ed25519", h), trustAll, nil},
		{"untrusted key", "ssh-ed25519", edKey.PublicKey().Marshal(), sign(edKey, "ssh-ed25519", h), trustKey(other.PublicKey()), errUntrusted},
		{"sha-512 signature labelled rsa-sha2-256", "rsa-sha2-256", rsaKey.PublicKey().Marshal(), relabel(sign(rsaKey, "rsa-sha2-512", h), "rsa-sha2-256"), trustAll, nil},
		{"signature format differs from algorithm", "rsa-sha2-256", rsaKey.PublicKey().Marshal(), sign(rsaKey, "rsa-sha2-512", h), trustAll, kex.ErrHostKeyMismatch},
		{"ed25519 blob for rsa-sha2-512", "rsa-sha2-512", edKey.PublicKey().Marshal(), sign(edKey, "ssh-ed25519", h), trustAll, kex.ErrHostKeyMismatch},
		{"signature over another H", "ssh-ed25519", edKey.PublicKey().Marshal(), sign(edKey, "ssh-ed25519", []byte("other H")), trustAll, nil},
		{"signature by another key", "ssh-ed25519", edKey.PublicKey().Marshal(), sign(other, "ssh-ed25519", h), trustAll, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kex.NewHostKeyVerifier(tt.trust).VerifyHostKey(tt.alg, tt.blob, h, tt.sig)
			good := tt.name == "good rsa-sha2-256" || tt.name == "good ed25519"
			switch {
			case good && err != nil:
				t.Fatalf("rejected: %v", err)
			case !good && err == nil:
				t.Fatal("accepted")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := kex.NewHostKeyVerifier(nil).VerifyHostKey("ssh-ed25519", edKey.PublicKey().Marshal(), h, sign(edKey, "ssh-ed25519", h)); err == nil {
		t.Error("nil trust callback accepted a key")
	}
}

// TestClientRejectsOtherConnectionsH: a signature over another
// connection's exchange hash fails the handshake with ErrHostKey.
// Requirement: 4253-8-sign-h
func TestClientRejectsOtherConnectionsH(t *testing.T) {
	s, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	replay := replaySigner{s: s}
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	scfg.HostKeys = []kex.HostKey{{Signer: &replay, Algorithms: []string{"ssh-ed25519"}}}
	ccfg.HostKeyVerifier = kex.NewHostKeyVerifier(trustKey(s.PublicKey()))
	pair(t, ccfg, scfg) // first connection: records a good signature
	// Second connection: a raw server replays the first one's signature.
	r, ch := startClient(t, ccfg, nil)
	r.readInit()
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.StrictServer}, false))
	p, err := r.read()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := kex.Lookup(kex.Curve25519SHA256)
	params := &kex.Params{Role: kex.Server, ClientVersion: []byte(r.remote), ServerVersion: []byte(r.local),
		ClientKexInit: r.peerInit, ServerKexInit: r.myInit, HostKeyAlgorithm: "ssh-ed25519", HostKey: &replay}
	replay.replayOnly = true
	if _, err := m.Run(context.Background(), &prefetched{first: p, c: methodConn{r}}, params); err != nil {
		t.Fatal(err)
	}
	if o := wait(t, ch); !errors.Is(o.err, kex.ErrHostKey) {
		t.Fatalf("client: %v, want ErrHostKey", o.err)
	}
}

// replaySigner signs normally and remembers the signature; with
// replayOnly it returns that old signature whatever it is asked to sign.
type replaySigner struct {
	s          hostkey.Signer
	last       []byte
	replayOnly bool
}

func (r *replaySigner) PublicKey() []byte { return r.s.PublicKey().Marshal() }

func (r *replaySigner) Sign(_ io.Reader, alg string, data []byte) ([]byte, error) {
	if r.replayOnly {
		return r.last, nil
	}
	sig, err := r.s.Sign(rand.Reader, data)
	if err != nil {
		return nil, err
	}
	r.last = sig.Marshal()
	return r.last, nil
}

// prefetched returns first before reading from c.
type prefetched struct {
	first []byte
	c     kex.Conn
}

func (p *prefetched) ReadPacket(ctx context.Context) ([]byte, error) {
	if p.first != nil {
		f := p.first
		p.first = nil
		return f, nil
	}
	return p.c.ReadPacket(ctx)
}

func (p *prefetched) WritePacket(ctx context.Context, b []byte) error { return p.c.WritePacket(ctx, b) }

// hostCert is a host certificate for s, signed by a fresh CA.
func hostCert(t *testing.T, s hostkey.Signer) *hostkey.CertSigner {
	t.Helper()
	ca, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &hostkey.Certificate{Key: s.PublicKey(), CertType: hostkey.HostCert, KeyID: "host",
		ValidPrincipals: []string{"localhost"}, ValidBefore: hostkey.CertTimeInfinity}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	cs, err := hostkey.NewCertSigner(c, s)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestHostCertificateKeys: a server with a key and a certificate for it
// (a hostkey.CertSigner, OpenSSH HostCertificate) offers both; a client
// that asks for the certificate algorithm gets the certificate, signed
// by the key with the algorithm's base (rsa-sha2-512 for
// rsa-sha2-512-cert-v01), and with allowSHA1 the ssh-rsa certificate
// form signs too, though the key's CryptoSigner refuses SHA-1 itself.
func TestHostCertificateKeys(t *testing.T) {
	ed, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	rsaKey, _ := hostkey.GenerateKey(rand.Reader, hostkey.RSA, 2048)
	for _, tc := range []struct {
		name      string
		key       *hostkey.CryptoSigner
		allowSHA1 bool
		alg       string
		policy    *hostkey.Policy
	}{
		{"ed25519", ed, false, hostkey.ED25519Cert, nil},
		{"rsa-sha2-512", rsaKey, false, hostkey.RSASHA512Cert, nil},
		{"rsa-sha2-256", rsaKey, false, hostkey.RSASHA256Cert, nil},
		{"ssh-rsa with allowSHA1", rsaKey, true, hostkey.RSACert, &hostkey.Policy{AllowSHA1: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := hostCert(t, tc.key)
			ccfg, scfg := configs(t, kex.Curve25519SHA256)
			scfg.HostKeys = []kex.HostKey{kex.NewHostKey(tc.key, tc.allowSHA1), kex.NewHostKey(cs, tc.allowSHA1)}
			ccfg.HostKeyAlgorithms = []string{tc.alg}
			ccfg.HostKeyVerifier = kex.NewHostKeyVerifierPolicy(trustKey(cs.PublicKey()), tc.policy)
			if tc.policy == nil {
				ccfg.HostKeyVerifier = kex.NewHostKeyVerifier(trustKey(cs.PublicKey()))
			}
			c, sc, err := tryPair(t, ccfg, scfg)
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer sc.Close()
			defer c.Close()
			if got := c.Algorithms().HostKey; got != tc.alg {
				t.Errorf("host key algorithm %s, want %s", got, tc.alg)
			}
			if !bytes.Equal(c.HostKey(), cs.PublicKey().Marshal()) {
				t.Error("HostKey() is not the certificate")
			}
		})
	}
	if rsaKey.AllowSHA1 {
		t.Error("NewHostKey changed the caller's signer")
	}
	if !hostkey.Equal(hostCert(t, rsaKey).Signer().PublicKey(), rsaKey.PublicKey()) {
		t.Error("CertSigner.Signer is not the certified key's signer")
	}
}
