package krb5test_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/krb5test"
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
