package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// gosshGAllowed are the keywords whose value may differ between ssh -G
// and gossh -G for OpenSSH's defaults, each with the reason. Everything
// else must be printed alike: same keywords, same values, same order.
var gosshGAllowed = map[string]string{
	// gossh's own algorithm sets (docs/security.md): no umac, no SHA-1
	// MACs, no sk-* (FIDO) keys, ML-KEM first and no NIST ECDH by
	// default, AES-GCM before AES-CTR.
	"ciphers": "gossh default", "macs": "gossh default", "kexalgorithms": "gossh default",
	// PubkeyAcceptedAlgorithms is ssh's own list (sk keys and sk
	// certificates included), so it must print alike.
	"hostkeyalgorithms":           "gossh default",
	"hostbasedacceptedalgorithms": "gossh default", "casignaturealgorithms": "gossh default",
	// Debian builds ssh with ForwardX11Trusted yes; gossh keeps
	// OpenSSH's upstream default, no.
	"forwardx11trusted": "Debian's patch",
}

// gosshGEveryKeyword sets every keyword ssh -G prints to a value other
// than its default, behind Host and Match blocks.
const gosshGEveryKeyword = `Host other
  Port 2022
Match originalhost example.com user alice
  Compression yes
Match originalhost example.com exec true
  ConnectTimeout 30
Host example.com
  User alice
  HostName real.example.org
  Port 2222
  AddressFamily inet
  BatchMode yes
  CanonicalizeFallbackLocal no
  CanonicalizeHostname no
  CheckHostIP yes
  ControlMaster auto
  EnableSSHKeysign yes
  ClearAllForwardings yes
  ExitOnForwardFailure yes
  FingerprintHash md5
  ForwardX11 yes
  ForwardX11Trusted no
  GatewayPorts yes
  GSSAPIAuthentication yes
  GSSAPIKeyExchange yes
  GSSAPIDelegateCredentials yes
  GSSAPITrustDns yes
  GSSAPIRenewalForcesRekey yes
  GSSAPIClientIdentity alice@SSHSTACK.TEST
  GSSAPIServerIdentity host.example
  GSSAPIKexAlgorithms gss-curve25519-sha256-,gss-group14-sha256-
  HashKnownHosts yes
  HostbasedAuthentication yes
  IdentitiesOnly yes
  KbdInteractiveAuthentication no
  NoHostAuthenticationForLocalhost yes
  PasswordAuthentication no
  PermitLocalCommand yes
  ProxyUseFdpass yes
  PubkeyAuthentication no
  RequestTTY force
  SessionType subsystem
  StdinNull yes
  ForkAfterAuthentication yes
  StreamLocalBindUnlink yes
  StrictHostKeyChecking accept-new
  TCPKeepAlive no
  Tunnel point-to-point
  VerifyHostKeyDNS ask
  VisualHostKey yes
  UpdateHostKeys no
  EnableEscapeCommandline yes
  CanonicalizeMaxDots 3
  ConnectionAttempts 4
  ForwardX11Timeout 5m
  NumberOfPasswordPrompts 2
  ServerAliveCountMax 7
  ServerAliveInterval 15
  RequiredRSASize 2048
  BindAddress 127.0.0.1
  BindInterface lo
  Ciphers aes256-ctr,aes128-gcm@openssh.com
  ControlPath ~/.ssh/cm-%r@%h:%p
  HostKeyAlgorithms ssh-ed25519,rsa-sha2-512
  HostKeyAlias myalias
  HostbasedAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256
  IdentityAgent /tmp/agent.sock
  IgnoreUnknown FooBar,Baz*
  KbdInteractiveDevices pam,bsdauth
  KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha256
  CASignatureAlgorithms ssh-ed25519,rsa-sha2-256
  LocalCommand echo %h %p %r %n
  RemoteCommand uptime
  LogLevel DEBUG2
  MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512
  PKCS11Provider /usr/lib/p11.so
  SecurityKeyProvider /usr/lib/sk.so
  PreferredAuthentications publickey,password
  PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-256
  RevokedHostKeys /etc/ssh/revoked
  XAuthLocation /opt/bin/xauth
  KnownHostsCommand /bin/echo %h
  DynamicForward 1080
  DynamicForward 127.0.0.1:1081
  LocalForward 8080 localhost:80
  LocalForward 127.0.0.1:8081 [::1]:81
  LocalForward /tmp/l.sock /tmp/r.sock
  RemoteForward 9090 localhost:90
  RemoteForward 9091
  RemoteForward /tmp/rr.sock localhost:22
  IdentityFile ~/.ssh/id_test
  IdentityFile /tmp/id_other
  CanonicalDomains example.org example.net
  CertificateFile ~/.ssh/id_test-cert.pub
  GlobalKnownHostsFile /etc/ssh/kh1 /etc/ssh/kh2
  UserKnownHostsFile ~/.ssh/kh_a /tmp/kh_b
  SendEnv LANG LC_*
  SendEnv FOO
  SetEnv A=1 B="two words"
  LogVerbose kex.c:*:1000,packet.c:*
  PermitRemoteOpen localhost:8080 [::1]:22
  AddKeysToAgent confirm 1h
  ForwardAgent AGENTPATH
  TunnelDevice 3:4
  CanonicalizePermittedCNAMEs *.a.example:*.b.example,*.c.example *.d.example:*.e.example
  ControlPersist 10m
  EscapeChar none
  IPQoS af21 cs1
  RekeyLimit 1G 1h
  StreamLocalBindMask 0022
  SyslogFacility LOCAL3
  ProxyJump jump1,bob@jump2:2200
`

// gosshGForwards covers the forward formats, ProxyCommand and the
// special cases that the first file clears or overrides.
const gosshGForwards = `Host *
  DynamicForward 1080
  DynamicForward 127.0.0.1:1081
  DynamicForward [::1]:1082
  DynamicForward /tmp/d.sock
  LocalForward 8080 localhost:80
  LocalForward 127.0.0.1:8081 [::1]:81
  LocalForward *:8082 h:82
  LocalForward /tmp/l.sock /tmp/r.sock
  LocalForward 8083 /tmp/r2.sock
  RemoteForward 9090 localhost:90
  RemoteForward 9091
  RemoteForward [::1]:9092
  RemoteForward /tmp/rr.sock localhost:22
  RemoteForward 9093 /tmp/x.sock
  LocalForward 8080 localhost:80
  ProxyCommand nc %h %p
  ProxyUseFdpass yes
  Tunnel yes
  AddKeysToAgent 1h
  ControlPersist yes
  EscapeChar ^A
  ControlMaster ask
`

// TestGosshGAgainstSSH compares gossh -G with ssh -G keyword by keyword.
func TestGosshGAgainstSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		sshdtest.MissingPeer(t, "no ssh")
	}
	bin := clBuildGossh(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// ssh checks that a ForwardAgent path exists.
	every := write("every", strings.ReplaceAll(gosshGEveryKeyword, "AGENTPATH", dir))
	fwd := write("fwd", gosshGForwards)
	// Canonicalisation of a name /etc/hosts knows, and the second pass
	// with Match canonical and Match final.
	canon := write("canon", "CanonicalizeHostname yes\nCanonicalDomains example.invalid\nHost localhost\n  Port 2\n"+
		"Match canonical\n  User canon\nMatch final\n  ConnectTimeout 7\nMatch !final\n  ServerAliveInterval 9\n")
	for _, tt := range []struct {
		name    string
		args    []string
		allowed map[string]string
	}{
		{"defaults", []string{"-F", "/dev/null", "example.com"}, gosshGAllowed},
		{"defaults with user and port", []string{"-F", "/dev/null", "-p", "2022", "bob@Example.COM"}, gosshGAllowed},
		{"every keyword", []string{"-F", every, "example.com"}, nil},
		{"forwards", []string{"-F", fwd, "-L", "7000:h:7", "-D", "7001", "example.com"}, gosshGAllowed},
		{"canonicalisation", []string{"-F", canon, "LocalHost"}, gosshGAllowed},
		{"command line", []string{"-F", "/dev/null", "-o", "ClearAllForwardings=yes", "-L", "7000:h:7", "-o", "BatchMode=yes",
			"-o", "ControlPersist=0", "-o", "RekeyLimit=10M", "-o", "TunnelDevice=3", "-o", "IPQoS=ef", "-o", "StrictHostKeyChecking=off",
			"-o", "StreamLocalBindMask=0", "-o", "EscapeChar=x", "-o", "AddKeysToAgent=confirm", "-A", "-C", "-4", "-X", "-Y", "-t", "-t", "h"}, gosshGAllowed},
		{"-f -n -w", []string{"-F", "/dev/null", "-f", "-n", "-w", "3:4", "-N", "h"}, gosshGAllowed},
		{"-N then -t", []string{"-F", "/dev/null", "-N", "-t", "h"}, gosshGAllowed},
		{"-o RequestTTY then -N", []string{"-F", "/dev/null", "-o", "RequestTTY=force", "-N", "h"}, gosshGAllowed},
		{"-W and -tt", []string{"-F", "/dev/null", "-W", "x:1", "-tt", "h"}, gosshGAllowed},
		{"-s", []string{"-F", "/dev/null", "-s", "h", "sftp"}, gosshGAllowed},
		// Flags that override -o, and flags that are first-wins with it
		// in command-line order (the destination's user among them).
		{"flags over -o", []string{"-F", "/dev/null", "-o", "ForwardAgent=no", "-A", "-o", "Compression=no", "-C", "-o", "AddressFamily=inet6", "-4",
			"-o", "LogLevel=ERROR", "-vv", "-o", "ForwardX11=no", "-X", "-x", "-o", "StdinNull=no", "-n", "h"}, gosshGAllowed},
		{"first wins in order", []string{"-F", "/dev/null", "-p", "2", "-o", "Port=1", "-o", "User=a", "-l", "b", "-J", "j1", "-o", "ProxyJump=j2",
			"-i", "/etc/hostname", "-i", "/nonexistent", "-o", "IdentityFile=/a", "c@h", "-o", "User=d"}, gosshGAllowed},
		{"quiet", []string{"-F", "/dev/null", "-q", "h"}, gosshGAllowed},
		{"-I over -o", []string{"-F", "/dev/null", "-o", "PKCS11Provider=/a.so", "-I", "/b.so", "h"}, gosshGAllowed},
		{"PKCS11Provider none", []string{"-F", "/dev/null", "-o", "PKCS11Provider=none", "h"}, gosshGAllowed},
		{"LogVerbose keeps its first argument", []string{"-F", "/dev/null", "-o", "LogVerbose=a.c:* b.c:*", "h"}, gosshGAllowed},
		{"VerifyHostKeyDNS ask turns UpdateHostKeys off", []string{"-F", "/dev/null", "-o", "VerifyHostKeyDNS=ask", "h"}, gosshGAllowed},
		{"-g -b -B -e over -o", []string{"-F", "/dev/null", "-o", "GatewayPorts=no", "-g", "-b", "127.0.0.2", "-o", "BindAddress=127.0.0.3",
			"-o", "BindInterface=eth9", "-B", "lo", "-e", "^B", "-o", "EscapeChar=x", "h"}, gosshGAllowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, wk := configDump(t, "ssh", append([]string{"-G"}, tt.args...)...)
			got, gk := configDump(t, bin, append([]string{"-G"}, tt.args...)...)
			if !slices.Equal(wk, gk) {
				t.Errorf("keywords or their order differ:\nssh:   %v\ngossh: %v", wk, gk)
			}
			for _, k := range wk {
				if _, ok := tt.allowed[k]; ok {
					continue
				}
				if w, g := want[k], got[k]; !slices.Equal(w, g) {
					t.Errorf("%s: ssh -G %q, gossh -G %q", k, w, g)
				}
			}
		})
	}
}

// configDump runs bin with args (ssh -G, sshd -T: one "keyword value"
// line each) and returns each keyword's values and the keywords in the
// order printed, each once.
func configDump(t *testing.T, bin string, args ...string) (map[string][]string, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", filepath.Base(bin), args, err)
	}
	m := map[string][]string{}
	var order []string
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		k, v, _ := strings.Cut(line, " ")
		if _, seen := m[k]; !seen {
			order = append(order, k)
		}
		m[k] = append(m[k], v)
	}
	return m, order
}
