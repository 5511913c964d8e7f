package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// tableEveryKeyword gives every table entry, by canonical name, a value
// other than its default (where it has one).
var tableEveryKeyword = map[string]string{
	"allowgroups": "root", "denygroups": "nogroup", "hostcertificate": "/etc/ssh/ssh_host_ed25519_key-cert.pub",
	"channeltimeout": "session:command=5m",
	"port":           "2022", "addressfamily": "inet", "listenaddress": "127.0.0.1", "requiredrsasize": "2048",
	"streamlocalbindmask": "0022", "unusedconnectiontimeout": "5m", "ignorerhosts": "no",
	"ignoreuserknownhosts": "yes", "hostbasedauthentication": "yes", "hostbasedusesnamefrompacketonly": "yes",
	"kerberosauthentication": "yes", "kerberosorlocalpasswd": "no", "kerberosticketcleanup": "no",
	"printmotd": "no", "printlastlog": "no", "permittty": "no", "strictmodes": "no", "tcpkeepalive": "no",
	"usedns": "yes", "disableforwarding": "yes", "streamlocalbindunlink": "yes", "fingerprinthash": "md5",
	"exposeauthinfo": "yes", "modulifile": "/etc/ssh/moduli.custom", "chrootdirectory": "/srv/%u",
	"revokedkeys": "/etc/ssh/revoked", "securitykeyprovider": "/usr/lib/sk.so", "versionaddendum": "hello",
	"hostkeyagent": "none", "casignaturealgorithms": "ssh-ed25519", "hostbasedacceptedalgorithms": "ssh-ed25519",
	"syslogfacility": "LOCAL3", "permittunnel": "ethernet", "ipqos": "af21 cs1", "pubkeyauthoptions": "verify-required",
	"hostkey":            "", // the test's own host key
	"authorizedkeysfile": ".ssh/keys", "authorizedprincipalsfile": "/etc/p", "authorizedkeyscommand": "/bin/true",
	"authorizedkeyscommanduser": "nobody", "authorizedprincipalscommand": "/bin/true",
	"authorizedprincipalscommanduser": "nobody", "trustedusercakeys": "/etc/ca", "pubkeyauthentication": "no",
	"passwordauthentication": "no", "permitemptypasswords": "yes", "kbdinteractiveauthentication": "no",
	"authenticationmethods": "publickey,password", "usepam": "no", "permitrootlogin": "no", "allowusers": "alice",
	"denyusers": "bob", "kexalgorithms": "curve25519-sha256", "ciphers": "aes128-ctr", "macs": "hmac-sha2-256",
	"hostkeyalgorithms": "ssh-ed25519", "pubkeyacceptedalgorithms": "ssh-ed25519", "gssapiauthentication": "yes",
	"gssapikeyexchange": "yes", "gssapistrictacceptorcheck": "no", "gssapicleanupcredentials": "no",
	"gssapistorecredentialsonrekey": "no", "gssapikexalgorithms": "gss-curve25519-sha256-",
	"allowtcpforwarding": "local", "allowstreamlocalforwarding": "no", "allowagentforwarding": "no",
	"compression": "no", "x11forwarding": "yes", "x11displayoffset": "12", "x11uselocalhost": "no",
	"xauthlocation": "/bin/xauth", "permituserrc": "no", "permituserenvironment": "LANG", "permitopen": "h:1",
	"permitlisten": "8080", "gatewayports": "yes", "subsystem": "sftp internal-sftp", "forcecommand": "/bin/true",
	"banner": "/etc/issue", "tracedir": "/tmp/trace", "logingracetime": "1m", "maxauthtries": "3", "maxsessions": "4",
	"maxstartups": "5:50:20", "persourcemaxstartups": "none", "persourcepenalties": "no",
	"persourcepenaltyexemptlist": "10.0.0.0/8", "persourcenetblocksize": "24:64", "clientaliveinterval": "10",
	"clientalivecountmax": "7", "rekeylimit": "1G 1h", "setenv": "A=1", "acceptenv": "LANG", "loglevel": "VERBOSE",
	"pidfile": "/tmp/x.pid", "pamservicename": "other",
}

// TestKeywordTable: every table entry applies, and gosshd -T prints it,
// both with sshd's defaults and with every keyword set; -T prints no
// line the table does not own; each entry's aliases apply it.
func TestKeywordTable(t *testing.T) {
	hk := filepath.Join(t.TempDir(), "hk")
	var body strings.Builder
	for _, k := range keywords {
		if k.name != strings.ToLower(k.name) || (k.apply == nil) == (k.args == nil) || k.print == nil {
			t.Errorf("%s: malformed table entry", k.name)
		}
		v, ok := tableEveryKeyword[k.name]
		if !ok {
			t.Errorf("%s: not in tableEveryKeyword", k.name)
			continue
		}
		if k.name == "hostkey" {
			v = hk
		}
		body.WriteString(k.name + " " + v + "\n")
	}
	for name := range tableEveryKeyword {
		if lookupKeyword(name) == nil {
			t.Errorf("tableEveryKeyword has %s, the table does not", name)
		}
	}
	every, err := loadConfig(writeConfig(t, body.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	def, err := loadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    *config
		skip map[string]bool // entries that print nothing here, as in sshd -T
	}{
		{"defaults", def, map[string]bool{"allowusers": true, "denyusers": true, "tracedir": true,
			"subsystem": true, "setenv": true, "acceptenv": true, "allowgroups": true, "denygroups": true,
			"hostcertificate": true, "channeltimeout": true}},
		{"every keyword", every, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			tc.c.dump(&out)
			printed := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				k, _, _ := strings.Cut(line, " ")
				if e := lookupKeyword(k); e == nil || e.name != k {
					t.Errorf("-T line %q: not a table name", line)
				}
				printed[k] = true
			}
			for _, k := range keywords {
				if !printed[k.name] && !tc.skip[k.name] {
					t.Errorf("%s: not printed by -T", k.name)
				}
			}
		})
	}
	for _, k := range keywords {
		if !every.set[k.name] {
			t.Errorf("%s: not marked set by its line", k.name)
		}
		for _, a := range k.aliases {
			c := defaultConfig()
			if err := c.apply(a, tableEveryKeyword[k.name], strings.Fields(tableEveryKeyword[k.name]), "test", 1); err != nil || !c.set[k.name] {
				t.Errorf("alias %s of %s: %v", a, k.name, err)
			}
		}
	}
}

// TestKeywordTableCoversSSHD: every keyword OpenSSH's sshd -T prints
// has a table entry, under the same name.
func TestKeywordTableCoversSSHD(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skip("no OpenSSH sshd")
	}
	dir := t.TempDir()
	hk := filepath.Join(dir, "hk")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk).CombinedOutput(); err != nil {
		t.Skipf("ssh-keygen: %v %s", err, out)
	}
	cfg := writeConfig(t, "HostKey "+hk+"\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sshd, "-T", "-f", cfg).Output()
	if err != nil {
		t.Skipf("sshd -T: %v", err) // e.g. not root, no privilege separation directory
	}
	var missing []string
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		k, _, _ := strings.Cut(line, " ")
		if e := lookupKeyword(k); (e == nil || e.name != k) && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("sshd -T prints keywords the table lacks: %v", missing)
	}
}

// TestFirstValuePerKeyword: the first value wins per keyword, not per
// spelling, as in sshd (both spellings are one option there).
func TestFirstValuePerKeyword(t *testing.T) {
	for _, tc := range []struct {
		cfg  string
		want func(*config) bool
	}{
		{"UsePAM yes\nKbdInteractiveAuthentication no\nChallengeResponseAuthentication yes\n",
			func(c *config) bool { return !c.KbdInteractiveAuth }},
		{"PubkeyAcceptedKeyTypes ssh-ed25519\nPubkeyAcceptedAlgorithms rsa-sha2-256\n",
			func(c *config) bool { return slices.Equal(c.PubkeyAcceptedAlgorithms, []string{"ssh-ed25519"}) }},
		{"RSAMinSize 2048\nRequiredRSASize 3072\n", func(c *config) bool { return c.more.RequiredRSASize == 2048 }},
	} {
		c := defaultConfig()
		for i, line := range strings.Split(strings.TrimSpace(tc.cfg), "\n") {
			kw, val, _ := strings.Cut(line, " ")
			if err := c.apply(kw, val, strings.Fields(val), "test", i+1); err != nil {
				t.Fatal(err)
			}
		}
		if !tc.want(c) {
			t.Errorf("%q: a later spelling replaced the first value", tc.cfg)
		}
	}
}
