package main

import (
	"bytes"
	"log/slog"
	"net"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
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
