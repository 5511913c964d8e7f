package conformance_test

// gossh-keygen enrolling FIDO security keys (-t ecdsa-sk/ed25519-sk -w
// provider) and downloading resident keys (-K) through OpenSSH's
// ssh-sk-helper, with the software authenticator of
// testdata/skprovider: its files are read by ssh-keygen and log in with
// ssh and gossh to sshd and gosshd, and each option gives the key file
// ssh-keygen gives.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
)

// skRun runs a key generator in dir, in a session of its own (no
// controlling terminal, so prompts read stdin), and returns its output
// and exit status.
func skRun(t *testing.T, dir string, env []string, stdin string, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return string(out), 0
}

// skKeyFile parses an sk key file and its .pub line's type and key.
func skKeyFile(t *testing.T, path string) (*hostkey.SKPrivateKey, string) {
	t.Helper()
	k, err := hostkey.ParseSKPrivateKey(mustRead(t, path), nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	f := strings.Fields(string(mustRead(t, path+".pub")))
	if len(f) < 2 {
		t.Fatalf("%s.pub: %q", path, f)
	}
	return k, f[0] + " " + f[1]
}

func TestGosshKeygenSecurityKey(t *testing.T) {
	lib := skProviderLib(t)
	kg := kgBuild(t)
	gossh := clBuildGossh(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }

	var authorized []byte
	for _, typ := range []string{"ecdsa-sk", "ed25519-sk"} {
		out, code := skRun(t, dir, nil, "", kg, "-t", typ, "-w", lib, "-N", "", "-C", typ+"-key", "-f", p(typ))
		if code != 0 || !strings.Contains(out, "You may need to touch your authenticator to authorize key generation.") {
			t.Fatalf("gossh-keygen -t %s: exit %d\n%s", typ, code, out)
		}
		// ssh-keygen reads the file, and finds the public key of the .pub.
		y, err := exec.Command(sshdtest.SSHKeygen, "-y", "-f", p(typ)).Output()
		if err != nil {
			t.Fatalf("ssh-keygen -y %s: %v", typ, err)
		}
		k, pub := skKeyFile(t, p(typ))
		if f := strings.Fields(string(y)); len(f) < 2 || f[0]+" "+f[1] != pub {
			t.Errorf("ssh-keygen -y %s: %q, .pub %q", typ, y, pub)
		}
		if k.Flags != hostkey.SKUserPresent || k.PublicKey.Application != "ssh:" || k.Comment != typ+"-key" {
			t.Errorf("%s: flags %#x application %q comment %q", typ, k.Flags, k.PublicKey.Application, k.Comment)
		}
		authorized = append(authorized, mustRead(t, p(typ)+".pub")...)
	}

	srv, g := kwPair(t, authorized)
	for _, peer := range []struct{ name, port string }{{"sshd", strconv.Itoa(srv.Port)}, {"gosshd", g.port}} {
		for _, typ := range []string{"ecdsa-sk", "ed25519-sk"} {
			t.Run(peer.name+"/"+typ, func(t *testing.T) {
				res, err := sshdtest.RunSSH(t.Context(), nil, "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
					"-i", p(typ), "-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo ssh")
				if err != nil || res.ExitCode != 0 || string(res.Stdout) != "ssh\n" {
					t.Errorf("ssh with gossh-keygen's key: %v %+v", err, res)
				}
				r := clGossh(t, gossh, nil, nil, "-F", "none", "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
					"-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-i", p(typ),
					"-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo gossh")
				if r.code != 0 || r.stdout != "gossh\n" {
					t.Errorf("gossh with gossh-keygen's key: exit %d %q\n%s", r.code, r.stdout, r.stderr)
				}
			})
		}
	}

	// Each enrolment option gives the key file ssh-keygen gives with it:
	// the same flags, application and attestation (the test
	// authenticator's is fixed).
	chal := p("challenge")
	if err := os.WriteFile(chal, []byte("a challenge"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opts []string
	}{
		{"default", nil},
		{"no-touch-required", []string{"no-touch-required"}},
		{"verify-required", []string{"verify-required"}},
		{"application", []string{"application=ssh:gossh-test", "user=someone"}},
		{"challenge", []string{"challenge=" + chal}},
		{"resident", []string{"resident", "user=u", "application=ssh:res"}},
	} {
		t.Run("option/"+tt.name, func(t *testing.T) {
			var files [2]*hostkey.SKPrivateKey
			var atts [2][]byte
			for i, bin := range []string{kg, sshdtest.SSHKeygen} {
				key := p(tt.name + "-" + strconv.Itoa(i))
				args := []string{"-q", "-t", "ecdsa-sk", "-w", lib, "-N", "", "-f", key, "-O", "write-attestation=" + key + ".att"}
				for _, o := range tt.opts {
					args = append(args, "-O", o)
				}
				// Resident keys go to a store of this subtest only.
				env := []string{"SKPROVIDER_RK=" + p(tt.name+"-rk")}
				if out, code := skRun(t, dir, env, "", bin, args...); code != 0 {
					t.Fatalf("%s %v: exit %d\n%s", bin, args, code, out)
				}
				files[i], _ = skKeyFile(t, key)
				atts[i] = mustRead(t, key+".att")
			}
			g, s := files[0], files[1]
			if g.Flags != s.Flags || g.PublicKey.Application != s.PublicKey.Application || g.PublicKey.Type() != s.PublicKey.Type() {
				t.Errorf("gossh-keygen: flags %#x application %q; ssh-keygen: flags %#x application %q",
					g.Flags, g.PublicKey.Application, s.Flags, s.PublicKey.Application)
			}
			if !bytes.Equal(atts[0], atts[1]) || !bytes.HasPrefix(atts[0], []byte("\x00\x00\x00\x11ssh-sk-attest-v01")) {
				t.Errorf("attestation: gossh-keygen %q, ssh-keygen %q", atts[0], atts[1])
			}
		})
	}

	t.Run("bad options", func(t *testing.T) {
		for _, opts := range [][]string{{"application=web:x"}, {"challenge=" + p("none")}, {"unknown-option"}} {
			args := []string{"-q", "-t", "ecdsa-sk", "-w", lib, "-N", "", "-f", p("bad")}
			for _, o := range opts {
				args = append(args, "-O", o)
			}
			gout, gcode := skRun(t, dir, nil, "", kg, args...)
			_, scode := skRun(t, dir, nil, "", sshdtest.SSHKeygen, args...)
			if gcode != scode || gcode == 0 {
				t.Errorf("-O %v: gossh-keygen exit %d, ssh-keygen %d\n%s", opts, gcode, scode, gout)
			}
		}
	})

	// An authenticator that wants a PIN: the first try fails, the PIN is
	// asked for and the enrolment tried again, as ssh-keygen does.
	t.Run("PIN", func(t *testing.T) {
		env := []string{"SKPROVIDER_PIN=4321"}
		out, code := skRun(t, dir, env, "4321\n", kg, "-q", "-t", "ed25519-sk", "-w", lib, "-N", "", "-f", p("pin"), "-O", "verify-required")
		if code != 0 || !strings.Contains(out, "Enter PIN for authenticator: ") {
			t.Fatalf("with the PIN: exit %d\n%s", code, out)
		}
		if k, _ := skKeyFile(t, p("pin")); k.Flags != hostkey.SKUserPresent|hostkey.SKUserVerified {
			t.Errorf("flags %#x", k.Flags)
		}
		out, code = skRun(t, dir, env, "1\n2\n3\n", kg, "-q", "-t", "ed25519-sk", "-w", lib, "-N", "", "-f", p("nopin"))
		if code == 0 || !strings.Contains(out, "Too many incorrect PINs") {
			t.Errorf("wrong PINs: exit %d\n%s", code, out)
		}
	})
}

// TestGosshKeygenResidentKeys: -K downloads the authenticator's resident
// keys into the same files ssh-keygen -K writes, and a downloaded key
// logs in.
func TestGosshKeygenResidentKeys(t *testing.T) {
	lib := skProviderLib(t)
	kg := kgBuild(t)
	dir := t.TempDir()
	env := []string{"SKPROVIDER_RK=" + filepath.Join(dir, "store")}
	for i, e := range []struct{ typ, app, user string }{
		{"ecdsa-sk", "", ""}, {"ed25519-sk", "ssh:work", "alice"}, {"ecdsa-sk", "ssh:", "bob"}, {"ed25519-sk", "ssh://web", "../x"},
	} {
		args := []string{"-q", "-t", e.typ, "-w", lib, "-N", "", "-O", "resident", "-f", filepath.Join(dir, "enrol-"+strconv.Itoa(i))}
		if e.app != "" {
			args = append(args, "-O", "application="+e.app)
		}
		if e.user != "" {
			args = append(args, "-O", "user="+e.user)
		}
		if out, code := skRun(t, dir, env, "", kg, args...); code != 0 {
			t.Fatalf("enrolling %+v: exit %d\n%s", e, code, out)
		}
	}
	var names [2][]string
	for i, bin := range []string{kg, sshdtest.SSHKeygen} {
		d := filepath.Join(dir, "dl"+strconv.Itoa(i))
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		out, code := skRun(t, d, env, "\n", bin, "-K", "-w", lib, "-N", "")
		if code != 0 {
			t.Fatalf("%s -K: exit %d\n%s", bin, code, out)
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			names[i] = append(names[i], e.Name())
		}
		sort.Strings(names[i])
	}
	if strings.Join(names[0], " ") != strings.Join(names[1], " ") || len(names[0]) != 8 {
		t.Fatalf("-K files: gossh-keygen %q, ssh-keygen %q", names[0], names[1])
	}
	for _, n := range names[0] {
		if strings.HasSuffix(n, ".pub") {
			continue
		}
		g, gpub := skKeyFile(t, filepath.Join(dir, "dl0", n))
		s, spub := skKeyFile(t, filepath.Join(dir, "dl1", n))
		if gpub != spub || g.Flags != s.Flags || !bytes.Equal(g.KeyHandle, s.KeyHandle) || g.Comment != s.Comment {
			t.Errorf("%s: gossh-keygen %s flags %#x comment %q; ssh-keygen %s flags %#x comment %q", n, gpub, g.Flags, g.Comment, spub, s.Flags, s.Comment)
		}
	}
	key := filepath.Join(dir, "dl0", "id_ed25519_sk_rk_work_alice")
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: mustRead(t, key+".pub")})
	res, err := sshdtest.RunSSH(t.Context(), nil, "-p", strconv.Itoa(srv.Port), "-l", "root", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-i", key, "-o", "SecurityKeyProvider="+lib, "127.0.0.1", "true")
	if err != nil || res.ExitCode != 0 {
		t.Errorf("ssh with a downloaded key: %v %+v", err, res)
	}
}

// TestGosshSKCertificate: an sk key enrolled by gossh-keygen, certified
// by gossh-keygen -s (shown by -L as ssh-keygen -L shows it), logs in
// with its certificate beside it (id-cert.pub) to sshd and gosshd that
// trust the CA (TrustedUserCAKeys) and have no authorized_keys for it:
// with ssh and with gossh.
func TestGosshSKCertificate(t *testing.T) {
	lib := skProviderLib(t)
	kg := kgBuild(t)
	gossh := clBuildGossh(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	if out, code := skRun(t, dir, nil, "", kg, "-q", "-t", "ed25519", "-N", "", "-f", p("ca")); code != 0 {
		t.Fatalf("CA: %s", out)
	}
	cfg := []string{"TrustedUserCAKeys " + p("ca.pub"), "AuthorizedKeysFile none"}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: append(cfg, "PasswordAuthentication no", "KbdInteractiveAuthentication no")})
	g := svStart(t, []string{"ed25519"}, cfg...)
	for _, typ := range []string{"ecdsa-sk", "ed25519-sk"} {
		key := p(typ)
		if out, code := skRun(t, dir, nil, "", kg, "-q", "-t", typ, "-w", lib, "-N", "", "-f", key); code != 0 {
			t.Fatalf("enrol %s: %s", typ, out)
		}
		if out, code := skRun(t, dir, nil, "", kg, "-q", "-s", p("ca"), "-I", "sk "+typ, "-n", "root", "-V", "-5m:+1h", key+".pub"); code != 0 {
			t.Fatalf("gossh-keygen -s %s: %s", typ, out)
		}
		gl, _ := skRun(t, dir, nil, "", kg, "-L", "-f", key+"-cert.pub")
		sl, _ := skRun(t, dir, nil, "", sshdtest.SSHKeygen, "-L", "-f", key+"-cert.pub")
		if gl != sl || !strings.Contains(gl, "-cert-v01@openssh.com user certificate") {
			t.Errorf("-L of %s: gossh-keygen\n%s\nssh-keygen\n%s", typ, gl, sl)
		}
		for _, peer := range []struct{ name, port string }{{"sshd", strconv.Itoa(srv.Port)}, {"gosshd", g.port}} {
			t.Run(peer.name+"/"+typ, func(t *testing.T) {
				res, err := sshdtest.RunSSH(t.Context(), nil, "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
					"-i", key, "-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo ssh")
				if err != nil || res.ExitCode != 0 || string(res.Stdout) != "ssh\n" {
					t.Errorf("ssh with the sk certificate: %v %+v", err, res)
				}
				r := clGossh(t, gossh, nil, nil, "-F", "none", "-v", "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
					"-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-i", key,
					"-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo gossh")
				if r.code != 0 || r.stdout != "gossh\n" {
					t.Errorf("gossh with the sk certificate: exit %d %q\n%s", r.code, r.stdout, r.stderr)
				}
				// The same certificate elsewhere, named by CertificateFile,
				// for a copy of the key without one beside it.
				bare := filepath.Join(t.TempDir(), "id")
				certElsewhere := filepath.Join(t.TempDir(), "my.cert")
				for from, to := range map[string]string{key: bare, key + ".pub": bare + ".pub", key + "-cert.pub": certElsewhere} {
					if err := os.WriteFile(to, mustRead(t, from), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				r = clGossh(t, gossh, nil, nil, "-F", "none", "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
					"-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-i", bare, "-o", "CertificateFile="+certElsewhere,
					"-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo gossh")
				if r.code != 0 || r.stdout != "gossh\n" {
					t.Errorf("gossh with CertificateFile: exit %d %q\n%s", r.code, r.stdout, r.stderr)
				}
				// Without it the bare key has no way in (no authorized_keys).
				r = clGossh(t, gossh, nil, nil, "-F", "none", "-p", peer.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
					"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
					"-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-i", bare,
					"-o", "SecurityKeyProvider="+lib, "127.0.0.1", "echo gossh")
				if r.code != 255 {
					t.Errorf("gossh without the certificate: exit %d, want 255", r.code)
				}
			})
		}
	}
	// CertificateFile for a plain key too.
	if out, code := skRun(t, dir, nil, "", kg, "-q", "-t", "ed25519", "-N", "", "-f", p("plain")); code != 0 {
		t.Fatalf("plain key: %s", out)
	}
	if out, code := skRun(t, dir, nil, "", kg, "-q", "-s", p("ca"), "-I", "plain", "-n", "root", p("plain.pub")); code != 0 {
		t.Fatalf("plain cert: %s", out)
	}
	if err := os.Rename(p("plain-cert.pub"), p("plain.certificate")); err != nil {
		t.Fatal(err)
	}
	r := clGossh(t, gossh, nil, nil, "-F", "none", "-p", g.port, "-l", "root", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=none", "-o", "IdentityAgent=none",
		"-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-i", p("plain"), "-o", "CertificateFile="+p("plain.certificate"),
		"127.0.0.1", "echo plain")
	if r.code != 0 || r.stdout != "plain\n" {
		t.Errorf("gossh with CertificateFile for a plain key: exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
}
