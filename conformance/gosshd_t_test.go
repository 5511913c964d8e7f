package conformance_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// gosshdTAllowed are the keywords whose values may differ between
// sshd -T and gosshd -T, each with the reason. Every other keyword must
// be printed by both, with the same values in the same order of lines
// for that keyword.
var gosshdTAllowed = map[string]string{
	// gosshd's own algorithm sets (docs/security.md): no umac, no
	// SHA-1 MACs, no NIST ECDH, ML-KEM first, AES-GCM before AES-CTR.
	"ciphers": "gosshd default", "macs": "gosshd default", "kexalgorithms": "gosshd default",
	"hostkeyalgorithms": "gosshd default", "pubkeyacceptedalgorithms": "gosshd default",
	"hostbasedacceptedalgorithms": "gosshd default", "casignaturealgorithms": "gosshd default",
	// Without PAM gosshd has no keyboard-interactive device, so its
	// default is no (sshd offers one with nothing behind it).
	"kbdinteractiveauthentication": "no device without PAM",
	// gosshd caps unauthenticated connections per source by default.
	"persourcemaxstartups": "gosshd default",
	"pidfile":              "gosshd's own pid file",
	// Keywords of OpenSSH 9.8 that 9.2's sshd -T does not print yet.
	"persourcepenalties": "newer than sshd 9.2", "persourcepenaltyexemptlist": "newer than sshd 9.2",
	"pamservicename": "newer than sshd 9.2",
}

// compareTDump reports each keyword sshd's -T output (want) prints that
// gosshd's (got) prints differently, apart from gosshdTAllowed's, as
// "PREFIXkeyword: sshd FLAGS want, gosshd FLAGS got", and returns how
// many keywords it compared.
func compareTDump(t *testing.T, prefix, flags string, want, got map[string][]string) int {
	t.Helper()
	n := 0
	for k, w := range want {
		if _, ok := gosshdTAllowed[k]; ok {
			continue
		}
		n++
		if g := got[k]; !slices.Equal(w, g) {
			t.Errorf("%s%s: sshd %s %q, gosshd %s %q", prefix, k, flags, w, flags, g)
		}
	}
	return n
}

// gosshdTEveryKeyword sets each keyword gosshd took from sshd -T's list
// (issue: every keyword) to a value other than its default.
const gosshdTEveryKeyword = `Port 2022
Port 2023
AddressFamily inet
ListenAddress 127.0.0.1
ListenAddress 127.0.0.2:2200
CASignatureAlgorithms ssh-ed25519,rsa-sha2-256
ChrootDirectory /srv/%u
DisableForwarding yes
ExposeAuthInfo yes
FingerprintHash md5
ForceCommand /bin/echo forced
HostbasedAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256
HostbasedAuthentication yes
HostbasedUsesNameFromPacketOnly yes
HostKeyAgent /nonexistent/agent.sock
IgnoreRhosts no
IgnoreUserKnownHosts yes
IPQoS af21 cs1
KerberosAuthentication yes
KerberosOrLocalPasswd no
KerberosTicketCleanup no
ModuliFile /etc/ssh/moduli.custom
PermitTTY no
PermitTunnel point-to-point
PrintLastLog no
PrintMotd no
PubkeyAuthOptions touch-required verify-required
RequiredRSASize 2048
RevokedKeys /etc/ssh/revoked
SecurityKeyProvider /usr/lib/sk.so
StreamLocalBindMask 0022
StreamLocalBindUnlink yes
StrictModes no
SyslogFacility LOCAL3
TCPKeepAlive no
UnusedConnectionTimeout 5m
UseDNS yes
VersionAddendum hello world
PermitRootLogin prohibit-password
AllowGroups wheel st*
AllowGroups adm
DenyGroups !x games
HostCertificate /nonexistent/host-cert.pub
HostCertificate /nonexistent/second-cert.pub
ChannelTimeout session:command=5m session:*=1h direct-tcpip=30 x11-connection=0
`

// TestGosshdTAgainstSSHD compares gosshd -T with sshd -T keyword by
// keyword for the same sshd_config.
func TestGosshdTAgainstSSHD(t *testing.T) {
	bin := svGosshd(t)
	dir := t.TempDir()
	hk := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	for _, tt := range []struct{ name, body string }{
		{"defaults", "\n"},
		{"every keyword", "\n" + gosshdTEveryKeyword},
		{"one value for IPQoS, numbers, other spellings", "\nIPQoS 0x10\nStreamLocalBindMask 0\nUnusedConnectionTimeout 0\n" +
			"AddressFamily inet6\nIgnoreRhosts shosts-only\nPubkeyAuthOptions touch-required\nFingerprintHash sha256\nSyslogFacility local0\nHostKeyAgent SSH_AUTH_SOCK\n"},
		{"ListenAddress with ports", "\nPort 2201\nListenAddress [::1]:2200\nListenAddress ::1\nIPQoS none\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := uaWrite(t, filepath.Join(dir, "sshd_config"), []byte(tt.body+"HostKey "+hk+"\n"), 0o600)
			want, _ := configDump(t, sshdtest.SSHD, "-T", "-f", cfg)
			got, _ := configDump(t, bin, "-T", "-f", cfg)
			var wk, gk []string
			for k := range want {
				wk = append(wk, k)
			}
			for k := range got {
				if _, ok := gosshdTAllowed[k]; !ok || want[k] != nil {
					gk = append(gk, k)
				}
			}
			slices.Sort(wk)
			slices.Sort(gk)
			if !slices.Equal(wk, gk) {
				t.Errorf("keyword sets differ:\nsshd only:   %v\ngosshd only: %v", gosshdTMinus(wk, gk), gosshdTMinus(gk, wk))
			}
			for _, k := range wk {
				// An allowed keyword the config sets must agree all the same.
				if _, ok := gosshdTAllowed[k]; ok && !strings.Contains(strings.ToLower(tt.body), "\n"+k+" ") {
					continue
				}
				if w, g := want[k], got[k]; !slices.Equal(w, g) {
					t.Errorf("%s: sshd -T %q, gosshd -T %q", k, w, g)
				}
			}
		})
	}
}

func gosshdTMinus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
