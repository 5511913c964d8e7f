package conformance_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestGosshdUserEnvironmentMatchesSSHD: OpenSSH's sshd and gosshd on the
// same authorized_keys (environment= options) and the same
// ~/.ssh/environment agree on PermitUserEnvironment: by default neither
// applies (a command= key must not set LD_PRELOAD), with yes both do
// (the file after the options, so the file wins a name both set), and
// with a pattern list only the matching names.
func TestGosshdUserEnvironmentMatchesSSHD(t *testing.T) {
	name, home := homeUser(t)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	uaWrite(t, filepath.Join(home, ".ssh", "environment"), []byte("# comment\n  FROMFILE=file\nBAR=fromfile\nnot a line\n"), 0o600)
	if out, err := exec.Command("chown", "-R", name, home).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	// Both servers read one authorized_keys, as the user (sshd) or as
	// root (gosshd): it lives in a directory the user can read.
	dir, err := os.MkdirTemp("", "gosshd-userenv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	key := filepath.Join(dir, "id")
	sshdtest.GenerateKey(t, "ed25519", key, "")
	authorized := append([]byte(`environment="FOO=fromkey",environment="BAR=fromkey" `), mustRead(t, key+".pub")...)
	akFile := uaWrite(t, filepath.Join(dir, "authorized_keys"), authorized, 0o644)
	const cmd = `echo "FOO=$FOO BAR=$BAR FROMFILE=$FROMFILE"`
	for _, tc := range []struct {
		name, setting, want string
	}{
		{"default", "", "FOO= BAR= FROMFILE=\n"},
		{"no", "no", "FOO= BAR= FROMFILE=\n"},
		{"yes", "yes", "FOO=fromkey BAR=fromfile FROMFILE=file\n"},
		{"pattern list", "FOO,FROM*", "FOO=fromkey BAR= FROMFILE=file\n"},
		{"negated pattern", "*,!BAR", "FOO=fromkey BAR= FROMFILE=file\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := []string{"AuthorizedKeysFile " + akFile}
			if tc.setting != "" {
				cfg = append(cfg, "PermitUserEnvironment "+tc.setting)
			}
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
				Config: append(cfg, "PasswordAuthentication no", "KbdInteractiveAuthentication no")})
			g := svStart(t, []string{"ed25519"}, cfg...)
			sameDecisionAs(t, srv, g, key, name, cmd, true, tc.want)
		})
	}
}

// TestGosshdKeyOptionsMatchSSHD: more authorized_keys options, each on
// the one key both servers read, decided alike by sshd and gosshd (the
// certificate-related ones, principals= and cert-authority, are in
// TestGosshdCertDecisionsMatchSSHD).
func TestGosshdKeyOptionsMatchSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("gosshd serves other users only as root")
	}
	dir, err := os.MkdirTemp("", "gosshd-keyopts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	key := filepath.Join(dir, "id")
	sshdtest.GenerateKey(t, "ed25519", key, "")
	pub := string(mustRead(t, key+".pub"))
	const cmd = `echo "ran tty=${SSH_TTY:-none}"`
	for _, tc := range []struct {
		name, opts string
		want       bool
		wantOut    string
	}{
		{"command=", `command="echo forced"`, true, "forced\n"},
		{"restrict with command=", `restrict,command="echo restricted"`, true, "restricted\n"},
		{"restrict", `restrict`, true, "ran tty=none\n"},
		{"no-pty no-port-forwarding no-agent-forwarding no-X11-forwarding no-user-rc",
			`no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc`, true, "ran tty=none\n"},
		{"permitopen permitlisten", `permitopen="127.0.0.1:1",permitlisten="localhost:2"`, true, "ran tty=none\n"},
		{"from= matches", `from="127.0.0.1,10.0.0.0/8"`, true, "ran tty=none\n"},
		{"from= does not match", `from="10.0.0.0/8"`, false, ""},
		{"from= negated", `from="!127.0.0.1,*"`, false, ""},
		{"expiry-time past", `expiry-time="20200101"`, false, ""},
		{"expiry-time future", `expiry-time="20990101"`, true, "ran tty=none\n"},
		{"tunnel=", `tunnel="0"`, true, "ran tty=none\n"},
		{"no-touch-required on a plain key", `no-touch-required`, true, "ran tty=none\n"},
		{"verify-required on a plain key", `verify-required`, true, "ran tty=none\n"},
		{"unknown option", `bogus-option`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ak := uaWrite(t, filepath.Join(dir, "authorized_keys"), []byte(tc.opts+" "+pub), 0o644)
			cfg := []string{"AuthorizedKeysFile " + ak, "PasswordAuthentication no", "KbdInteractiveAuthentication no"}
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: cfg})
			g := svStart(t, []string{"ed25519"}, cfg[:1]...)
			sameDecisionAs(t, srv, g, key, "root", cmd, tc.want, tc.wantOut)
		})
	}
}
