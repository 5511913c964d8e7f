package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestGosshdAuthorizedKeysCommandMatchesSSHD: OpenSSH's sshd and gosshd
// with the same AuthorizedKeysCommand (run as nobody; /bin/cat of a file
// named with %u) decide alike: a listed key logs in, with the command=
// of its line; an unlisted key, a command that fails after printing the
// key, and a command in a directory others may write (under /tmp) do
// not. (Without AuthorizedKeysCommandUser both refuse to start: gosshd's
// TestConfigErrors.)
func TestGosshdAuthorizedKeysCommandMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the command runs as nobody: needs root")
	}
	dir, err := os.MkdirTemp("", "gosshd-akc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // nobody reads the keys file
	key := filepath.Join(dir, "id")
	sshdtest.GenerateKey(t, "ed25519", key, "")
	other := filepath.Join(dir, "other")
	sshdtest.GenerateKey(t, "ed25519", other, "")
	pub, otherPub := string(mustRead(t, key+".pub")), string(mustRead(t, other+".pub"))
	cat := "/bin/cat " + dir + "/keys_%u"
	insecure := uaWrite(t, filepath.Join(dir, "cat.sh"), []byte("#!/bin/sh\nexec /bin/cat "+dir+"/keys_root\n"), 0o755)
	for _, tc := range []struct {
		name, command, user, keys string
		want                      bool
		wantOut                   string
	}{
		{"listed", cat, "nobody", pub, true, "ran\n"},
		{"not listed", cat, "nobody", otherPub, false, ""},
		{"command= on the line", cat, "nobody", `command="echo from-akc" ` + pub, true, "from-akc\n"},
		{"command fails after printing the key", `/bin/sh -c "/bin/cat ` + dir + `/keys_root; exit 1"`, "nobody", pub, false, ""},
		{"command in a directory others may write", insecure, "nobody", pub, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uaWrite(t, filepath.Join(dir, "keys_root"), []byte(tc.keys), 0o644)
			cfg := []string{"AuthorizedKeysCommand " + tc.command, "AuthorizedKeysCommandUser " + tc.user}
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
				Config: append(cfg, "PasswordAuthentication no", "KbdInteractiveAuthentication no")})
			g := svStart(t, []string{"ed25519"}, cfg...)
			sameDecision(t, srv, g, key, tc.want, tc.wantOut)
		})
	}
}

// TestGosshdAuthorizedPrincipalsCommandMatchesSSHD: with TrustedUserCAKeys
// and AuthorizedPrincipalsCommand (/bin/cat of a file named with %u, run
// as nobody), sshd and gosshd decide alike: a certificate principal the
// command prints logs in (with the command= of its line), one it does
// not print does not, nor does anything when the command fails.
func TestGosshdAuthorizedPrincipalsCommandMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the command runs as nobody: needs root")
	}
	dir, err := os.MkdirTemp("", "gosshd-apc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	ca, key := filepath.Join(dir, "ca"), filepath.Join(dir, "id")
	sshdtest.GenerateKey(t, "ed25519", ca, "")
	sshdtest.GenerateKey(t, "ed25519", key, "")
	if out, err := exec.Command(sshdtest.SSHKeygen, "-q", "-s", ca, "-I", "apc", "-n", "ops,web", key+".pub").CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	cat := "/bin/cat " + dir + "/principals_%u"
	for _, tc := range []struct {
		name, command, principals string
		want                      bool
		wantOut                   string
	}{
		{"a principal listed", cat, "# team\nweb\n", true, "ran\n"},
		{"command= on the line", cat, `command="echo via-apc" ops` + "\n", true, "via-apc\n"},
		{"no principal listed", cat, "dev\n", false, ""},
		{"command fails", `/bin/sh -c "/bin/cat ` + dir + `/principals_root; exit 1"`, "ops\n", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uaWrite(t, filepath.Join(dir, "principals_root"), []byte(tc.principals), 0o644)
			cfg := []string{"TrustedUserCAKeys " + ca + ".pub", "AuthorizedPrincipalsCommand " + tc.command, "AuthorizedPrincipalsCommandUser nobody"}
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
				Config: append(cfg, "PasswordAuthentication no", "KbdInteractiveAuthentication no")})
			g := svStart(t, []string{"ed25519"}, cfg...)
			sameDecision(t, srv, g, key, tc.want, tc.wantOut)
		})
	}
}

// sameDecision logs in as root with key to sshd and to gosshd, running
// "echo ran", and checks that each accepts (with wantOut as the output)
// or refuses as want says.
func sameDecision(t *testing.T, srv *sshdtest.Server, g *svServer, key string, want bool, wantOut string) {
	t.Helper()
	sameDecisionAs(t, srv, g, key, "root", "echo ran", want, wantOut)
}

// sameDecisionAs is sameDecision for another user and command.
func sameDecisionAs(t *testing.T, srv *sshdtest.Server, g *svServer, key, user, command string, want bool, wantOut string) {
	t.Helper()
	for _, s := range []struct {
		name string
		port string
		log  func() string
	}{{"sshd", strconv.Itoa(srv.Port), srv.Log}, {"gosshd", g.port, g.logText}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-i", key, "-l", user, "127.0.0.1", command)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if ok := res.ExitCode == 0; ok != want || (ok && string(res.Stdout) != wantOut) {
			t.Errorf("%s: exit %d stdout %q, want success %v with %q\n%s", s.name, res.ExitCode, res.Stdout, want, wantOut,
				tail(strings.ReplaceAll(s.log(), "\r", "")))
		}
	}
}
