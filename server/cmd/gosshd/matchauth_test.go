package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"

	"github.com/sshstack/sshstack/wire/wiretest"
)

// sshdMatchKeywords are the keywords OpenSSH 9.2's sshd accepts inside
// Match: those of sshd_config(5), section Match (less Include, which is
// no keyword here), plus LogLevel, RekeyLimit and RequiredRSASize,
// which sshd -t takes there though the page omits them. Recorded from
// /usr/sbin/sshd -t on Debian 12 (one Match User line per keyword);
// TestMatchKeywordsAsSSHD checks them against the installed sshd.
var sshdMatchKeywords = []string{
	"acceptenv", "allowagentforwarding", "allowgroups", "allowstreamlocalforwarding", "allowtcpforwarding",
	"allowusers", "authenticationmethods", "authorizedkeyscommand", "authorizedkeyscommanduser",
	"authorizedkeysfile", "authorizedprincipalscommand", "authorizedprincipalscommanduser",
	"authorizedprincipalsfile", "banner", "casignaturealgorithms", "channeltimeout", "chrootdirectory",
	"clientalivecountmax", "clientaliveinterval", "denygroups", "denyusers", "disableforwarding",
	"exposeauthinfo", "forcecommand", "gatewayports", "gssapiauthentication", "hostbasedacceptedalgorithms",
	"hostbasedauthentication", "hostbasedusesnamefrompacketonly", "ignorerhosts", "ipqos",
	"kbdinteractiveauthentication", "kerberosauthentication", "loglevel", "maxauthtries", "maxsessions",
	"passwordauthentication", "permitemptypasswords", "permitlisten", "permitopen", "permitrootlogin",
	"permittty", "permittunnel", "permituserrc", "pubkeyacceptedalgorithms", "pubkeyauthentication",
	"pubkeyauthoptions", "rekeylimit", "requiredrsasize", "revokedkeys", "setenv", "streamlocalbindmask",
	"streamlocalbindunlink", "trustedusercakeys", "unusedconnectiontimeout", "x11displayoffset",
	"x11forwarding", "x11uselocalhost",
}

// TestMatchKeywordsAsSSHD: the keywords gosshd takes inside Match are
// exactly sshd 9.2's; every other keyword is refused inside Match in
// sshd's words. With sshd installed, each table keyword is also tried
// inside Match on both.
func TestMatchKeywordsAsSSHD(t *testing.T) {
	var got []string
	for _, k := range keywords {
		if k.match {
			got = append(got, k.name)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(sshdMatchKeywords, got); diff != "" {
		t.Errorf("Match keywords (-sshd 9.2 +gosshd):\n%s", diff)
	}
	for _, k := range keywords {
		v := tableEveryKeyword[k.name]
		if k.name == "hostkey" {
			v = "/etc/ssh/ssh_host_ed25519_key"
		}
		_, err := loadConfig(writeConfig(t, "Match User someone\n\t"+k.name+" "+v+"\n"), nil)
		switch {
		case k.match && err != nil:
			t.Errorf("%s %s inside Match: %v", k.name, v, err)
		case !k.match && (err == nil || !strings.Contains(err.Error(), "is not allowed within a Match block")):
			t.Errorf("%s inside Match: %v, want sshd's refusal", k.name, err)
		}
	}

	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		wiretest.MissingPeer(t, "no OpenSSH sshd")
	}
	dir := t.TempDir()
	hk := filepath.Join(dir, "hk")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk).CombinedOutput(); err != nil {
		wiretest.MissingPeer(t, "ssh-keygen: %v %s", err, out)
	}
	for _, name := range sshdMatchKeywords {
		v := tableEveryKeyword[name]
		cfg := writeConfig(t, "HostKey "+hk+"\nMatch User someone\n\t"+name+" "+v+"\n")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, sshd, "-t", "-f", cfg).CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("sshd -t refuses %s %s inside Match: %v %s", name, v, err, out)
		}
	}
}

// TestPolicyForUser: with Match sections the userauth policy is built
// again for each user (userauth.ServerConfig.ForUser) from what the
// sections give that user and address: the methods enabled,
// AuthenticationMethods without the lists that name a disabled method,
// MaxAuthTries, the Banner read from its file, GSS-API off.
func TestPolicyForUser(t *testing.T) {
	dir := t.TempDir()
	banner := filepath.Join(dir, "deploy.banner")
	os.WriteFile(banner, []byte("deploy only\n"), 0o644)
	c, err := loadConfig(writeConfig(t, `AuthenticationMethods publickey password
Match User deploy
	AuthenticationMethods publickey,password keyboard-interactive
	MaxAuthTries 2
	Banner `+banner+`
Match Address 10.0.0.0/8
	PasswordAuthentication no
	PubkeyAuthentication no
	MaxAuthTries 9
Match User root
	PermitRootLogin no
	GSSAPIAuthentication yes
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &policy{cfg: c, root: true}
	base, err := p.authConfig()
	if err != nil {
		t.Fatal(err)
	}
	if base.ForUser == nil {
		t.Fatal("no ForUser with Match sections")
	}
	type view struct {
		Password, Pubkey, Kbd bool
		Chains                [][]string
		MaxAuthTries          int
		Banner                string
		GSSOff                bool
	}
	see := func(u *userauth.ServerConfig) view {
		v := view{Password: u.PasswordCallback != nil, Pubkey: u.PublicKeyCallback != nil, Kbd: u.KeyboardInteractiveCallback != nil,
			Chains: u.AuthenticationMethods, MaxAuthTries: u.MaxAuthTries}
		if u.Banner != nil {
			v.Banner = u.Banner(userauth.ConnMeta{})
		}
		h, set := u.Handlers[wire.MethodGSSAPIWithMIC]
		v.GSSOff = set && h == nil
		return v
	}
	global := view{Password: true, Pubkey: true, Chains: [][]string{{"publickey"}, {"password"}}, MaxAuthTries: 6, GSSOff: true}
	if diff := cmp.Diff(global, see(base)); diff != "" {
		t.Errorf("global policy (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		user, addr string
		want       view
		err        bool
	}{
		{"alice", "192.0.2.1:22", global, false},
		// keyboard-interactive is off (UsePAM no), so its list goes.
		{"deploy", "192.0.2.1:22", view{Password: true, Pubkey: true, Chains: [][]string{{"publickey", "password"}}, MaxAuthTries: 2, Banner: "deploy only\n", GSSOff: true}, false},
		// Nothing the global lists name is left: sshd's fatal error.
		{"alice", "10.1.2.3:22", view{}, true},
		{"root", "192.0.2.1:22", view{Password: true, Pubkey: true, Chains: [][]string{{"publickey"}, {"password"}}, MaxAuthTries: 6}, false},
	} {
		t.Run(tc.user+"@"+tc.addr, func(t *testing.T) {
			u, err := base.ForUser(context.Background(), userauth.ConnMeta{User: tc.user, RemoteAddr: fakeAddr(tc.addr), LocalAddr: fakeAddr("127.0.0.1:22")})
			if tc.err {
				if err == nil {
					t.Errorf("ForUser = %+v, want an error", see(u))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, see(u)); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
	if e := p.forUser(userauth.ConnMeta{User: "root", RemoteAddr: fakeAddr("192.0.2.1:22")}); e.cfg.PermitRootLogin != "no" || p.cfg.PermitRootLogin != "prohibit-password" {
		t.Errorf("PermitRootLogin: root %q, global %q", e.cfg.PermitRootLogin, p.cfg.PermitRootLogin)
	}
}

// TestMatchListsReplaceGlobal: the AllowUsers (DenyUsers, AllowGroups,
// DenyGroups) lines of the matching sections add up, and their list
// replaces the global one, as sshd's copy_set_server_options
// (checked against sshd -T -C in conformance TestGosshdMatchAuthAgainstSSHD).
func TestMatchListsReplaceGlobal(t *testing.T) {
	c, err := loadConfig(writeConfig(t, "AllowUsers root alice\nMatch User deploy\n\tAllowUsers deploy\n\tAllowUsers x\nMatch all\n\tAllowUsers y\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := c.forConn(testConn("deploy", "192.0.2.1", 22))
	if diff := cmp.Diff([]string{"deploy", "x", "y"}, e.AllowUsers); diff != "" {
		t.Errorf("AllowUsers for deploy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"root", "alice"}, c.AllowUsers); diff != "" {
		t.Errorf("global AllowUsers changed (-want +got):\n%s", diff)
	}
}

// BenchmarkPolicyForUser measures what Match adds to each connection's
// authentication: evaluating the sections and building the userauth
// policy for the user. The "global" case builds the policy of a config
// without Match, for the baseline of the same run.
func BenchmarkPolicyForUser(b *testing.B) {
	const global = "AuthenticationMethods publickey password\nAllowUsers root deploy alice\n"
	const match = "Match User deploy\n\tAuthenticationMethods publickey,password\n\tMaxAuthTries 2\n" +
		"Match Address 10.0.0.0/8\n\tKbdInteractiveAuthentication no\n\tBanner none\n\tAllowUsers x\n"
	m := userauth.ConnMeta{User: "deploy", RemoteAddr: fakeAddr("10.1.2.3:5000"), LocalAddr: fakeAddr("127.0.0.1:22")}
	for _, tc := range []struct{ name, cfg string }{{"global", global}, {"match", global + match}} {
		dir := b.TempDir()
		p := filepath.Join(dir, "sshd_config")
		os.WriteFile(p, []byte(tc.cfg), 0o644)
		c, err := loadConfig(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		pol := &policy{cfg: c, root: true}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pol.forUser(m).userConfig(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMatchKbdInteractiveNeedsPAM: KbdInteractiveAuthentication yes in a
// Match section is refused without UsePAM yes, as the global one is
// (gosshd has no keyboard-interactive device without PAM).
func TestMatchKbdInteractiveNeedsPAM(t *testing.T) {
	if _, err := loadConfig(writeConfig(t, "Match User deploy\n\tKbdInteractiveAuthentication yes\n"), nil); err == nil {
		t.Error("KbdInteractiveAuthentication yes in Match accepted with UsePAM no")
	}
	if _, err := loadConfig(writeConfig(t, "Match User deploy\n\tKbdInteractiveAuthentication no\n"), nil); err != nil {
		t.Errorf("KbdInteractiveAuthentication no in Match: %v", err)
	}
}

// TestMatchLogLevel: LogLevel inside Match, which sshd applies once the
// first request names the user (log_change_level), gives that user's
// policy a logger at the Match's level writing where gosshd's own logger
// writes; other users keep the global logger. -T -C shows the level as
// sshd -T -C does.
func TestMatchLogLevel(t *testing.T) {
	const text = "LogLevel INFO\nMatch User bob\n\tLogLevel DEBUG3\n"
	cfg, err := loadConfig(writeConfig(t, text), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := &policy{cfg: cfg, log: logger(cfg.LogLevel, "", true, &out)}
	base, err := p.authConfig()
	if err != nil {
		t.Fatal(err)
	}
	if base.ForUser == nil {
		t.Fatal("no ForUser with a Match section")
	}
	ask := func(user string) *userauth.ServerConfig {
		u, err := base.ForUser(context.Background(), userauth.ConnMeta{User: user, RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if u := ask("alice"); u != nil && u.Logger != nil {
		t.Error("alice's policy has a logger of its own")
	}
	bob := ask("bob").Logger
	if bob == nil {
		t.Fatal("bob's policy has no logger")
	}
	p.log.Debug("global debug line")
	bob.Debug("bob's debug line")
	bob.Debug("debug1: bob's debug1 line")
	if got := out.String(); strings.Contains(got, "global debug line") ||
		!strings.Contains(got, "debug2: bob's debug line") || !strings.Contains(got, "debug1: bob's debug1 line") {
		t.Errorf("log:\n%s\nwant bob's lines at DEBUG3 and not the global one at INFO", got)
	}

	key := filepath.Join(t.TempDir(), "host")
	if err := os.WriteFile(key, genKeyFile(t), 0o600); err != nil {
		t.Fatal(err)
	}
	f := writeConfig(t, "HostKey "+key+"\n"+text)
	for user, want := range map[string]string{"bob": "loglevel DEBUG3\n", "alice": "loglevel INFO\n"} {
		var o, e bytes.Buffer
		if rc := run([]string{"-T", "-f", f, "-C", "user=" + user + ",host=h,addr=127.0.0.1"}, &o, &e); rc != 0 {
			t.Fatalf("-T -C exited %d: %s", rc, e.String())
		}
		if !strings.Contains(o.String(), want) {
			t.Errorf("-T -C user=%s lacks %q", user, want)
		}
	}
}
