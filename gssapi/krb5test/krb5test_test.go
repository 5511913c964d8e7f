package krb5test_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/gssapi/krb5test"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartKinitKeytab(t *testing.T) {
	kdc := krb5test.Start(t)
	kdc.AddUser(t, "alice", "alicepw")
	kdc.AddService(t, "host/localhost")
	kt := kdc.Keytab(t, "host/localhost")
	if fi, err := os.Stat(kt); err != nil || fi.Size() == 0 {
		t.Fatalf("keytab %s: %v", kt, err)
	}
	cc := kdc.Kinit(t, "alice", "alicepw")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := kdc.Klist(ctx, cc)
	if err != nil {
		t.Fatalf("klist: %v: %s", err, out)
	}
	if !strings.Contains(out, "alice@"+kdc.Realm) || !strings.Contains(out, "krbtgt/"+kdc.Realm) {
		t.Errorf("klist output lacks the TGT:\n%s", out)
	}
	// Flags "F" = forwardable, required for delegation tests.
	if !strings.Contains(out, "Flags: F") {
		t.Errorf("TGT not forwardable:\n%s", out)
	}
}

func TestCleanupRemovesDir(t *testing.T) {
	var dir string
	t.Run("realm", func(t *testing.T) {
		dir = krb5test.Start(t).Dir
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still exists after cleanup (err %v)", dir, err)
	}
}

func TestFixture(t *testing.T) {
	f := krb5test.NewFixture(t, "host/localhost")
	if f.Service != "host/localhost@"+krb5test.DefaultRealm || f.User != "alice@"+krb5test.DefaultRealm {
		t.Errorf("fixture names %q %q", f.Service, f.User)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// kvno with the fixture's environment gets a service ticket whose key
	// matches the keytab (klist -k checks the keytab is readable).
	cmd := f.KDC.Command(ctx, "kvno", []string{"-k", f.Keytab, "host/localhost"}, "KRB5CCNAME=FILE:"+f.CCache)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kvno -k: %v\n%s", err, out)
	}
	env := strings.Join(f.Env(), "\n")
	if !strings.Contains(env, "KRB5_KTNAME=FILE:"+f.Keytab) || !strings.Contains(env, "KRB5CCNAME=FILE:"+f.CCache) {
		t.Errorf("Env: %s", env)
	}
}
