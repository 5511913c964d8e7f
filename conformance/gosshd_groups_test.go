package conformance_test

import (
	"os"
	"os/user"
	"strings"
	"testing"
)

// TestGosshdAllowDenyGroupsMatchesSSHD: the same AllowGroups/DenyGroups
// lines, over root's real groups (os/user), accept or refuse root alike
// in OpenSSH's sshd and in gosshd, and a refusal is logged by both with
// sshd's "User root from ... not allowed because ..." line.
func TestGosshdAllowDenyGroupsMatchesSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("gosshd serves other users only as root")
	}
	u, err := user.Lookup("root")
	if err != nil {
		t.Skip(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skip(err)
	}
	grp := g.Name
	dir := t.TempDir()
	key, pub := kwKey(t, dir, "id", "-t", "ed25519")
	for _, tc := range []struct {
		name string
		cfg  []string
		why  string // "" for accepted, else sshd's reason
	}{
		{"allowed", []string{"AllowGroups nosuchgroup " + grp}, ""},
		{"allowed by wildcard", []string{"AllowGroups " + grp[:1] + "*"}, ""},
		{"not listed", []string{"AllowGroups nosuchgroup"}, "none of user's groups are listed in AllowGroups"},
		{"denied", []string{"DenyGroups " + grp}, "a group is listed in DenyGroups"},
		{"denied over allowed", []string{"AllowGroups " + grp, "DenyGroups " + grp}, "a group is listed in DenyGroups"},
		{"negated allow pattern", []string{"AllowGroups !" + grp}, "none of user's groups are listed in AllowGroups"},
		{"negated deny pattern", []string{"DenyGroups !nosuchgroup"}, ""},
		{"AllowUsers first", []string{"AllowUsers nobody", "AllowGroups " + grp}, "not listed in AllowUsers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, gs := kwPair(t, pub, tc.cfg...)
			sshdLog, gosshdLog := len(srv.Log()), len(gs.logText())
			sameDecision(t, srv, gs, key, tc.why == "", "ran\n")
			if tc.why == "" || strings.Contains(tc.why, "AllowUsers") {
				return // gosshd words AllowUsers refusals its own way
			}
			line := "User root from 127.0.0.1 not allowed because " + tc.why
			for name, log := range map[string]string{"sshd": srv.Log()[sshdLog:], "gosshd": gs.logText()[gosshdLog:]} {
				if !strings.Contains(log, line) {
					t.Errorf("%s did not log %q:\n%s", name, line, tail(log))
				}
			}
		})
	}
}
