package conformance_test

import (
	"errors"
	"fmt"
	"io"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/gssapi/xsshgss"
	"github.com/sshstack/sshstack/server/xsshtest"
)

// xsshAuth runs one x/crypto/ssh handshake with gssapi-with-mic between
// an xsshgss.Client and an xsshgss.Server (xsshtest) over loopback TCP.
// It returns the principal the server's AllowLogin saw and the client's
// error.
func xsshAuth(t *testing.T, client *xsshgss.Client, server *xsshgss.Server, target string, allow func(string) error) (string, error) {
	t.Helper()
	var seen string
	scfg := &ssh.ServerConfig{
		GSSAPIWithMICConfig: &ssh.GSSAPIWithMICConfig{
			Server: server,
			AllowLogin: func(c ssh.ConnMetadata, principal string) (*ssh.Permissions, error) {
				seen = principal
				if err := allow(principal); err != nil {
					return nil, err
				}
				return &ssh.Permissions{Extensions: map[string]string{"principal": principal}}, nil
			},
		},
	}
	s := xsshtest.Start(t, xsshtest.Options{Config: scfg, Deadline: 30 * time.Second})
	ccfg := &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.GSSAPIWithMICAuthMethod(client, target)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey.PublicKey()),
	}
	_, err := xsshtest.Dial(t, s.Addr, ccfg)
	s.Close() // waits for the server's goroutines: AllowLogin has run
	return seen, err
}

// x/crypto/ssh client and server authenticate each other with
// gssapi-with-mic using only this module's Kerberos.
func TestGSSXCryptoSSH(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	allowAlice := func(p string) error {
		if p != r.alice() {
			return fmt.Errorf("principal %q not allowed", p)
		}
		return nil
	}
	t.Run("success", func(t *testing.T) {
		var delegated *gssapi.Credential
		srv := &xsshgss.Server{Delegated: func(p string, c *gssapi.Credential) { delegated = c }}
		seen, err := xsshAuth(t, &xsshgss.Client{Delegate: true}, srv, "localhost", allowAlice)
		if err != nil {
			t.Fatalf("ssh handshake: %v", err)
		}
		if seen != r.alice() {
			t.Errorf("AllowLogin saw %q, want %q", seen, r.alice())
		}
		if delegated == nil || delegated.Name().String() != r.alice() {
			t.Errorf("delegated credential %v", delegated)
		}
	})
	t.Run("denied by AllowLogin", func(t *testing.T) {
		_, err := xsshAuth(t, &xsshgss.Client{}, &xsshgss.Server{}, "localhost", func(string) error { return errors.New("no") })
		if err == nil {
			t.Error("handshake succeeded though AllowLogin refused")
		}
	})
	t.Run("unknown host principal", func(t *testing.T) {
		_, err := xsshAuth(t, &xsshgss.Client{}, &xsshgss.Server{}, "nosuchhost", allowAlice)
		if err == nil {
			t.Error("handshake succeeded for a host without a principal")
		}
	})
	t.Run("server keytab without the host key", func(t *testing.T) {
		r.kdc.AddService(t, "host/other")
		cred, err := gssapi.AcquireCredential(testCtx(t), gssapi.AcquireOptions{Usage: gssapi.UsageAccept, Store: gssapi.Store{Keytab: r.kdc.Keytab(t, "host/other")}})
		if err != nil {
			t.Fatal(err)
		}
		seen, err := xsshAuth(t, &xsshgss.Client{}, &xsshgss.Server{Cred: cred}, "localhost", allowAlice)
		if err == nil || seen != "" {
			t.Errorf("handshake succeeded without a keytab entry (AllowLogin saw %q)", seen)
		}
	})
}

// The xsshgss client authenticates to OpenSSH 9.2's sshd (MIT GSS-API
// on the server side) with gssapi-with-mic, and delegates its TGT.
func TestGSSXCryptoClientOpenSSH(t *testing.T) {
	noLeaks(t)
	// sshd maps the principal to the login user through auth_to_local:
	// alice@SSHSTACK.TEST may log in as the user running the test.
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	kdc := krb5test.Start(t, aliceIsMe(u))
	kdc.AddService(t, "host/localhost")
	kdc.AddUser(t, "alice", "alicepw")
	kt := kdc.Keytab(t, "host/localhost")
	cc := kdc.Kinit(t, "alice", "alicepw")
	kdc.Setenv(t)
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	srv := sshdtest.Start(t, sshdtest.Options{
		Config: []string{
			"GSSAPIAuthentication yes",
			"GSSAPIStrictAcceptorCheck no", // the keytab has host/localhost, not host/<hostname>
			"GSSAPICleanupCredentials yes",
			"PubkeyAuthentication no",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
		},
		Env: []string{"KRB5_KTNAME=FILE:" + kt},
	})
	cfg := &ssh.ClientConfig{
		User:            u.Username,
		Auth:            []ssh.AuthMethod{ssh.GSSAPIWithMICAuthMethod(&xsshgss.Client{Delegate: true}, "localhost")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // host keys are not what this test is about
		Timeout:         20 * time.Second,
	}
	client, err := xsshtest.Dial(t, srv.Addr, cfg)
	if err != nil {
		t.Fatalf("ssh to OpenSSH with gssapi-with-mic: %v\n%s", err, srv.Log())
	}
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// The delegated TGT is in the session's KRB5CCNAME; klist shows it.
	out, err := sess.CombinedOutput("echo \"cache=$KRB5CCNAME\"; klist")
	if err != nil {
		t.Fatalf("klist in the session: %v\n%s", err, out)
	}
	if strings.Contains(string(out), cc) || !strings.Contains(string(out), "cache=FILE:") {
		t.Errorf("the session does not use sshd's stored delegated cache:\n%s", out)
	}
	if !strings.Contains(string(out), "alice@SSHSTACK.TEST") || !strings.Contains(string(out), "krbtgt/SSHSTACK.TEST@SSHSTACK.TEST") {
		t.Errorf("session klist does not show the delegated TGT:\n%s", out)
	}
	if !strings.Contains(srv.Log(), "Authorized to") && !strings.Contains(srv.Log(), "Accepted gssapi-with-mic") {
		t.Errorf("sshd log lacks the gssapi-with-mic acceptance:\n%s", srv.Log())
	}
}

// gssXServer is an x/crypto/ssh server on loopback (xsshtest) that authenticates
// with xsshgss and answers one exec request with "gss ok".
type gssXServer struct {
	addr string
	port string

	mu        sync.Mutex
	principal string
	delegated *gssapi.Credential
}

func startGSSXServer(t *testing.T, r *gssRealm) *gssXServer {
	t.Helper()
	s := &gssXServer{}
	scfg := &ssh.ServerConfig{
		GSSAPIWithMICConfig: &ssh.GSSAPIWithMICConfig{
			Server: &xsshgss.Server{Delegated: func(p string, c *gssapi.Credential) {
				s.mu.Lock()
				s.delegated = c
				s.mu.Unlock()
			}},
			AllowLogin: func(c ssh.ConnMetadata, p string) (*ssh.Permissions, error) {
				s.mu.Lock()
				s.principal = p
				s.mu.Unlock()
				if p != r.alice() {
					return nil, fmt.Errorf("principal %q not allowed", p)
				}
				return nil, nil
			},
		},
	}
	xs := xsshtest.Start(t, xsshtest.Options{Config: scfg, Deadline: 30 * time.Second,
		Handle: xsshtest.Sessions(func(_ *ssh.ServerConn, ch ssh.Channel, creqs <-chan *ssh.Request) {
			// Serve requests until the channel closes; the client ends
			// the connection itself once it has the exit status.
			for req := range creqs {
				if req.Type != "exec" {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				io.WriteString(ch, "gss ok\n")
				xsshtest.ExitStatus(ch, 0)
				ch.Close()
			}
		})})
	s.addr, s.port = xs.Addr, strconv.Itoa(xs.Port)
	return s
}

func (s *gssXServer) check(t *testing.T, r *gssRealm) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.principal != r.alice() {
		t.Errorf("AllowLogin saw %q", s.principal)
	}
	if s.delegated == nil || s.delegated.Name().String() != r.alice() {
		t.Errorf("delegated credential %v", s.delegated)
	}
}

// OpenSSH's ssh client (MIT GSS-API) authenticates with gssapi-with-mic
// to an x/crypto/ssh server using xsshgss.Server, and delegates its TGT.
func TestGSSOpenSSHClientXCryptoServer(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	s := startGSSXServer(t, r)
	res, err := sshdtest.RunSSH(testCtx(t), nil,
		"-o", "GSSAPIAuthentication=yes", "-o", "GSSAPIDelegateCredentials=yes",
		"-o", "PreferredAuthentications=gssapi-with-mic", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-p", s.port, "alice@localhost", "true")
	if err != nil || res.ExitCode != 0 || !strings.Contains(string(res.Stdout), "gss ok") {
		t.Fatalf("ssh: %v exit %d\nstdout %s\nstderr %s", err, res.ExitCode, res.Stdout, res.Stderr)
	}
	s.check(t, r)
}
