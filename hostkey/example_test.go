package hostkey_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
)

// kex verifies the server's signature over the exchange hash H with the
// negotiated host-key algorithm (RFC 4253, Section 8; RFC 8332, Section 3).
func ExamplePolicy_Verify() {
	host, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	H := []byte("exchange hash")

	// Server side: sign with the negotiated algorithm.
	sig, _ := host.SignWithAlgorithm(rand.Reader, H, hostkey.ED25519)
	blob, sigBlob := host.PublicKey().Marshal(), sig.Marshal()

	// Client side: parse what KEXDH_REPLY carried and verify.
	pub, _ := hostkey.ParsePublicKey(blob)
	s, _ := hostkey.ParseSignature(sigBlob)
	policy := &hostkey.Policy{MinRSABits: 2048}
	fmt.Println(policy.Verify(pub, hostkey.ED25519, H, s))
	err := policy.Verify(pub, hostkey.RSASHA256, H, s)
	fmt.Println(errors.Is(err, hostkey.ErrAlgorithmMismatch))
	// Output:
	// <nil>
	// true
}

// A client decides about a host key; only a non-nil *Verified means yes.
func ExampleKnownHosts_Verify() {
	key, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	line := hostkey.MarshalKnownHost([]string{"server.example.com:2222"}, key.PublicKey(), true)
	kh, _ := hostkey.ParseKnownHosts(strings.NewReader(string(line)), "known_hosts")

	v, err := kh.Verify("server.example.com:2222", key.PublicKey())
	fmt.Println(v != nil, err)

	other, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	v, err = kh.Verify("server.example.com:2222", other.PublicKey())
	var changed *hostkey.KeyChangedError
	fmt.Println(v != nil, errors.As(err, &changed), changed.File, changed.Line)
	// Output:
	// true <nil>
	// false true known_hosts 1
}

// A server checks a user certificate against its trusted CA, then
// combines the certificate's restrictions with the authorized_keys line
// that trusted the CA.
func ExampleCertChecker_CheckUserCert() {
	ca, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	user, _ := hostkey.GenerateKey(rand.Reader, hostkey.ECDSAP256, 0)
	now := time.Unix(1_800_000_000, 0)
	cert := &hostkey.Certificate{
		Key:             user.PublicKey(),
		CertType:        hostkey.UserCert,
		ValidPrincipals: []string{"alice"},
		ValidAfter:      uint64(now.Add(-time.Hour).Unix()),
		ValidBefore:     uint64(now.Add(time.Hour).Unix()),
		CriticalOptions: map[string]string{hostkey.OptForceCommand: "backup"},
		Extensions:      map[string]string{hostkey.ExtPermitPTY: ""},
	}
	_ = cert.SignCert(rand.Reader, ca)

	line := "cert-authority,no-pty " + strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(ca.PublicKey(), "")))
	ak, _ := hostkey.ParseAuthorizedKey([]byte(line))
	cc := &hostkey.CertChecker{
		IsUserAuthority: func(auth hostkey.PublicKey) bool { return ak.Restrictions.CertAuthority && hostkey.Equal(auth, ak.Key) },
		Clock:           func() time.Time { return now },
	}
	fmt.Println(cc.CheckUserCert("alice", cert))
	fmt.Println(errors.Is(cc.CheckUserCert("root", cert), hostkey.ErrCertPrincipal))

	cr, _ := cert.Restrictions()
	r, _ := ak.Restrictions.Merge(cr)
	fmt.Println(r.Command, r.PTY, r.PortForwarding)
	// Output:
	// <nil>
	// true
	// backup false false
}
