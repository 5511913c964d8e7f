package conformance_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// TestGosshdKerberosPasswordMatchesSSHD: with KerberosAuthentication
// yes, sshd 9.2 (Debian, built with MIT Kerberos) and gosshd check a
// password against a throwaway MIT KDC, verifying the TGT with the
// host/<hostname> key of the keytab. A throwaway account has Kerberos
// password "krbpw" and local password "localpw". Under
// KerberosOrLocalPasswd no only the Kerberos password logs in; under yes
// (the default) the local one does too; a wrong one never does.
func TestGosshdKerberosPasswordMatchesSSHD(t *testing.T) {
	name := uaLocalUser(t, "localpw")
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	k := krb5test.Start(t)
	k.AddService(t, "host/"+h)
	k.Setenv(t)
	t.Setenv("KRB5_KTNAME", "FILE:"+k.Keytab(t, "host/"+h))
	k.AddUser(t, name, "krbpw")
	// sshd reads krb5.conf and makes its ccache in the default ccache
	// directory (the realm's) as the user (temporarily_use_uid); gosshd
	// works as root: let the user in.
	// (k.Dir is a directory of its own under os.TempDir.)
	os.Chmod(k.Dir, 0o1777)
	os.Chmod(k.ConfigPath, 0o644)

	type pair struct {
		srv *sshdtest.Server
		g   *svServer
	}
	start := func(orLocal string) pair {
		cfg := []string{"KerberosAuthentication yes", "KerberosOrLocalPasswd " + orLocal, "PasswordAuthentication yes",
			"PubkeyAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no"}
		return pair{sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: cfg}), svStart(t, []string{"ed25519"}, cfg...)}
	}
	krbOnly, orLocal := start("no"), start("yes")
	dir := t.TempDir()
	// A Kerberos login's session has the TGT in KRB5CCNAME; the ccache
	// is gone once the connection has ended (KerberosTicketCleanup).
	ccRe := regexp.MustCompile(`cc=FILE:(\S+)`)
	login := func(p pair, password string) [2]bool {
		askpass := uaWrite(t, filepath.Join(dir, "askpass"), []byte("#!/bin/sh\necho '"+password+"'\n"), 0o755)
		t.Setenv("SSH_ASKPASS", askpass)
		t.Setenv("SSH_ASKPASS_REQUIRE", "force")
		var out [2]bool
		for i, port := range []string{strconv.Itoa(p.srv.Port), p.g.port} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			res, err := sshdtest.RunSSH(ctx, nil, "-p", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1", "-o", "GSSAPIAuthentication=no",
				"-o", "IdentityAgent=none", "-l", name, "127.0.0.1", `echo in; echo "cc=$KRB5CCNAME"; klist -s && echo TGT-OK; true`)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			out[i] = res.ExitCode == 0 && strings.HasPrefix(string(res.Stdout), "in\n")
			tgt := strings.Contains(string(res.Stdout), "TGT-OK")
			if want := out[i] && password == "krbpw"; tgt != want {
				t.Errorf("server %d, password %q: TGT in the session %v, want %v (%q)", i, password, tgt, want, res.Stdout)
			}
			if m := ccRe.FindStringSubmatch(string(res.Stdout)); m != nil {
				waitGone(t, m[1])
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		p        pair
		password string
		want     bool
	}{
		{"Kerberos password", krbOnly, "krbpw", true},
		{"local password, KerberosOrLocalPasswd no", krbOnly, "localpw", false},
		{"wrong password", krbOnly, "nope", false},
		{"Kerberos password, KerberosOrLocalPasswd yes", orLocal, "krbpw", true},
		{"local password, KerberosOrLocalPasswd yes", orLocal, "localpw", true},
		{"wrong password, KerberosOrLocalPasswd yes", orLocal, "nope", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := login(tc.p, tc.password)
			if got[0] != tc.want || got[1] != tc.want {
				t.Errorf("logged in: sshd %v, gosshd %v; want %v\nsshd log:\n%s\ngosshd log:\n%s", got[0], got[1], tc.want,
					tail(tc.p.srv.Log()), tail(tc.p.g.logText()))
			}
		})
	}
}

// waitGone waits for a server to remove a file after the connection.
func waitGone(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return
		}
	}
	t.Errorf("%s still exists after the connection ended", path)
}
