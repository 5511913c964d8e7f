package conformance_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/gssapi/xsshgss"
)

// xsshAuth runs one x/crypto/ssh handshake with gssapi-with-mic between
// an xsshgss.Client and an xsshgss.Server over loopback TCP. It returns the
// principal the server's AllowLogin saw and the client's error.
func xsshAuth(t *testing.T, client *xsshgss.Client, server *xsshgss.Server, target string, allow func(string) error) (string, error) {
	t.Helper()
	_, hk, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(hk)
	if err != nil {
		t.Fatal(err)
	}
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
	scfg.AddHostKey(signer)
	// Loopback TCP, not net.Pipe: both sides send their version line
	// first, which deadlocks on an unbuffered pipe.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	cc.SetDeadline(deadline)
	sc.SetDeadline(deadline)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, chans, reqs, err := ssh.NewServerConn(sc, scfg)
		if err != nil {
			sc.Close()
			return
		}
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				ch.Reject(ssh.Prohibited, "no channels")
			}
		}()
		conn.Wait()
	}()
	ccfg := &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.GSSAPIWithMICAuthMethod(client, target)},
		HostKeyCallback: ssh.FixedHostKey(signer.PublicKey()),
	}
	conn, _, _, err := ssh.NewClientConn(cc, l.Addr().String(), ccfg)
	if err == nil {
		conn.Close()
	} else {
		cc.Close()
	}
	wg.Wait()
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
