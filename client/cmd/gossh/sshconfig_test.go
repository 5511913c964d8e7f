package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/sshconfig"
)

func TestConfigFirstValueWins(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(inc, []byte("Host other\n  Port 1\nHost *\n  User included\n"), 0o600)
	conf := `# comment
Port=2022
Host web !web.bad *.example
  HostName "10.0.0.1"
  User web
  IdentityFile ~/.ssh/a
Host *
  User fallback
  IdentityFile ~/.ssh/b
  LocalForward 8080 localhost:80
Include ` + inc + `
Match originalhost web user web
  ServerAliveInterval 5
Match exec "false"
  ConnectTimeout 9
Match !host nothing
  Ciphers -chacha20*
`
	cf, err := parseConfig(strings.NewReader(conf), "test", sshconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host string
		want map[string]string
	}{
		{"web", map[string]string{"port": "2022", "hostname": "10.0.0.1", "user": "web", "serveraliveinterval": "5", "connecttimeout": "", "ciphers": "-chacha20*"}},
		{"web.bad", map[string]string{"hostname": "", "user": "fallback", "serveraliveinterval": ""}},
		{"x.example", map[string]string{"hostname": "10.0.0.1", "user": "web"}},
		{"other", map[string]string{"port": "2022", "user": "fallback"}},
	} {
		o := newOptions()
		if err := cf.apply(o, matchContext{host: tt.host, originalHost: tt.host}); err != nil {
			t.Fatal(err)
		}
		for k, v := range tt.want {
			if got := o.get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tt.host, k, got, v)
			}
		}
		if tt.host == "web" && strings.Join(o.all("identityfile"), " ") != "~/.ssh/a ~/.ssh/b" {
			t.Errorf("identityfile accumulates: %v", o.all("identityfile"))
		}
	}
	// The command line is applied first and wins.
	o := newOptions()
	if err := o.setOption("User=cli"); err != nil {
		t.Fatal(err)
	}
	cf.apply(o, matchContext{host: "web", originalHost: "web"})
	if o.get("user") != "cli" {
		t.Errorf("user = %q", o.get("user"))
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := parseConfig(strings.NewReader("User \"unbalanced\n"), "t", sshconfig.Options{}); err == nil {
		t.Error("unbalanced quotes accepted")
	}
	cf, _ := parseConfig(strings.NewReader("Bogus yes\n"), "t", sshconfig.Options{})
	var bad *badOptionError
	if err := cf.apply(newOptions(), matchContext{host: "h"}); err == nil || !errors.As(err, &bad) || bad.key != "bogus" {
		t.Errorf("unknown keyword: %v", err)
	}
	o := newOptions()
	if err := o.setOption("ChannelTimeout session=5m"); err != nil || len(o.warnings) != 1 {
		t.Errorf("unsupported keyword: %v %v", err, o.warnings)
	}
	if err := o.setOption("Compression no"); err != nil || len(o.warnings) != 1 {
		t.Errorf("harmless value warned: %v", o.warnings)
	}
	// An algorithm gossh does not have is an error, as in ssh; a pattern
	// or a removal is not.
	for spec, ok := range map[string]bool{"aes128-ctr,nosuch-cbc": false, "+nosuch-cbc": false, "aes*": true, "-nosuch-cbc": true} {
		o := newOptions()
		if err := o.setOption("Ciphers " + spec); err != nil {
			t.Fatal(err)
		}
		if err := o.fillDefaults("h"); (err == nil) != ok || (err != nil && !errors.Is(err, cipher.ErrModifier)) {
			t.Errorf("Ciphers %s: %v, want ok %v", spec, err, ok)
		}
	}
}

func TestParseFlags(t *testing.T) {
	f, err := parseFlags([]string{"-vvv", "-p2222", "-L", "1:h:2", "-o", "User=x", "-tt", "u@h", "ls", "-l"})
	if err != nil {
		t.Fatal(err)
	}
	if f.verbose != 3 || f.port != "2222" || len(f.local) != 1 || f.opts[0] != "User=x" || f.tty != 2 || f.destination != "u@h" || strings.Join(f.command, " ") != "ls -l" {
		t.Errorf("%+v", f)
	}
	// -c and -m are ssh's shorthand for Ciphers and MACs.
	f, err = parseFlags([]string{"-c", "aes128-ctr", "-mhmac-sha2-256-etm@openssh.com", "h"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Ciphers=aes128-ctr", "MACs=hmac-sha2-256-etm@openssh.com"}; !slices.Equal(f.opts, want) {
		t.Errorf("-c, -m: opts %q, want %q", f.opts, want)
	}
	if _, err := parseFlags([]string{"-Z", "h"}); err == nil {
		t.Error("unknown flag accepted")
	}
	for _, tt := range [][4]string{
		{"u@h", "u", "h", ""}, {"h", "", "h", ""}, {"ssh://u@h:2", "u", "h", "2"}, {"ssh://[::1]:2", "", "::1", "2"},
	} {
		u, h, p := parseDestination(tt[0])
		if u != tt[1] || h != tt[2] || p != tt[3] {
			t.Errorf("parseDestination(%q) = %q %q %q", tt[0], u, h, p)
		}
	}
}

func TestDurationsAndForwards(t *testing.T) {
	if d, err := duration("1h30m"); err != nil || d.Minutes() != 90 {
		t.Errorf("duration %v %v", d, err)
	}
	l, tgt, err := splitForward("127.0.0.1:8080:[::1]:80")
	if err != nil || l != "127.0.0.1:8080" || tgt != "[::1]:80" {
		t.Errorf("splitForward %q %q %v", l, tgt, err)
	}
	l, tgt, _ = splitForward("8080 localhost:80")
	if l != "8080" || tgt != "localhost:80" {
		t.Errorf("config form %q %q", l, tgt)
	}
}

// FuzzParseConfig checks that no ssh_config text panics the parser or
// the evaluation, and that every accepted line round-trips through
// splitConfigLine.
func FuzzParseConfig(f *testing.F) {
	f.Add("Host a b !c\n  User x\nMatch host a,b exec \"true\"\n  Port=22\n")
	f.Add("Ciphers \"aes128-ctr\" # comment\nInclude /nonexistent/*\n")
	f.Add("Match !all user")
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(strings.ToLower(text), "include") {
			return // no Include reads
		}
		cf, err := parseConfig(strings.NewReader(text), "fuzz", sshconfig.Options{})
		if err != nil {
			return
		}
		if strings.Contains(strings.ToLower(text), "exec") {
			return // do not run commands from fuzz input
		}
		cf.apply(newOptions(), matchContext{host: "h", originalHost: "h"})
	})
}

// TestConfigCutEveryByte cuts a file at every byte: a cut keyword is an
// unknown one (an error), a cut value a different value; a cut never
// yields the full file's result and never panics.
func TestConfigCutEveryByte(t *testing.T) {
	text := "Host web\n  HostName \"10.0.0.1\"\n  Port 2222\n"
	for i := range len(text) - 1 {
		cf, err := parseConfig(strings.NewReader(text[:i]), "cut", sshconfig.Options{})
		if err != nil {
			continue // an unbalanced quote
		}
		o := newOptions()
		if err := cf.apply(o, matchContext{host: "web"}); err == nil && o.get("hostname") == "10.0.0.1" && o.get("port") == "2222" {
			t.Errorf("cut at %d gives the whole file's result", i)
		}
	}
}

// TestMatchHostPatterns: Host pattern lists ignore case, take '!' in any
// element, and a pattern of many stars does not backtrack
// exponentially (the old recursive matcher never finished this case).
func TestMatchHostPatterns(t *testing.T) {
	tests := []struct {
		name string
		host string
		pats []string
		want bool
	}{
		{"plain", "a.example.org", []string{"*.example.org"}, true},
		{"case", "A.Example.ORG", []string{"*.example.org"}, true},
		{"negated in a later element", "a.example.org", []string{"*", "!a.*"}, false},
		{"negated in one list", "b.example.org", []string{"*.example.org,!a.*"}, true},
		{"only negated", "b", []string{"!a"}, false},
		{"none", "b", nil, false},
		{"many stars", strings.Repeat("a", 60), []string{strings.Repeat("*", 60) + "b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchHostPatterns(tt.host, tt.pats); got != tt.want {
				t.Errorf("matchHostPatterns(%q, %q) = %v, want %v", tt.host, tt.pats, got, tt.want)
			}
		})
	}
}
