package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/server/shadow"
	"github.com/sshstack/sshstack/userauth"
)

// Hashes of "correct horse" made by mkpasswd 5.5.17 on Debian 12 (the
// same as server/shadow's TestDebianHashes).
const (
	testYescrypt = "$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9"
	testSHA512   = "$6$E/vFU.vx8ZWoW4m8$n0HU6yzXg1H3ykICewf2V/ob0gD3ArnL.OPu3W1rMFySro0b4NCyJr0A2gObnF7ogAN2esmQQOnMKhFEgUi3N/"
	testSHA256   = "$5$jT1K4cbEDmyyPFD5$708WAKFNcpPkdbjxtzYHnuukq8oLqTlgB2sGUVPikG."
	testPassword = "correct horse"
)

// shadowPolicy is a policy for the user running the test (as gosshd
// run by that user serves only them) whose shadow file is path.
func shadowPolicy(t *testing.T, path, extra string) (*policy, string) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	self, err := lookupAccount(u.Username)
	if err != nil {
		t.Skip(err)
	}
	cfg, err := loadConfig(writeConfig(t, "PermitRootLogin yes\n"+extra), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &policy{cfg: cfg, self: self, shadowFile: path}, u.Username
}

// shadowLine is a shadow(5) line for name: hash, last change, max age,
// expiry day ("" for none).
func shadowLine(name, hash, lastChange, maxAge, expire string) string {
	return fmt.Sprintf("%s:%s:%s:0:%s:7::%s:\n", name, hash, lastChange, maxAge, expire)
}

// TestShadowPassword: password authentication with UsePAM no, decided
// from a shadow file as sshd decides it.
func TestShadowPassword(t *testing.T) {
	today := fmt.Sprint(time.Now().Unix() / 86400)
	type result int
	const (
		accept result = iota
		refuse
		forcedChange
	)
	tests := []struct {
		name     string
		extra    string // sshd_config lines
		hash     string
		last     string // last change ("" none)
		maxAge   string
		expire   string
		password string
		want     result
	}{
		{"yescrypt", "", testYescrypt, today, "99999", "", testPassword, accept},
		{"sha512-crypt", "", testSHA512, today, "99999", "", testPassword, accept},
		{"sha256-crypt", "", testSHA256, today, "99999", "", testPassword, accept},
		{"wrong password", "", testYescrypt, today, "99999", "", "correct horse!", refuse},
		{"locked", "", "!" + testYescrypt, today, "99999", "", testPassword, refuse},
		{"no password", "", "*", today, "99999", "", testPassword, refuse},
		{"account expired", "", testYescrypt, today, "99999", "1", testPassword, refuse},
		{"account expires later", "", testYescrypt, today, "99999", "99999", testPassword, accept},
		{"empty hash, empty password", "", "", today, "99999", "", "", refuse},
		{"empty hash, PermitEmptyPasswords", "PermitEmptyPasswords yes\n", "", today, "99999", "", "", accept},
		{"empty hash, a password", "PermitEmptyPasswords yes\n", "", today, "99999", "", "x", refuse},
		{"password aged", "", testSHA256, "1", "30", "", testPassword, forcedChange},
		{"change forced by root", "", testSHA256, "0", "", "", testPassword, forcedChange},
		{"aged, wrong password", "", testSHA256, "1", "30", "", "nope", refuse},
		{"unsupported hash", "", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", today, "99999", "", testPassword, refuse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shadow")
			p, name := shadowPolicy(t, path, tt.extra)
			data := "other:" + testSHA256 + ":1:0:99999:7:::\n" + shadowLine(name, tt.hash, tt.last, tt.maxAge, tt.expire)
			if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			perms, err := p.password(context.Background(), userauth.ConnMeta{User: name}, tt.password)
			switch tt.want {
			case accept:
				if err != nil || perms != nil {
					t.Fatalf("password = %+v, %v; want accepted without restrictions", perms, err)
				}
			case refuse:
				if err == nil {
					t.Fatalf("password accepted, want refused")
				}
			case forcedChange:
				if err != nil || perms == nil || perms.ForceCommand != passwordChangeCommand || !perms.NoPortForwarding {
					t.Fatalf("password = %+v, %v; want accepted for a password change only", perms, err)
				}
			}
		})
	}
}

// TestShadowAccountChecks: with UsePAM no a locked or expired account is
// refused for every method (sshd's allowed_user), and a wrong password
// gives shadow.ErrMismatch; with UsePAM yes the shadow file is PAM's
// business.
func TestShadowAccountChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shadow")
	p, name := shadowPolicy(t, path, "")
	os.WriteFile(path, []byte(shadowLine(name, "!"+testSHA256, "1", "", "")), 0o600)
	if _, err := p.userAllowed(name, nil); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("userAllowed of a locked account = %v", err)
	}
	os.WriteFile(path, []byte(shadowLine(name, testSHA256, "1", "", "1")), 0o600)
	if _, err := p.userAllowed(name, nil); err == nil {
		t.Error("userAllowed of an expired account succeeded")
	}
	os.WriteFile(path, []byte(shadowLine(name, testSHA256, "1", "", "")), 0o600)
	if _, err := p.userAllowed(name, nil); err != nil {
		t.Errorf("userAllowed = %v", err)
	}
	if _, err := p.password(context.Background(), userauth.ConnMeta{User: name}, "wrong"); !errors.Is(err, shadow.ErrMismatch) {
		t.Errorf("wrong password: %v, want shadow.ErrMismatch", err)
	}
	os.Remove(path)
	if _, err := p.userAllowed(name, nil); err != nil {
		t.Errorf("userAllowed without a readable shadow file = %v (sshd does not refuse)", err)
	}
	if _, err := p.password(context.Background(), userauth.ConnMeta{User: name}, testPassword); err == nil {
		t.Error("password accepted without a shadow file")
	}
	p.cfg.UsePAM = true
	os.WriteFile(path, []byte(shadowLine(name, "!"+testSHA256, "1", "", "")), 0o600)
	if _, err := p.userAllowed(name, nil); err != nil {
		t.Errorf("userAllowed with UsePAM yes looked at the shadow file: %v", err)
	}
}

// TestPasswordConfigWithoutPAM: without UsePAM, password authentication
// is on by default (sshd's default, now that gosshd can check shadow
// hashes), PermitEmptyPasswords is accepted with sshd's default no,
// and keyboard-interactive stays PAM-only.
func TestPasswordConfigWithoutPAM(t *testing.T) {
	c, err := loadConfig(writeConfig(t, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.PasswordAuthentication || c.PermitEmptyPasswords || c.KbdInteractiveAuth {
		t.Errorf("defaults: password %v, empty %v, kbd-int %v", c.PasswordAuthentication, c.PermitEmptyPasswords, c.KbdInteractiveAuth)
	}
	c, err = loadConfig(writeConfig(t, "PermitEmptyPasswords yes\n"), nil)
	if err != nil || !c.PermitEmptyPasswords {
		t.Fatalf("PermitEmptyPasswords yes: %v", err)
	}
	var b strings.Builder
	c.dump(&b)
	for _, want := range []string{"\npasswordauthentication yes\n", "\npermitemptypasswords yes\n", "\nusepam no\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("-T lacks %q", want)
		}
	}
	cfg, err := (&policy{cfg: c}).authConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PasswordCallback == nil {
		t.Error("no password callback without UsePAM")
	}
}
