package conformance_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// TestGosshdQuotedListsAgainstSSHD gives sshd -T and gosshd -T keywords
// that take lists, with quoted arguments holding blanks: each quoted
// argument is one entry for sshd (one -T line for AllowUsers, AcceptEnv,
// AllowGroups; SetEnv "A=b c" one variable; Subsystem's command keeps
// its double blank), globally and inside a Match section.
func TestGosshdQuotedListsAgainstSSHD(t *testing.T) {
	bin := svGosshd(t)
	dir := t.TempDir()
	hk := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	grammarWrite(t, dir, map[string]string{"sshd_config": `HostKey ` + hk + `
AllowUsers "a b" c
DenyUsers 'd  e' f
AllowGroups "g h" i
DenyGroups "j k"
AcceptEnv "LC_ X" LANG
AcceptEnv 'Y Z'
SetEnv "A=b c" D=e
Subsystem sftp "/usr/lib/openssh/sftp-server  -l" INFO
Subsystem other '/bin/a b'  "c  d"
AuthorizedKeysFile "/srv/my keys/%u" .ssh/authorized_keys
ChannelTimeout session=5m "direct-tcpip=1m"
Match User alice
	AllowUsers "x y" z
	SetEnv "W=1 2"
	AuthorizedKeysFile "/srv/alice keys"
`})
	cfg := filepath.Join(dir, "sshd_config")
	for _, spec := range []string{"", "user=alice,addr=127.0.0.1,host=h,laddr=127.0.0.1,lport=22", "user=bob,addr=127.0.0.1,lport=22"} {
		t.Run("-C "+spec, func(t *testing.T) {
			args := []string{"-T", "-f", cfg}
			if spec != "" {
				args = append(args, "-C", spec)
			}
			want, _ := configDump(t, sshdtest.SSHD, args...)
			got, _ := configDump(t, bin, args...)
			for _, k := range []string{"allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv",
				"setenv", "subsystem", "authorizedkeysfile", "channeltimeout"} {
				if w, g := want[k], got[k]; !slices.Equal(w, g) {
					t.Errorf("%s: sshd -T %q, gosshd -T %q", k, w, g)
				}
			}
			compareTDump(t, "", "-T", want, got)
		})
	}
}

// TestGosshdQuotedAuthorizedKeysFile: AuthorizedKeysFile names one file
// whose path has a blank, quoted; ssh logs in with the key it holds to
// sshd 9.2 and to gosshd alike (split at the blank, gosshd read DIR/my
// and ~/keys/root, and refused it). Inside a Match section too, where
// the section's file replaces the global one for both.
func TestGosshdQuotedAuthorizedKeysFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: both servers log in the current user as root here")
	}
	bin := svGosshd(t)
	dir := t.TempDir()
	sshdtest.GenerateKey(t, "ed25519", filepath.Join(dir, "host_ed25519"), "")
	for _, d := range []string{"my keys", "match keys"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	good, goodPub := kwKey(t, dir, "good", "-t", "ed25519")
	matchKey, matchPub := kwKey(t, dir, "matchkey", "-t", "ed25519")
	uaWrite(t, filepath.Join(dir, "my keys", "root"), goodPub, 0o600)
	uaWrite(t, filepath.Join(dir, "match keys", "root"), matchPub, 0o600)
	body := `HostKey ` + dir + `/host_ed25519
ListenAddress 127.0.0.1
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile "` + dir + `/my keys/%u"
Match Address 127.0.0.2
	AuthorizedKeysFile "` + dir + `/match keys/%u"
`
	for _, s := range []maServer{
		maStart(t, dir, "sshd", sshdtest.SSHD, body),
		maStart(t, dir, "gosshd", bin, body),
	} {
		t.Run(s.name, func(t *testing.T) {
			if r := maLogin(t, s, dir, "root", "127.0.0.1", good, ""); !r.OK {
				t.Errorf("key in the quoted file: refused (%+v)", r)
			}
			if r := maLogin(t, s, dir, "root", "127.0.0.2", matchKey, ""); !r.OK {
				t.Errorf("key in Match's quoted file: refused (%+v)", r)
			}
			if r := maLogin(t, s, dir, "root", "127.0.0.2", good, ""); r.OK {
				t.Errorf("global key from 127.0.0.2, where Match replaces the file: accepted")
			}
		})
	}
}
