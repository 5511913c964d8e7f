package gssapi

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// TestDIRCollection: with KRB5CCNAME=DIR:dir as MIT kinit fills it (one
// cache per principal), a desired name selects that principal's cache,
// no name takes the primary one (the last kinit), and a principal
// without a cache is ErrNoCred; a FILE: cache of another principal is
// ErrNoCred too.
func TestDIRCollection(t *testing.T) {
	kdc := krb5test.Start(t)
	kdc.Setenv(t)
	kdc.AddUser(t, "alice", "alicepw")
	kdc.AddUser(t, "bob", "bobpw")
	dir := filepath.Join(t.TempDir(), "cc")
	kdc.KinitCollection(t, dir, "alice", "alicepw")
	name := kdc.KinitCollection(t, dir, "bob", "bobpw")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acquire := func(store, principal string) (*Credential, error) {
		o := AcquireOptions{Usage: UsageInitiate, Store: Store{CCache: store}, Config: cfg}
		if principal != "" {
			n, err := NewName(kdc.Principal(principal), NameKerberosPrincipal)
			if err != nil {
				t.Fatal(err)
			}
			o.Name = n
		}
		return AcquireCredential(ctx, o)
	}
	for _, tt := range []struct{ principal, want string }{{"alice", "alice"}, {"bob", "bob"}, {"", "bob"}} {
		c, err := acquire(name, tt.principal)
		if err != nil {
			t.Fatalf("%q: %v", tt.principal, err)
		}
		if got := c.Name().String(); got != kdc.Principal(tt.want) {
			t.Errorf("%q: got %s, want %s", tt.principal, got, kdc.Principal(tt.want))
		}
	}
	if _, err := acquire(name, "carol"); !errors.Is(err, ErrNoCred) {
		t.Errorf("carol: %v, want ErrNoCred", err)
	}
	file := kdc.Kinit(t, "alice", "alicepw")
	if _, err := acquire("FILE:"+file, "bob"); !errors.Is(err, ErrNoCred) {
		t.Errorf("FILE: cache of alice for bob: %v, want ErrNoCred", err)
	}
	if c, err := acquire("FILE:"+file, "alice"); err != nil || c.Name().String() != kdc.Principal("alice") {
		t.Errorf("FILE: cache of alice: %v", err)
	}
}
