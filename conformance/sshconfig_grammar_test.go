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

// grammarWrite writes the files of a test config under dir; "DIR" in
// their text is dir.
func grammarWrite(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "DIR", dir)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// bothFail runs each command line with ssh and gossh (or sshd and
// gosshd) and wants both to exit non-zero.
func bothFail(t *testing.T, bins []string, args ...string) {
	t.Helper()
	for _, b := range bins {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, b, args...).CombinedOutput()
		cancel()
		if err == nil {
			t.Errorf("%s %q: exit status 0, want an error\n%s", filepath.Base(b), args, out)
		}
	}
}

// TestSSHConfigGrammarAgainstSSH gives ssh -G and gossh -G the same
// ssh_config with the shared grammar's corners (package sshconfig):
// both quotes, escapes, '=' forms, comments, Include with globs (dot
// files left out), nested and inside Host blocks, TIME FORMAT, byte
// sizes and %-tokens. Every keyword must agree but gosshGAllowed's.
func TestSSHConfigGrammarAgainstSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		sshdtest.MissingPeer(t, "no ssh")
	}
	bin := clBuildGossh(t)
	dir := t.TempDir()
	grammarWrite(t, dir, map[string]string{
		"conf.d/10-a.conf":    "Host example.com\n  User included\n  Compression yes\n",
		"conf.d/.hidden.conf": "Port 9\n",
		"conf.d/20-b.conf":    "Host other\n  ConnectTimeout 5\nHost *\n  ServerAliveCountMax 7\n",
		"deep/1":              "Include DIR/deep/2\nTCPKeepAlive no\n",
		"deep/2":              "ForwardAgent yes\n",
		// Included from an inactive block: its Host lines never match.
		"inblock": "StrictHostKeyChecking accept-new\nHost example.com\n  VisualHostKey yes\n",
		"config": `# top comment
Host example.com   # trailing comment
  HostName 'real.example.org'
  Port=2222
  ConnectTimeout = 1h30m
  ServerAliveInterval	90
  SendEnv LANG "LC_*" X\ Y
  IdentityFile "/tmp/id with space"  # comment
  IdentityFile /tmp/a#b
  ProxyCommand sh -c "nc %h %p" # kept as written
  RemoteCommand echo 'a  b' "%r"
  LocalCommand echo "x" \"y
  SetEnv A="1 2" B=3
  RekeyLimit 1.5G 1h30m
  ControlPath /tmp/cm-%r@%h:%p
  ConnectionAttempts=3
  Include DIR/conf.d/*.conf DIR/deep/1
  IPQoS "af21" cs1
Host nomatch
  Include DIR/inblock
Match originalhost=example.com user="al ice"
  LogLevel DEBUG
Host *
  User "al ice"
  Include nonexistent-sshstack-dir/*
`,
		"other": "Host *\n  RekeyLimit 64k\n  ServerAliveInterval 1w2d\n  User=bob\n  Match host=example.com\n  Port 7\n" +
			"Match originalhost example.com\n  Include DIR/matchinc\n  ForwardX11Timeout 5m\n",
		// Included from a Match block: its own blocks, then the Match block resumes.
		"matchinc": "Host *\n  ConnectionAttempts 4\nHost nothing\n  Compression yes\n",
	})
	for _, tt := range []struct{ name, file, host string }{
		{"quoting, comments and Include", "config", "example.com"},
		{"the same file, another host", "config", "other"},
		{"Match with '=' and byte sizes", "other", "example.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-G", "-F", filepath.Join(dir, tt.file), tt.host}
			want, wk := configDump(t, "ssh", args...)
			got, gk := configDump(t, bin, args...)
			if !slices.Equal(wk, gk) {
				t.Errorf("keywords or their order differ:\nssh:   %v\ngossh: %v", wk, gk)
			}
			for _, k := range wk {
				if _, ok := gosshGAllowed[k]; ok {
					continue
				}
				if w, g := want[k], got[k]; !slices.Equal(w, g) {
					t.Errorf("%s: ssh -G %q, gossh -G %q", k, w, g)
				}
			}
		})
	}
	// A relative Include is taken from ~/.ssh, for -F files too, and
	// glob's '~' is $HOME for both.
	t.Run("relative Include and ~", func(t *testing.T) {
		home := t.TempDir()
		grammarWrite(t, home, map[string]string{
			".ssh/sub/rel.conf": "Port 7\n",
			".ssh/sub/tilde":    "User tilde\n",
			"cfg":               "Include sub/*.conf\nHost *\n  Include ~/.ssh/sub/tilde\n",
		})
		run := func(b string) map[string][]string {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, b, "-G", "-F", filepath.Join(home, "cfg"), "example.com")
			cmd.Env = append(os.Environ(), "HOME="+home)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			m := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				k, v, _ := strings.Cut(line, " ")
				m[k] = append(m[k], v)
			}
			return m
		}
		want, got := run("ssh"), run(bin)
		for _, k := range []string{"port", "user"} {
			if !slices.Equal(want[k], got[k]) {
				t.Errorf("%s: ssh -G %q, gossh -G %q", k, want[k], got[k])
			}
		}
		if want["port"][0] != "7" || want["user"][0] != "tilde" {
			t.Errorf("ssh read port %q user %q: the test's files were not included", want["port"], want["user"])
		}
	})
	// What both refuse.
	for name, body := range map[string]string{
		"open quote":        "Host *\n  User \"alice\n",
		"open single quote": "User 'alice\n",
		"includes itself":   "Include DIR/bad\n",
		"unknown token":     "ControlPath /tmp/%x\n",
		"RekeyLimit small":  "RekeyLimit 15\n",
		"RekeyLimit none":   "RekeyLimit none\n",
		"time too large":    "RekeyLimit 1G 2147483648\n",
		"bad time":          "RekeyLimit 1G 1x\n",
		"keyword alone":     "User\n",
	} {
		t.Run("refused: "+name, func(t *testing.T) {
			grammarWrite(t, dir, map[string]string{"bad": body})
			bothFail(t, []string{"ssh", bin}, "-G", "-F", filepath.Join(dir, "bad"), "example.com")
		})
	}
}

// TestSSHDConfigGrammarAgainstSSHD does the same for sshd -T and
// gosshd -T, with and without -C (Include inside a Match block is
// expanded in place under that block's condition).
func TestSSHDConfigGrammarAgainstSSHD(t *testing.T) {
	bin := svGosshd(t)
	dir := t.TempDir()
	hk := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hk, "")
	grammarWrite(t, dir, map[string]string{
		"sd.d/10.conf":      "X11Forwarding yes\nMatch User bob\n  PermitTTY no\n",
		"sd.d/.hidden.conf": "MaxSessions 3\n",
		"inmatch":           "PermitTunnel yes\n  AllowAgentForwarding no\n",
		"deep1":             "Include DIR/deep2\nLoginGraceTime 2m\n",
		"deep2":             "ClientAliveInterval 1h1s\n",
		"sshd_config": `# comment
HostKey ` + hk + `
Port=2022
MaxAuthTries = 4
LoginGraceTime	1h30m
ClientAliveCountMax "5"
Banner "/etc/my banner" # comment
ChrootDirectory '/srv/%u'
VersionAddendum hello   "x"  # kept as written
ForceCommand echo "a  b" 'c' # kept as written
AuthorizedKeysFile "/etc/keys/%u" .ssh/authorized_keys # c
AuthorizedKeysCommand /usr/bin/x "%u" %f # kept as written
AuthorizedKeysCommandUser nobody
RekeyLimit 1.5G 1h30m
AcceptEnv LANG "LC_*" # c
AllowUsers alice
Include DIR/sd.d/*.conf DIR/deep1
Include nonexistent-sshstack-dir/*
Match User alice
  Include DIR/inmatch
  X11Forwarding no
Match Address=10.0.0.0/8
  PermitListen 1234 # c
`,
	})
	cfg := filepath.Join(dir, "sshd_config")
	for _, spec := range []string{"", "user=alice,addr=10.1.1.1,host=h,laddr=127.0.0.1,lport=22", "user=bob,addr=192.0.2.1,lport=22"} {
		t.Run("-C "+spec, func(t *testing.T) {
			args := []string{"-T", "-f", cfg}
			if spec != "" {
				args = append(args, "-C", spec)
			}
			want, _ := configDump(t, sshdtest.SSHD, args...)
			got, _ := configDump(t, bin, args...)
			if n := compareTDump(t, "", "-T", want, got); n < 70 {
				t.Errorf("only %d keywords compared", n)
			}
		})
	}
	for name, body := range map[string]string{
		"open quote":       "Banner \"/x\n",
		"includes itself":  "Include DIR/bad\n",
		"RekeyLimit small": "RekeyLimit 15\n",
		"RekeyLimit none":  "RekeyLimit none\n",
		"time too large":   "LoginGraceTime 2147483648\n",
		"bad size":         "RekeyLimit 1KB\n",
		"keyword alone":    "Banner\n",
	} {
		t.Run("refused: "+name, func(t *testing.T) {
			grammarWrite(t, dir, map[string]string{"bad": "HostKey " + hk + "\n" + body})
			bothFail(t, []string{sshdtest.SSHD, bin}, "-T", "-f", filepath.Join(dir, "bad"))
		})
	}
}
