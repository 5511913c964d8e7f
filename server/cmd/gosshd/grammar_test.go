package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/sshconfig"
)

// TestConfigGrammar: values are unquoted and comments dropped as sshd's
// argv_split does, except for the keywords sshd takes raw.
func TestConfigGrammar(t *testing.T) {
	c, err := loadConfig(writeConfig(t, `Banner "/etc/my banner" # a comment
ChrootDirectory='/srv/%u'
MaxAuthTries = "4"
ForceCommand echo "a  b" # kept
RekeyLimit 1.5K 1h30m
LoginGraceTime	+90
`), []string{`ClientAliveCountMax "5"`})
	if err != nil {
		t.Fatal(err)
	}
	if c.Banner != "/etc/my banner" || c.more.ChrootDirectory != "/srv/%u" || c.MaxAuthTries != 4 || c.ClientAliveCountMax != 5 {
		t.Errorf("Banner %q ChrootDirectory %q MaxAuthTries %d ClientAliveCountMax %d", c.Banner, c.more.ChrootDirectory, c.MaxAuthTries, c.ClientAliveCountMax)
	}
	if c.ForceCommand != `echo "a  b" # kept` {
		t.Errorf("ForceCommand %q, want the line as written", c.ForceCommand)
	}
	if c.RekeyBytes != 1536 || c.RekeyInterval.Seconds() != 5400 || c.LoginGraceTime.Seconds() != 90 {
		t.Errorf("RekeyLimit %d %v LoginGraceTime %v", c.RekeyBytes, c.RekeyInterval, c.LoginGraceTime)
	}
	for _, bad := range []string{"Banner \"/x\n", "RekeyLimit 15\n", "RekeyLimit none\n", "LoginGraceTime 2147483648\n"} {
		if _, err := loadConfig(writeConfig(t, bad), nil); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := loadConfig(writeConfig(t, "Banner 'x\n"), nil); !errors.Is(err, sshconfig.ErrQuote) {
		t.Errorf("open quote: %v, want ErrQuote", err)
	}
}

// TestIncludeInMatch: an Include inside a Match section belongs to it,
// and the section goes on after the included file, as in sshd.
func TestIncludeInMatch(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	if err := os.WriteFile(inc, []byte("PermitTTY no\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(writeConfig(t, "Match User bob\n  Include "+inc+"\n  X11Forwarding yes\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.X11Forwarding || !c.more.PermitTTY {
		t.Errorf("global X11Forwarding %v PermitTTY %v: the Match section's lines leaked out", c.X11Forwarding, c.more.PermitTTY)
	}
	e := c.forConn(testConn("bob", "10.1.2.3", 22))
	if !e.X11Forwarding || e.more.PermitTTY {
		t.Errorf("bob: X11Forwarding %v PermitTTY %v", e.X11Forwarding, e.more.PermitTTY)
	}
	if err := os.WriteFile(inc, []byte("Match User carol\n  PermitTTY no\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(writeConfig(t, "Match User bob\n  Include "+inc+"\n"), nil); !errors.Is(err, errUnsupported) {
		t.Errorf("Match in a file included from Match: %v, want errUnsupported", err)
	}
}
