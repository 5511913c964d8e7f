package hostkey_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

var certNow = time.Unix(1_800_000_000, 0)

func newCert(t *testing.T, key hostkey.PublicKey, ca hostkey.Signer, typ uint32, principals ...string) *hostkey.Certificate {
	t.Helper()
	c := &hostkey.Certificate{
		Key:             key,
		Serial:          42,
		CertType:        typ,
		KeyID:           "test",
		ValidPrincipals: principals,
		ValidAfter:      uint64(certNow.Unix() - 3600),
		ValidBefore:     uint64(certNow.Unix() + 3600),
	}
	if typ == hostkey.UserCert {
		c.Extensions = map[string]string{hostkey.ExtPermitPTY: "", hostkey.ExtPermitPortForwarding: ""}
	}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertRoundTrip(t *testing.T) {
	ca := signerFor(t, hostkey.ED25519)
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			s := signerFor(t, k.name)
			c := newCert(t, s.PublicKey(), ca, hostkey.UserCert, "alice", "bob")
			c.CriticalOptions = map[string]string{hostkey.OptForceCommand: "uptime", hostkey.OptSourceAddress: "10.0.0.0/8"}
			if err := c.SignCert(rand.Reader, ca); err != nil {
				t.Fatal(err)
			}
			blob := c.Marshal()
			pub, err := hostkey.ParsePublicKey(blob)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := pub.(*hostkey.Certificate)
			if !ok {
				t.Fatalf("parsed %T", pub)
			}
			if got.Type() != hostkey.CertAlgorithm(k.name) {
				t.Fatalf("Type = %s", got.Type())
			}
			if !bytes.Equal(got.Marshal(), blob) {
				t.Fatal("re-encoding differs")
			}
			if diff := cmp.Diff(c.ValidPrincipals, got.ValidPrincipals); diff != "" {
				t.Fatalf("principals (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.CriticalOptions, got.CriticalOptions); diff != "" {
				t.Fatalf("options (-want +got):\n%s", diff)
			}
			if err := got.CheckSignature(nil); err != nil {
				t.Fatal(err)
			}
			// The certificate signs as its key, with the cert algorithm names.
			cs, err := hostkey.NewCertSigner(got, s)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Certificate() != got || cs.Signer() != hostkey.Signer(s) {
				t.Error("Certificate/Signer do not give back NewCertSigner's arguments")
			}
			for _, alg := range hostkey.SignatureAlgorithms(cs.PublicKey()) {
				if alg == hostkey.RSACert {
					continue
				}
				sig, err := cs.SignWithAlgorithm(rand.Reader, []byte("data"), alg)
				if err != nil {
					t.Fatal(err)
				}
				if err := (*hostkey.Policy)(nil).Verify(got, alg, []byte("data"), sig); err != nil {
					t.Fatalf("%s: %v", alg, err)
				}
			}
			truncations(t, blob, func(b []byte) error { _, err := hostkey.ParsePublicKey(b); return err })
		})
	}
}

// TestA10 covers docs/security.md#a10 and the checks of PROTOCOL.certkeys.
// Requirement: certkeys-validity, certkeys-type, certkeys-signature, certkeys-critical-unknown
func TestA10CertChecker(t *testing.T) {
	ca := signerFor(t, hostkey.ECDSAP256)
	other := signerFor(t, hostkey.ECDSAP384)
	user := signerFor(t, hostkey.ED25519).PublicKey()
	trust := func(auth hostkey.PublicKey) bool { return hostkey.Equal(auth, ca.PublicKey()) }
	checker := &hostkey.CertChecker{IsUserAuthority: trust, Clock: func() time.Time { return certNow }}

	good := newCert(t, user, ca, hostkey.UserCert, "alice")
	mod := func(f func(c *hostkey.Certificate), signer hostkey.Signer) *hostkey.Certificate {
		c := newCert(t, user, ca, hostkey.UserCert, "alice")
		f(c)
		if err := c.SignCert(rand.Reader, signer); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tampered := newCert(t, user, ca, hostkey.UserCert, "alice")
	tampered.ValidPrincipals = []string{"root"}

	tests := []struct {
		name    string
		checker *hostkey.CertChecker
		user    string
		cert    *hostkey.Certificate
		want    error
	}{
		{"valid", checker, "alice", good, nil},
		{"no CA configured", &hostkey.CertChecker{}, "alice", good, hostkey.ErrCertUntrusted},
		{"host checker only", &hostkey.CertChecker{IsHostAuthority: func(hostkey.PublicKey, string) bool { return true }}, "alice", good, hostkey.ErrCertUntrusted},
		{"untrusted CA", checker, "alice", mod(func(*hostkey.Certificate) {}, other), hostkey.ErrCertUntrusted},
		{"wrong principal", checker, "mallory", good, hostkey.ErrCertPrincipal},
		{"no principals", checker, "alice", mod(func(c *hostkey.Certificate) { c.ValidPrincipals = nil }, ca), hostkey.ErrCertPrincipal},
		{"expired", checker, "alice", mod(func(c *hostkey.Certificate) { c.ValidBefore = uint64(certNow.Unix()) }, ca), hostkey.ErrCertExpired},
		{"not yet valid", checker, "alice", mod(func(c *hostkey.Certificate) { c.ValidAfter = uint64(certNow.Unix() + 1) }, ca), hostkey.ErrCertNotYetValid},
		{"unknown critical option", checker, "alice", mod(func(c *hostkey.Certificate) { c.CriticalOptions = map[string]string{"made-up@example.com": ""} }, ca), hostkey.ErrCertCriticalOption},
		{"host cert as user cert", checker, "alice", mod(func(c *hostkey.Certificate) { c.CertType = hostkey.HostCert }, ca), hostkey.ErrCertType},
		{"tampered after signing", checker, "root", tampered, hostkey.ErrCertSignature},
		{"revoked", &hostkey.CertChecker{IsUserAuthority: trust, Clock: checker.Clock, IsRevoked: func(*hostkey.Certificate) bool { return true }}, "alice", good, hostkey.ErrCertRevoked},
		{"nil cert", checker, "alice", nil, hostkey.ErrCertUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.checker.CheckUserCert(tt.user, tt.cert); !errors.Is(err, tt.want) {
				t.Fatalf("CheckUserCert = %v, want %v", err, tt.want)
			}
		})
	}
	// Known critical options are accepted and become restrictions.
	c := mod(func(c *hostkey.Certificate) {
		c.CriticalOptions = map[string]string{hostkey.OptForceCommand: "date", hostkey.OptSourceAddress: "192.0.2.0/24,::1", hostkey.OptVerifyRequired: ""}
	}, ca)
	if err := checker.CheckUserCert("alice", c); err != nil {
		t.Fatal(err)
	}
	r, err := c.Restrictions()
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasCommand || r.Command != "date" || !r.VerifyRequired || !r.PTY || r.AgentForwarding || !r.PortForwarding {
		t.Fatalf("restrictions %+v", r)
	}
	if !r.AllowsFrom(net.ParseIP("192.0.2.7"), "") || r.AllowsFrom(net.ParseIP("198.51.100.1"), "") {
		t.Fatal("source-address not applied")
	}
	// SupportedCriticalOptions lets a caller accept an option it enforces.
	c = mod(func(c *hostkey.Certificate) { c.CriticalOptions = map[string]string{"made-up@example.com": "x"} }, ca)
	ck := *checker
	ck.SupportedCriticalOptions = []string{"made-up@example.com"}
	if err := ck.CheckUserCert("alice", c); err != nil {
		t.Fatal(err)
	}
}

// Requirement: certkeys-type
func TestHostCertChecker(t *testing.T) {
	ca := signerFor(t, hostkey.ED25519)
	host := signerFor(t, hostkey.ECDSAP256).PublicKey()
	c := newCert(t, host, ca, hostkey.HostCert, "server.example.com")
	var gotAddr string
	cc := &hostkey.CertChecker{
		IsHostAuthority: func(auth hostkey.PublicKey, addr string) bool {
			gotAddr = addr
			return hostkey.Equal(auth, ca.PublicKey())
		},
		Clock: func() time.Time { return certNow },
	}
	if err := cc.CheckHostCert("server.example.com:2222", c); err != nil {
		t.Fatal(err)
	}
	if gotAddr != "[server.example.com]:2222" {
		t.Errorf("authority asked about %q", gotAddr)
	}
	if err := cc.CheckHostCert("other.example.com:22", c); !errors.Is(err, hostkey.ErrCertPrincipal) {
		t.Fatalf("wrong host: %v", err)
	}
	if err := (&hostkey.CertChecker{}).CheckHostCert("server.example.com", c); !errors.Is(err, hostkey.ErrCertUntrusted) {
		t.Fatalf("no host CA: %v", err)
	}
	uc := newCert(t, host, ca, hostkey.UserCert, "server.example.com")
	if err := cc.CheckHostCert("server.example.com", uc); !errors.Is(err, hostkey.ErrCertType) {
		t.Fatalf("user cert as host cert: %v", err)
	}
	// Critical options are not defined for host certificates.
	hc := newCert(t, host, ca, hostkey.HostCert, "server.example.com")
	hc.CriticalOptions = map[string]string{hostkey.OptForceCommand: "x"}
	hc.SignCert(rand.Reader, ca)
	if err := cc.CheckHostCert("server.example.com", hc); !errors.Is(err, hostkey.ErrCertCriticalOption) {
		t.Fatalf("host cert with force-command: %v", err)
	}
}

// Requirement: certkeys-no-chain, certkeys-options-order
func TestCertMalformed(t *testing.T) {
	ca := signerFor(t, hostkey.ED25519)
	c := newCert(t, signerFor(t, hostkey.ED25519).PublicKey(), ca, hostkey.UserCert, "a")
	// Chained: a certificate as the signature key.
	chained := *c
	chained.SignatureKey = c
	if _, err := hostkey.ParsePublicKey(chained.Marshal()); !errors.Is(err, hostkey.ErrInvalidKey) {
		t.Errorf("chained certificate: %v", err)
	}
	if err := (&hostkey.Certificate{Key: c}).SignCert(rand.Reader, ca); err == nil {
		t.Error("certified a certificate")
	}
	// Unsorted or repeated extensions (PROTOCOL.certkeys: lexical order,
	// each name once).
	tuple := func(name string) []byte {
		return wire.AppendUint32(wire.AppendString(nil, name), 0)
	}
	one := &hostkey.Certificate{}
	*one = *c
	one.Extensions = map[string]string{"m": ""}
	raw := one.Marshal()
	field := wire.AppendString(nil, tuple("m"))
	j := bytes.Index(raw, field)
	if j < 0 {
		t.Fatal("layout")
	}
	for _, list := range [][]byte{append(tuple("z"), tuple("a")...), append(tuple("a"), tuple("a")...)} {
		mut := append(append(append([]byte(nil), raw[:j]...), wire.AppendString(nil, list)...), raw[j+len(field):]...)
		if _, err := hostkey.ParsePublicKey(mut); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("extensions %q: %v", list, err)
		}
	}
}

// TestCertZeroValues: hand-built or empty certificates never panic.
func TestCertZeroValues(t *testing.T) {
	var c hostkey.Certificate
	c.Marshal()
	if err := c.CheckSignature(nil); !errors.Is(err, hostkey.ErrCertSignature) {
		t.Errorf("CheckSignature: %v", err)
	}
	if err := c.Verify(nil, &hostkey.Signature{}); err == nil {
		t.Error("Verify of an empty certificate succeeded")
	}
	cc := &hostkey.CertChecker{}
	if err := cc.CheckCert("u", nil); err == nil {
		t.Error("CheckCert(nil) succeeded")
	}
	if err := cc.CheckCert("u", &c); err == nil {
		t.Error("CheckCert(zero) succeeded")
	}
	if _, err := hostkey.NewCertSigner(&c, signerFor(t, hostkey.ED25519)); err == nil {
		t.Error("NewCertSigner of an empty certificate succeeded")
	}
	kh, _ := hostkey.ParseKnownHosts(strings.NewReader("h "+keyText(t, hostkey.ED25519)+"\n"), "kh")
	if v, err := kh.Verify("h", &c); v != nil || err == nil {
		t.Error("known_hosts verified an empty certificate")
	}
}
