package server_test

import (
	"bytes"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/wire"
)

// TestHostCertificate: a server whose HostKeys hold a key and a
// hostkey.CertSigner for it (OpenSSH HostCertificate) presents the
// certificate to a client that asks for the certificate algorithm and
// the plain key to one that does not; hostkeys-00@openssh.com lists the
// plain key only, as sshd's notify_hostkeys.
func TestHostCertificate(t *testing.T) {
	ca, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	cert := &hostkey.Certificate{Key: hostKey.PublicKey(), CertType: hostkey.HostCert, KeyID: "host",
		ValidPrincipals: []string{"127.0.0.1"}, ValidBefore: hostkey.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	cs, err := hostkey.NewCertSigner(cert, hostKey)
	if err != nil {
		t.Fatal(err)
	}
	addr := alice.Start(t, &server.Server{HostKeys: []hostkey.Signer{hostKey, cs}, Handler: echoHandler})
	xca, err := ssh.NewPublicKey(ca.Crypto().Public())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, alg string
		want      []byte // the host key the client sees
	}{
		{"certificate", ssh.CertAlgoED25519v01, cert.Marshal()},
		{"plain key", ssh.KeyAlgoED25519, hostKey.PublicKey().Marshal()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []byte
			checker := &ssh.CertChecker{IsHostAuthority: func(k ssh.PublicKey, _ string) bool { return bytes.Equal(k.Marshal(), xca.Marshal()) }}
			cfg := &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(alice.XSigner(t))},
				HostKeyAlgorithms: []string{tc.alg}, Timeout: 10 * time.Second,
				HostKeyCallback: func(host string, remote net.Addr, k ssh.PublicKey) error {
					seen = k.Marshal()
					if _, isCert := k.(*ssh.Certificate); isCert {
						return checker.CheckHostKey(host, remote, k)
					}
					return nil
				}}
			nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			conn, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
			if err != nil {
				nc.Close()
				t.Fatalf("handshake: %v", err)
			}
			defer conn.Close()
			go func() {
				for ch := range chans {
					ch.Reject(ssh.Prohibited, "")
				}
			}()
			if !bytes.Equal(seen, tc.want) {
				t.Errorf("host key seen %x, want %x", seen, tc.want)
			}
			select {
			case r := <-reqs:
				if r.Type != wire.GlobalHostKeys {
					t.Fatalf("global request %q, want hostkeys-00", r.Type)
				}
				m, err := wire.ParseHostKeys(r.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Keys) != 1 || !bytes.Equal(m.Keys[0], hostKey.PublicKey().Marshal()) {
					t.Errorf("hostkeys-00 lists %d keys, want the plain host key only", len(m.Keys))
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no hostkeys-00")
			}
			go func() {
				for r := range reqs {
					r.Reply(false, nil)
				}
			}()
		})
	}
}
