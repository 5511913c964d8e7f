package conformance_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// TestUserauthHostbasedAgainstSSHD: our "hostbased" source (RFC 4252,
// Section 9) logs in to OpenSSH's sshd for a throwaway account whose
// ~/.shosts trusts "localhost" and whose ~/.ssh/known_hosts holds our
// client host key (HostbasedUsesNameFromPacketOnly, so no DNS). The same
// key for another client user, or an unknown host key, is refused.
func TestUserauthHostbasedAgainstSSHD(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	name, home := homeUser(t)
	clientKey := uaKey(t, hostkey.ED25519)
	other := uaKey(t, hostkey.ED25519)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	uaWrite(t, filepath.Join(home, ".shosts"), []byte("localhost "+name+"\n"), 0o600)
	uaWrite(t, filepath.Join(home, ".ssh", "known_hosts"), append([]byte("localhost "), hostkey.MarshalAuthorizedKey(clientKey.PublicKey(), "")...), 0o600)
	if out, err := exec.Command("chown", "-R", name, home).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: []string{
		"HostbasedAuthentication yes", "IgnoreRhosts no", "HostbasedUsesNameFromPacketOnly yes",
		"PubkeyAuthentication no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
	}})
	auth := func(t *testing.T, hb *userauth.Hostbased) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := uaDial(t, ctx, srv)
		defer c.Close()
		_, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: name, Sources: []userauth.Method{hb}})
		return err
	}
	t.Run("trusted host and user", func(t *testing.T) {
		if err := auth(t, &userauth.Hostbased{Signer: clientKey, ClientHost: "localhost.", ClientUser: name}); err != nil {
			t.Fatalf("%v\n%s", err, tail(srv.Log()))
		}
		want := "Accepted hostbased for " + name + " from 127.0.0.1 port "
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(srv.Log(), want) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(srv.Log(), want) {
			t.Errorf("sshd log lacks %q\n%s", want, tail(srv.Log()))
		}
	})
	for _, tc := range []struct {
		name string
		hb   *userauth.Hostbased
	}{
		{"another client user", &userauth.Hostbased{Signer: clientKey, ClientHost: "localhost.", ClientUser: "root"}},
		{"unknown host key", &userauth.Hostbased{Signer: other, ClientHost: "localhost.", ClientUser: name}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var de *userauth.DeniedError
			if err := auth(t, tc.hb); !errors.As(err, &de) {
				t.Fatalf("%v, want a DeniedError\n%s", err, tail(srv.Log()))
			}
		})
	}
}
