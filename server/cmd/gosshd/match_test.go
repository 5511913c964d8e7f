package main

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth"
)

// The expected values follow OpenSSH 9.2's match.c and addrmatch.c
// (match_pattern_list, addr_match_list), which gosshd's Match follows.
func TestPatternList(t *testing.T) {
	tests := []struct {
		s, list string
		lower   bool
		want    int
	}{
		{"alice", "alice", false, 1},
		{"alice", "al*", false, 1},
		{"alice", "al?ce", false, 1},
		{"alice", "bob,*", false, 1},
		{"alice", "*,!alice", false, -1},
		{"alice", "!alice", false, -1},
		{"alice", "!bob", false, 0}, // a negation alone never matches
		{"Alice", "alice", false, 0},
		{"alice", "ALICE", true, 1},
		{"a[b]", "a[b]", false, 1}, // no character classes
		{"ab", "a[b]", false, 0},
		{`a\b`, `a\b`, false, 1}, // no escapes
		{"", "", false, 1},
		{"", "*", false, 1},
		{"abc", "*c*", false, 1},
		{"abc", "**b", false, 0},
	}
	for _, tt := range tests {
		if got := patternList(tt.s, tt.list, tt.lower); got != tt.want {
			t.Errorf("patternList(%q, %q, %v) = %d, want %d", tt.s, tt.list, tt.lower, got, tt.want)
		}
	}
}

func TestAddrMatchList(t *testing.T) {
	tests := []struct {
		addr, list string
		want       int
	}{
		{"10.1.2.3", "10.0.0.0/8", 1},
		{"10.1.2.3", "10.0.0.0/8,!10.1.0.0/16", -1},
		{"10.2.2.3", "10.0.0.0/8,!10.1.0.0/16", 1},
		{"10.1.2.3", "10.1.2.3", 1},
		{"10.1.2.3", "10.1.2.*", 1},
		{"10.1.2.3", "10.1.2.?", 1},
		{"10.1.2.33", "10.1.2.?", 0},
		{"2001:db8::1", "2001:db8::/32", 1},
		{"2001:db8::1", "10.0.0.0/8", 0},
		{"::ffff:10.1.2.3", "10.0.0.0/8", 0}, // families differ, as addr_netmatch
		{"not-an-address", "*", 0},
		{"10.1.2.3", "10.0.0.1/8", -2}, // host bits set
		{"10.1.2.3", "10.0.0.0/33", -2},
		{"10.1.2.3", "10.0.0.0/8,", -2},
		{"10.1.2.3", "!", -2},
		{"10.1.2.3", "10.0.0.0/x", 0}, // not CIDR: a wildcard pattern
		{"", "10.0.0.0/8", 0},
		{"", "10.0.0.1/8", -2},
	}
	for _, tt := range tests {
		if got := addrMatchList(tt.addr, tt.list); got != tt.want {
			t.Errorf("addrMatchList(%q, %q) = %d, want %d", tt.addr, tt.list, got, tt.want)
		}
	}
}

func TestParseMatch(t *testing.T) {
	for _, ok := range []string{"all", "User a", "user=a address=10.0.0.0/8", "LocalPort ssh", "User a # comment",
		"Host *.example.com RDomain vrf*", `User "a b"`, "Group g LocalAddress 127.0.0.1"} {
		if _, err := parseMatch(ok, "x"); err != nil {
			t.Errorf("parseMatch(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "all User a", "User a all", "User", "Frob x", "LocalPort 22,23",
		"LocalPort 70000", "Address 10.0.0.1/8", "LocalAddress 10.0.0.0/8,", "# only a comment"} {
		if _, err := parseMatch(bad, "x"); err == nil {
			t.Errorf("parseMatch(%q) accepted", bad)
		}
	}
}

func TestTestSpec(t *testing.T) {
	var ci connInfo
	if err := parseTestSpec(&ci, "user=a,host=H,addr=10.0.0.1,laddr=::1,lport=22,rdomain=r"); err != nil {
		t.Fatal(err)
	}
	want := connInfo{user: "a", host: "H", addr: "10.0.0.1", laddr: "::1", lport: 22, rdomain: "r", test: true,
		known: ciUser | ciHost | ciAddr | ciLaddr | ciLport | ciRdomain}
	if ci != want {
		t.Errorf("got %+v, want %+v", ci, want)
	}
	for _, bad := range []string{"frob=1", "lport=x", "user"} {
		if err := parseTestSpec(&connInfo{}, bad); err == nil {
			t.Errorf("parseTestSpec(%q) accepted", bad)
		}
	}
	// Match LocalPort without lport is sshd's fatal error; a missing
	// field of any other criterion just does not match.
	m, _ := parseMatch("LocalPort 22", "x")
	if _, err := m.matches(connInfo{test: true}); !errors.Is(err, errMatchTest) {
		t.Errorf("LocalPort without lport: %v, want errMatchTest", err)
	}
	m, _ = parseMatch("User *", "x")
	if ok, err := m.matches(connInfo{test: true}); ok || err != nil {
		t.Errorf("User without user: %v %v, want no match", ok, err)
	}
}

// TestUseDNS checks sshd's remote_hostname rules with a fake resolver:
// the name is used only when it maps back to the address.
func TestUseDNS(t *testing.T) {
	oldA, oldH := lookupAddr, lookupHost
	t.Cleanup(func() { lookupAddr, lookupHost = oldA, oldH; dnsCache.m = nil })
	lookupAddr = func(_ context.Context, a string) ([]string, error) {
		return map[string][]string{"192.0.2.1": {"Good.Example.COM."}, "192.0.2.2": {"liar.example.com."},
			"192.0.2.3": {"192.0.2.9"}}[a], nil
	}
	lookupHost = func(_ context.Context, h string) ([]string, error) {
		return map[string][]string{"good.example.com": {"192.0.2.1"}, "liar.example.com": {"198.51.100.1"}}[h], nil
	}
	f := writeConfig(t, "UseDNS yes\nMatch Host *.example.com\n\tForceCommand /bin/dns\n")
	c, err := loadConfig(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"192.0.2.1": "good.example.com", "192.0.2.2": "192.0.2.2",
		"192.0.2.3": "192.0.2.3", "192.0.2.4": "192.0.2.4"} {
		if got := c.remoteHost(addr); got != want {
			t.Errorf("remoteHost(%s) = %q, want %q", addr, got, want)
		}
	}
	ci := c.connInfoOf("u", fakeAddr("192.0.2.1:5000"), nil)
	if e := c.forConn(ci); e.ForceCommand != "/bin/dns" {
		t.Errorf("Match Host with UseDNS yes: ForceCommand %q", e.ForceCommand)
	}
	c.more.UseDNS = false
	if got := c.remoteHost("192.0.2.1"); got != "192.0.2.1" {
		t.Errorf("UseDNS no: remoteHost = %q, want the address", got)
	}
	if e := c.forConn(c.connInfoOf("u", fakeAddr("192.0.2.1:5000"), nil)); e.ForceCommand != "" {
		t.Errorf("Match Host with UseDNS no: ForceCommand %q", e.ForceCommand)
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

func FuzzParseMatch(f *testing.F) {
	for _, s := range []string{"all", "User a,!b Address 10.0.0.0/8", `Host "x y"=z`, "LocalPort 22 RDomain *"} {
		f.Add(s, "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, line, addr string) {
		m, err := parseMatch(line, "fuzz")
		if err != nil {
			return
		}
		ci := connInfo{user: addr, host: addr, addr: addr, laddr: addr, rdomain: addr, lport: 22, known: 63}
		if _, err := m.matches(ci); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRestrictMatchLocalPort: the auth-time restrictions see Match
// LocalAddress and LocalPort sections (the connection's local address
// comes with the auth request).
func TestRestrictMatchLocalPort(t *testing.T) {
	c, err := loadConfig(writeConfig(t, "Match LocalAddress 127.0.0.1 LocalPort 2222\n\tPermitTTY no\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &policy{cfg: c}
	for laddr, noPTY := range map[string]bool{"127.0.0.1:2222": true, "127.0.0.1:22": false, "127.0.0.2:2222": false} {
		perms, err := p.restrict(userauth.ConnMeta{User: "u", RemoteAddr: fakeAddr("192.0.2.1:5000"), LocalAddr: fakeAddr(laddr)})(nil, nil)
		if err != nil || perms.NoPTY != noPTY {
			t.Errorf("local %s: NoPTY %v (%v), want %v", laddr, perms.NoPTY, err, noPTY)
		}
	}
}

// TestMatchConnSettings: a Match section sets the keywords package
// server applies per connection (server.Server.ForConn), and its
// AcceptEnv lines replace the global list, as sshd's.
func TestMatchConnSettings(t *testing.T) {
	c, err := loadConfig(writeConfig(t, `AcceptEnv LANG
MaxSessions 4
Match User bob
	MaxSessions 1
	ClientAliveInterval 5
	ClientAliveCountMax 0
	UnusedConnectionTimeout 1m
	GatewayPorts yes
	AcceptEnv A_*
	AcceptEnv B
	RekeyLimit 64K 10m
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := c.forConn(connInfo{user: "bob", known: ciUser})
	if e.MaxSessions != 1 || e.ClientAliveInterval != 5*time.Second || e.ClientAliveCountMax != 0 ||
		e.more.UnusedConnectionTimeout != time.Minute || e.GatewayPorts != "yes" || !slices.Equal(e.AcceptEnv, []string{"A_*", "B"}) ||
		e.RekeyBytes != 64<<10 || e.RekeyInterval != 10*time.Minute {
		t.Errorf("bob: %d %v %d %v %q %q %d %v", e.MaxSessions, e.ClientAliveInterval, e.ClientAliveCountMax,
			e.more.UnusedConnectionTimeout, e.GatewayPorts, e.AcceptEnv, e.RekeyBytes, e.RekeyInterval)
	}
	if g := c.forConn(connInfo{user: "alice", known: ciUser}); g.MaxSessions != 4 || !slices.Equal(g.AcceptEnv, []string{"LANG"}) {
		t.Errorf("alice: MaxSessions %d AcceptEnv %q, want the global ones", g.MaxSessions, g.AcceptEnv)
	}
	if !slices.Equal(c.AcceptEnv, []string{"LANG"}) {
		t.Errorf("global AcceptEnv changed: %q", c.AcceptEnv)
	}
}
