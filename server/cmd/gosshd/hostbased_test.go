package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// TestCheckRhostsFile: the rules of sshd's check_rhosts_file
// (auth-rhosts.c), one line each.
func TestCheckRhostsFile(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		want       bool
	}{
		{"host and user", "client.example alice\n", true},
		{"host case-insensitive", "CLIENT.Example alice\n", true},
		{"address", "192.0.2.7 alice\n", true},
		{"host alone means the same user", "client.example\n", false}, // server user bob, client user alice
		{"other user", "client.example carol\n", false},
		{"other host", "elsewhere alice\n", false},
		{"negated host", "-client.example alice\nclient.example alice\n", false},
		{"negated user", "client.example -alice\nclient.example alice\n", false},
		{"plus prefix", "+client.example +alice\n", true},
		{"wild plus ignored", "+ alice\nclient.example alice\n", true},
		{"bare plus never matches", "+ +\n", false},
		{"netgroup never matches", "@hosts alice\n", false},
		{"NO_PLUS, comments, garbage", "NO_PLUS\n# client.example alice\nclient.example alice extra\n", false},
		{"first match decides", "client.example alice\n-client.example alice\n", true},
		{"leading blanks", "  \tclient.example alice\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "shosts")
			os.WriteFile(p, []byte(tt.file), 0o600)
			if got := checkRhostsFile(p, "client.example", "192.0.2.7", "alice", "bob"); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if checkRhostsFile(t.TempDir(), "h", "1.2.3.4", "a", "a") {
		t.Error("a directory matched")
	}
	p := filepath.Join(t.TempDir(), "self")
	os.WriteFile(p, []byte("client.example\n"), 0o600)
	if !checkRhostsFile(p, "client.example", "192.0.2.7", "bob", "bob") {
		t.Error("host-only line refused the same user")
	}
}

// TestRhostsAllowed: IgnoreRhosts and StrictModes over ~/.shosts and
// ~/.rhosts, and the system files, ignored for root.
func TestRhostsAllowed(t *testing.T) {
	uid := uint32(os.Getuid())
	for _, tt := range []struct {
		name, ignore string
		files        map[string]string // name in home -> content
		mode         os.FileMode
		equiv        string
		root         bool // log in as root
		want         bool
	}{
		{"shosts, IgnoreRhosts no", "no", map[string]string{".shosts": "h alice\n"}, 0o600, "", false, true},
		{"shosts, IgnoreRhosts yes", "yes", map[string]string{".shosts": "h alice\n"}, 0o600, "", false, false},
		{"rhosts, shosts-only", "shosts-only", map[string]string{".rhosts": "h alice\n"}, 0o600, "", false, false},
		{"shosts, shosts-only", "shosts-only", map[string]string{".shosts": "h alice\n"}, 0o600, "", false, true},
		{"rhosts, IgnoreRhosts no", "no", map[string]string{".rhosts": "h alice\n"}, 0o600, "", false, true},
		{"group-writable shosts", "no", map[string]string{".shosts": "h alice\n"}, 0o620, "", false, false},
		{"shosts.equiv, IgnoreRhosts yes", "yes", nil, 0, "h alice\n", false, true},
		{"shosts.equiv ignored for root", "yes", nil, 0, "h alice\n", true, false},
		{"nothing at all", "no", nil, 0, "", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			os.Chmod(home, 0o755)
			for n, c := range tt.files {
				path := filepath.Join(home, n)
				os.WriteFile(path, []byte(c), 0o600)
				os.Chmod(path, tt.mode)
			}
			old := shostsEquivPath
			defer func() { shostsEquivPath = old }()
			shostsEquivPath = filepath.Join(t.TempDir(), "shosts.equiv")
			if tt.equiv != "" {
				os.WriteFile(shostsEquivPath, []byte(tt.equiv), 0o644)
			}
			oldHE := hostsEquivPath
			defer func() { hostsEquivPath = oldHE }()
			hostsEquivPath = filepath.Join(t.TempDir(), "hosts.equiv")
			cfg := defaultConfig()
			cfg.more.IgnoreRhosts = tt.ignore
			// The files belong to whoever runs the test, which StrictModes
			// accepts for that user and, as root's, for any user.
			a := &account{Name: "bob", UID: uid, Home: home}
			switch {
			case tt.root:
				a.UID = 0
			case uid == 0:
				a.UID = 1000
			}
			p := &policy{cfg: cfg}
			if got := p.rhostsAllowed(a, "alice", "h", "192.0.2.1"); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestHostKeyStatus: check_key_in_hostfiles over the system file and
// the user's, and the *2 files only when neither knows the host.
func TestHostKeyStatus(t *testing.T) {
	key, _ := hostkey.GenerateKey(nil, hostkey.ED25519, 0)
	other, _ := hostkey.GenerateKey(nil, hostkey.ED25519, 0)
	line := func(host string, k hostkey.Signer) string {
		return host + " " + string(hostkey.MarshalAuthorizedKey(k.PublicKey(), ""))
	}
	for _, tt := range []struct {
		name                   string
		sys, user, sys2, user2 string
		ignoreUser             bool
		want1                  hostkey.Status
		wantAccepted           bool
	}{
		{name: "system file", sys: line("client.example", key), want1: hostkey.StatusKnown, wantAccepted: true},
		{name: "user file", user: line("client.example", key), want1: hostkey.StatusKnown, wantAccepted: true},
		{name: "user file ignored", user: line("client.example", key), ignoreUser: true, want1: hostkey.StatusUnknown},
		{name: "known_hosts2 when unknown", user2: line("client.example", key), want1: hostkey.StatusUnknown, wantAccepted: true},
		{name: "no known_hosts2 when changed", user: line("client.example", other), user2: line("client.example", key), want1: hostkey.StatusChanged},
		{name: "revoked", sys: "@revoked " + line("*", key), user: line("client.example", key), want1: hostkey.StatusRevoked},
		{name: "other host", user: line("elsewhere", key), want1: hostkey.StatusUnknown},
		{name: "wildcard", sys: line("*.example", key), want1: hostkey.StatusKnown, wantAccepted: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, home := t.TempDir(), t.TempDir()
			os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
			write := func(path, s string) {
				if s != "" {
					os.WriteFile(path, []byte(s), 0o600)
				}
			}
			sys, sys2 := filepath.Join(dir, "ssh_known_hosts"), filepath.Join(dir, "ssh_known_hosts2")
			write(sys, tt.sys)
			write(sys2, tt.sys2)
			write(filepath.Join(home, userKnownHostsName), tt.user)
			write(filepath.Join(home, userKnownHosts2Name), tt.user2)
			cfg := defaultConfig()
			cfg.more.IgnoreUserKnownHosts = tt.ignoreUser
			p := &policy{cfg: cfg}
			a := &account{Name: "bob", UID: uint32(os.Getuid()), Home: home}
			st := p.hostKeyStatus(a, key.PublicKey(), "client.example", sys, userKnownHostsName)
			if st != tt.want1 {
				t.Errorf("first files: %v, want %v", st, tt.want1)
			}
			if st == hostkey.StatusUnknown {
				st = p.hostKeyStatus(a, key.PublicKey(), "client.example", sys2, userKnownHosts2Name)
			}
			if (st == hostkey.StatusKnown) != tt.wantAccepted {
				t.Errorf("decision %v, want accepted %v", st, tt.wantAccepted)
			}
		})
	}
}
