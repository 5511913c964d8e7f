package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// certAuthFixture holds the keys of the publickey decision tests.
type certAuthFixture struct {
	user, other, ca, otherCA *hostkey.CryptoSigner
}

func newCertAuthFixture(t *testing.T) *certAuthFixture {
	t.Helper()
	gen := func() *hostkey.CryptoSigner {
		k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return &certAuthFixture{user: gen(), other: gen(), ca: gen(), otherCA: gen()}
}

// cert issues a user certificate for f.user from ca, valid for an hour,
// with the given principals; mutate may change it before signing.
func (f *certAuthFixture) cert(t *testing.T, ca hostkey.Signer, principals []string, mutate func(*hostkey.Certificate)) *hostkey.Certificate {
	t.Helper()
	now := time.Now()
	c := &hostkey.Certificate{Key: f.user.PublicKey(), CertType: hostkey.UserCert, KeyID: "id-1", Serial: 7,
		ValidPrincipals: principals, ValidAfter: uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix()),
		Extensions: map[string]string{hostkey.ExtPermitPTY: ""}}
	if mutate != nil {
		mutate(c)
	}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	return c
}

func akLine(k hostkey.PublicKey) string {
	return strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(k, "")))
}

// TestPublicKeyDecision checks the publickey decision against sshd's
// (auth2-pubkey.c, auth2-pubkeyfile.c) for plain keys, cert-authority
// lines and TrustedUserCAKeys with and without AuthorizedPrincipalsFile.
func TestPublicKeyDecision(t *testing.T) {
	f := newCertAuthFixture(t)
	ca, user := f.ca.PublicKey(), f.user.PublicKey()
	type setup struct {
		authorizedKeys string // lines of the AuthorizedKeysFile
		trusted        bool   // TrustedUserCAKeys holds f.ca
		principals     string // AuthorizedPrincipalsFile content; "" for none configured
		missingFile    bool   // AuthorizedPrincipalsFile configured but absent
	}
	expired := func(c *hostkey.Certificate) { c.ValidBefore = uint64(time.Now().Add(-time.Minute).Unix()) }
	tests := []struct {
		name    string
		setup   setup
		key     func() hostkey.PublicKey
		ip      string
		ok      bool
		command string // the forced command when ok
	}{
		{"plain key", setup{authorizedKeys: akLine(user)}, func() hostkey.PublicKey { return user }, "127.0.0.1", true, ""},
		{"plain key on a cert-authority line", setup{authorizedKeys: "cert-authority " + akLine(user)},
			func() hostkey.PublicKey { return user }, "127.0.0.1", false, ""},
		{"plain key with principals=", setup{authorizedKeys: `principals="alice" ` + akLine(user)},
			func() hostkey.PublicKey { return user }, "127.0.0.1", false, ""},
		{"cert on a plain line of its CA", setup{authorizedKeys: akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"cert on a plain line of its own key", setup{authorizedKeys: akLine(user)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"cert-authority line", setup{authorizedKeys: "cert-authority " + akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", true, ""},
		{"cert-authority line, other user", setup{authorizedKeys: "cert-authority " + akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"bob"}, nil) }, "127.0.0.1", false, ""},
		{"cert-authority line, no principals", setup{authorizedKeys: "cert-authority " + akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, nil, nil) }, "127.0.0.1", true, ""},
		{"cert-authority principals= match", setup{authorizedKeys: `cert-authority,principals="ops,dev",command="backup" ` + akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"ops"}, nil) }, "127.0.0.1", true, "backup"},
		{"cert-authority principals= replaces the user name", setup{authorizedKeys: `cert-authority,principals="ops" ` + akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"cert-authority from= refuses", setup{authorizedKeys: `cert-authority,from="10.0.0.0/8" ` + akLine(ca)},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"cert-authority of another CA", setup{authorizedKeys: "cert-authority " + akLine(f.otherCA.PublicKey())},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"trusted CA", setup{trusted: true},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", true, ""},
		{"trusted CA, other user", setup{trusted: true},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"bob"}, nil) }, "127.0.0.1", false, ""},
		{"trusted CA, no principals", setup{trusted: true},
			func() hostkey.PublicKey { return f.cert(t, f.ca, nil, nil) }, "127.0.0.1", false, ""},
		{"untrusted CA", setup{trusted: true},
			func() hostkey.PublicKey { return f.cert(t, f.otherCA, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"trusted CA, expired", setup{trusted: true},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, expired) }, "127.0.0.1", false, ""},
		{"trusted CA, not yet valid", setup{trusted: true}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) { c.ValidAfter = uint64(time.Now().Add(time.Hour).Unix()) })
		}, "127.0.0.1", false, ""},
		{"trusted CA, host certificate", setup{trusted: true}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) { c.CertType = hostkey.HostCert })
		}, "127.0.0.1", false, ""},
		{"cert-authority, host certificate", setup{authorizedKeys: "cert-authority " + akLine(ca)}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) { c.CertType = hostkey.HostCert })
		}, "127.0.0.1", false, ""},
		{"trusted CA, unknown critical option", setup{trusted: true}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) { c.CriticalOptions = map[string]string{"x@example.com": ""} })
		}, "127.0.0.1", false, ""},
		{"trusted CA, source-address admits", setup{trusted: true}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) {
				c.CriticalOptions = map[string]string{hostkey.OptSourceAddress: "127.0.0.1/32,10.0.0.0/8"}
			})
		}, "127.0.0.1", true, ""},
		{"trusted CA, source-address refuses", setup{trusted: true}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) {
				c.CriticalOptions = map[string]string{hostkey.OptSourceAddress: "10.0.0.0/8"}
			})
		}, "127.0.0.1", false, ""},
		{"cert-authority, source-address refuses", setup{authorizedKeys: "cert-authority " + akLine(ca)}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) {
				c.CriticalOptions = map[string]string{hostkey.OptSourceAddress: "10.0.0.0/8"}
			})
		}, "127.0.0.1", false, ""},
		{"trusted CA, force-command", setup{trusted: true}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"alice"}, func(c *hostkey.Certificate) {
				c.CriticalOptions = map[string]string{hostkey.OptForceCommand: "echo forced"}
			})
		}, "127.0.0.1", true, "echo forced"},
		{"principals file lists a cert principal", setup{trusted: true, principals: "# ops team\nops\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"ops"}, nil) }, "127.0.0.1", true, ""},
		{"principals file replaces the user name", setup{trusted: true, principals: "ops\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"principals file with command=", setup{trusted: true, principals: `command="echo via principals",no-pty ops` + "\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"web", "ops"}, nil) }, "127.0.0.1", true, "echo via principals"},
		{"principals file command= against force-command", setup{trusted: true, principals: `command="echo a" ops` + "\n"}, func() hostkey.PublicKey {
			return f.cert(t, f.ca, []string{"ops"}, func(c *hostkey.Certificate) { c.CriticalOptions = map[string]string{hostkey.OptForceCommand: "echo b"} })
		}, "127.0.0.1", false, ""},
		{"principals file from= refuses", setup{trusted: true, principals: `from="10.0.0.0/8" ops` + "\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"ops"}, nil) }, "127.0.0.1", false, ""},
		{"principals file, first matching line decides", setup{trusted: true, principals: `from="10.0.0.0/8" ops` + "\nops\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"ops"}, nil) }, "127.0.0.1", false, ""},
		{"principals file, bad options skip the line", setup{trusted: true, principals: "nonsense ops\nops\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"ops"}, nil) }, "127.0.0.1", true, ""},
		{"principals file cert-authority refuses", setup{trusted: true, principals: "cert-authority ops\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"ops"}, nil) }, "127.0.0.1", false, ""},
		{"principals file missing", setup{trusted: true, missingFile: true},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", false, ""},
		{"principals file for cert-authority lines unused", setup{authorizedKeys: "cert-authority " + akLine(ca), principals: "ops\n"},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", true, ""},
		{"cert-authority refuses, trusted CA admits", setup{authorizedKeys: `cert-authority,principals="ops" ` + akLine(ca), trusted: true},
			func() hostkey.PublicKey { return f.cert(t, f.ca, []string{"alice"}, nil) }, "127.0.0.1", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := &account{Name: "alice", UID: 1000, GID: 1000, Home: dir, Shell: "/bin/sh"}
			cfg := &config{AuthorizedKeysFiles: []string{".ssh/authorized_keys", "none"}}
			if tt.setup.authorizedKeys != "" {
				os.MkdirAll(filepath.Join(dir, ".ssh"), 0o700)
				if err := os.WriteFile(filepath.Join(dir, ".ssh", "authorized_keys"), []byte(tt.setup.authorizedKeys+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.setup.principals != "" || tt.setup.missingFile {
				cfg.AuthorizedPrincipalsFile = "%h/principals_%u"
			}
			if tt.setup.principals != "" {
				if err := os.WriteFile(filepath.Join(dir, "principals_alice"), []byte(tt.setup.principals), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			p := &policy{cfg: cfg, root: true}
			if tt.setup.trusted {
				p.cas = []hostkey.PublicKey{ca}
			}
			perms, err := p.keyAllowed(context.Background(), a, net.ParseIP(tt.ip), tt.key())
			if (err == nil) != tt.ok {
				t.Fatalf("keyAllowed: %v, want success %v", err, tt.ok)
			}
			if err == nil && perms.ForceCommand != tt.command {
				t.Errorf("forced command %q, want %q", perms.ForceCommand, tt.command)
			}
		})
	}
}

// TestPublicKeyCertRestrictions: the certificate's extensions and the
// principals line's options are merged, each able only to restrict.
func TestPublicKeyCertRestrictions(t *testing.T) {
	f := newCertAuthFixture(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "principals"), []byte("no-agent-forwarding,environment=\"TEAM=ops\" ops\n"), 0o600)
	p := &policy{cfg: &config{AuthorizedPrincipalsFile: filepath.Join(dir, "principals")}, root: true, cas: []hostkey.PublicKey{f.ca.PublicKey()}}
	c := f.cert(t, f.ca, []string{"ops"}, func(c *hostkey.Certificate) {
		c.Extensions = map[string]string{hostkey.ExtPermitPTY: "", hostkey.ExtPermitAgentForwarding: ""}
	})
	perms, err := p.keyAllowed(context.Background(), &account{Name: "alice", Home: dir}, net.ParseIP("127.0.0.1"), c)
	if err != nil {
		t.Fatal(err)
	}
	if perms.NoPTY || !perms.NoAgentForwarding || !perms.NoPortForwarding || !perms.NoX11Forwarding || len(perms.Environment) != 1 {
		t.Errorf("permissions %+v", perms)
	}
}

// TestPublicKeyRootForcedCommandsOnly: PermitRootLogin
// forced-commands-only admits root by certificate only with a forced
// command, from the certificate or the principals line.
func TestPublicKeyRootForcedCommandsOnly(t *testing.T) {
	f := newCertAuthFixture(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "principals"), []byte("root\n"+`command="id" admin`+"\n"), 0o600)
	p := &policy{cfg: &config{AuthorizedPrincipalsFile: filepath.Join(dir, "principals"), PermitRootLogin: "forced-commands-only"},
		root: true, cas: []hostkey.PublicKey{f.ca.PublicKey()}}
	root := &account{Name: "root", Home: dir}
	if _, err := p.keyAllowed(context.Background(), root, nil, f.cert(t, f.ca, []string{"root"}, nil)); err == nil {
		t.Error("root without a forced command admitted")
	}
	perms, err := p.keyAllowed(context.Background(), root, nil, f.cert(t, f.ca, []string{"admin"}, nil))
	if err != nil || perms.ForceCommand != "id" {
		t.Errorf("root with command= from the principals file: %v, %+v", err, perms)
	}
}

// TestPublicKeyFailedLog: a signed attempt that fails is logged as sshd
// logs it; a query is not.
func TestPublicKeyFailedLog(t *testing.T) {
	self, err := lookupAccount(currentUser())
	if err != nil {
		t.Skip("current user not in the system database")
	}
	f := newCertAuthFixture(t)
	var buf bytes.Buffer
	p := &policy{cfg: &config{}, self: self, cas: []hostkey.PublicKey{f.ca.PublicKey()},
		log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key != slog.MessageKey {
				return slog.Attr{}
			}
			return a
		}}))}
	m := userauth.ConnMeta{User: self.Name, Method: "publickey", RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50022}}
	c := f.cert(t, f.ca, []string{"nobody-else"}, nil)
	if _, err := p.publicKey(context.Background(), m, c); err == nil {
		t.Fatal("certificate for another principal admitted")
	}
	if buf.Len() != 0 {
		t.Fatalf("query logged: %s", buf.String())
	}
	m.Signed = true
	p.publicKey(context.Background(), m, c)
	p.publicKey(context.Background(), m, f.other.PublicKey())
	want := []string{
		`Failed publickey for ` + self.Name + ` from 127.0.0.1 port 50022 ssh2: ED25519-CERT SHA256:\S+ ID id-1 \(serial 7\) CA ED25519 SHA256:\S+"`,
		`Failed publickey for ` + self.Name + ` from 127.0.0.1 port 50022 ssh2: ED25519 SHA256:\S+"`,
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("log:\n%s", buf.String())
	}
	for i, w := range want {
		if !regexp.MustCompile(regexp.QuoteMeta(`msg="`) + w).MatchString(lines[i]) {
			t.Errorf("log line %q, want %s", lines[i], w)
		}
	}
}

// TestPublicKeyVerifyRequired: verify-required on a security key's line
// cannot be checked against the signature's flags here, so the login is
// refused (sshd would check the flag); on other keys it means nothing.
func TestPublicKeyVerifyRequired(t *testing.T) {
	blob := wire.AppendString(nil, []byte("sk-ssh-ed25519@openssh.com"))
	blob = wire.AppendString(blob, make([]byte, 32))
	blob = wire.AppendString(blob, []byte("ssh:"))
	sk, err := hostkey.ParsePublicKey(blob)
	if err != nil {
		t.Fatal(err)
	}
	plain := newCertAuthFixture(t).user.PublicKey()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keys"), []byte("verify-required "+akLine(sk)+"\nverify-required "+akLine(plain)+"\n"), 0o600)
	p := &policy{cfg: &config{AuthorizedKeysFiles: []string{filepath.Join(dir, "keys")}}, root: true}
	a := &account{Name: "alice", Home: dir}
	if _, err := p.keyAllowed(context.Background(), a, nil, sk); err == nil {
		t.Error("security key with verify-required admitted")
	}
	if _, err := p.keyAllowed(context.Background(), a, nil, plain); err != nil {
		t.Errorf("plain key with verify-required: %v", err)
	}
}

// TestTrustedUserCAKeysReadPerLogin: as sshd, TrustedUserCAKeys is read
// for each login, so a CA added to the file is trusted without a restart.
func TestTrustedUserCAKeysReadPerLogin(t *testing.T) {
	f := newCertAuthFixture(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "ca.pub")
	if err := os.WriteFile(file, hostkey.MarshalAuthorizedKey(f.otherCA.PublicKey(), "old CA"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &policy{cfg: &config{TrustedUserCAKeys: file}, root: true}
	a := &account{Name: "alice", Home: dir}
	c := f.cert(t, f.ca, []string{"alice"}, nil)
	if _, err := p.keyAllowed(context.Background(), a, net.ParseIP("127.0.0.1"), c); err == nil {
		t.Fatal("a certificate from a CA not in the file was accepted")
	}
	ca := hostkey.MarshalAuthorizedKey(f.ca.PublicKey(), "new CA")
	if err := os.WriteFile(file, append(hostkey.MarshalAuthorizedKey(f.otherCA.PublicKey(), "old CA"), ca...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.keyAllowed(context.Background(), a, net.ParseIP("127.0.0.1"), c); err != nil {
		t.Fatalf("after adding its CA to the file: %v", err)
	}
}

// TestPublicKeyFailedLogLevel: as sshd's auth_log, a failed signed
// publickey attempt is logged at VERBOSE until half of MaxAuthTries have
// failed, then at INFO.
func TestPublicKeyFailedLogLevel(t *testing.T) {
	self, err := lookupAccount(currentUser())
	if err != nil {
		t.Skip("current user not in the system database")
	}
	f := newCertAuthFixture(t)
	for _, tc := range []struct {
		failures int
		want     slog.Level
	}{{0, levelVerbose}, {2, levelVerbose}, {3, slog.LevelInfo}, {5, slog.LevelInfo}} {
		var got []slog.Level
		p := &policy{cfg: &config{MaxAuthTries: 6}, self: self, log: slog.New(levelRecorder{&got})}
		m := userauth.ConnMeta{User: self.Name, Method: "publickey", Signed: true, Failures: tc.failures,
			RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50022}}
		p.publicKey(context.Background(), m, f.other.PublicKey())
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("after %d failures: levels %v, want [%v]", tc.failures, got, tc.want)
		}
	}
}

// levelRecorder is a slog.Handler that records the level of each record.
type levelRecorder struct{ levels *[]slog.Level }

func (h levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h levelRecorder) Handle(_ context.Context, r slog.Record) error {
	*h.levels = append(*h.levels, r.Level)
	return nil
}
func (h levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h levelRecorder) WithGroup(string) slog.Handler      { return h }
