package conformance_test

// gossh -I / PKCS11Provider with a real PKCS#11 token: a throwaway
// SoftHSM2 token (its own softhsm2.conf and token directory), its keys
// reached through OpenSSH's ssh-pkcs11-helper, logging in to OpenSSH's
// sshd and to gosshd.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

const (
	p11Module = "/usr/lib/softhsm/libsofthsm2.so"
	p11Helper = "/usr/lib/openssh/ssh-pkcs11-helper"
	p11PIN    = "246810"
)

// p11Token makes a SoftHSM2 token holding one key of type typ (made by
// ssh-keygen, imported with softhsm2-util --import) with user PIN
// p11PIN. It returns the SOFTHSM2_CONF environment entry and the
// key's authorized_keys line.
func p11Token(t *testing.T, typ string) (string, []byte) {
	t.Helper()
	for _, p := range []string{p11Module, p11Helper} {
		if _, err := os.Stat(p); err != nil {
			sshdtest.MissingPeer(t, "no %s (apt-get install softhsm2)", p)
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		sshdtest.MissingPeer(t, "no softhsm2-util")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	uaWrite(t, conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
	env := "SOFTHSM2_CONF=" + conf
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run(util, "--init-token", "--free", "--label", "conformance", "--pin", p11PIN, "--so-pin", "13579111")
	key := filepath.Join(dir, "id_"+typ)
	run(sshdtest.SSHKeygen, "-q", "-t", typ, "-N", "", "-m", "PKCS8", "-f", key)
	run(util, "--import", key, "--token", "conformance", "--label", "key-"+typ, "--id", "01", "--pin", p11PIN)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(key) // only the token holds the private key now
	return env, pub
}

func TestGosshPKCS11(t *testing.T) {
	bin := clBuildGossh(t)
	askpass := agScript(t, filepath.Join(t.TempDir(), "askpass"), "echo "+p11PIN)
	for _, typ := range []string{"ecdsa", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			env, pub := p11Token(t, typ)
			srv, g := kwPair(t, pub)
			for _, peer := range []struct{ name, port string }{{"sshd", strconv.Itoa(srv.Port)}, {"gosshd", g.port}} {
				base := []string{"-F", "none", "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
					"-o", "IdentityFile=/nonexistent", "-o", "PreferredAuthentications=publickey"}
				login := func(env []string, extra ...string) clResult {
					return clGossh(t, bin, nil, env, append(append(base, extra...), "127.0.0.1", "echo in")...)
				}
				t.Run(peer.name, func(t *testing.T) {
					// The PIN through SSH_ASKPASS, as gossh asks for
					// passphrases.
					prompted := []string{env, "SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force"}
					r := login(prompted, "-v", "-I", p11Module)
					if r.code != 0 || r.stdout != "in\n" {
						t.Fatalf("-I: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
					}
					if !strings.Contains(r.stderr, "(PKCS#11)") || !strings.Contains(r.stderr, `using "publickey"`) {
						t.Errorf("-v does not show the token key in use:\n%s", r.stderr)
					}
					r = login(prompted, "-o", "PKCS11Provider="+p11Module)
					if r.code != 0 {
						t.Errorf("PKCS11Provider: exit %d\n%s", r.code, r.stderr)
					}
					// Without the PIN (BatchMode: nobody to ask) the
					// token gives no key, as with ssh.
					if r := login(prompted, "-o", "BatchMode=yes", "-I", p11Module); r.code != 255 {
						t.Errorf("BatchMode, no PIN: exit %d, want 255", r.code)
					}
					// -I over -o; PKCS11Provider none loads nothing.
					if r := login(prompted, "-o", "PKCS11Provider=/nonexistent.so", "-I", p11Module); r.code != 0 {
						t.Errorf("-I over -o: exit %d\n%s", r.code, r.stderr)
					}
					if r := login(prompted, "-o", "PKCS11Provider=none"); r.code != 255 {
						t.Errorf("PKCS11Provider none: exit %d, want 255", r.code)
					}
				})
			}
		})
	}
}
