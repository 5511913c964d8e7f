package conformance_test

import (
	"strings"
	"testing"
)

// TestGosshLogVerbose: against gosshd, at the default LogLevel, a
// LogVerbose pattern prints the debug records of the layer's log sites
// it names (kex's transport.go, userauth's link.go) and no others.
func TestGosshLogVerbose(t *testing.T) {
	bin := clBuildGossh(t)
	g := svStart(t, []string{"ed25519"})
	for _, tt := range []struct {
		pattern   string
		want, not string
	}{
		{"transport.go:*", "debug3: transport.go:kex.(*Transport).", "userauth: received"},
		{"link.go:*:*", "userauth: received", "kex: sent KEXINIT"},
		{"*:kex.(*Transport).initSent():*", "kex: sent KEXINIT", "kex: keys switched"},
	} {
		t.Run(tt.pattern, func(t *testing.T) {
			r := clGossh(t, bin, nil, nil, "-F", "none", "-i", g.userKey, "-o", "UserKnownHostsFile="+g.knownHosts,
				"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-p", g.port, "-l", "root",
				"-o", "LogVerbose="+tt.pattern, "127.0.0.1", "true")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, tt.not) {
				t.Errorf("want %q and not %q in:\n%s", tt.want, tt.not, r.stderr)
			}
			if strings.Contains(r.stderr, "debug1:") {
				t.Errorf("lines of other sites:\n%s", r.stderr)
			}
		})
	}
}
