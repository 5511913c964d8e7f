package conformance_test

import (
	"context"
	"crypto/rand"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// TestClientUpdateHostKeysAgainstSSHD: with only sshd's Ed25519 key in
// known_hosts and UpdateHostKeys on, the client learns sshd's ECDSA and
// RSA keys from "hostkeys-00@openssh.com" once sshd has proved them
// ("hostkeys-prove-00"), and a second connection needs no more; with
// UpdateHostKeys off, nothing is added.
// Requirement: protocol-2.5-prove, protocol-2.5-validate
func TestClientUpdateHostKeysAgainstSSHD(t *testing.T) {
	key, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519", "ecdsa", "rsa"},
		AuthorizedKeys: hostkey.MarshalAuthorizedKey(key.PublicKey(), "")})
	run := func(t *testing.T, update bool) (string, []string) {
		t.Helper()
		kh := filepath.Join(t.TempDir(), "known_hosts")
		uaWrite(t, kh, []byte(srv.KnownHostsLine(t, "ed25519")+"\n"), 0o600)
		var mu sync.Mutex
		var learned []string
		cfg := &client.Config{User: u.Username, Auth: []userauth.Method{userauth.InMemoryPrivateKey(key)}, UserKnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
			HostKeyAlgorithms: []string{hostkey.ED25519, "ecdsa-sha2-nistp256", hostkey.RSASHA512, hostkey.RSASHA256},
			UpdateHostKeys:    update,
			HostKeyLearned: func(name string, k hostkey.PublicKey) {
				mu.Lock()
				learned = append(learned, k.Type())
				mu.Unlock()
			}}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, "tcp", srv.Addr, cfg)
		if err != nil {
			t.Fatalf("dial: %v\n%s", err, tail(srv.Log()))
		}
		// sshd sends hostkeys-00 right after authentication; a session
		// round trip gives the exchange time to finish.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			n := len(learned)
			mu.Unlock()
			if n >= 2 || !update {
				break
			}
		}
		if _, _, err := clRun(t, c, "true", nil); err != nil {
			t.Fatal(err)
		}
		c.Close()
		b, _ := os.ReadFile(kh)
		mu.Lock()
		defer mu.Unlock()
		return string(b), learned
	}
	t.Run("on", func(t *testing.T) {
		khText, learned := run(t, true)
		for _, typ := range []string{"ecdsa-sha2-nistp256", "ssh-rsa"} {
			if !containsLineOfType(khText, typ) {
				t.Errorf("known_hosts lacks the %s key:\n%s\n%s", typ, khText, tail(srv.Log()))
			}
		}
		if len(learned) != 2 {
			t.Errorf("HostKeyLearned told of %v, want the ECDSA and RSA keys", learned)
		}
	})
	t.Run("gossh and ssh", func(t *testing.T) {
		// The same "Learned new hostkey" lines (VERBOSE, so -v) and
		// known_hosts additions from gossh as from ssh.
		pem, err := hostkey.MarshalPrivateKey(key.Crypto(), "", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		keyFile := uaWrite(t, filepath.Join(t.TempDir(), "id"), pem, 0o600)
		learnedLines := func(stderr string) []string {
			var out []string
			for _, l := range strings.Split(strings.ReplaceAll(stderr, "\r", ""), "\n") {
				if strings.HasPrefix(l, "Learned new hostkey: ") || strings.Contains(l, "obsolete hostkey") {
					out = append(out, l)
				}
			}
			slices.Sort(out)
			return out
		}
		args := func(kh string) []string {
			return []string{"-v", "-F", "none", "-p", strconv.Itoa(srv.Port), "-o", "UserKnownHostsFile=" + kh,
				"-o", "GlobalKnownHostsFile=none", "-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=yes",
				"-o", "HostKeyAlgorithms=ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
				"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", keyFile,
				u.Username + "@127.0.0.1", "sleep 2"}
		}
		// An old key the server no longer has is recorded too: both
		// clients remove it.
		old, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
		oldLine := hostkey.MarshalKnownHost([]string{"[127.0.0.1]:" + strconv.Itoa(srv.Port)}, old.PublicKey(), false)
		initial := append([]byte(srv.KnownHostsLine(t, "ed25519")+"\n"), oldLine...)
		khOurs := uaWrite(t, filepath.Join(t.TempDir(), "kh"), initial, 0o600)
		ours := clGossh(t, clBuildGossh(t), nil, nil, args(khOurs)...)
		khTheirs := uaWrite(t, filepath.Join(t.TempDir(), "kh"), initial, 0o600)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		theirs, err := sshdtest.RunSSH(ctx, nil, args(khTheirs)...)
		if err != nil {
			t.Fatal(err)
		}
		if ours.code != 0 || theirs.ExitCode != 0 {
			t.Fatalf("gossh exit %d, ssh exit %d\n%s", ours.code, theirs.ExitCode, ours.stderr)
		}
		a, b := learnedLines(ours.stderr), learnedLines(string(theirs.Stderr))
		if len(a) != 3 || !slices.Equal(a, b) {
			t.Errorf("gossh: %q\nssh:   %q", a, b)
		}
		oldB64 := strings.Fields(string(oldLine))[2]
		for _, kh := range []string{khOurs, khTheirs} {
			text := string(mustRead(t, kh))
			if !containsLineOfType(text, "ecdsa-sha2-nistp256") || !containsLineOfType(text, "ssh-rsa") || strings.Contains(text, oldB64) {
				t.Errorf("%s:\n%s", kh, text)
			}
		}
	})
	t.Run("off", func(t *testing.T) {
		khText, learned := run(t, false)
		if containsLineOfType(khText, "ssh-rsa") || len(learned) != 0 {
			t.Errorf("keys learned with UpdateHostKeys off: %v\n%s", learned, khText)
		}
	})
}

// containsLineOfType reports whether a known_hosts text has an entry
// with a key of type typ.
func containsLineOfType(text, typ string) bool {
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[1] == typ {
			return true
		}
	}
	return false
}

// TestUpdateHostKeysWithGosshd: gosshd sends hostkeys-00 after
// authentication and proves its keys as sshd does. OpenSSH's ssh with
// UpdateHostKeys=yes and only gosshd's Ed25519 key in known_hosts learns
// the ECDSA and RSA keys, and so does our client.
// Requirement: protocol-2.5-prove
func TestUpdateHostKeysWithGosshd(t *testing.T) {
	s := svStart(t, []string{"ed25519", "ecdsa", "rsa"})
	onlyEd25519 := func(t *testing.T) string {
		t.Helper()
		b, err := os.ReadFile(s.hostKeys["ed25519"] + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"), append([]byte("[127.0.0.1]:"+s.port+" "), b...), 0o600)
	}
	t.Run("OpenSSH ssh", func(t *testing.T) {
		kh := onlyEd25519(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := sshdtest.RunSSH(ctx, nil, "-p", s.port, "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=none",
			"-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "IdentityAgent=none", "-i", s.userKey, "-l", "root", "127.0.0.1", "sleep 2")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(kh)
		if res.ExitCode != 0 || !containsLineOfType(string(b), "ecdsa-sha2-nistp256") || !containsLineOfType(string(b), "ssh-rsa") {
			t.Errorf("exit %d, known_hosts:\n%s\nssh: %s\n%s", res.ExitCode, b, res.Stderr, tail(s.logText()))
		}
	})
	t.Run("our client keeps entries naming other hosts", func(t *testing.T) {
		// The Ed25519 key on a line that also names another host, and an
		// old key of the host: keys are learned, nothing is removed.
		pub := mustRead(t, s.hostKeys["ed25519"]+".pub")
		old, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
		oldLine := hostkey.MarshalKnownHost([]string{"[127.0.0.1]:" + s.port}, old.PublicKey(), false)
		kh := uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"),
			append(append([]byte("[127.0.0.1]:"+s.port+",otherhost "), pub...), oldLine...), 0o600)
		u, _ := user.Current()
		signer, err := hostkey.ParsePrivateKey(mustRead(t, s.userKey), nil)
		if err != nil {
			t.Fatal(err)
		}
		learned := make(chan string, 4)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, "tcp", "127.0.0.1:"+s.port, &client.Config{User: u.Username,
			Auth: []userauth.Method{userauth.InMemoryPrivateKey(signer)}, UserKnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
			HostKeyAlgorithms: []string{hostkey.ED25519, "ecdsa-sha2-nistp256", hostkey.RSASHA512, hostkey.RSASHA256},
			UpdateHostKeys:    true, HostKeyLearned: func(_ string, k hostkey.PublicKey) { learned <- k.Type() },
			HostKeyDeprecated: func(_ string, k hostkey.PublicKey) { t.Errorf("deprecated %s", k.Type()) }})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		for range 2 {
			select {
			case <-learned:
			case <-time.After(10 * time.Second):
				t.Fatal("keys not learned")
			}
		}
		c.Close()
		if text := string(mustRead(t, kh)); !strings.Contains(text, strings.Fields(string(oldLine))[2]) {
			t.Errorf("the old key was removed although the host has an entry naming another host:\n%s", text)
		}
	})
	t.Run("our client", func(t *testing.T) {
		kh := onlyEd25519(t)
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		signer, err := hostkey.ParsePrivateKey(mustRead(t, s.userKey), nil)
		if err != nil {
			t.Fatal(err)
		}
		learned := make(chan string, 4)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, "tcp", "127.0.0.1:"+s.port, &client.Config{User: u.Username,
			Auth: []userauth.Method{userauth.InMemoryPrivateKey(signer)}, UserKnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
			HostKeyAlgorithms: []string{hostkey.ED25519, "ecdsa-sha2-nistp256", hostkey.RSASHA512, hostkey.RSASHA256},
			UpdateHostKeys:    true, HostKeyLearned: func(_ string, k hostkey.PublicKey) { learned <- k.Type() }})
		if err != nil {
			t.Fatalf("dial: %v\n%s", err, tail(s.logText()))
		}
		defer c.Close()
		got := map[string]bool{}
		for len(got) < 2 {
			select {
			case typ := <-learned:
				got[typ] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("learned only %v", got)
			}
		}
		b, _ := os.ReadFile(kh)
		if !containsLineOfType(string(b), "ecdsa-sha2-nistp256") || !containsLineOfType(string(b), "ssh-rsa") {
			t.Errorf("known_hosts:\n%s", b)
		}
	})
}
