package conformance_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// slConfig is what both servers get, but for Port and HostKey:
// StreamLocalBindMask 0022 for everyone, and from 127.0.0.2 a Match
// section with mask 0007 and StreamLocalBindUnlink yes. %[1]s is the
// test's directory.
const slConfig = `ListenAddress 127.0.0.1
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile %[1]s/authorized_keys
StreamLocalBindMask 0022
Match Address 127.0.0.2
	StreamLocalBindMask 0007
	StreamLocalBindUnlink yes
Match Address 127.0.0.3
	StreamLocalBindMask 0777
`

// slStart runs bin with body on a free port until the test ends, as
// the account cred names when cred is not nil.
func slStart(t *testing.T, dir, name, bin, body string, cred *syscall.Credential) maServer {
	t.Helper()
	port, err := sshdtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o600)
	if cred != nil {
		mode = 0o644 // the account must read it
	}
	cfg := uaWrite(t, filepath.Join(dir, name+"_config"), []byte("Port "+strconv.Itoa(port)+"\n"+body), mode)
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "-D", "-e", "-f", cfg)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if cred != nil {
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	d, err := sshdtest.StartDaemon(cmd, func() bool { return maListening(port) }, 10*time.Second)
	if err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("%s did not start: %v\n%s", name, err, b)
	}
	t.Cleanup(func() {
		if err := d.Stop(syscall.SIGTERM, 15*time.Second); err != nil {
			t.Errorf("%s did not stop within 15 s of SIGTERM: %v", name, err)
		}
	})
	return maServer{name: name, port: strconv.Itoa(port)}
}

// TestGosshdStreamLocalBindAgainstSSHD: ssh -R /path:host:port to sshd
// 9.2 and to gosshd (both logging in a throwaway account; gosshd serves
// stream-local forwarding only when not root, so it runs as that
// account) binds a socket whose mode is 0777 less StreamLocalBindMask:
// 0755 under the global 0022, 0770 under the Match section's 0007, 0000
// under another's 0777. Over
// a stale socket file the forwarding fails without StreamLocalBindUnlink
// and replaces it with, from 127.0.0.2. gosshd -T -C prints what sshd
// -T -C prints for both addresses.
func TestGosshdStreamLocalBindAgainstSSHD(t *testing.T) {
	name := uaLocalUser(t, "Unused-Passw0rd")
	ids, err := lookupIDs(name)
	if err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: ids[0], Gid: ids[1]}
	dir, err := os.MkdirTemp("", "gosshd-streamlocal")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(svGosshd(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := uaWrite(t, filepath.Join(dir, "gosshd"), data, 0o755)
	sshdtest.GenerateKey(t, "ed25519", filepath.Join(dir, "host_sshd"), "")
	sshdtest.GenerateKey(t, "ed25519", filepath.Join(dir, "host_gosshd"), "")
	if err := os.Chown(filepath.Join(dir, "host_gosshd"), int(ids[0]), int(ids[1])); err != nil {
		t.Fatal(err)
	}
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	uaWrite(t, filepath.Join(dir, "authorized_keys"), pub, 0o644)
	socks := filepath.Join(dir, "socks")
	if err := os.Mkdir(socks, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(socks, int(ids[0]), int(ids[1])); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(slConfig, dir)
	// A target for the forwarded connections; none is made.
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	// forward runs ssh -R path:target from the address from, with a
	// remote command that waits for the socket and prints its mode.
	forward := func(s maServer, from, path string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		script := "for i in $(seq 100); do [ -S " + path + " ] && break; sleep 0.1; done; stat -c %a " + path
		res, err := sshdtest.RunSSH(ctx, nil, "-F", "none", "-p", s.port, "-b", from, "-l", name,
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-i", key,
			"-o", "ExitOnForwardFailure=yes", "-R", path+":"+target.Addr().String(), "127.0.0.1", script)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(res.Stdout)), res.ExitCode
	}
	// stale leaves a socket file at path, as an ssh -R that was killed.
	stale := func(path string) {
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		if err := os.Chown(path, int(ids[0]), int(ids[1])); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []maServer{
		slStart(t, dir, "sshd", sshdtest.SSHD, "HostKey "+dir+"/host_sshd\n"+body, nil),
		slStart(t, dir, "gosshd", bin, "HostKey "+dir+"/host_gosshd\n"+body, cred),
	} {
		t.Run(s.name, func(t *testing.T) {
			p := filepath.Join(socks, s.name+"-fresh.sock")
			if mode, code := forward(s, "127.0.0.1", p); code != 0 || mode != "755" {
				t.Errorf("fresh socket under mask 0022: exit %d mode %q, want 755", code, mode)
			}
			p = filepath.Join(socks, s.name+"-match.sock")
			if mode, code := forward(s, "127.0.0.2", p); code != 0 || mode != "770" {
				t.Errorf("fresh socket under Match's mask 0007: exit %d mode %q, want 770", code, mode)
			}
			p = filepath.Join(socks, s.name+"-closed.sock")
			if mode, code := forward(s, "127.0.0.3", p); code != 0 || mode != "0" {
				t.Errorf("fresh socket under Match's mask 0777: exit %d mode %q, want 0", code, mode)
			}
			p = filepath.Join(socks, s.name+"-stale.sock")
			stale(p)
			if _, code := forward(s, "127.0.0.1", p); code == 0 {
				t.Errorf("over a stale socket without StreamLocalBindUnlink: forwarded")
			}
			if mode, code := forward(s, "127.0.0.2", p); code != 0 || mode != "770" {
				t.Errorf("over a stale socket with StreamLocalBindUnlink: exit %d mode %q, want 770", code, mode)
			}
		})
	}
	cfg := uaWrite(t, filepath.Join(dir, "t_config"), []byte("Port 22\nHostKey "+dir+"/host_sshd\n"+body), 0o600)
	for _, addr := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		spec := "user=" + name + ",host=" + addr + ",addr=" + addr + ",laddr=127.0.0.1,lport=22"
		want, _ := configDump(t, sshdtest.SSHD, "-T", "-f", cfg, "-C", spec)
		got, _ := configDump(t, bin, "-T", "-f", cfg, "-C", spec)
		for _, k := range []string{"streamlocalbindmask", "streamlocalbindunlink"} {
			if !slices.Equal(want[k], got[k]) {
				t.Errorf("%s: %s: sshd -T -C %q, gosshd -T -C %q", addr, k, want[k], got[k])
			}
		}
	}
}
