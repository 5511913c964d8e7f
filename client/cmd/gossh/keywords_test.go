package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/hostkey/krl"
	"github.com/sshstack/sshstack/sshconfig"
)

// Recorded with OpenSSH 9.2's ssh-keygen -lv (and -E md5) for these keys.
const (
	vecEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAxgcAObazhGFImUva58/3Kk6Kd+Q3ozt3HS7VWhU4K2 test"
	artEd25519 = `+--[ED25519 256]--+
|     . . .       |
|    . + . .      |
|     + +   .     |
|..  . + o.  .    |
|.E.  o  S+o  .   |
|o. ..  .ooo+. ...|
|o o ...o.=ooo. .o|
|.+   .o oo*+oo . |
|+    .   .+=*+o  |
+----[SHA256]-----+`
	artEd25519MD5 = `+--[ED25519 256]--+
|..oo.=+.  o.     |
|. ..+.+o.  o     |
|.. .  +Eo o      |
|o      + = .     |
|o     . S o .    |
| .         .     |
|                 |
|                 |
|                 |
+------[MD5]------+`
	vecRSA1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCzt5RkxeL6QZj+w3c9ZvGp7JZlGlRFYTt2t4K9LE3j73w85K8FX4kJWg7hP+tjrNDqIQaPHouvILrEDQokGMU5doO/Jwrjme4e3pu0h4V7bHD6Ba1hrYqGw0YbME/VxGFVB6CTjZZrSEsZcV6YviNJ9tvYmvmPXfbkTJn7kp2dHQ== r"
	artRSA1024 = `+---[RSA 1024]----+
|              o+=|
|         o   o  .|
|        + o =   .|
|       + o = B . |
|      o S o % + .|
|       . + + X +.|
|        o . o *.*|
|           + OE+o|
|          ..*+B. |
+----[SHA256]-----+`
)

func parsePub(t *testing.T, s string) hostkey.PublicKey {
	t.Helper()
	pub, _, err := hostkey.ParsePublicKeyFile([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestRandomart(t *testing.T) {
	for _, tt := range []struct {
		name, key, hash, want string
	}{
		{"ed25519 sha256", vecEd25519, "SHA256", artEd25519},
		{"ed25519 md5", vecEd25519, "MD5", artEd25519MD5},
		{"rsa sha256", vecRSA1024, "SHA256", artRSA1024},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, randomart(parsePub(t, tt.key), tt.hash)); diff != "" {
				t.Errorf("randomart (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFingerprintHash(t *testing.T) {
	pub := parsePub(t, vecEd25519)
	for hash, want := range map[string]string{
		"sha256": "SHA256:eb/Mg7/2XJxIAOKvGsQx4cc/ejPp5S4XrCEKalqEKsQ",
		"md5":    "MD5:15:b1:f2:2d:a0:31:1c:31:0c:c9:a2:0e:40:4d:f7:c9",
	} {
		o := newOptions()
		o.setOption("FingerprintHash " + hash)
		if err := o.fillDefaults("h"); err != nil {
			t.Fatal(err)
		}
		if got := o.fingerprint(pub); got != want {
			t.Errorf("%s: %s, want %s", hash, got, want)
		}
	}
}

func TestRequiredRSASize(t *testing.T) {
	pub := parsePub(t, vecRSA1024)
	for size, ok := range map[string]bool{"1024": true, "2048": false} {
		o := newOptions()
		o.setOption("RequiredRSASize " + size)
		o.fillDefaults("h")
		err := o.checkRSASize("key", pub)
		if (err == nil) != ok || (err != nil && !errors.Is(err, errRSASize)) {
			t.Errorf("RequiredRSASize %s: %v", size, err)
		}
	}
	// Other key types are never refused.
	if err := newOptions().checkRSASize("key", parsePub(t, vecEd25519)); err != nil {
		t.Error(err)
	}
	// An identity file with a short RSA key is skipped.
	dir := t.TempDir()
	id := filepath.Join(dir, "id_rsa")
	os.WriteFile(id, []byte("not read"), 0o600)
	os.WriteFile(id+".pub", []byte(vecRSA1024), 0o600)
	o := newOptions()
	o.setOption("RequiredRSASize 2048")
	o.setOption("IdentityFile " + id)
	o.setOption("PreferredAuthentications publickey")
	o.setOption("IdentityAgent none")
	o.fillDefaults("h")
	srcs, _, err := authSources(o, &logger{w: &strings.Builder{}}, &prompter{opts: o}, "h", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 { // "none" only
		t.Errorf("sources %v", srcs)
	}
}

// fakeResolver knows a fixed set of names and CNAMEs.
type fakeResolver struct {
	hosts  map[string]bool
	cnames map[string]string
	asked  []string
}

func (r *fakeResolver) LookupHost(_ context.Context, h string) ([]string, error) {
	r.asked = append(r.asked, h)
	if r.hosts[h] {
		return []string{"127.0.0.1"}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: h, IsNotFound: true}
}

func (r *fakeResolver) LookupCNAME(_ context.Context, h string) (string, error) {
	if c, ok := r.cnames[h]; ok {
		return c, nil
	}
	return h, nil
}

func TestCanonicalize(t *testing.T) {
	r := &fakeResolver{
		hosts: map[string]bool{"web.b.example.": true, "db.a.example.": true, "x.y.a.example.": true, "alias.a.example.": true,
			"www.a.example": true},
		cnames: map[string]string{"alias.a.example.": "real.c.example.", "www.a.example": "cdn.c.example."},
	}
	old := canonResolver
	canonResolver = r
	defer func() { canonResolver = old }()
	base := []string{"CanonicalizeHostname yes", "CanonicalDomains a.example b.example"}
	for _, tt := range []struct {
		name, host string
		opts       []string
		want       string
		changed    bool
		fail       bool
	}{
		{"first domain that resolves", "web", nil, "web.b.example", true, false},
		{"in order", "db", nil, "db.a.example", true, false},
		{"too many dots", "x.y", []string{"CanonicalizeMaxDots 0"}, "x.y", false, false},
		{"one dot is the default limit", "x.y", nil, "x.y.a.example", true, false},
		{"fallback local", "nowhere", nil, "nowhere", false, false},
		{"no fallback", "nowhere", []string{"CanonicalizeFallbackLocal no"}, "", false, true},
		{"address literal", "127.0.0.1", nil, "127.0.0.1", false, false},
		{"proxy: not canonicalised", "web", []string{"ProxyJump j"}, "web", false, false},
		{"proxy with always", "web", []string{"ProxyCommand nc %h %p", "CanonicalizeHostname always"}, "web.b.example", true, false},
		{"CNAME not permitted", "alias", nil, "alias.a.example", true, false},
		{"CNAME permitted", "alias", []string{"CanonicalizePermittedCNAMEs *.a.example:*.c.example"}, "real.c.example", true, false},
		{"CNAME other rule", "alias", []string{"CanonicalizePermittedCNAMEs *.b.example:*.c.example"}, "alias.a.example", true, false},
		{"off", "web", []string{"CanonicalizeHostname no"}, "web", false, false},
		// Off (or through a proxy), CanonicalizePermittedCNAMEs still
		// resolves the bare name and follows a permitted CNAME.
		{"off, CNAME followed", "www.a.example", []string{"CanonicalizeHostname no", "CanonicalizePermittedCNAMEs *.a.example:*.c.example"}, "cdn.c.example", true, false},
		{"off, bare name unresolvable", "nowhere", []string{"CanonicalizeHostname no", "CanonicalizePermittedCNAMEs *:*"}, "", false, true},
		{"proxy, CNAME not followed", "www.a.example", []string{"ProxyJump j", "CanonicalizePermittedCNAMEs *.a.example:*.c.example"}, "www.a.example", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := newOptions()
			for _, s := range append(tt.opts, base...) {
				if err := o.setOption(s); err != nil {
					t.Fatal(err)
				}
			}
			got, changed, err := canonicalize(context.Background(), o, tt.host)
			var ce *canonError
			var re *resolveError
			if tt.fail {
				if !errors.As(err, &ce) && !errors.As(err, &re) {
					t.Errorf("err %v, want a canonError or resolveError", err)
				}
				return
			}
			if err != nil || got != tt.want || changed != tt.changed {
				t.Errorf("got %q %v %v, want %q %v", got, changed, err, tt.want, tt.changed)
			}
		})
	}
	// resolve reads the files again for the canonical name.
	conf := filepath.Join(t.TempDir(), "config")
	os.WriteFile(conf, []byte("CanonicalizeHostname yes\nCanonicalDomains a.example b.example\n"+
		"Host web\n  User short\nHost web.b.example\n  Port 2202\n  User long\nMatch canonical\n  ConnectTimeout 5\n"+
		"Match !canonical\n  ServerAliveInterval 9\n"), 0o600)
	o, _, err := resolve(&flags{configFile: conf, destination: "web"}, "", "web", "")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"hostname": "web.b.example", "port": "2202", "user": "short", "connecttimeout": "5", "serveraliveinterval": "9"} {
		if got := o.get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestIPQoS(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ipqos
		bad  bool
	}{
		{"lowdelay throughput", ipqos{0x10, 0x08}, false},
		{"af21 cs1", ipqos{0x48, 0x20}, false},
		{"ef", ipqos{0xb8, 0xb8}, false},
		{"none", ipqos{-1, -1}, false},
		{"0x20 12", ipqos{0x20, 12}, false},
		{"bogus", ipqos{}, true},
		{"256", ipqos{}, true},
	} {
		got, err := parseIPQoS(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("%q: %v %v, want %v", tt.in, got, err, tt.want)
		}
	}
	// setTOS sets IP_TOS on the socket, as ssh does.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	o := newOptions()
	o.fillDefaults("h")
	c, err := dialTCP(context.Background(), o, "tcp4", l.Addr().String(), &logger{w: &strings.Builder{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tos := range []int{0x48, 0x10} {
		if err := setTOS(c, tos); err != nil {
			t.Fatal(err)
		}
		if got := sockopt(t, c, syscall.IPPROTO_IP, syscall.IP_TOS); got != tos {
			t.Errorf("IP_TOS %#x, want %#x", got, tos)
		}
	}
}

func sockopt(t *testing.T, c net.Conn, level, opt int) int {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	rc.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), level, opt) })
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

func TestDialTCPOptions(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tt := range []struct {
		opts []string
		keep int
	}{
		{nil, 1},
		{[]string{"TCPKeepAlive no"}, 0},
		{[]string{"TCPKeepAlive yes", "BindAddress 127.0.0.1", "BindInterface lo"}, 1},
	} {
		o := newOptions()
		for _, s := range tt.opts {
			o.setOption(s)
		}
		o.fillDefaults("h")
		c, err := dialTCP(context.Background(), o, "tcp4", l.Addr().String(), &logger{w: &strings.Builder{}})
		if err != nil {
			if strings.Contains(strings.Join(tt.opts, " "), "BindInterface") && errors.Is(err, syscall.EPERM) {
				t.Logf("SO_BINDTODEVICE needs privileges here: %v", err)
				continue
			}
			t.Fatal(err)
		}
		if got := sockopt(t, c, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); got != tt.keep {
			t.Errorf("%v: SO_KEEPALIVE %d, want %d", tt.opts, got, tt.keep)
		}
		c.Close()
	}
}

func TestGatewayPortsAndStreamLocalBind(t *testing.T) {
	defer func() { gatewayPorts = false }()
	for gw, want := range map[bool]string{false: "127.0.0.1:8080", true: ":8080"} {
		gatewayPorts = gw
		if _, addr, err := listenAddr("8080"); err != nil || addr != want {
			t.Errorf("GatewayPorts %v: %q %v, want %q", gw, addr, err, want)
		}
		// An explicit bind address wins either way.
		if _, addr, _ := listenAddr("localhost:8080"); addr != "127.0.0.1:8080" {
			t.Errorf("GatewayPorts %v, localhost: %q", gw, addr)
		}
	}
	saved := streamLocalBind
	defer func() { streamLocalBind = saved }()
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	for _, tt := range []struct {
		mask   int
		unlink bool
		mode   os.FileMode
	}{{0o177, false, 0o600}, {0o022, true, 0o755}} {
		streamLocalBind.mask, streamLocalBind.unlink = tt.mask, tt.unlink
		if !tt.unlink {
			os.Remove(sock)
		} else {
			os.WriteFile(sock, nil, 0o600) // stale: only unlink lets the bind succeed
		}
		l, err := listen("unix", sock)
		if err != nil {
			t.Fatalf("mask %o unlink %v: %v", tt.mask, tt.unlink, err)
		}
		fi, err := os.Stat(sock)
		if err != nil || fi.Mode().Perm() != tt.mode {
			t.Errorf("mask %o: mode %v, want %v", tt.mask, fi.Mode().Perm(), tt.mode)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
	}
	streamLocalBind.unlink = false
	if _, err := listen("unix", sock); err == nil {
		t.Error("bound over a stale socket without StreamLocalBindUnlink")
	}
}

func TestConfigKeywordSemantics(t *testing.T) {
	cf, err := parseConfig(strings.NewReader(`IgnoreUnknown Foo*,UseKeychain
UseKeychain yes
FooBar 1
SetEnv A=1 B=2
SetEnv C=3
ProxyCommand nc %h %p
ProxyJump j
LocalForward 1 h:1
LocalForward 1 h:1
ClearAllForwardings yes
Tunnel yes
Match final
  User finaluser
`), "t", sshconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := newOptions()
	if err := cf.apply(o, matchContext{host: "h"}); err != nil {
		t.Fatal(err)
	}
	if len(o.all("localforward")) != 1 {
		t.Errorf("duplicate forward kept: %v", o.all("localforward"))
	}
	if !o.wantFinal || o.get("user") != "" {
		t.Errorf("Match final: wantFinal %v user %q on the first pass", o.wantFinal, o.get("user"))
	}
	if err := cf.apply(o, matchContext{host: "h", final: true}); err != nil {
		t.Fatal(err)
	}
	if err := o.fillDefaults("h"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string][]string{
		"setenv": {"A=1", "B=2"}, "proxycommand": {"nc %h %p"}, "proxyjump": nil,
		"localforward": nil, "tunnel": {"false"}, "user": {"finaluser"},
	} {
		if diff := cmp.Diff(want, o.all(k)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	if cf, _ := parseConfig(strings.NewReader("UseKeychain yes\n"), "t", sshconfig.Options{}); cf.apply(newOptions(), matchContext{host: "h"}) == nil {
		t.Error("unknown keyword without IgnoreUnknown accepted")
	}
	// Values gossh cannot honour warn; the ones it can do not.
	for opt, warn := range map[string]bool{"ControlMaster no": false, "ControlMaster auto": false, "ControlPersist 10m": false, "ControlPath /tmp/%C": false, "Tunnel point-to-point": false,
		"VerifyHostKeyDNS ask": false, "VerifyHostKeyDNS yes": false, "VerifyHostKeyDNS no": false, "GatewayPorts yes": false, "IPQoS ef": false,
		"SecurityKeyProvider internal": false, "SecurityKeyProvider /lib/sk.so": false, "PKCS11Provider /lib/p11.so": false, "LogVerbose kex.c:*": false,
		"GSSAPIRenewalForcesRekey yes": false, "GSSAPIClientIdentity a@B": false, "ChannelTimeout session=5m": true} {
		o := newOptions()
		if err := o.setOption(opt); err != nil {
			t.Fatal(err)
		}
		if (len(o.warnings) > 0) != warn {
			t.Errorf("%s: warnings %v", opt, o.warnings)
		}
	}
	for _, bad := range []string{"Tunnel maybe", "AddKeysToAgent yes 5", "IPQoS x", "StreamLocalBindMask 9", "ConnectionAttempts 0",
		"ControlMaster sometimes", "TunnelDevice a:b", "CanonicalizePermittedCNAMEs foo", "EscapeChar ab"} {
		o := newOptions()
		o.setOption(bad)
		if err := o.fillDefaults("h"); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestEscapeCommandlineDisabled(t *testing.T) {
	var echoed strings.Builder
	called := false
	r := newEscapeReader(strings.NewReader("~C"), '~', escapeActions{
		echo:      func(s string) { echoed.WriteString(s) },
		command:   func(string) string { called = true; return "" },
		noCmdline: true,
	})
	buf := make([]byte, 16)
	r.Read(buf)
	if called || !strings.Contains(echoed.String(), "commandline disabled") {
		t.Errorf("~C with EnableEscapeCommandline no: echoed %q, command run %v", echoed.String(), called)
	}
}

func TestLocalCommandTokens(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	o := newOptions()
	o.setOption("PermitLocalCommand yes")
	o.setOption("LocalCommand echo %h %p %r %n %C >" + out)
	o.setOption("User u")
	o.setOption("Port 2")
	o.fillDefaults("Host.Example")
	if err := localCommand(o, matchContext{host: "host.example", originalHost: "Host.Example"}, &logger{w: &strings.Builder{}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if want := "host.example 2 u Host.Example " + connectionHash(o) + "\n"; string(b) != want {
		t.Errorf("LocalCommand wrote %q, want %q", b, want)
	}
}

func TestPermitRemoteOpen(t *testing.T) {
	for _, tt := range []struct {
		spec, target string
		ok           bool
	}{
		{"any", "h:1", true},
		{"", "h:1", true},
		{"none", "h:1", false},
		{"h:1", "h:1", true},
		{"H:1", "h:1", true},
		{"h:1", "h:2", false},
		{"h:*", "h:2", true},
		{"*:22", "x:22", true},
		{"*:22", "x:23", false},
		{"a:1 [::1]:22", "[::1]:22", true},
		{"a:1 [::1]:22", "[::2]:22", false},
	} {
		if got := remoteOpenAllowed(parsePermitRemoteOpen(tt.spec), tt.target); got != tt.ok {
			t.Errorf("PermitRemoteOpen %q, %s: %v, want %v", tt.spec, tt.target, got, tt.ok)
		}
	}
}

func TestGSSAPIKexAlgorithmsAndForwardAgent(t *testing.T) {
	for _, tt := range []struct {
		opts     []string
		fams     []string
		fwd      bool
		fwdAgent string
	}{
		// Debian ssh's default (ssh -G -F /dev/null host), SHA-1 families included.
		{[]string{"GSSAPIKeyExchange yes"}, []string{"gss-group14-sha256-", "gss-group16-sha512-", "gss-nistp256-sha256-", "gss-curve25519-sha256-", "gss-group14-sha1-", "gss-gex-sha1-"}, false, ""},
		{[]string{"GSSAPIKeyExchange yes", "GSSAPIKexAlgorithms gss-nistp521-sha512-,gss-group17-sha512-"}, []string{"gss-nistp521-sha512-", "gss-group17-sha512-"}, false, ""},
		{[]string{"GSSAPIKeyExchange yes", "GSSAPIKexAlgorithms gss-group14-sha1-,gss-curve25519-sha256-"}, []string{"gss-group14-sha1-", "gss-curve25519-sha256-"}, false, ""},
		{[]string{"ForwardAgent /tmp"}, nil, true, "/tmp"},
		{[]string{"ForwardAgent /nonexistent/sock"}, nil, false, ""}, // ssh's error, then no forwarding
		{[]string{"ForwardAgent yes"}, nil, true, ""},
	} {
		o := newOptions()
		for _, s := range append(tt.opts, "BatchMode yes", "IdentityAgent none", "PreferredAuthentications none") {
			if err := o.setOption(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.fillDefaults("h"); err != nil {
			t.Fatal(err)
		}
		cfg, closer, err := clientConfig(o, &logger{w: &strings.Builder{}}, &prompter{opts: o}, "h")
		if err != nil {
			t.Fatal(err)
		}
		if closer != nil {
			closer.Close()
		}
		var fams []string
		if cfg.GSSAPI != nil {
			fams = cfg.GSSAPI.KexFamilies
		}
		if diff := cmp.Diff(tt.fams, fams); diff != "" {
			t.Errorf("%v: families (-want +got):\n%s", tt.opts, diff)
		}
		if cfg.ForwardAgent != tt.fwd || (tt.fwdAgent != "" && cfg.AgentSocket != tt.fwdAgent) {
			t.Errorf("%v: ForwardAgent %v %q", tt.opts, cfg.ForwardAgent, cfg.AgentSocket)
		}
	}
}

func TestRevokedHostKeys(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "revoked")
	os.WriteFile(list, []byte("# comment\n\n"+vecEd25519+"\n"), 0o600)
	truncated := filepath.Join(dir, "truncated")
	os.WriteFile(truncated, []byte("SSHKRL\n\x00\x00\x00\x00\x01"), 0o600)
	var kr krl.KRL
	kr.Revoke(parsePub(t, vecEd25519))
	krlFile := filepath.Join(dir, "krl")
	os.WriteFile(krlFile, kr.Marshal(), 0o600)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	for _, tt := range []struct {
		file, key string
		revoked   bool
	}{
		{list, vecEd25519, true},
		{list, vecRSA1024, false},
		{filepath.Join(dir, "missing"), vecEd25519, false},
		{truncated, vecRSA1024, true}, // a KRL that does not parse refuses, never skips
		{krlFile, vecEd25519, true},   // a binary KRL, as ssh-keygen -k writes it
		{krlFile, vecRSA1024, false},
		{bad, vecRSA1024, true},
	} {
		o := newOptions()
		o.setOption("RevokedHostKeys " + tt.file)
		o.fillDefaults("h")
		err := o.checkRevoked(parsePub(t, tt.key))
		if (err != nil) != tt.revoked || (err != nil && !errors.Is(err, errRevoked)) {
			t.Errorf("%s, %.20s: %v, want revoked %v", filepath.Base(tt.file), tt.key, err, tt.revoked)
		}
	}
}

// TestIdentityWithCertificate: an identity file with a "-cert.pub"
// beside it is offered twice, as ssh offers it: the certificate first,
// then the plain key, which a server that does not trust the CA still
// accepts (gossh used to offer the certificate alone).
func TestIdentityWithCertificate(t *testing.T) {
	dir := t.TempDir()
	id := filepath.Join(dir, "id_ed25519")
	os.WriteFile(id, []byte("not read"), 0o600)
	os.WriteFile(id+".pub", []byte(vecEd25519), 0o600)
	os.WriteFile(id+"-cert.pub", []byte("not read either"), 0o600)
	o := newOptions()
	o.setOption("IdentityFile " + id)
	o.setOption("PreferredAuthentications publickey")
	o.setOption("IdentityAgent none")
	o.fillDefaults("h")
	srcs, _, err := authSources(o, &logger{w: &strings.Builder{}}, &prompter{opts: o}, "h", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 3 { // none, the certificate, the key
		t.Errorf("%d sources %v, want none, the certificate and the key", len(srcs), srcs)
	}
}
