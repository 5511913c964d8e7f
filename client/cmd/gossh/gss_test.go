package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth/gssauth"
)

// TestGSSAPITrustDns: the keyword is accepted and printed by -G with
// OpenSSH's default "no"; with "yes" the target name is the reverse-DNS
// name of the host's address when it resolves back, and the name given
// when lookups fail.
func TestGSSAPITrustDns(t *testing.T) {
	o := newOptions()
	if err := o.fillDefaults("h"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o.printG(&out, "h")
	if !strings.Contains(out.String(), "\ngssapitrustdns no\n") {
		t.Errorf("-G lacks gssapitrustdns no:\n%s", out.String())
	}
	o = newOptions()
	if err := o.setOption("GSSAPITrustDns=yes"); err != nil {
		t.Fatal(err)
	}
	if !o.yes("gssapitrustdns", false) {
		t.Error("GSSAPITrustDns yes not set")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const bad = "no-such-host.invalid"
	if got := gssCanonicalHost(ctx, bad); got != bad {
		t.Errorf("unresolvable host: %q", got)
	}
	// 127.0.0.1's names come from /etc/hosts (no network needed).
	names, err := net.DefaultResolver.LookupAddr(ctx, "127.0.0.1")
	if err != nil || len(names) == 0 {
		t.Skipf("no reverse name for 127.0.0.1: %v", err)
	}
	want := strings.ToLower(strings.TrimSuffix(names[0], "."))
	if got := gssCanonicalHost(ctx, "127.0.0.1"); got != want {
		t.Errorf("gssCanonicalHost(127.0.0.1) = %q, want %q (of %v)", got, want, names)
	}
	// The target of both GSS-API uses follows the option: for
	// 127.0.0.1 with GSSAPITrustDns yes it is the canonical name, and
	// GSSAPIServerIdentity still wins.
	for _, c := range []struct {
		opts []string
		want string
	}{
		{[]string{"GSSAPIAuthentication=yes", "GSSAPIKeyExchange=yes"}, ""},
		{[]string{"GSSAPIAuthentication=yes", "GSSAPIKeyExchange=yes", "GSSAPITrustDns=yes"}, want},
		{[]string{"GSSAPIAuthentication=yes", "GSSAPITrustDns=yes", "GSSAPIServerIdentity=other"}, "other"},
	} {
		o := newOptions()
		for _, opt := range append(c.opts, "BatchMode=yes", "IdentityFile=none", "PreferredAuthentications=gssapi-with-mic") {
			if err := o.setOption(opt); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.fillDefaults("127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		lg, err := newLogger(o, "", false)
		if err != nil {
			t.Fatal(err)
		}
		cfg, closer, err := clientConfig(o, lg, &prompter{}, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if closer != nil {
			closer.Close()
		}
		var mic string
		for _, m := range cfg.Auth {
			if g, ok := m.(*gssauth.WithMIC); ok {
				mic = g.ServerIdentity
			}
		}
		if cfg.GSSAPI == nil || cfg.GSSAPI.ServerIdentity != c.want || mic != c.want {
			t.Errorf("%v: key exchange target %+v, gssapi-with-mic %q, want %q", c.opts, cfg.GSSAPI, mic, c.want)
		}
	}
}
