package hostkey_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
)

// TestSKCertificate: user certificates of sk-ecdsa and sk-ed25519 keys
// (sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,
// sk-ssh-ed25519-cert-v01@openssh.com; PROTOCOL.certkeys, PROTOCOL.u2f)
// round-trip, pass the checker, and verify the certified key's
// signatures with its flags: presence required unless the certificate's
// no-touch-required extension relaxes the policy, verification when its
// verify-required critical option asks. ssh-keygen -L reads ours.
func TestSKCertificate(t *testing.T) {
	ca := signerFor(t, hostkey.ED25519)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cc := &hostkey.CertChecker{IsUserAuthority: func(k hostkey.PublicKey) bool { return hostkey.Equal(k, ca.PublicKey()) }, Clock: func() time.Time { return certNow }}
	for _, tc := range []struct {
		name, certType string
		priv, pub      any
	}{
		{"ed25519", hostkey.SKED25519Cert, edPriv, edPub},
		{"ecdsa", hostkey.SKECDSAP256Cert, ecPriv, &ecPriv.PublicKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sk, err := hostkey.NewSKPublicKey(tc.pub, "ssh:")
			if err != nil {
				t.Fatal(err)
			}
			c := newCert(t, sk, ca, hostkey.UserCert, "alice")
			c.Extensions = map[string]string{hostkey.ExtNoTouchRequired: ""}
			c.CriticalOptions = map[string]string{hostkey.OptVerifyRequired: ""}
			if err := c.SignCert(rand.Reader, ca); err != nil {
				t.Fatal(err)
			}
			blob := c.Marshal()
			pub, err := hostkey.ParsePublicKey(blob)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := pub.(*hostkey.Certificate)
			if !ok || got.Type() != tc.certType || !hostkey.Equal(got.Key, sk) {
				t.Fatalf("parsed %T %s", pub, pub.Type())
			}
			truncations(t, blob, func(b []byte) error { _, err := hostkey.ParsePublicKey(b); return err })
			if err := cc.CheckUserCert("alice", got); err != nil {
				t.Fatalf("CheckUserCert: %v", err)
			}
			if algs := hostkey.SignatureAlgorithms(got); len(algs) != 1 || algs[0] != tc.certType {
				t.Errorf("SignatureAlgorithms = %q", algs)
			}
			if f := hostkey.SignatureFormat(tc.certType); f != sk.Type() {
				t.Errorf("SignatureFormat = %q", f)
			}
			r, err := got.Restrictions()
			if err != nil {
				t.Fatal(err)
			}
			p := r.Policy(&hostkey.Policy{})
			data := []byte("session")
			for _, tt := range []struct {
				name  string
				flags byte
				p     *hostkey.Policy
				want  error
			}{
				{"present and verified", hostkey.SKUserPresent | hostkey.SKUserVerified, nil, nil},
				{"no presence, plain policy", hostkey.SKUserVerified, nil, hostkey.ErrUserPresence},
				{"no presence, the certificate's policy", hostkey.SKUserVerified, p, nil},
				{"not verified, the certificate's policy", hostkey.SKUserPresent, p, hostkey.ErrUserVerification},
			} {
				t.Run(tt.name, func(t *testing.T) {
					sig := skSign(t, tc.priv, sk, tt.flags, data)
					if err := tt.p.Verify(got, tc.certType, data, sig); !errors.Is(err, tt.want) {
						t.Errorf("Verify = %v, want %v", err, tt.want)
					}
				})
			}
			// Another key's signature does not verify.
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			osk, _ := hostkey.NewSKPublicKey(&other.PublicKey, "ssh:")
			if tc.name == "ecdsa" {
				if err := (&hostkey.Policy{}).Verify(got, tc.certType, data, skSign(t, other, osk, 1, data)); !errors.Is(err, hostkey.ErrSignature) {
					t.Errorf("another key's signature: %v", err)
				}
			}
			f := filepath.Join(t.TempDir(), "id-cert.pub")
			if err := os.WriteFile(f, hostkey.MarshalAuthorizedKey(got, "c"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("ssh-keygen", "-L", "-f", f).CombinedOutput()
			if err != nil {
				t.Skipf("ssh-keygen -L: %v %s", err, out)
			}
			if !strings.Contains(string(out), "Type: "+tc.certType+" user certificate") || !strings.Contains(string(out), "no-touch-required") ||
				!strings.Contains(string(out), "verify-required") {
				t.Errorf("ssh-keygen -L:\n%s", out)
			}
		})
	}
}
