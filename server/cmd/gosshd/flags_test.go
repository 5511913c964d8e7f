package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/wire/wiretest"
)

// TestParseFlags reads gosshd's command line as sshd 9.2's getopt does:
// combined letters, arguments in the same word or the next, -d counted,
// -q and -d over any -o LogLevel, and sshd's refusals.
func TestParseFlags(t *testing.T) {
	f, err := parseFlags([]string{"-De", "-ddd", "-p2222", "-p", "2223", "-hk1", "-f", "cfg", "-oPort=1", "-4", "-g", "7", "-c", "cert", "-u0", "-E", "log", "-T", "-C", "user=x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LogLevel=DEBUG3", "Port=1", "AddressFamily=inet", "LoginGraceTime=7", "HostCertificate=cert", "Port=2222", "Port=2223", "HostKey=k1"}
	if !slices.Equal(f.opts, want) || f.file != "cfg" || f.debug != 3 || !f.toStderr || f.utmpLen != 0 || f.logFile != "log" || !f.dump || !slices.Equal(f.testSpecs, []string{"user=x"}) {
		t.Errorf("%+v\nopts want %q", f, want)
	}
	if f, err := parseFlags([]string{"-b", "1024", "-k10", "-Q", "-r", "-6q"}); err != nil || !slices.Equal(f.opts, []string{"LogLevel=QUIET", "AddressFamily=inet6"}) {
		t.Errorf("old flags: %+v %v", f, err)
	}
	if f, err := parseFlags([]string{"-ie"}); err != nil || !f.inetd || !f.toStderr {
		t.Errorf("-ie: %+v %v", f, err)
	}
	if f, err := parseFlags([]string{"-V", "-Z"}); err != nil || !f.version {
		t.Errorf("-V: %+v %v", f, err)
	}
	if f, err := parseFlags([]string{"-u", "x"}); err != nil || f.utmpLen != 0 {
		t.Errorf("-u x (0, as strtonum): %+v %v", f, err)
	}
	for args, msg := range map[string]string{
		"-Z": "unknown option -- Z", "-t extra": "Extra argument extra.", "-f": "option requires an argument -- f",
		"-g 5x": "Invalid login grace time.", "-u 66": "Invalid utmp length.", "-R": "unknown option -- R",
	} {
		if _, err := parseFlags(strings.Fields(args)); err == nil || err.Error() != msg {
			t.Errorf("%s: %v, want %q", args, err, msg)
		}
	}
	var o, e bytes.Buffer
	if rc := run([]string{"-Z"}, &o, &e); rc != 1 || !strings.Contains(e.String(), "usage: gosshd [-46DdeiqTtV]") {
		t.Errorf("-Z: status %d, %q", rc, e.String())
	}
	e.Reset()
	if rc := run([]string{"-V"}, &o, &e); rc != 0 || !strings.HasPrefix(e.String(), "sshstack_") {
		t.Errorf("-V: status %d, %q", rc, e.String())
	}
}

// TestRecordHost: utmp, wtmp and lastlog get the host name when it fits
// in -u's length, else the address; -u 0 always the address.
func TestRecordHost(t *testing.T) {
	savedAddr, savedHost := lookupAddr, lookupHost
	defer func() { lookupAddr, lookupHost = savedAddr, savedHost }()
	const addr, name = "192.0.2.77", "a-long-name.example.com"
	lookupAddr = func(context.Context, string) ([]string, error) { return []string{name + "."}, nil }
	lookupHost = func(context.Context, string) ([]string, error) { return []string{addr}, nil }
	c := defaultConfig()
	c.more.UseDNS = true
	for _, tc := range []struct {
		utmpLen int
		want    string
	}{{defaultUtmpLen, name}, {len(name), name}, {len(name) - 1, addr}, {0, addr}} {
		c.utmpLen = tc.utmpLen
		if h := c.recordHost(addr); h != tc.want {
			t.Errorf("-u %d: %q, want %q", tc.utmpLen, h, tc.want)
		}
	}
}

// TestFlagsAgainstSSHD gives the same flags to sshd -T and gosshd -T and
// compares the keywords they set; -E names a log file both create.
func TestFlagsAgainstSSHD(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		wiretest.MissingPeer(t, "no OpenSSH sshd")
	}
	dir := t.TempDir()
	hk := filepath.Join(dir, "hk")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk).CombinedOutput(); err != nil {
		wiretest.MissingPeer(t, "ssh-keygen: %v %s", err, out)
	}
	cfg := writeConfig(t, "HostKey "+hk+"\nLogLevel INFO\n")
	keywords := []string{"addressfamily", "logingracetime", "loglevel", "port", "hostkey", "listenaddress"}
	pick := func(out []byte) []string {
		var got []string
		for _, l := range strings.Split(string(out), "\n") {
			if k, _, _ := strings.Cut(l, " "); slices.Contains(keywords, k) {
				got = append(got, l)
			}
		}
		slices.Sort(got)
		return got
	}
	for _, flags := range []string{"-4 -g 7 -q", "-6 -ddd", "-p 2222 -p2223", "-o LogLevel=ERROR -d", "-dq", "-qd", "-De -g1m"} {
		args := append([]string{"-T", "-f", cfg}, strings.Fields(flags)...)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		want, err := exec.CommandContext(ctx, sshd, args...).Output()
		cancel()
		if err != nil {
			t.Fatalf("sshd %s: %v", flags, err)
		}
		var o, e bytes.Buffer
		if rc := run(args, &o, &e); rc != 0 {
			t.Fatalf("gosshd %s: status %d: %s", flags, rc, e.String())
		}
		if w, g := pick(want), pick(o.Bytes()); !slices.Equal(w, g) {
			t.Errorf("-T %s: sshd %q, gosshd %q", flags, w, g)
		}
	}
	logf := filepath.Join(dir, "gosshd.log")
	var o, e bytes.Buffer
	if rc := run([]string{"-t", "-f", cfg, "-E", logf}, &o, &e); rc != 0 {
		t.Fatalf("-t -E: status %d: %s", rc, e.String())
	}
	if _, err := os.Stat(logf); err != nil {
		t.Errorf("-E did not create the log file: %v", err)
	}
}
