package gssapi_test

import (
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// TestExampleNewInitContext runs ExampleNewInitContext, which has no Output
// comment because it needs a KDC, against a throwaway MIT KDC, so that the
// example stays correct.
func TestExampleNewInitContext(t *testing.T) {
	for _, tool := range []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit"} {
		if !haveTool(tool) {
			t.Skipf("%s not installed", tool)
		}
	}
	f := krb5test.NewFixture(t, "host/server.example")
	f.Setenv(t)
	t.Setenv("KRB5CCNAME", f.CCache)
	t.Setenv("KRB5_KTNAME", f.Keytab)

	out := captureStdout(t, ExampleNewInitContext)
	if want := "authenticated " + f.User + "\n"; out != want {
		t.Errorf("ExampleNewInitContext printed %q, want %q", out, want)
	}
}

func haveTool(name string) bool {
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		if _, err := os.Stat(d + "/" + name); err == nil {
			return true
		}
	}
	_, err := exec.LookPath(name)
	return err == nil
}

// captureStdout returns what f writes to os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	defer func() { os.Stdout = old }()
	f()
	w.Close()
	b := <-done
	r.Close()
	return string(b)
}
