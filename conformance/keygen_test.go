package conformance_test

// gossh-keygen's files in OpenSSH itself: user keys and user
// certificates that gossh-keygen makes log in to a real sshd (plain
// keys through authorized_keys, certificates through TrustedUserCAKeys),
// a KRL it makes is sshd's RevokedKeys, and a host certificate it signs
// is accepted by ssh through an @cert-authority known_hosts line. The byte-level comparisons with
// ssh-keygen are client/cmd/gossh-keygen's tests.

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"golang.org/x/crypto/ssh"
)

// kgBuild builds client/cmd/gossh-keygen into a temporary directory.
func kgBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gossh-keygen")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sshstack/sshstack/client/cmd/gossh-keygen").CombinedOutput(); err != nil {
		t.Fatalf("go build gossh-keygen: %v\n%s", err, out)
	}
	return bin
}

// kgRun runs gossh-keygen and fails the test if it fails.
func kgRun(t *testing.T, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("gossh-keygen %v: %v\n%s", args, err, out)
	}
}

// TestGosshKeygenInSSHD logs in to sshd with keys and certificates
// made by gossh-keygen, and checks that ssh accepts a host certificate
// gossh-keygen signed.
func TestGosshKeygenInSSHD(t *testing.T) {
	if _, err := os.Stat(sshdtest.SSHD); err != nil {
		sshdtest.MissingPeer(t, "no sshd")
	}
	bin := kgBuild(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	kgRun(t, bin, "-q", "-t", "ed25519", "-N", "", "-C", "user-ca", "-f", p("user_ca"))
	kgRun(t, bin, "-q", "-t", "ecdsa", "-b", "384", "-N", "", "-C", "host-ca", "-f", p("host_ca"))
	for _, k := range []struct{ name, t, b string }{{"ed", "ed25519", ""}, {"ec", "ecdsa", "256"}, {"rsa", "rsa", "3072"}, {"certonly", "ed25519", ""}, {"wrongprincipal", "ed25519", ""},
		{"revokedkey", "ed25519", ""}, {"revokedcert", "ed25519", ""}} {
		args := []string{"-q", "-t", k.t, "-N", "", "-C", k.name, "-f", p(k.name)}
		if k.b != "" {
			args = append(args, "-b", k.b)
		}
		kgRun(t, bin, args...)
	}
	kgRun(t, bin, "-q", "-s", p("user_ca"), "-I", "cert for "+me.Username, "-n", me.Username, "-V", "-5m:+1h", "-z", "17", p("certonly.pub"))
	kgRun(t, bin, "-q", "-s", p("user_ca"), "-I", "someone else", "-n", "nobody-"+me.Username, p("wrongprincipal.pub"))
	kgRun(t, bin, "-q", "-s", p("user_ca"), "-I", "revoked by serial", "-n", me.Username, "-z", "99", p("revokedcert.pub"))
	// sshd's RevokedKeys: a KRL gossh-keygen makes, revoking a key in
	// authorized_keys and, by serial, a certificate.
	if err := os.WriteFile(p("krl.spec"), []byte("serial: 90-99\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kgRun(t, bin, "-k", "-f", p("revoked.krl"), "-s", p("user_ca.pub"), p("krl.spec"), p("revokedkey.pub"))
	// A host key of our own, certified by the host CA for 127.0.0.1.
	kgRun(t, bin, "-q", "-t", "ed25519", "-N", "", "-f", p("host_ed25519"))
	kgRun(t, bin, "-q", "-s", p("host_ca"), "-h", "-I", "test host", "-n", "127.0.0.1,localhost", p("host_ed25519.pub"))

	var authorized []byte
	for _, n := range []string{"ed", "ec", "rsa", "revokedkey"} {
		b, err := os.ReadFile(p(n + ".pub"))
		if err != nil {
			t.Fatal(err)
		}
		authorized = append(authorized, b...)
	}
	srv := sshdtest.Start(t, sshdtest.Options{
		HostKeyTypes:   []string{"ed25519"},
		AuthorizedKeys: authorized,
		Config: []string{
			"TrustedUserCAKeys " + p("user_ca.pub"),
			"HostKey " + p("host_ed25519"),
			"HostCertificate " + p("host_ed25519-cert.pub"),
			"RevokedKeys " + p("revoked.krl"),
		},
	})
	hostCA, err := os.ReadFile(p("host_ca.pub"))
	if err != nil {
		t.Fatal(err)
	}
	known := p("known_hosts")
	if err := os.WriteFile(known, append([]byte("@cert-authority 127.0.0.1 "), hostCA...), 0o600); err != nil {
		t.Fatal(err)
	}
	ssh := func(t *testing.T, identity string, extra ...string) sshdtest.SSHResult {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		args := append([]string{"-p", itoa(srv.Port), "-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com",
			"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "PreferredAuthentications=publickey",
			"-i", identity}, extra...)
		r, err := sshdtest.RunSSH(ctx, nil, append(args, "-l", me.Username, "127.0.0.1", "echo logged in")...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name     string
		identity string
		want     bool
	}{
		{"ed25519 key", p("ed"), true},
		{"ecdsa key", p("ec"), true},
		{"rsa key", p("rsa"), true},
		{"user certificate", p("certonly"), true},
		{"certificate for another principal", p("wrongprincipal"), false},
		{"key revoked by the KRL", p("revokedkey"), false},
		{"certificate revoked by serial in the KRL", p("revokedcert"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ssh(t, tc.identity)
			ok := r.ExitCode == 0 && strings.TrimSpace(string(r.Stdout)) == "logged in"
			if ok != tc.want {
				t.Errorf("logged in %v, want %v (exit %d)\nstderr: %s\nsshd log: %s", ok, tc.want, r.ExitCode, r.Stderr, tail(srv.Log()))
			}
		})
	}
	log := srv.Log()
	if !strings.Contains(log, "ID cert for "+me.Username+" (serial 17) CA ED25519") {
		t.Errorf("sshd did not log the certificate login:\n%s", tail(log))
	}
	// The two revoked identities were refused for being revoked.
	if n := strings.Count(log, "revoked by file "+p("revoked.krl")); n < 2 {
		t.Errorf("sshd logged %d revocations by the KRL, want 2 or more:\n%s", n, tail(log))
	}
}

// TestGosshKeygenFilesInXCrypto: x/crypto/ssh reads the private keys
// gossh-keygen writes (openssh-key-v1 with bcrypt-pbkdf, PEM, PKCS #8;
// plain and encrypted) and validates the user certificate it signs.
func TestGosshKeygenFilesInXCrypto(t *testing.T) {
	bin := kgBuild(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, tc := range []struct {
		name string
		args []string
		pass string
	}{
		{"ed25519", []string{"-t", "ed25519"}, ""},
		{"ed25519 encrypted", []string{"-t", "ed25519"}, "secret"},
		{"ecdsa encrypted", []string{"-t", "ecdsa", "-b", "521"}, "secret"},
		{"rsa encrypted", []string{"-t", "rsa", "-b", "2048"}, "secret"},
		{"rsa PEM encrypted", []string{"-t", "rsa", "-b", "2048", "-m", "PEM"}, "secret"},
		{"ecdsa PKCS8", []string{"-t", "ecdsa", "-m", "PKCS8"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := p(strings.ReplaceAll(tc.name, " ", "_"))
			kgRun(t, bin, append(tc.args, "-q", "-N", tc.pass, "-f", f)...)
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var key any
			if tc.pass == "" {
				key, err = ssh.ParseRawPrivateKey(data)
			} else {
				key, err = ssh.ParseRawPrivateKeyWithPassphrase(data, []byte(tc.pass))
			}
			if err != nil {
				t.Fatalf("x/crypto/ssh: %v", err)
			}
			signer, err := ssh.NewSignerFromKey(key)
			if err != nil {
				t.Fatal(err)
			}
			pubData, err := os.ReadFile(f + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			pub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
			if err != nil {
				t.Fatal(err)
			}
			if string(pub.Marshal()) != string(signer.PublicKey().Marshal()) {
				t.Error("the private key is not the .pub's")
			}
		})
	}
	kgRun(t, bin, "-q", "-t", "ed25519", "-N", "", "-f", p("ca"))
	kgRun(t, bin, "-q", "-t", "ecdsa", "-N", "", "-f", p("user"))
	kgRun(t, bin, "-q", "-s", p("ca"), "-I", "id", "-n", "alice", "-V", "-1h:+1h", "-O", "force-command=/bin/true", p("user.pub"))
	certData, err := os.ReadFile(p("user-cert.pub"))
	if err != nil {
		t.Fatal(err)
	}
	caData, err := os.ReadFile(p("ca.pub"))
	if err != nil {
		t.Fatal(err)
	}
	certKey, _, _, _, err := ssh.ParseAuthorizedKey(certData)
	if err != nil {
		t.Fatal(err)
	}
	caKey, _, _, _, err := ssh.ParseAuthorizedKey(caData)
	if err != nil {
		t.Fatal(err)
	}
	cert, ok := certKey.(*ssh.Certificate)
	if !ok {
		t.Fatalf("%T is not a certificate", certKey)
	}
	cc := &ssh.CertChecker{IsUserAuthority: func(k ssh.PublicKey) bool { return string(k.Marshal()) == string(caKey.Marshal()) },
		SupportedCriticalOptions: []string{"force-command"}}
	if err := cc.CheckCert("alice", cert); err != nil {
		t.Errorf("x/crypto/ssh CheckCert: %v", err)
	}
	if err := cc.CheckCert("bob", cert); err == nil {
		t.Error("x/crypto/ssh accepted the certificate for another principal")
	}
	if cert.Permissions.CriticalOptions["force-command"] != "/bin/true" || cert.KeyId != "id" {
		t.Errorf("x/crypto/ssh read %+v", cert.Permissions)
	}
}
