package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestGosshdLastLogMatchesSSHD: sshd and gosshd share /var/log/lastlog.
// A login shell on a pty through sshd, then through gosshd, then
// through sshd again: gosshd prints the "Last login: TIME from
// 127.0.0.1" that sshd recorded, and sshd the one gosshd recorded, each
// time within the window of the previous login. A command (no login
// shell) prints nothing, and PrintLastLog no prints nothing.
func TestGosshdLastLogMatchesSSHD(t *testing.T) {
	if _, err := os.Stat("/var/log/lastlog"); err != nil {
		t.Skip("no lastlog file")
	}
	name, home := homeUser(t)
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	uaWrite(t, filepath.Join(home, ".ssh", "authorized_keys"), pub, 0o600)
	chownR(t, home, name)
	cfg := []string{"AuthorizedKeysFile .ssh/authorized_keys", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PrintMotd no"}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: cfg})
	g := svStart(t, []string{"ed25519"}, cfg...)
	quiet := svStart(t, []string{"ed25519"}, append([]string{"PrintLastLog no"}, cfg...)...)

	re := regexp.MustCompile(`Last login: (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}) from (\S+)\r*\n`)
	login := func(port string, args ...string) (string, time.Time, time.Time) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		before := time.Now().Truncate(time.Second)
		res, err := sshdtest.RunSSH(ctx, []byte("exit\n"), append([]string{"-tt", "-p", port, "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none",
			"-i", key, "-l", name, "127.0.0.1"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("ssh to port %s: exit %d\n%s%s", port, res.ExitCode, res.Stdout, res.Stderr)
		}
		return string(res.Stdout), before, time.Now().Add(time.Second)
	}
	check := func(who, out string, from, to time.Time) {
		t.Helper()
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s printed no Last login line:\n%q", who, out)
		}
		when, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", m[1], time.Local)
		if err != nil {
			t.Fatal(err)
		}
		if when.Before(from) || when.After(to) || m[2] != "127.0.0.1" {
			t.Errorf("%s: Last login %s from %s, want between %s and %s from 127.0.0.1", who, when, m[2], from, to)
		}
	}
	_, from1, to1 := login(strconv.Itoa(srv.Port))
	sshdRec := lastWtmp(t, name)
	gosshdOut, from2, to2 := login(g.port)
	gosshdRec := lastWtmp(t, name)
	check("gosshd after sshd", gosshdOut, from1, to1)
	// wtmp: the same login record as sshd's but for the pid, the pts
	// number and the time; gosshd then logs the logout.
	if sshdRec == nil || gosshdRec == nil {
		t.Errorf("wtmp login records: sshd %q, gosshd %q", sshdRec, gosshdRec)
	} else {
		for i, what := range []string{"type", "pid", "id", "user", "line", "host", "addr"} {
			if i == 1 || i == 2 || i == 4 {
				continue
			}
			if sshdRec[i] != gosshdRec[i] {
				t.Errorf("wtmp %s: sshd %q, gosshd %q", what, sshdRec[i], gosshdRec[i])
			}
		}
		if !strings.HasPrefix(gosshdRec[4], "pts/") || !strings.HasSuffix(gosshdRec[4], gosshdRec[2]) {
			t.Errorf("gosshd wtmp line %q, id %q", gosshdRec[4], gosshdRec[2])
		}
	}
	sshdOut, _, _ := login(strconv.Itoa(srv.Port))
	check("sshd after gosshd", sshdOut, from2, to2)
	// Byte for byte as sshd's, which passes through the pty (ONLCR).
	if !strings.Contains(sshdOut, " from 127.0.0.1\r\r\n") || !strings.Contains(gosshdOut, " from 127.0.0.1\r\r\n") {
		t.Errorf("gosshd's line is not written as sshd's (\\r\\r\\n):\n%q", gosshdOut)
	}
	if out, _, _ := login(g.port, "echo cmd"); re.MatchString(out) {
		t.Errorf("gosshd printed Last login for a command:\n%q", out)
	}
	if out, _, _ := login(quiet.port); re.MatchString(out) {
		t.Errorf("gosshd printed Last login under PrintLastLog no:\n%q", out)
	}
}

func chownR(t *testing.T, dir, user string) {
	t.Helper()
	if out, err := exec.Command("chown", "-R", user, dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
}

var utmpdumpField = regexp.MustCompile(`\[([^\]]*)\]`)

// lastWtmp returns the fields of the newest USER_PROCESS record for user
// in /var/log/wtmp (utmpdump: type, pid, id, user, line, host, addr,
// time), or nil.
func lastWtmp(t *testing.T, user string) []string {
	t.Helper()
	out, err := exec.Command("utmpdump", "/var/log/wtmp").Output()
	if err != nil {
		t.Skipf("utmpdump: %v", err) // no /var/log/wtmp on this machine
	}
	var rec []string
	for _, line := range strings.Split(string(out), "\n") {
		var f []string
		for _, m := range utmpdumpField.FindAllStringSubmatch(line, -1) {
			f = append(f, strings.TrimSpace(m[1]))
		}
		if len(f) == 8 && f[0] == "7" && f[3] == user {
			rec = f
		}
	}
	return rec
}
