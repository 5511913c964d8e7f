package conformance_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// gosshdMatchConfig has a Match section for each criterion sshd 9.2
// knows, with pattern lists, negation, CIDR blocks, a wildcard address,
// upper-case host patterns, a service name for LocalPort and Match all.
// The keywords inside are those gosshd applies per connection.
const gosshdMatchConfig = `SetEnv GLOBAL=1
AllowTcpForwarding yes
Match User alice,bob*
	ForceCommand /bin/users
	LogLevel DEBUG1
	SetEnv WHO=user
Match User !carol,* Address 10.0.0.0/8,!10.9.0.0/16
	AllowTcpForwarding local
	SetEnv WHO=net10
Match Group root,!nogroup
	PermitTTY no
	LogLevel VERBOSE
Match Host *.EXAMPLE.com,!bad.example.com
	X11Forwarding yes
	X11DisplayOffset 20
Match LocalAddress 192.0.2.0/24,127.0.0.? LocalPort 2222
	PermitOpen localhost:80
	AllowStreamLocalForwarding no
Match RDomain vrf-*,!vrf-red
	AllowAgentForwarding no
Match Address 2001:db8::/32,172.16.*
	DisableForwarding yes
	ChrootDirectory /srv/%u
Match User=dave LocalPort ssh
	PermitUserRC no
	LogLevel DEBUG3
Match Address 192.0.2.1 User alice
	ExposeAuthInfo yes
	ForceCommand /bin/never-second
Match all
	PermitListen 8080
	X11UseLocalhost no
`

// TestGosshdMatchAgainstSSHD gives the same sshd_config with Match
// sections to sshd -T -C and gosshd -T -C for a table of connection
// specifications and compares every keyword, as TestGosshdTAgainstSSHD
// does for the defaults.
func TestGosshdMatchAgainstSSHD(t *testing.T) {
	bin := svGosshd(t)
	dir := t.TempDir()
	hk := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	cfg := uaWrite(t, filepath.Join(dir, "sshd_config"), []byte("HostKey "+hk+"\n"+gosshdMatchConfig), 0o600)
	for _, spec := range []string{
		"user=alice,host=alice.example.com,addr=192.0.2.1,laddr=127.0.0.1,lport=22,rdomain=main",
		"user=bob2,host=BAD.example.com,addr=10.1.2.3,laddr=192.0.2.9,lport=2222",
		"user=carol,host=x.Example.COM,addr=10.9.0.1,laddr=127.0.0.1,lport=2222,rdomain=vrf-blue",
		"user=eve,addr=10.9.0.1,lport=22,rdomain=vrf-red",
		"user=root,host=h,addr=2001:db8::1,laddr=::1,lport=22",
		"user=root,addr=172.16.5.4,laddr=127.0.0.10,lport=2222",
		"user=nosuchuser,addr=10.0.0.1,lport=22",
		"user=dave,addr=not-an-address,host=10.1.2.3,lport=ssh",
		"user=dave,lport=2222",
		"lport=22",
		"user=,host=,addr=,laddr=,lport=22,rdomain=",
	} {
		t.Run(spec, func(t *testing.T) {
			want, _ := configDump(t, sshdtest.SSHD, "-T", "-f", cfg, "-C", spec)
			got, _ := configDump(t, bin, "-T", "-f", cfg, "-C", spec)
			if n := compareTDump(t, "", "-T -C", want, got); n < 70 {
				t.Errorf("only %d keywords compared", n)
			}
		})
	}
	// Both refuse a specification without lport when a Match LocalPort
	// section needs it, a malformed one, and -C without -T.
	for _, args := range [][]string{
		{"-T", "-f", cfg, "-C", "user=alice,addr=10.1.2.3"},
		{"-T", "-f", cfg, "-C", "user=alice,frob=1"},
		{"-T", "-f", cfg, "-C", "lport=notaport"},
		{"-t", "-f", cfg, "-C", "user=alice,lport=22"},
	} {
		for _, b := range []string{sshdtest.SSHD, bin} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := exec.CommandContext(ctx, b, args...).Run()
			cancel()
			if err == nil {
				t.Errorf("%s %q: exit status 0, want an error", filepath.Base(b), args)
			}
		}
	}
}

// TestGosshdMatchSyntaxAgainstSSHD checks that gosshd refuses the Match
// lines sshd refuses, and accepts those it accepts.
func TestGosshdMatchSyntaxAgainstSSHD(t *testing.T) {
	bin := svGosshd(t)
	dir := t.TempDir()
	hk := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	for _, line := range []string{
		"Match all", "Match all User x", "Match User x all", "Match User", "Match Frob x",
		"Match LocalPort 22,23", "Match LocalPort ssh", "Match LocalPort 70000",
		"Match Address 10.0.0.1/8", "Match Address 10.0.0.0/33", "Match Address 10.0.0.0/8,", "Match Address !",
		"Match Address 10.*,::1/128", "Match LocalAddress 10.0.0.256", "Match Host *", "Match RDomain x",
		"Match User a # comment", "Match user=a address=10.0.0.0/8",
	} {
		t.Run(line, func(t *testing.T) {
			cfg := uaWrite(t, filepath.Join(dir, "sshd_config"), []byte("HostKey "+hk+"\n"+line+"\n\tPermitTTY no\n"), 0o600)
			run := func(b string) bool {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				return exec.CommandContext(ctx, b, "-t", "-f", cfg).Run() == nil
			}
			if w, g := run(sshdtest.SSHD), run(bin); w != g {
				t.Errorf("sshd -t accepts: %v, gosshd -t accepts: %v", w, g)
			}
		})
	}
}
