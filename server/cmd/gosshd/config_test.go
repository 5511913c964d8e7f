package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/server"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sshd_config")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
		unsupported      bool
	}{
		{"unknown keyword", "Port 22\nFrobnicate yes\n", "line 2: Frobnicate: unknown keyword", false},
		{"known unsupported", "# comment\n\nGSSAPIStoreCredentialsOnRekey yes\n", "line 3: GSSAPIStoreCredentialsOnRekey: yes: not supported by gosshd", true},
		{"unused connection timeout", "UnusedConnectionTimeout 5x\n", "line 1: UnusedConnectionTimeout:", false},
		{"exempt list with host bits", "PerSourcePenaltyExemptList 10.0.0.1/8\n", "line 1: PerSourcePenaltyExemptList: invalid address argument", false},
		{"bad ipqos", "IPQoS af21 cs1 ef\n", "line 1: IPQoS: bad value", false},
		{"bad pubkeyauthoptions", "PubkeyAuthOptions touch-required,verify-required\n", "unsupported PubkeyAuthOptions option", false},
		{"bad addressfamily", "AddressFamily inet5\n", "line 1: AddressFamily: bad value", false},
		{"gss store on rekey", "GSSAPIStoreCredentialsOnRekey yes\n", "line 1: GSSAPIStoreCredentialsOnRekey: yes: not supported by gosshd", true},
		{"bad gss kex", "GSSAPIKexAlgorithms gss-curve25519-sha256-,nosuch-\n", "line 1: GSSAPIKexAlgorithms: unsupported GSS-API key exchange algorithm", false},
		{"bad yes/no", "PubkeyAuthentication maybe\n", "line 1: PubkeyAuthentication: bad yes/no", false},
		{"bad port", "Port 99999\n", "line 1: Port: bad port", false},
		{"bad cipher", "Ciphers aes128-ctr,nosuch-cbc\n", `line 1: Ciphers: cipher: bad algorithm list: unsupported algorithm "nosuch-cbc"`, false},
		{"bad host key algorithm", "HostKeyAlgorithms +nosuch-key\n", `unsupported algorithm "nosuch-key"`, false},
		{"principals command without user", "AuthorizedPrincipalsCommand /bin/cat\n", "AuthorizedPrincipalsCommand set without AuthorizedPrincipalsCommandUser", false},
		{"keys command without user", "AuthorizedKeysCommand /bin/cat\n", "AuthorizedKeysCommand set without AuthorizedKeysCommandUser", false},
		{"bad algorithm", "KexAlgorithms nosuch-kex\n", `line 1: KexAlgorithms: cipher: bad algorithm list: unsupported algorithm "nosuch-kex"`, false},
		{"keyboard-interactive without PAM", "KbdInteractiveAuthentication yes\n", "KbdInteractiveAuthentication needs UsePAM yes", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeConfig(t, tt.text)
			_, err := loadConfig(f, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadConfig = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, errUnsupported) != tt.unsupported {
				t.Errorf("errors.Is(err, errUnsupported) = %v", !tt.unsupported)
			}
			if tt.name == "unknown keyword" && !strings.Contains(err.Error(), f) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestConfigValues(t *testing.T) {
	f := writeConfig(t, `Port 2222
Port 2223
LoginGraceTime 1m30s
MaxStartups 5:50:20
Ciphers -aes128-ctr,aes128-gcm@openssh.com
KexAlgorithms ^curve25519-sha256
MACs +hmac-sha1
PubkeyAcceptedAlgorithms -ssh-ed25519*
AuthorizedKeysFile .ssh/authorized_keys /etc/keys/%u %h/extra%%
MaxAuthTries 3
MaxAuthTries 9
PrintMotd no
Subsystem	sftp	internal-sftp
Subsystem	netconf  /usr/bin/netconf -x
RekeyLimit 1G 1h
`)
	c, err := loadConfig(f, []string{"MaxAuthTries=4", "LogLevel DEBUG1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Ports, []int{2222, 2223}) {
		t.Errorf("Ports %v", c.Ports)
	}
	if c.LoginGraceTime != 90*time.Second {
		t.Errorf("LoginGraceTime %v", c.LoginGraceTime)
	}
	if c.MaxStartups != (server.Startups{Start: 5, Rate: 50, Full: 20}) {
		t.Errorf("MaxStartups %+v", c.MaxStartups)
	}
	if slices.Contains(c.Ciphers, "aes128-ctr") || slices.Contains(c.Ciphers, "aes128-gcm@openssh.com") || len(c.Ciphers) == 0 {
		t.Errorf("Ciphers %v", c.Ciphers)
	}
	if c.KexAlgorithms[0] != "curve25519-sha256" {
		t.Errorf("KexAlgorithms %v", c.KexAlgorithms)
	}
	if !slices.Contains(c.MACs, "hmac-sha1") {
		t.Errorf("MACs %v", c.MACs)
	}
	if slices.ContainsFunc(c.PubkeyAcceptedAlgorithms, func(a string) bool { return strings.HasPrefix(a, "ssh-ed25519") }) {
		t.Errorf("PubkeyAcceptedAlgorithms %v", c.PubkeyAcceptedAlgorithms)
	}
	if c.MaxAuthTries != 4 {
		t.Errorf("MaxAuthTries %d: -o must win over the file, and the first value in the file over later ones", c.MaxAuthTries)
	}
	if c.LogLevel != "DEBUG1" || c.Subsystems["sftp"] != "internal-sftp" || c.Subsystems["netconf"] != "/usr/bin/netconf -x" {
		t.Errorf("LogLevel %q Subsystems %v", c.LogLevel, c.Subsystems)
	}
	if c.RekeyBytes != 1<<30 || c.RekeyInterval != time.Hour {
		t.Errorf("RekeyLimit %d %v", c.RekeyBytes, c.RekeyInterval)
	}
	if len(c.Warnings) != 0 || c.more.PrintMotd {
		t.Errorf("Warnings %v, PrintMotd %v: PrintMotd is applied, not ignored", c.Warnings, c.more.PrintMotd)
	}
	a := &account{Name: "alice", Home: "/home/alice", UID: 1000}
	var got []string
	for _, p := range c.AuthorizedKeysFiles {
		e, err := expandTokens(p, a)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	want := []string{"/home/alice/.ssh/authorized_keys", "/etc/keys/alice", "/home/alice/extra%"}
	if !slices.Equal(got, want) {
		t.Errorf("AuthorizedKeysFile expands to %v, want %v", got, want)
	}
}

func TestPermitted(t *testing.T) {
	tests := []struct {
		entries []string
		host    string
		port    uint32
		open    bool
		want    bool
	}{
		{nil, "example.com", 80, true, true},
		{[]string{"any"}, "example.com", 80, true, true},
		{[]string{"none"}, "example.com", 80, true, false},
		{[]string{"localhost:8080"}, "localhost", 8080, true, true},
		{[]string{"localhost:8080"}, "localhost", 8081, true, false},
		{[]string{"*:443"}, "x", 443, true, true},
		{[]string{"8080"}, "", 8080, false, true},
		{[]string{"localhost:8080"}, "127.0.0.1", 8080, false, true},
		{[]string{"localhost:8080"}, "0.0.0.0", 8080, false, false},
	}
	for _, tt := range tests {
		if got := permitted(tt.entries, tt.host, tt.port, tt.open); got != tt.want {
			t.Errorf("permitted(%v, %q, %d, open=%v) = %v", tt.entries, tt.host, tt.port, tt.open, got)
		}
	}
}

// TestCheckAndDump runs gosshd -t and -T on a configuration with a host
// key written by our own key code.
func TestCheckAndDump(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "host")
	pem := genKeyFile(t)
	os.WriteFile(key, pem, 0o600)
	f := writeConfig(t, "HostKey "+key+"\nPort 2022\nPidFile none\n")
	var out, errb bytes.Buffer
	if rc := run([]string{"-t", "-f", f}, &out, &errb); rc != 0 {
		t.Fatalf("-t exited %d: %s", rc, errb.String())
	}
	if rc := run([]string{"-T", "-f", f, "-p", "2024"}, &out, &errb); rc != 0 {
		t.Fatalf("-T exited %d: %s", rc, errb.String())
	}
	for _, want := range []string{"port 2024\naddressfamily any\nlistenaddress [::]:2024\nlistenaddress 0.0.0.0:2024\n", "hostkey " + key, "maxstartups 10:30:100", "logingracetime 120", "maxauthtries 6"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-T output lacks %q:\n%s", want, out.String())
		}
	}
	errb.Reset()
	if rc := run([]string{"-t", "-f", writeConfig(t, "HostKey "+filepath.Join(dir, "missing")+"\n")}, &out, &errb); rc == 0 {
		t.Error("-t accepted a configuration without a loadable host key")
	}
}

// testConn is the connInfo of a connection from addr to port lport.
func testConn(user, addr string, lport int) connInfo {
	return connInfo{user: user, addr: addr, host: addr, lport: lport, known: ciUser | ciHost | ciAddr | ciLport | ciRdomain}
}

func TestMatch(t *testing.T) {
	f := writeConfig(t, `AllowTcpForwarding yes
SetEnv A=global
Match User bob,!bobby Address 10.0.0.0/8
	ForceCommand /bin/bob-only
	AllowTcpForwarding no
	SetEnv B=bob
Match LocalPort 2222
	AllowTcpForwarding local
	ForceCommand /bin/second
Match all
	PermitOpen localhost:80
`)
	c, err := loadConfig(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ci      connInfo
		force   string
		forward string
		env     []string
	}{
		// A Match SetEnv replaces the global list, as in sshd.
		{testConn("bob", "10.1.2.3", 22), "/bin/bob-only", "no", []string{"B=bob"}},
		{testConn("bob", "10.1.2.3", 2222), "/bin/bob-only", "no", []string{"B=bob"}},
		{testConn("bob", "192.0.2.1", 2222), "/bin/second", "local", []string{"A=global"}},
		{testConn("bobby", "10.1.2.3", 22), "", "yes", []string{"A=global"}},
	}
	for _, tt := range tests {
		e := c.forConn(tt.ci)
		if e.ForceCommand != tt.force || e.AllowTCPForwarding != tt.forward || !slices.Equal(e.SetEnv, tt.env) ||
			!slices.Equal(e.PermitOpen, []string{"localhost:80"}) {
			t.Errorf("%+v: ForceCommand %q AllowTcpForwarding %q SetEnv %v PermitOpen %v", tt.ci, e.ForceCommand, e.AllowTCPForwarding, e.SetEnv, e.PermitOpen)
		}
	}
	if c.ForceCommand != "" || c.AllowTCPForwarding != "yes" {
		t.Error("Match sections changed the global configuration")
	}
	for _, bad := range []string{"Match User bob\nPort 22\n", "Match Frob x\n", "Match User bob\nNoSuchKeyword 1\n"} {
		if _, err := loadConfig(writeConfig(t, bad), nil); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestGSSConfig: the GSS-API keywords print as Debian's sshd -T prints
// its defaults, and "yes" turns the Server's GSS-API fields on.
func TestGSSConfig(t *testing.T) {
	c, err := loadConfig(writeConfig(t, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c.dump(&out)
	for _, want := range []string{ // sshd -T of OpenSSH 9.2p1 Debian
		"gssapiauthentication no\n", "gssapicleanupcredentials yes\n", "gssapikeyexchange no\n",
		"gssapistrictacceptorcheck yes\n", "gssapistorecredentialsonrekey no\n",
		"gssapikexalgorithms gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-T output lacks %q", want)
		}
	}
	c, err = loadConfig(writeConfig(t, "GSSAPIAuthentication yes\nGSSAPIKeyExchange yes\nGSSAPIStrictAcceptorCheck no\nGSSAPICleanupCredentials no\nGSSAPIKexAlgorithms gss-curve25519-sha256-,gss-gex-sha1-\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hostkey.ParsePrivateKey(genKeyFile(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(c, []hostkey.Signer{k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.GSSAPI == nil || srv.GSSAPI.StrictAcceptorCheck || !srv.GSSKeyExchange || srv.GSSNoAuthentication || !srv.GSSKeepCredentials ||
		!slices.Equal(srv.GSSKexFamilies, []string{gsskex.Curve25519SHA256, gsskex.GexSHA1}) || srv.GSSCCacheOwner == nil {
		t.Errorf("server GSS fields: GSSAPI %+v, kex %v %v, no auth %v, keep %v", srv.GSSAPI, srv.GSSKeyExchange, srv.GSSKexFamilies, srv.GSSNoAuthentication, srv.GSSKeepCredentials)
	}
	c, err = loadConfig(writeConfig(t, "GSSAPIKeyExchange yes\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv, err = newServer(c, []hostkey.Signer{k}, nil); err != nil {
		t.Fatal(err)
	}
	if srv.GSSAPI == nil || !srv.GSSAPI.StrictAcceptorCheck || !srv.GSSNoAuthentication || srv.GSSKeepCredentials {
		t.Errorf("GSSAPIKeyExchange alone: GSSAPI %+v, no auth %v, keep %v", srv.GSSAPI, srv.GSSNoAuthentication, srv.GSSKeepCredentials)
	}
}

// TestCompressionKeyword checks Compression as sshd reads it: yes (the
// default) and its synonym delayed mean zlib@openssh.com after
// authentication, no turns it off, anything else is an error.
func TestCompressionKeyword(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{{"", true}, {"Compression yes", true}, {"Compression delayed", true}, {"Compression no", false}} {
		c, err := loadConfig(writeConfig(t, tc.line+"\n"), nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if c.Compression != tc.want {
			t.Errorf("%q: Compression %v, want %v", tc.line, c.Compression, tc.want)
		}
	}
	if _, err := loadConfig(writeConfig(t, "Compression zlib\n"), nil); err == nil {
		t.Error("Compression zlib accepted")
	}
}

// TestX11Config: the X11 keywords print as OpenSSH 9.2's sshd -T prints
// them, are read without a warning, and may appear inside Match.
func TestX11Config(t *testing.T) {
	c, err := loadConfig(writeConfig(t, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c.dump(&out)
	for _, want := range []string{ // sshd -T -f /dev/null of OpenSSH 9.2p1 Debian
		"x11forwarding no\n", "x11displayoffset 10\n", "x11uselocalhost yes\n", "xauthlocation /usr/bin/xauth\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-T output lacks %q", want)
		}
	}
	c, err = loadConfig(writeConfig(t, "X11Forwarding yes\nX11DisplayOffset 20\nX11UseLocalhost no\nXAuthLocation /opt/bin/xauth\n"+
		"Match User bob\n\tX11Forwarding no\n\tX11DisplayOffset 30\n\tX11UseLocalhost yes\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %q", c.Warnings)
	}
	if !c.X11Forwarding || c.X11DisplayOffset != 20 || c.X11UseLocalhost || c.XAuthLocation != "/opt/bin/xauth" {
		t.Errorf("X11Forwarding %v X11DisplayOffset %d X11UseLocalhost %v XAuthLocation %q", c.X11Forwarding, c.X11DisplayOffset, c.X11UseLocalhost, c.XAuthLocation)
	}
	if e := c.forConn(testConn("bob", "", 0)); e.X11Forwarding || e.X11DisplayOffset != 30 || !e.X11UseLocalhost {
		t.Errorf("Match User bob: X11Forwarding %v X11DisplayOffset %d X11UseLocalhost %v", e.X11Forwarding, e.X11DisplayOffset, e.X11UseLocalhost)
	}
	for _, bad := range []string{"X11DisplayOffset -1\n", "X11DisplayOffset 1000\n", "X11DisplayOffset ten\n", "X11UseLocalhost maybe\n"} {
		if _, err := loadConfig(writeConfig(t, bad), nil); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	k, err := hostkey.ParsePrivateKey(genKeyFile(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(c, []hostkey.Signer{k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.X11Request == nil {
		t.Error("no X11Request hook")
	}
}

// TestPenaltyAndUserEnvironmentKeywords: PerSourcePenalties,
// PerSourcePenaltyExemptList, PerSourceNetBlockSize and
// PermitUserEnvironment are read with sshd's defaults and syntax, shown
// by -T, and handed to the server.
func TestPenaltyAndUserEnvironmentKeywords(t *testing.T) {
	k, err := hostkey.ParsePrivateKey(genKeyFile(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	lo := net.IPv4(127, 0, 0, 1)
	for _, tt := range []struct {
		name, config string
		dump         []string
		check        func(t *testing.T, srv *server.Server)
	}{
		{"defaults", "", []string{
			"persourcepenalties crash:90s authfail:5s noauth:1s grace-exceeded:10s max:600s min:15s max-sources4:65536 max-sources6:65536 overflow:permissive overflow6:permissive\n",
			"persourcepenaltyexemptlist none\n", "persourcenetblocksize 32:128\n", "permituserenvironment no\n"},
			func(t *testing.T, srv *server.Server) {
				if srv.Penalties.Disabled || srv.Penalties.Exempt != nil || srv.Penalties.AuthFail != 5*time.Second ||
					srv.PermitUserEnvironment != nil || srv.PerSourceNetBlockSize != (server.NetBlockSize{IPv4: 32, IPv6: 128}) {
					t.Errorf("server: %+v, PermitUserEnvironment set %v", srv.Penalties, srv.PermitUserEnvironment != nil)
				}
			}},
		{"off", "PerSourcePenalties no\nPermitUserEnvironment yes\n", []string{"persourcepenalties no\n", "permituserenvironment yes\n"},
			func(t *testing.T, srv *server.Server) {
				if !srv.Penalties.Disabled || srv.PermitUserEnvironment == nil || !srv.PermitUserEnvironment("LD_PRELOAD") {
					t.Errorf("server: %+v", srv.Penalties)
				}
			}},
		{"settings", "PerSourcePenalties authfail:1m noauth:2 min:5s\nPerSourcePenaltyExemptList 10.0.0.0/8,127.0.0.1\n" +
			"PerSourceNetBlockSize 24:56\nPermitUserEnvironment LANG,LC_*\n", []string{
			"persourcepenalties crash:90s authfail:60s noauth:2s grace-exceeded:10s max:600s min:5s max-sources4:65536 max-sources6:65536 overflow:permissive overflow6:permissive\n",
			"persourcepenaltyexemptlist 10.0.0.0/8,127.0.0.1\n", "persourcenetblocksize 24:56\n", "permituserenvironment LANG,LC_*\n"},
			func(t *testing.T, srv *server.Server) {
				p := srv.Penalties
				if p.Disabled || p.AuthFail != time.Minute || p.NoAuth != 2*time.Second || p.Min != 5*time.Second ||
					!p.Exempt(lo) || !p.Exempt(net.IPv4(10, 1, 2, 3)) || p.Exempt(net.IPv4(192, 168, 0, 1)) {
					t.Errorf("server penalties: %+v", p)
				}
				if e := srv.PermitUserEnvironment; !e("LC_ALL") || !e("LANG") || e("LD_PRELOAD") {
					t.Error("PermitUserEnvironment pattern list")
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(writeConfig(t, tt.config), nil)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			c.dump(&out)
			for _, want := range tt.dump {
				if !strings.Contains(out.String(), want) {
					t.Errorf("-T output lacks %q", want)
				}
			}
			srv, err := newServer(c, []hostkey.Signer{k}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, srv)
		})
	}
	for _, bad := range []string{"PerSourcePenalties authfail", "PerSourcePenalties bogus:1s", "PerSourcePenalties overflow:drop",
		"PerSourceNetBlockSize 33", "PerSourceNetBlockSize 24:129"} {
		if _, err := loadConfig(writeConfig(t, bad+"\n"), nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestQuotedListArguments: list keywords take the line's arguments as
// sshconfig split them, so a quoted argument with blanks is one entry,
// as in sshd; in Match sections too.
func TestQuotedListArguments(t *testing.T) {
	c, err := loadConfig(writeConfig(t, `AuthorizedKeysFile "/srv/my keys/%u" .ssh/k
AllowUsers "a b" c
AcceptEnv "X Y"
SetEnv "A=b c"
Subsystem s "/bin/x  y" z
Match User m
	AuthorizedKeysFile "/m n"
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want []string
	}{
		{"AuthorizedKeysFile", c.AuthorizedKeysFiles, []string{"/srv/my keys/%u", ".ssh/k"}},
		{"AllowUsers", c.AllowUsers, []string{"a b", "c"}},
		{"AcceptEnv", c.AcceptEnv, []string{"X Y"}},
		{"SetEnv", c.SetEnv, []string{"A=b c"}},
		{"Subsystem", []string{c.Subsystems["s"]}, []string{"/bin/x  y z"}},
		{"Match AuthorizedKeysFile", c.forConn(connInfo{user: "m", known: ciUser}).AuthorizedKeysFiles, []string{"/m n"}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
