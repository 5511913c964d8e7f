package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// TestKerberosPassword runs the KerberosAuthentication check against a
// throwaway MIT KDC: the right password with a keytab for host/localhost
// logs in; a wrong password, a principal ~/.k5login does not list, and a
// keytab without host/localhost (the TGT cannot be verified) do not.
func TestKerberosPassword(t *testing.T) {
	kdc := krb5test.Start(t)
	kdc.Setenv(t)
	kdc.AddService(t, "host/localhost")
	kdc.AddService(t, "host/other")
	kdc.AddUser(t, "alice", "alicepw")
	kt := kdc.Keytab(t, "host/localhost")
	otherKT := kdc.Keytab(t, "host/other")
	old := krb5Hostname
	krb5Hostname = func() (string, error) { return "localhost", nil }
	t.Cleanup(func() { krb5Hostname = old })

	home := t.TempDir()
	p := &policy{cfg: defaultConfig()}
	a := &account{Name: "alice", Home: home}
	ctx := context.Background()
	t.Setenv("KRB5_KTNAME", "FILE:"+kt)
	if _, err := p.kerberosPassword(ctx, a, "alicepw"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if _, err := p.kerberosPassword(ctx, a, "wrong"); !errors.Is(err, errKerberosPassword) {
		t.Errorf("wrong password: %v, want errKerberosPassword", err)
	}
	if _, err := p.kerberosPassword(ctx, &account{Name: "nobody-here", Home: home}, "alicepw"); err == nil {
		t.Error("unknown principal accepted")
	}
	os.WriteFile(filepath.Join(home, ".k5login"), []byte("bob@"+kdc.Realm+"\n"), 0o644)
	if _, err := p.kerberosPassword(ctx, a, "alicepw"); !errors.Is(err, errKerberosPassword) {
		t.Errorf("principal not in ~/.k5login: %v, want errKerberosPassword", err)
	}
	os.Remove(filepath.Join(home, ".k5login"))
	t.Setenv("KRB5_KTNAME", "FILE:"+otherKT)
	if _, err := p.kerberosPassword(ctx, a, "alicepw"); !errors.Is(err, errKerberosPassword) {
		t.Errorf("keytab without host/localhost: %v, want errKerberosPassword", err)
	}
}
