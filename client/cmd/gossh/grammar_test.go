package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/sshconfig"
)

// TestConfigGrammar: ssh's argv_split for most keywords, the raw rest of
// the line for the command keywords, and Include in an inactive block
// whose Host lines never match (readconf.c SSHCONF_NEVERMATCH).
func TestConfigGrammar(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc")
	if err := os.WriteFile(inc, []byte("Host web\n  Port 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cf, err := parseConfig(strings.NewReader(`Host web
  ProxyCommand sh -c "nc %h %p" # as written
  User 'al ice'
  SendEnv A\ B #comment
Host other
  Include `+inc+`
`), "t", sshconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := newOptions()
	if err := cf.apply(o, matchContext{host: "web", originalHost: "web"}); err != nil {
		t.Fatal(err)
	}
	if got := o.get("proxycommand"); got != `sh -c "nc %h %p" # as written` {
		t.Errorf("ProxyCommand %q, want the line as written", got)
	}
	if o.get("user") != "al ice" || strings.Join(o.all("sendenv"), "|") != "A B" {
		t.Errorf("User %q SendEnv %q", o.get("user"), o.all("sendenv"))
	}
	if o.get("port") != "" {
		t.Errorf("Port %q from a file included in an inactive block", o.get("port"))
	}
	if _, err := parseConfig(strings.NewReader("User 'x\n"), "t", sshconfig.Options{}); !errors.Is(err, sshconfig.ErrQuote) {
		t.Errorf("open single quote: %v, want ErrQuote", err)
	}
	// ssh's percent_expand: an unknown token is an error.
	if _, err := expandTokens("/tmp/%x", o, matchContext{host: "web"}); !errors.Is(err, sshconfig.ErrToken) {
		t.Errorf("%%x: %v, want ErrToken", err)
	}
	if _, err := expandProxyTokens("nc %h %C", o, matchContext{host: "web"}); !errors.Is(err, sshconfig.ErrToken) {
		t.Errorf("ProxyCommand %%C: %v, want ErrToken", err)
	}
}
