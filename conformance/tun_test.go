package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/connection/tun"
	"github.com/sshstack/sshstack/wire"
)

// Tun forwarding (OpenSSH PROTOCOL, Section 2.3; ssh -w, sshd
// PermitTunnel) between our side and OpenSSH's, proven by ICMP echo
// across the tunnel: both ends' interfaces are created in this host's
// namespace by the two programs, then each is moved into a fresh network
// namespace of its own (the open file descriptors keep working), given an
// address of a private /30, and the first namespace pings the second.
// Nothing routes between the namespaces but the SSH connection. The
// programs are stopped by PID, which removes the interfaces, and the
// namespaces are deleted.

// tunCanRun skips the test unless this process can make tun devices:
// root, /dev/net/tun (made with mknod if missing), ip(8) and netns.
func tunCanRun(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("tun forwarding needs root (TUNSETIFF, network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		sshdtest.MissingPeer(t, "ip(8) missing")
	}
	if _, err := os.Stat("/dev/net/tun"); errors.Is(err, os.ErrNotExist) {
		os.MkdirAll("/dev/net", 0o755)
		if err := syscall.Mknod("/dev/net/tun", syscall.S_IFCHR|0o600, 10<<8|200); err != nil {
			t.Skipf("/dev/net/tun is missing and mknod failed: %v", err)
		}
	}
	d, err := tun.Open(wire.TunModePointToPoint, wire.TunUnitAny)
	if err != nil {
		t.Skipf("tun devices cannot be created here: %v", err)
	}
	d.Close()
}

var tunSeq int

// tunNetns creates a network namespace that the cleanup deletes.
func tunNetns(t *testing.T) string {
	t.Helper()
	tunSeq++
	name := fmt.Sprintf("sshtun%d-%d", os.Getpid(), tunSeq)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

// tunUnits picks two unit numbers unlikely to be in use.
func tunUnits() (a, b int) {
	base := 6000 + (os.Getpid()%700)*8 + tunSeq*2
	return base, base + 1
}

// tunIfname is the interface name of a unit in mode, as OpenSSH names it.
func tunIfname(mode string, unit int) string {
	if mode == "ethernet" {
		return "tap" + strconv.Itoa(unit)
	}
	return "tun" + strconv.Itoa(unit)
}

// A tunPair is the two namespaces of one test and the interfaces that
// go into them.
type tunPair struct {
	nsA, nsB string
	ifA, ifB string
}

// newTunPair creates the namespaces first, so that their deletion is the
// last cleanup, after the programs are stopped and the interfaces gone.
func newTunPair(t *testing.T, ifA, ifB string) *tunPair {
	return &tunPair{nsA: tunNetns(t), nsB: tunNetns(t), ifA: ifA, ifB: ifB}
}

// gone waits until neither interface exists in its namespace (nor in
// ours): the client's goes when it exits, the server's when its session
// notices the end of the connection.
func (p *tunPair) gone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, x := range [][2]string{{p.nsA, p.ifA}, {p.nsB, p.ifB}} {
		for {
			inNs := exec.Command("ip", "-n", x[0], "link", "show", "dev", x[1]).Run() == nil
			_, err := os.Stat("/sys/class/net/" + x[1])
			if !inNs && err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("interface %s still exists after its program ended", x[1])
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// tunBackground runs a client until the test ends; the cleanup kills it
// by PID and checks that both interfaces went with it.
func tunBackground(t *testing.T, p *tunPair, name string, args ...string) *os.File {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "client.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		p.gone(t)
	})
	return logf
}

// tunWaitLink waits for an interface to appear in this namespace.
func tunWaitLink(t *testing.T, ifname string, logs ...func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat("/sys/class/net/" + ifname); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	var b strings.Builder
	for _, l := range logs {
		b.WriteString(tail(l()) + "\n---\n")
	}
	t.Fatalf("interface %s did not appear\n%s", ifname, b.String())
}

// tunPingScript sends ICMP echo requests from a raw socket (there is no
// ping(8) here) and exits 0 on the first echo reply from its target.
const tunPingScript = `
import os, socket, struct, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xffff)
    n += n >> 16
    return ~n & 0xffff
ident = os.getpid() & 0xffff
for seq in range(1, 11):
    payload = b"sshstack tun test"
    c = csum(struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload)
    s.sendto(struct.pack("!BBHHH", 8, 0, c, ident, seq) + payload, (dst, 0))
    end = time.time() + 1
    while time.time() < end:
        try:
            data, addr = s.recvfrom(4096)
        except socket.timeout:
            break
        ihl = (data[0] & 15) * 4
        typ, code, _, i, sq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and i == ident and addr[0] == dst:
            print("echo reply from %s seq %d" % (dst, sq))
            sys.exit(0)
print("no echo reply from %s" % dst)
sys.exit(1)
`

// tunPing moves ifA and ifB into fresh namespaces, gives them the two
// addresses of a /30 and pings from the first to the second.
func tunPing(t *testing.T, p *tunPair, logs ...func() string) {
	t.Helper()
	nsA, nsB, ifA, ifB := p.nsA, p.nsB, p.ifA, p.ifB
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	net := fmt.Sprintf("10.%d.%d", 200+tunSeq%50, os.Getpid()%250)
	run("link", "set", ifA, "netns", nsA)
	run("link", "set", ifB, "netns", nsB)
	run("-n", nsA, "addr", "add", net+".1/30", "dev", ifA)
	run("-n", nsB, "addr", "add", net+".2/30", "dev", ifB)
	run("-n", nsA, "link", "set", ifA, "up")
	run("-n", nsB, "link", "set", ifB, "up")
	script := uaWrite(t, filepath.Join(t.TempDir(), "ping.py"), []byte(tunPingScript), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", nsA, "python3", script, net+".2").CombinedOutput()
	if err != nil {
		var b strings.Builder
		for _, l := range logs {
			b.WriteString(tail(l()) + "\n---\n")
		}
		t.Fatalf("ping %s.2 across the tunnel: %v: %s\n%s", net, err, out, b.String())
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}

func fileText(f *os.File) func() string {
	return func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
}

// TestGosshTunnelAgainstSSHD: gossh -w local:remote to OpenSSH's sshd
// with PermitTunnel yes, in both tunnel modes.
func TestGosshTunnelAgainstSSHD(t *testing.T) {
	tunCanRun(t)
	bin := clBuildGossh(t)
	for _, mode := range []string{"point-to-point", "ethernet"} {
		t.Run(mode, func(t *testing.T) {
			e := clStart(t, "PermitTunnel yes")
			key := e.keyFile(t)
			local, remote := tunUnits()
			ifL, ifR := tunIfname(mode, local), tunIfname(mode, remote)
			pair := newTunPair(t, ifL, ifR)
			logf := tunBackground(t, pair, bin, e.gosshArgs(t, key, "-o", "Tunnel="+mode, "-o", "ExitOnForwardFailure=yes",
				"-w", fmt.Sprintf("%d:%d", local, remote), "-N", "-v", e.user+"@127.0.0.1")...)
			sshdLog := func() string { return e.srv.Log() }
			tunWaitLink(t, ifL, fileText(logf), sshdLog)
			tunWaitLink(t, ifR, fileText(logf), sshdLog)
			tunPing(t, pair, fileText(logf), sshdLog)
		})
	}
}

// TestGosshTunnelRefused: against sshd with PermitTunnel no, gossh -w
// with ExitOnForwardFailure exits 255 with ssh's message, as ssh does.
func TestGosshTunnelRefused(t *testing.T) {
	tunCanRun(t)
	bin := clBuildGossh(t)
	e := clStart(t, "PermitTunnel no")
	key := e.keyFile(t)
	r := clGossh(t, bin, nil, nil, e.gosshArgs(t, key, "-o", "ExitOnForwardFailure=yes", "-w", "any", "-N", e.user+"@127.0.0.1")...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := sshdtest.RunSSH(ctx, nil, "-i", key, "-o", "UserKnownHostsFile="+e.knownHosts, "-o", "BatchMode=yes", "-o", "IdentityAgent=none",
		"-p", strconv.Itoa(e.srv.Port), "-o", "ExitOnForwardFailure=yes", "-w", "any", "-N", e.user+"@127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 255 || res.ExitCode != 255 || !strings.Contains(r.stderr, "Tunnel forwarding failed") || !strings.Contains(string(res.Stderr), "Tunnel forwarding failed") {
		t.Errorf("gossh: exit %d %q; ssh: exit %d %q; want 255 and \"Tunnel forwarding failed\" from both", r.code, r.stderr, res.ExitCode, res.Stderr)
	}
}

// TestSSHTunnelAgainstGosshd: OpenSSH's ssh -w local:remote to gosshd
// with PermitTunnel yes, in both tunnel modes; and PermitTunnel's other
// values refuse the modes they leave out, as sshd's do.
func TestSSHTunnelAgainstGosshd(t *testing.T) {
	tunCanRun(t)
	for _, mode := range []string{"point-to-point", "ethernet"} {
		t.Run(mode, func(t *testing.T) {
			g := svStart(t, []string{"ed25519"}, "PermitTunnel yes")
			local, remote := tunUnits()
			ifL, ifR := tunIfname(mode, local), tunIfname(mode, remote)
			pair := newTunPair(t, ifL, ifR)
			logf := tunBackground(t, pair, sshdtest.SSH, "-F", "none", "-p", g.port, "-o", "UserKnownHostsFile="+g.knownHosts,
				"-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none",
				"-i", g.userKey, "-o", "Tunnel="+mode, "-o", "ExitOnForwardFailure=yes", "-w", fmt.Sprintf("%d:%d", local, remote),
				"-N", "-v", "root@127.0.0.1")
			tunWaitLink(t, ifL, fileText(logf), g.logText)
			tunWaitLink(t, ifR, fileText(logf), g.logText)
			tunPing(t, pair, fileText(logf), g.logText)
		})
	}
	t.Run("PermitTunnel decides the mode like sshd", func(t *testing.T) {
		for _, tc := range []struct {
			permit, mode string
			ok           bool
		}{
			{"no", "point-to-point", false},
			{"ethernet", "point-to-point", false},
			{"point-to-point", "ethernet", false},
			{"point-to-point", "point-to-point", true},
			{"ethernet", "ethernet", true},
		} {
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: []string{"PermitTunnel " + tc.permit}})
			g := svStart(t, []string{"ed25519"}, "PermitTunnel "+tc.permit)
			sshdtest.GenerateKey(t, "ed25519", filepath.Join(srv.Dir, "id"), "")
			os.WriteFile(filepath.Join(srv.Dir, "authorized_keys"), mustRead(t, filepath.Join(srv.Dir, "id.pub")), 0o600)
			for _, s := range []struct {
				name, port, known, key string
			}{
				{"sshd", strconv.Itoa(srv.Port), tunKnownHosts(t, srv), filepath.Join(srv.Dir, "id")},
				{"gosshd", g.port, g.knownHosts, g.userKey},
			} {
				ok, log := tunEstablished(t, "-p", s.port, "-o", "UserKnownHostsFile="+s.known, "-i", s.key, "-o", "Tunnel="+tc.mode)
				if ok != tc.ok {
					t.Errorf("%s PermitTunnel %s, ssh -o Tunnel=%s: established %v, want %v\n%s", s.name, tc.permit, tc.mode, ok, tc.ok, tail(log))
				}
			}
		}
	})
}

// tunEstablished runs ssh -N -w any:any with ExitOnForwardFailure and
// reports whether the server confirmed the tunnel (ssh logs it) or
// refused it (ssh exits); it stops ssh by PID either way.
func tunEstablished(t *testing.T, args ...string) (bool, string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "ssh.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(sshdtest.SSH, append(append([]string{"-F", "none", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "ExitOnForwardFailure=yes", "-N", "-v"}, args...), "-w", "any:any", "root@127.0.0.1")...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() { cmd.Process.Kill(); <-exited }()
	read := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return false, read()
		case <-deadline:
			t.Fatalf("ssh neither established nor refused the tunnel in 30 s\n%s", tail(read()))
		case <-tick.C:
			if l := read(); strings.Contains(l, "tunnel forward established") {
				return true, l
			}
		}
	}
}

// tunKnownHosts writes a known_hosts file for srv's ed25519 key.
func tunKnownHosts(t *testing.T, srv *sshdtest.Server) string {
	return uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"), []byte(srv.KnownHostsLine(t, "ed25519")+"\n"), 0o600)
}
