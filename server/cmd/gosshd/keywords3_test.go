package main

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
)

// TestGroupsAllowed: AllowGroups/DenyGroups decide on the running
// user's real groups (os/user) as sshd's allowed_user does, after
// DenyUsers and AllowUsers, and log sshd's line.
func TestGroupsAllowed(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skip(err)
	}
	grp := g.Name
	for _, tt := range []struct {
		name, cfg string
		want      string // "" for allowed, else the log's reason
	}{
		{"none", "", ""},
		{"allowed", "AllowGroups nosuchgroup " + grp, ""},
		{"allowed by wildcard", "AllowGroups " + grp[:1] + "*", ""},
		{"two lines add up", "AllowGroups nosuchgroup\nAllowGroups " + grp, ""},
		{"not listed", "AllowGroups nosuchgroup", "none of user's groups are listed in AllowGroups"},
		{"denied", "DenyGroups " + grp, "a group is listed in DenyGroups"},
		{"denied wins over allowed", "AllowGroups " + grp + "\nDenyGroups " + grp, "a group is listed in DenyGroups"},
		{"deny not listed", "DenyGroups nosuchgroup", ""},
		// One pattern each, as sshd's ga_match: no negation, no lists.
		{"negated allow is literal", "AllowGroups !" + grp, "none of user's groups are listed in AllowGroups"},
		{"negated deny is literal", "DenyGroups !" + grp, ""},
		{"comma list is literal", "AllowGroups nosuchgroup," + grp, "none of user's groups are listed in AllowGroups"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, name := shadowPolicy(t, filepath.Join(t.TempDir(), "shadow"), tt.cfg)
			var log bytes.Buffer
			p.log = slog.New(slog.NewTextHandler(&log, nil))
			from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 4000}
			_, err := p.userAllowed(name, from)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("userAllowed = %v, want allowed", err)
				}
				return
			}
			line := "User " + name + " from 127.0.0.9 not allowed because " + tt.want
			if err == nil || !strings.Contains(log.String(), line) {
				t.Fatalf("userAllowed = %v, log %q; want refused with %q", err, log.String(), line)
			}
		})
	}
}

// TestGroupsDump: gosshd -T prints one line per group pattern, in order,
// and nothing when unset, as sshd -T.
func TestGroupsDump(t *testing.T) {
	c, err := loadConfig(writeConfig(t, "AllowGroups a b\nAllowGroups c\nDenyGroups !x\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	c.dump(&b)
	var got []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasSuffix(strings.Fields(l + " x")[0], "groups") {
			got = append(got, l)
		}
	}
	if want := "allowgroups a|allowgroups b|allowgroups c|denygroups !x"; strings.Join(got, "|") != want {
		t.Errorf("dump: %q, want %q", got, want)
	}
}

// hostCertFile writes a host certificate for key, signed by ca, to dir.
func hostCertFile(t *testing.T, dir, name string, key, ca hostkey.Signer) (string, *hostkey.Certificate) {
	t.Helper()
	c := &hostkey.Certificate{Key: key.PublicKey(), CertType: hostkey.HostCert, KeyID: name,
		ValidPrincipals: []string{"localhost"}, ValidBefore: hostkey.CertTimeInfinity}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, hostkey.MarshalAuthorizedKey(c, name), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, c
}

// TestAddHostCertificates: HostCertificate files are paired with the
// HostKeys they certify and listed right after them; a certificate for
// no HostKey, a plain key and a missing file are reported in sshd's
// words and skipped (sshd starts all the same), and a later certificate
// for a key replaces an earlier one.
func TestAddHostCertificates(t *testing.T) {
	dir := t.TempDir()
	gen := func(typ string) *hostkey.CryptoSigner {
		k, err := hostkey.GenerateKey(rand.Reader, typ, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ed, rsaKey, other, ca := gen(hostkey.ED25519), gen(hostkey.RSA), gen(hostkey.ED25519), gen(hostkey.ED25519)
	edCert1, _ := hostCertFile(t, dir, "ed1-cert.pub", ed, ca)
	edCert2, ed2 := hostCertFile(t, dir, "ed2-cert.pub", ed, ca)
	rsaCert, rc := hostCertFile(t, dir, "rsa-cert.pub", rsaKey, ca)
	otherCert, _ := hostCertFile(t, dir, "other-cert.pub", other, ca)
	plain := filepath.Join(dir, "plain.pub")
	os.WriteFile(plain, hostkey.MarshalAuthorizedKey(other.PublicKey(), ""), 0o644)
	missing := filepath.Join(dir, "missing.pub")

	var stderr bytes.Buffer
	got := addHostCertificates([]string{rsaCert, otherCert, plain, missing, edCert1, edCert2},
		[]hostkey.Signer{ed, rsaKey}, &stderr)
	var types []string
	for _, k := range got {
		types = append(types, k.PublicKey().Type())
	}
	want := []string{hostkey.ED25519, hostkey.ED25519Cert, hostkey.RSA, hostkey.RSACert}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("keys %v, want %v", types, want)
	}
	if !bytes.Equal(got[1].PublicKey().Marshal(), ed2.Marshal()) {
		t.Error("the later certificate for the Ed25519 key did not replace the earlier")
	}
	if !bytes.Equal(got[3].PublicKey().Marshal(), rc.Marshal()) {
		t.Error("the RSA certificate is not the file's")
	}
	for _, line := range []string{
		"No matching private key for certificate: " + otherCert,
		"Certificate file is not a certificate: " + plain,
		`Could not load host certificate "` + missing + `"`,
	} {
		if !strings.Contains(stderr.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
		}
	}
	// The certificate signs with its key, with the negotiated algorithm.
	sig, err := got[3].(hostkey.AlgorithmSigner).SignWithAlgorithm(rand.Reader, []byte("h"), hostkey.RSASHA256Cert)
	if err != nil || sig.Format != hostkey.RSASHA256 || rsaKey.PublicKey().Verify([]byte("h"), sig) != nil {
		t.Errorf("sign with %s: %v, format %v", hostkey.RSASHA256Cert, err, sig)
	}
}

// TestHostCertificateDump: gosshd -T prints each HostCertificate line,
// a relative path made absolute, as sshd -T; none when unset.
func TestHostCertificateDump(t *testing.T) {
	wd, _ := os.Getwd()
	c, err := loadConfig(writeConfig(t, "HostCertificate /etc/ssh/a-cert.pub\nHostCertificate b-cert.pub\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	c.dump(&b)
	want := "hostcertificate /etc/ssh/a-cert.pub\nhostcertificate " + filepath.Join(wd, "b-cert.pub") + "\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("dump lacks %q:\n%s", want, b.String())
	}
	d, _ := loadConfig(writeConfig(t, ""), nil)
	b.Reset()
	d.dump(&b)
	if strings.Contains(b.String(), "hostcertificate") {
		t.Error("hostcertificate printed without the keyword")
	}
}

// TestChannelTimeout: ChannelTimeout parses as sshd's (type=interval
// entries, the first line wins, "none" alone), prints as sshd -T, and
// gives a channel type the interval of the first matching pattern.
func TestChannelTimeout(t *testing.T) {
	c, err := loadConfig(writeConfig(t, "ChannelTimeout session:command=5 session:*=1m x11-connection=0 *=2h\nChannelTimeout session:*=9\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	c.dump(&b)
	if want := "channeltimeout session:command=5 session:*=1m x11-connection=0 *=2h\n"; !strings.Contains(b.String(), want) {
		t.Errorf("dump lacks %q", want)
	}
	for typ, want := range map[string]time.Duration{
		"session:command": 5 * time.Second, "session:shell": time.Minute, "session:subsystem:sftp": time.Minute,
		"x11-connection": 0, "direct-tcpip": 2 * time.Hour, "session": 2 * time.Hour,
	} {
		if got := c.channelTimeout(typ); got != want {
			t.Errorf("channelTimeout(%q) = %v, want %v", typ, got, want)
		}
	}
	if d, _ := loadConfig(writeConfig(t, ""), nil); d.channelTimeout("session:shell") != 0 {
		t.Error("a timeout without ChannelTimeout")
	}
	for _, bad := range []string{"session", "=5", "session=5x", "none session=5"} {
		if _, err := loadConfig(writeConfig(t, "ChannelTimeout "+bad+"\n"), nil); err == nil {
			t.Errorf("ChannelTimeout %s accepted", bad)
		}
	}
	n, err := loadConfig(writeConfig(t, "ChannelTimeout none\n"), nil)
	if err != nil || n.channelTimeout("session:shell") != 0 {
		t.Errorf("ChannelTimeout none: %v", err)
	}
	m, err := loadConfig(writeConfig(t, "ChannelTimeout session:*=1m\nMatch User nobody\n\tChannelTimeout session:*=3\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.forConn(connInfo{user: "nobody", known: ciUser}).channelTimeout("session:shell"); got != 3*time.Second {
		t.Errorf("in Match: %v, want 3s", got)
	}
	if got := m.forConn(connInfo{user: "root", known: ciUser}).channelTimeout("session:shell"); got != time.Minute {
		t.Errorf("outside Match: %v, want 1m", got)
	}
}
