package conformance_test

// gossh with a FIDO security key (SecurityKeyProvider): an sk-ecdsa key
// enrolled by ssh-keygen with a software authenticator (the provider
// library of testdata/skprovider, built here with cc and libcrypto),
// signing through OpenSSH's ssh-sk-helper, against sshd and gosshd.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// skProviderLib builds the test provider library and returns its path.
func skProviderLib(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/lib/openssh/ssh-sk-helper"); err != nil {
		sshdtest.MissingPeer(t, "no ssh-sk-helper")
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		sshdtest.MissingPeer(t, "no C compiler for the test provider")
	}
	if _, err := os.Stat("/usr/include/openssl/ec.h"); err != nil {
		sshdtest.MissingPeer(t, "no OpenSSL headers (libssl-dev) for the test provider")
	}
	lib := filepath.Join(t.TempDir(), "sk-provider.so")
	out, err := exec.Command(cc, "-shared", "-fPIC", "-Wall", "-Wno-deprecated-declarations", "-o", lib,
		"testdata/skprovider/provider.c", "-lcrypto").CombinedOutput()
	if err != nil {
		t.Fatalf("building the test provider: %v\n%s", err, out)
	}
	return lib
}

func TestGosshSecurityKeyProvider(t *testing.T) {
	lib := skProviderLib(t)
	bin := clBuildGossh(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ecdsa_sk")
	if out, err := exec.Command(sshdtest.SSHKeygen, "-q", "-t", "ecdsa-sk", "-w", lib, "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -t ecdsa-sk: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	srv, g := kwPair(t, pub)
	for _, peer := range []struct{ name, port string }{{"sshd", strconv.Itoa(srv.Port)}, {"gosshd", g.port}} {
		t.Run(peer.name, func(t *testing.T) {
			base := []string{"-F", "none", "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
				"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
				"-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-i", key}
			r := clGossh(t, bin, nil, nil, append(base, "-v", "-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo touched")...)
			if r.code != 0 || r.stdout != "touched\n" || !strings.Contains(r.stderr, "(security key, provider "+lib+")") ||
				!strings.Contains(r.stderr, "Confirm user presence for key ECDSA-SK SHA256:") {
				t.Fatalf("SecurityKeyProvider: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
			}
			// $SSH_SK_PROVIDER, as ssh resolves "$NAME".
			r = clGossh(t, bin, nil, []string{"SSH_SK_PROVIDER=" + lib}, append(base, "-o", "SecurityKeyProvider=$SSH_SK_PROVIDER", "127.0.0.1", "true")...)
			if r.code != 0 {
				t.Errorf("$SSH_SK_PROVIDER: exit %d\n%s", r.code, r.stderr)
			}
			// A provider that is not there: the key cannot sign.
			r = clGossh(t, bin, nil, nil, append(base, "-o", "SecurityKeyProvider="+filepath.Join(dir, "none.so"), "127.0.0.1", "true")...)
			if r.code != 255 {
				t.Errorf("missing provider: exit %d, want 255", r.code)
			}
			// OpenSSH's ssh with the same key and provider, for reference.
			res, err := sshdtest.RunSSH(t.Context(), nil, "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
				"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-i", key,
				"-o", "SecurityKeyProvider="+lib, "127.0.0.1", "true")
			if err != nil || res.ExitCode != 0 {
				t.Errorf("ssh with the same key: %v %+v", err, res)
			}
		})
	}
}
