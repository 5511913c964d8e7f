package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// maMatchConfig is the sshd_config both servers get, but for Port:
// Match sections that set authentication keywords per address and per
// user. %[1]s is the test's directory, %[2]s and %[3]s the two
// throwaway accounts.
const maMatchConfig = `HostKey %[1]s/host_ed25519
ListenAddress 127.0.0.1
PidFile none
StrictModes no
UsePAM no
LogLevel DEBUG1
KbdInteractiveAuthentication no
PasswordAuthentication no
AuthorizedKeysFile %[1]s/keys/%%u
Banner %[1]s/global.banner
Match Address 127.0.0.2
	PasswordAuthentication yes
	MaxAuthTries 3
	PermitRootLogin no
Match User %[2]s
	AuthenticationMethods publickey,password
	PasswordAuthentication yes
	Banner %[1]s/user.banner
	AuthorizedKeysFile %[1]s/userkeys/%%u
Match User %[3]s
	PubkeyAuthentication no
	PasswordAuthentication yes
	MaxAuthTries 4
`

// maServer is one of the two servers under test.
type maServer struct {
	name, port string
}

// maStart runs bin (sshd or gosshd) with the test's config on a free
// port until the test ends.
func maStart(t *testing.T, dir, name, bin, body string) maServer {
	t.Helper()
	return slStart(t, dir, name, bin, body, nil)
}

// maListening reports whether a server answers on port with its
// version line.
func maListening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 4)
	_, err = io.ReadFull(c, b)
	return err == nil && string(b) == "SSH-"
}

// maResult is what the client saw of one login.
type maResult struct {
	OK        bool       // the remote command ran
	CanGoOn   [][]string // each "Authentications that can continue" list, in order
	Partial   int        // "partial success" answers
	Banner    string     // the banner text ssh printed
	Prompts   int        // password prompts answered
	TooMany   bool       // "Too many authentication failures"
	Forbidden bool       // nothing was left to try: "Permission denied"
}

var maCanGoOn = regexp.MustCompile(`(?m)^debug1: Authentications that can continue: (.*)$`)

// maLogin runs ssh as user from source address from, with key (if
// any), answering password prompts with password through SSH_ASKPASS.
func maLogin(t *testing.T, s maServer, dir, user, from, key, password string, extra ...string) maResult {
	t.Helper()
	askpass := filepath.Join(dir, "askpass")
	prompts := filepath.Join(dir, "prompts")
	os.Remove(prompts)
	uaWrite(t, askpass, []byte("#!/bin/sh\necho \"$1\" >> "+prompts+"\necho '"+password+"'\n"), 0o700)
	args := []string{"-F", "none", "-v", "-p", s.port, "-b", from, "-l", user,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes", "-o", "NumberOfPasswordPrompts=6",
		"-o", "KbdInteractiveAuthentication=no", "-o", "HostbasedAuthentication=no", "-o", "GSSAPIAuthentication=no"}
	if key != "" {
		args = append(args, "-i", key)
	} else {
		args = append(args, "-o", "PubkeyAuthentication=no")
	}
	if password == "" {
		args = append(args, "-o", "PasswordAuthentication=no")
	}
	args = append(append(args, extra...), "127.0.0.1", "echo logged-in")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshdtest.SSH, args...)
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0", "SSH_AUTH_SOCK=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	var ee *exec.ExitError
	if err := cmd.Run(); err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	errText := strings.ReplaceAll(stderr.String(), "\r", "")
	// gosshd's DISCONNECT text is lower case.
	r := maResult{OK: stdout.String() == "logged-in\n", TooMany: strings.Contains(strings.ToLower(errText), "too many authentication failures"),
		Forbidden: strings.Contains(errText, "Permission denied")}
	for _, m := range maCanGoOn.FindAllStringSubmatch(errText, -1) {
		r.CanGoOn = append(r.CanGoOn, strings.Split(m[1], ","))
	}
	r.Partial = strings.Count(errText, "with partial success")
	for _, line := range strings.Split(errText, "\n") {
		if strings.HasPrefix(line, "banner:") {
			r.Banner += line + "\n"
		}
	}
	if b, err := os.ReadFile(prompts); err == nil {
		r.Prompts = strings.Count(string(b), "\n")
	}
	return r
}

// TestGosshdMatchAuthAgainstSSHD gives sshd 9.2 and gosshd the same
// sshd_config whose Match sections set authentication keywords
// (AuthenticationMethods, PasswordAuthentication and PubkeyAuthentication
// per user and per address, MaxAuthTries, Banner, AuthorizedKeysFile,
// PermitRootLogin), logs in with OpenSSH's ssh as root and as two
// throwaway accounts from 127.0.0.1 and 127.0.0.2, and wants the same
// outcome from both: accepted or refused, every "can continue" list,
// partial successes, the banner, the number of password prompts. Then
// gosshd -T -C must print what sshd -T -C prints for those users.
func TestGosshdMatchAuthAgainstSSHD(t *testing.T) {
	const password = "Corr3ct-Horse-Battery"
	chain := uaLocalUser(t, password) // AuthenticationMethods publickey,password
	nokey := uaLocalUser(t, password) // PubkeyAuthentication no
	bin := svGosshd(t)
	dir := t.TempDir()
	// sshd opens AuthorizedKeysFile as the user: the accounts must be
	// able to reach it (t.TempDir and its parent are 0700).
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sshdtest.GenerateKey(t, "ed25519", filepath.Join(dir, "host_ed25519"), "")
	for _, d := range []string{"keys", "userkeys"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	key := func(name string) (string, []byte) { return kwKey(t, dir, name, "-t", "ed25519") }
	rootKey, rootPub := key("root_key")
	chainKey, chainPub := key("chain_key")      // in userkeys/, the file Match gives chain
	chainOther, otherPub := key("chain_global") // in keys/, the global file, which chain does not read
	nokeyKey, nokeyPub := key("nokey_key")
	uaWrite(t, filepath.Join(dir, "keys", "root"), rootPub, 0o644)
	uaWrite(t, filepath.Join(dir, "keys", chain), otherPub, 0o644)
	uaWrite(t, filepath.Join(dir, "userkeys", chain), chainPub, 0o644)
	uaWrite(t, filepath.Join(dir, "keys", nokey), nokeyPub, 0o644)
	uaWrite(t, filepath.Join(dir, "global.banner"), []byte("banner: global\n"), 0o644)
	uaWrite(t, filepath.Join(dir, "user.banner"), []byte("banner: for the chain user\n"), 0o644)
	body := strings.ReplaceAll(maMatchConfig, "%[1]s", dir)
	body = strings.ReplaceAll(strings.ReplaceAll(body, "%[2]s", chain), "%[3]s", nokey)
	body = strings.ReplaceAll(body, "%%u", "%u")
	servers := []maServer{maStart(t, dir, "sshd", sshdtest.SSHD, body), maStart(t, dir, "gosshd", bin, body)}

	for _, tc := range []struct {
		name                string
		user, from, key, pw string
		ok                  bool
	}{
		{name: "root key", user: "root", from: "127.0.0.1", key: rootKey, ok: true},
		{name: "root key from 127.0.0.2 (PermitRootLogin no)", user: "root", from: "127.0.0.2", key: rootKey},
		{name: "chain key without password", user: chain, from: "127.0.0.1", key: chainKey},
		{name: "chain key and password", user: chain, from: "127.0.0.1", key: chainKey, pw: password, ok: true},
		{name: "chain password alone", user: chain, from: "127.0.0.1", pw: password},
		{name: "chain key of the global file", user: chain, from: "127.0.0.1", key: chainOther, pw: password},
		{name: "nokey key (PubkeyAuthentication no)", user: nokey, from: "127.0.0.1", key: nokeyKey},
		{name: "nokey password", user: nokey, from: "127.0.0.1", pw: password, ok: true},
		{name: "nokey wrong passwords (MaxAuthTries 4)", user: nokey, from: "127.0.0.1", pw: "wrong"},
		{name: "nokey wrong passwords from 127.0.0.2 (MaxAuthTries 3)", user: nokey, from: "127.0.0.2", pw: "wrong"},
		{name: "root password from 127.0.0.1 (PasswordAuthentication no)", user: "root", from: "127.0.0.1", pw: "wrong"},
		{name: "no such user from 127.0.0.2", user: "nosuchuser-ma", from: "127.0.0.2", key: rootKey, pw: "wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var res [2]maResult
			for i, s := range servers {
				res[i] = maLogin(t, s, dir, tc.user, tc.from, tc.key, tc.pw)
			}
			if res[0].OK != tc.ok {
				t.Errorf("sshd: logged in %v, want %v (the test's expectation is wrong): %+v", res[0].OK, tc.ok, res[0])
			}
			t.Logf("sshd: %+v", res[0])
			if diff := cmp.Diff(res[0], res[1]); diff != "" {
				t.Errorf("(-sshd +gosshd):\n%s", diff)
			}
		})
	}

	// paramiko's auth_none reads the same "can continue" lists.
	t.Run("paramiko auth_none", func(t *testing.T) {
		if err := exec.Command("/usr/bin/python3", "-c", "import paramiko").Run(); err != nil {
			sshdtest.MissingPeer(t, "paramiko not available: %v", err)
		}
		for _, u := range []string{"root", chain, nokey, "nosuchuser-ma"} {
			for _, from := range []string{"127.0.0.1", "127.0.0.2"} {
				var got [2]string
				for i, s := range servers {
					got[i] = maParamikoNone(t, s, u, from)
				}
				t.Logf("%s from %s: %q", u, from, got[0])
				if got[0] != got[1] {
					t.Errorf("%s from %s: sshd allows %q, gosshd %q", u, from, got[0], got[1])
				}
			}
		}
	})

	// -T -C for the same users and addresses: every keyword equal but
	// for the documented differences of the defaults.
	cfg := uaWrite(t, filepath.Join(dir, "t_config"), []byte("Port 22\n"+body), 0o600)
	auth := []string{"authenticationmethods", "passwordauthentication", "pubkeyauthentication", "maxauthtries",
		"banner", "authorizedkeysfile", "permitrootlogin"}
	for _, spec := range []string{
		"user=root,host=127.0.0.1,addr=127.0.0.1,laddr=127.0.0.1,lport=22",
		"user=root,host=127.0.0.2,addr=127.0.0.2,laddr=127.0.0.1,lport=22",
		"user=" + chain + ",host=127.0.0.2,addr=127.0.0.2,laddr=127.0.0.1,lport=22",
		"user=" + nokey + ",host=127.0.0.1,addr=127.0.0.1,laddr=127.0.0.1,lport=22",
		"user=" + nokey + ",host=127.0.0.2,addr=127.0.0.2,laddr=127.0.0.1,lport=22",
	} {
		t.Run("-T -C "+spec, func(t *testing.T) {
			want, _ := configDump(t, sshdtest.SSHD, "-T", "-f", cfg, "-C", spec)
			got, _ := configDump(t, bin, "-T", "-f", cfg, "-C", spec)
			compareTDump(t, "", "-T -C", want, got)
			for _, k := range auth {
				if want[k] == nil {
					t.Errorf("sshd -T -C printed no %s", k)
				}
			}
		})
	}
}

// maParamikoNone connects paramiko from source address from and returns
// the methods its auth_none(user) learns can continue, or what went
// wrong.
func maParamikoNone(t *testing.T, s maServer, user, from string) string {
	t.Helper()
	const script = `
import socket, sys, paramiko
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20, source_address=(sys.argv[3], 0))
tr = paramiko.Transport(sock)
tr.start_client(timeout=20)
try:
    tr.auth_none(sys.argv[2])
    print("accepted")
except paramiko.BadAuthenticationType as e:
    print(",".join(e.allowed_types))
finally:
    tr.close()
`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/bin/python3", "-c", script, s.port, user, from).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("error %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}
