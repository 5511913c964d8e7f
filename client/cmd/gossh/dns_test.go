package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/sshfp"
	"github.com/sshstack/sshstack/client/sshfp/sshfptest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

// TestVerifyHostKeyDNS connects to a server whose name ("localhost",
// from /etc/hosts) has SSHFP records on a fake nameserver: a match in a
// validated (AD) answer connects under VerifyHostKeyDNS yes with no
// known_hosts entry and StrictHostKeyChecking yes; an insecure match,
// "ask", a mismatch (with ssh's warning), no records, a failed lookup
// and VerifyHostKeyDNS no all leave known_hosts in charge, which
// refuses the unknown host.
func TestVerifyHostKeyDNS(t *testing.T) {
	alice := servertest.NewAlice()
	addr := alice.Start(t, &server.Server{})
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	id := filepath.Join(dir, "id_ed25519")
	pem, err := hostkey.MarshalPrivateKey(alice.UserKey.Crypto(), "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(id, pem, 0o600)
	hk := alice.HostKey.PublicKey()
	good := sshfp.Records(hk)
	other := sshfp.Records(parsePub(t, vecEd25519))
	knownHosts := filepath.Join(dir, "known_hosts_with_entry")
	os.WriteFile(knownHosts, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("localhost", atoi(port))}, hk, false), 0o600)

	for _, tt := range []struct {
		name       string
		mode       string
		zone       sshfptest.Zone
		knownHosts string // "" for an empty one
		ok         bool
		log        []string // lines the log must hold
		noLog      []string
		note       string // the unknown-host prompt's DNS line
		queries    bool
	}{
		{name: "secure match", mode: "yes", zone: sshfptest.Zone{Records: good, AD: true}, ok: true,
			log: []string{"found 2 secure fingerprints in DNS", "matching host key fingerprint found in DNS"}, noLog: []string{"WARNING"}, queries: true},
		{name: "insecure match", mode: "yes", zone: sshfptest.Zone{Records: good}, ok: false,
			log: []string{"found 2 insecure fingerprints in DNS"}, noLog: []string{"WARNING"}, note: "Matching host key fingerprint found in DNS.\n", queries: true},
		{name: "insecure match with known_hosts", mode: "yes", zone: sshfptest.Zone{Records: good}, knownHosts: knownHosts, ok: true, queries: true},
		{name: "ask secure match", mode: "ask", zone: sshfptest.Zone{Records: good, AD: true}, ok: false, note: "Matching host key fingerprint found in DNS.\n", queries: true},
		{name: "mismatch", mode: "yes", zone: sshfptest.Zone{Records: other, AD: true}, ok: false,
			log: []string{"REMOTE HOST IDENTIFICATION HAS CHANGED", "The fingerprint for the ED25519 key sent by the remote host is\n" + hostkey.FingerprintSHA256(hk),
				"Update the SSHFP RR in DNS with the new host key to get rid of this message."}, note: "No matching host key fingerprint found in DNS.\n", queries: true},
		{name: "mismatch with known_hosts", mode: "yes", zone: sshfptest.Zone{Records: other, AD: true}, knownHosts: knownHosts, ok: true,
			log: []string{"REMOTE HOST IDENTIFICATION HAS CHANGED"}, queries: true},
		{name: "no records", mode: "yes", zone: sshfptest.Zone{AD: true}, ok: false, log: []string{"no host key fingerprint found in DNS"}, queries: true},
		{name: "lookup fails", mode: "yes", zone: sshfptest.Zone{Mute: true}, ok: false, log: []string{"DNS lookup error"}, queries: true},
		{name: "no ignores DNS", mode: "no", zone: sshfptest.Zone{Records: good, AD: true}, ok: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dns := sshfptest.Start(t, map[string]sshfptest.Zone{"localhost": tt.zone})
			prev := newResolver
			newResolver = func() (*sshfp.Resolver, error) {
				return &sshfp.Resolver{Servers: []string{dns.Addr}, TrustAD: true, Attempts: 1, Timeout: 300 * time.Millisecond}, nil
			}
			defer func() { newResolver = prev }()
			kh := tt.knownHosts
			if kh == "" {
				kh = filepath.Join(t.TempDir(), "known_hosts")
			}
			o := newOptions()
			for _, opt := range []string{"HostName localhost", "Port " + port, "User alice", "IdentityFile " + id, "IdentitiesOnly yes",
				"IdentityAgent none", "PreferredAuthentications publickey", "BatchMode yes", "AddressFamily inet",
				"UserKnownHostsFile " + kh, "GlobalKnownHostsFile /dev/null", "StrictHostKeyChecking yes", "VerifyHostKeyDNS " + tt.mode} {
				if err := o.setOption(opt); err != nil {
					t.Fatal(err)
				}
			}
			if len(o.warnings) != 0 {
				t.Errorf("warnings %v", o.warnings)
			}
			if err := o.fillDefaults("localhost"); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			lg := &logger{w: &log, level: 4}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, jumps, nc, err := dial(ctx, &flags{}, o, matchContext{host: "localhost", originalHost: "localhost"}, lg, &prompter{opts: o})
			if len(jumps) != 0 {
				t.Errorf("%d jumps", len(jumps))
			}
			if c != nil {
				c.Close()
			}
			if nc != nil {
				nc.Close()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("dial: %v, want ok %v\n%s", err, tt.ok, log.String())
			}
			if !tt.ok && !errors.Is(err, client.ErrHostKeyRefused) {
				t.Errorf("refused with %v, want client.ErrHostKeyRefused", err)
			}
			text := strings.ReplaceAll(log.String(), "\r\n", "\n")
			for _, want := range tt.log {
				if !strings.Contains(text, want) {
					t.Errorf("log lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range tt.noLog {
				if strings.Contains(text, bad) {
					t.Errorf("log has %q:\n%s", bad, text)
				}
			}
			if got := dns.Queries() > 0; got != tt.queries {
				t.Errorf("DNS asked %v, want %v", got, tt.queries)
			}
			if tt.note != "" {
				if got := o.dns.promptNote(); got != tt.note {
					t.Errorf("prompt note %q, want %q", got, tt.note)
				}
				if p := hostKeyPrompt(o, "localhost", hk, o.dns.promptNote()); !strings.Contains(p, ".\n"+tt.note+"This key is not known") {
					t.Errorf("prompt:\n%s", p)
				}
			}
			if tt.ok && tt.knownHosts == "" {
				if _, err := os.Stat(kh); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("key trusted from DNS recorded in known_hosts: %v", err)
				}
			}
		})
	}
}

// TestVerifyHostKeyDNSNumeric: a numeric HostName is not looked up, as
// in ssh.
func TestVerifyHostKeyDNSNumeric(t *testing.T) {
	o := newOptions()
	o.setOption("VerifyHostKeyDNS yes")
	o.fillDefaults("h")
	var log bytes.Buffer
	d := &dnsCheck{o: o, lg: &logger{w: &log, level: 4}, host: "127.0.0.1", mode: "yes"}
	prev := newResolver
	newResolver = func() (*sshfp.Resolver, error) {
		t.Error("resolver made for a numeric host")
		return nil, errors.New("no")
	}
	defer func() { newResolver = prev }()
	if d.trust(context.Background(), parsePub(t, vecEd25519)) || !strings.Contains(log.String(), "skipped DNS lookup for numerical hostname") {
		t.Errorf("numeric host: %q", log.String())
	}
}

// TestVerifyHostKeyDNSPrintG: -G prints the value as ssh does, and no
// value warns any more.
func TestVerifyHostKeyDNSPrintG(t *testing.T) {
	for v, want := range map[string]string{"yes": "true", "ask": "ask", "no": "false", "": "false"} {
		o := newOptions()
		if v != "" {
			o.setOption("VerifyHostKeyDNS " + v)
		}
		if err := o.fillDefaults("h"); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		o.printG(&out, "h")
		if !strings.Contains(out.String(), "\nverifyhostkeydns "+want+"\n") || len(o.warnings) != 0 {
			t.Errorf("VerifyHostKeyDNS %q: warnings %v, -G:\n%s", v, o.warnings, out.String())
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
