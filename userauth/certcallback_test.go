package userauth_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// TestPublicKeyCallbackCerts: with PublicKeyCallbackCerts a certificate
// reaches PublicKeyCallback (which here trusts keyCA for the principal
// "ops", as an AuthorizedPrincipalsFile would), once unsigned for the
// query and once signed; the Result holds the certificate. Without it,
// and without a CertChecker, the callback never sees the certificate.
func TestPublicKeyCallbackCerts(t *testing.T) {
	tests := []struct {
		name       string
		flag       bool
		principals []string
		ok         bool
		wantCalls  []bool // Signed of each callback call
	}{
		{"callback decides", true, []string{"ops"}, true, []bool{false, true}},
		{"callback refuses", true, []string{"dev"}, false, []bool{false}},
		{"flag off", false, []string{"ops"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []bool
			scfg := fastServer()
			scfg.PublicKeyCallbackCerts = tt.flag
			scfg.PublicKeyCallback = func(_ context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
				mu.Lock()
				calls = append(calls, m.Signed)
				mu.Unlock()
				cert, ok := key.(*hostkey.Certificate)
				if !ok {
					return nil, errors.New("want a certificate")
				}
				if err := (&hostkey.CertChecker{}).CheckCert("ops", cert); err != nil || !hostkey.Equal(cert.SignatureKey, keyCA().PublicKey()) {
					return nil, errors.New("not trusted")
				}
				return &userauth.Permissions{ForceCommand: "/bin/true"}, nil
			}
			cs := userCert(t, keyEd25519(), func(c *hostkey.Certificate) {
				c.ValidPrincipals = tt.principals
				c.CriticalOptions = nil
			})
			src := userauth.InMemoryPrivateKey(cs)
			src.Query = true
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{src}}, scfg)
			if (o.serr == nil) != tt.ok {
				t.Fatalf("server err %v, want success %v", o.serr, tt.ok)
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("callback calls (Signed) %v, want %v", calls, tt.wantCalls)
			}
			if !tt.ok {
				return
			}
			if len(o.sres.Keys) != 1 || !hostkey.Equal(o.sres.Keys[0], cs.PublicKey()) || o.sres.Permissions.ForceCommand != "/bin/true" {
				t.Errorf("Result keys %v, permissions %+v", o.sres.Keys, o.sres.Permissions)
			}
		})
	}
}

// TestConnMetaFailures: callbacks see how many attempts of the
// connection have failed before the request ("none" not counted).
func TestConnMetaFailures(t *testing.T) {
	scfg := fastServer()
	var mu sync.Mutex
	var seen []int
	scfg.PasswordCallback = func(_ context.Context, m userauth.ConnMeta, _ string) (*userauth.Permissions, error) {
		mu.Lock()
		seen = append(seen, m.Failures)
		mu.Unlock()
		return nil, errors.New("wrong")
	}
	scfg.PublicKeyCallback = func(_ context.Context, m userauth.ConnMeta, _ hostkey.PublicKey) (*userauth.Permissions, error) {
		mu.Lock()
		seen = append(seen, m.Failures)
		mu.Unlock()
		return nil, nil
	}
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.NoneAuth{}, userauth.StaticPassword("a"), userauth.StaticPassword("b"), userauth.InMemoryPrivateKey(keyEd25519()),
	}}, scfg)
	if o.serr != nil {
		t.Fatal(o.serr)
	}
	if !slices.Equal(seen, []int{0, 1, 2}) {
		t.Errorf("Failures seen by the callbacks %v, want [0 1 2]", seen)
	}
}
