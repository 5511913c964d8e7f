package conformance_test

// gossh's GSSAPIClientIdentity and GSSAPIRenewalForcesRekey against
// OpenSSH's sshd (Debian's GSS-API patch) with a throwaway MIT KDC.

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// gssIdentEnv is sshd trusting host/localhost, and a realm where alice
// maps to the test's user and bob to nobody who may log in.
type gssIdentEnv struct {
	kdc    *krb5test.KDC
	srv    *sshdtest.Server
	bin    string
	kh     string
	user   string
	kdcEnv []string
}

func gssIdentStart(t *testing.T, sshdConfig ...string) *gssIdentEnv {
	t.Helper()
	if _, err := exec.LookPath("krb5kdc"); err != nil {
		if _, err := os.Stat("/usr/sbin/krb5kdc"); err != nil {
			sshdtest.MissingPeer(t, "MIT krb5kdc not installed")
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	kdc := krb5test.Start(t, aliceIsMe(u))
	kdc.AddService(t, "host/localhost")
	kdc.AddUser(t, "alice", "alicepw")
	kdc.AddUser(t, "bob", "bobpw")
	kt := kdc.Keytab(t, "host/localhost")
	kdc.Setenv(t)
	srv := sshdtest.Start(t, sshdtest.Options{
		HostKeyTypes: []string{"ed25519"},
		Config: append([]string{"GSSAPIAuthentication yes", "GSSAPIKeyExchange yes", "GSSAPIStrictAcceptorCheck no",
			"PubkeyAuthentication no", "PasswordAuthentication no", "KbdInteractiveAuthentication no"}, sshdConfig...),
		Env: []string{"KRB5_KTNAME=FILE:" + kt},
	})
	kh := filepath.Join(t.TempDir(), "kh")
	if err := os.WriteFile(kh, []byte(srv.KnownHostsLine(t, "ed25519")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range kdc.Env() {
		if !strings.HasPrefix(kv, "KRB5CCNAME=") && !strings.HasPrefix(kv, "KRB5_KTNAME=") {
			env = append(env, kv)
		}
	}
	return &gssIdentEnv{kdc: kdc, srv: srv, bin: clBuildGossh(t), kh: kh, user: u.Username, kdcEnv: append(env, "SSH_AUTH_SOCK=")}
}

func (e *gssIdentEnv) args(extra ...string) []string {
	return append([]string{"-F", "none", "-v", "-o", "UserKnownHostsFile=" + e.kh, "-o", "GlobalKnownHostsFile=none",
		"-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=yes", "-o", "GSSAPIServerIdentity=localhost",
		"-p", strconv.Itoa(e.srv.Port)}, extra...)
}

// TestGosshGSSAPIClientIdentity: from a DIR: collection holding alice's
// and bob's caches (bob's primary), GSSAPIClientIdentity alice logs in
// as alice, with gssapi-with-mic and with GSS key exchange; without it
// the primary (bob, who may not log in) is refused; an identity with no
// cache, or a FILE: cache of another principal, is a clear error.
func TestGosshGSSAPIClientIdentity(t *testing.T) {
	e := gssIdentStart(t)
	coll := filepath.Join(t.TempDir(), "cc")
	e.kdc.KinitCollection(t, coll, "alice", "alicepw")
	dirEnv := append(append([]string(nil), e.kdcEnv...), "KRB5CCNAME="+e.kdc.KinitCollection(t, coll, "bob", "bobpw"))
	alice := e.kdc.Principal("alice")
	dest := e.user + "@127.0.0.1"
	for _, kx := range []struct{ opt, auth string }{{"GSSAPIKeyExchange=no", "gssapi-with-mic"}, {"GSSAPIKeyExchange=yes", "gssapi-keyex"}} {
		t.Run(kx.auth, func(t *testing.T) {
			r := clGossh(t, e.bin, nil, dirEnv, e.args("-o", kx.opt, "-o", "GSSAPIClientIdentity="+alice, dest, "echo as-alice")...)
			if r.code != 0 || r.stdout != "as-alice\n" || !strings.Contains(r.stderr, `using "`+kx.auth+`"`) {
				t.Fatalf("GSSAPIClientIdentity alice: %+v\n%s", r, tail(e.srv.Log()))
			}
			if r := clGossh(t, e.bin, nil, dirEnv, e.args("-o", kx.opt, dest, "true")...); r.code != 255 {
				t.Errorf("the primary cache (bob): exit %d, want 255\n%s", r.code, r.stderr)
			}
		})
	}
	t.Run("no cache for the identity", func(t *testing.T) {
		r := clGossh(t, e.bin, nil, dirEnv, e.args("-o", "GSSAPIClientIdentity=carol@"+e.kdc.Realm, dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "GSSAPIClientIdentity carol@"+e.kdc.Realm+": ") ||
			!strings.Contains(r.stderr, "no credential cache for carol@"+e.kdc.Realm) {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("FILE: cache of another principal", func(t *testing.T) {
		env := append(append([]string(nil), e.kdcEnv...), "KRB5CCNAME=FILE:"+e.kdc.Kinit(t, "alice", "alicepw"))
		r := clGossh(t, e.bin, nil, env, e.args("-o", "GSSAPIClientIdentity="+e.kdc.Principal("bob"), dest, "true")...)
		if r.code != 255 || !strings.Contains(r.stderr, "GSSAPIClientIdentity "+e.kdc.Principal("bob")+": ") {
			t.Errorf("got %+v", r)
		}
		r = clGossh(t, e.bin, nil, env, e.args("-o", "GSSAPIClientIdentity="+alice, dest, "echo ok")...)
		if r.code != 0 || r.stdout != "ok\n" {
			t.Errorf("FILE: cache of alice for alice: %+v", r)
		}
	})
}

// TestGosshGSSAPIRenewalForcesRekey: after a GSS-API key exchange with
// delegation, renewing the client's TGT (kinit -R) makes gossh rekey,
// and the rekey's exchange delegates the renewed TGT, which sshd
// (GSSAPIStoreCredentialsOnRekey yes) writes to the session's cache: the
// session sees its krbtgt entry change.
func TestGosshGSSAPIRenewalForcesRekey(t *testing.T) {
	e := gssIdentStart(t, "GSSAPIStoreCredentialsOnRekey yes")
	cc := e.kdc.Kinit(t, "alice", "alicepw", "-l", "1h", "-r", "2h")
	env := append(append([]string(nil), e.kdcEnv...), "KRB5CCNAME=FILE:"+cc)
	// The session prints READY with its delegated TGT, then waits (up to
	// a minute) for the entry to change.
	script := `a=$(klist | grep krbtgt); [ -n "$a" ] || { echo NOCACHE; exit 3; }; echo READY; ` +
		`i=0; while [ $i -lt 60 ]; do sleep 1; b=$(klist | grep krbtgt); [ "$a" != "$b" ] && { echo CHANGED; exit 0; }; i=$((i+1)); done; echo SAME; exit 4`
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, e.args("-o", "GSSAPIKeyExchange=yes", "-o", "GSSAPIDelegateCredentials=yes",
		"-o", "GSSAPIRenewalForcesRekey=yes", e.user+"@127.0.0.1", script)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "READY" {
		cmd.Wait()
		t.Fatalf("session did not start: %q\n%s\n%s", sc.Text(), stderr.String(), tail(e.srv.Log()))
	}
	// Ticket times have whole seconds: renew in a later second.
	time.Sleep(1100 * time.Millisecond)
	renew := e.kdc.Command(ctx, "kinit", []string{"-R", "-c", "FILE:" + cc}, "KRB5CCNAME=FILE:"+cc)
	if b, err := renew.CombinedOutput(); err != nil {
		t.Fatalf("kinit -R: %v\n%s", err, b)
	}
	var rest []string
	for sc.Scan() {
		rest = append(rest, sc.Text())
	}
	werr := cmd.Wait()
	if werr != nil || len(rest) != 1 || rest[0] != "CHANGED" {
		t.Fatalf("session: %v %q\n%s\n%s", werr, rest, stderr.String(), tail(e.srv.Log()))
	}
	if !strings.Contains(stderr.String(), "credentials updated - forcing rekey") {
		t.Errorf("no rekey logged:\n%s", stderr.String())
	}
}
