package conformance_test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// TestGSSGosshFamiliesToSSHD: gossh logs in to Debian's sshd with
// gssapi-keyex after each gss-* family ssh offers (ssh -Q kex-gss), the
// SHA-1 ones included, with a TGT from a throwaway MIT KDC.
func TestGSSGosshFamiliesToSSHD(t *testing.T) {
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
	f := &krb5test.Fixture{KDC: kdc, Keytab: kdc.Keytab(t, "host/localhost"), CCache: kdc.Kinit(t, "alice", "alicepw")}
	kdc.Setenv(t)
	bin := clBuildGossh(t)
	srv := sshdtest.Start(t, sshdtest.Options{
		HostKeyTypes: []string{"ed25519"},
		Config: []string{"GSSAPIAuthentication yes", "GSSAPIKeyExchange yes", "GSSAPIStrictAcceptorCheck no",
			"GSSAPIKexAlgorithms " + strings.Join(svQuery(t, "kex-gss"), ","),
			"PubkeyAuthentication no", "PasswordAuthentication no", "KbdInteractiveAuthentication no"},
		Env: []string{"KRB5_KTNAME=FILE:" + f.Keytab},
	})
	kh := filepath.Join(t.TempDir(), "kh")
	os.WriteFile(kh, []byte(srv.KnownHostsLine(t, "ed25519")+"\n"), 0o600)
	env := append(f.Env(), "SSH_AUTH_SOCK=")
	fams := svQuery(t, "kex-gss")
	if len(fams) != 7 {
		t.Errorf("ssh -Q kex-gss: %q", fams)
	}
	for _, fam := range fams {
		t.Run(fam, func(t *testing.T) {
			r := clGossh(t, bin, nil, env, "-F", "none", "-v", "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=none",
				"-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=no", "-o", "GSSAPIKeyExchange=yes", "-o", "GSSAPIKexAlgorithms="+fam,
				"-o", "GSSAPIServerIdentity=localhost", "-p", strconv.Itoa(srv.Port), u.Username+"@127.0.0.1", "echo kerberos")
			if r.code != 0 || r.stdout != "kerberos\n" {
				t.Fatalf("got %+v\n%s", r, tail(srv.Log()))
			}
			if !strings.Contains(r.stderr, "debug1: kex: algorithm: "+fam) || !strings.Contains(r.stderr, `using "gssapi-keyex".`) {
				t.Errorf("stderr:\n%s", r.stderr)
			}
		})
	}
}
