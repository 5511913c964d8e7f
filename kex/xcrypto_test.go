package kex_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// xcryptoMethods are the methods x/crypto/ssh v0.58 implements too.
var xcryptoMethods = []string{
	kex.MLKEM768X25519SHA256,
	kex.Curve25519SHA256, kex.Curve25519SHA256LibSSH,
	kex.ECDHSHA2NISTP256, kex.ECDHSHA2NISTP384, kex.ECDHSHA2NISTP521,
	kex.DHGroup14SHA256, kex.DHGroup16SHA512, kex.DHGroup14SHA1, kex.DHGroup1SHA1,
	kex.DHGroupExchangeSHA256, kex.DHGroupExchangeSHA1,
}

// TestXCryptoClient: x/crypto/ssh's client against our server transport,
// over an in-memory buffered pipe (packettest.Pipe: with a synchronous
// net.Pipe neither implementation can work, as both sides write NEWKEYS
// before reading the peer's), for every shared method. The client's SERVICE_REQUEST
// for ssh-userauth arriving through our Transport proves the exchange got
// past NEWKEYS in both directions; we then rekey from our side and answer
// under the new keys.
func TestXCryptoClient(t *testing.T) {
	for _, name := range xcryptoMethods {
		t.Run(name, func(t *testing.T) {
			_, scfg := configs(t, name)
			a, b := packettest.Pipe()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				cfg := &ssh.ClientConfig{
					User:            "u",
					HostKeyCallback: ssh.InsecureIgnoreHostKey(),
					Auth:            []ssh.AuthMethod{ssh.Password("p")},
					Timeout:         20 * time.Second,
				}
				cfg.KeyExchanges = []string{name}
				// The handshake fails at user authentication, which our
				// test server never grants.
				ssh.NewClientConn(a, "pipe", cfg)
				a.Close()
			})

			s, err := kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			p, err := s.ReadPacket()
			if err != nil {
				t.Fatal(err)
			}
			req, err := wire.ParseServiceRequest(p)
			if err != nil || req.Service != "ssh-userauth" {
				t.Fatalf("got %x, %v", p, err)
			}
			if err := s.Rekey(ctx); err != nil {
				t.Fatalf("rekey: %v", err)
			}
			if err := s.WritePacket((&wire.ServiceAccept{Service: "ssh-userauth"}).Append(nil)); err != nil {
				t.Fatal(err)
			}
			// x/crypto now sends USERAUTH_REQUEST "none" under the new keys.
			p, err = s.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthRequest {
				t.Fatalf("after rekey: %x, %v", p, err)
			}
			fail := wire.UserauthFailure{Methods: []string{"publickey"}}
			s.WritePacket(fail.Append(nil))
			// Its client gives up: no method it can use.
		})
	}
}

// TestXCryptoServer: our client transport against x/crypto/ssh's server
// for every shared method, with a rekey initiated by us; the server's
// EXT_INFO must arrive.
func TestXCryptoServer(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range xcryptoMethods {
		t.Run(name, func(t *testing.T) {
			ccfg, _ := configs(t, name)
			ccfg.HostKeyVerifier = edVerifier{trusted: signer.PublicKey().Marshal()}
			a, b := packettest.Pipe()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				cfg := &ssh.ServerConfig{
					PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
						return nil, errors.New("no")
					},
				}
				cfg.KeyExchanges = []string{name}
				cfg.AddHostKey(signer)
				ssh.NewServerConn(b, cfg)
				b.Close()
			})

			c, err := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.WritePacket((&wire.ServiceRequest{Service: "ssh-userauth"}).Append(nil)); err != nil {
				t.Fatal(err)
			}
			p, err := c.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgServiceAccept {
				t.Fatalf("got %x, %v", p, err)
			}
			if len(c.ServerSigAlgs()) == 0 {
				t.Error("no server-sig-algs from x/crypto's EXT_INFO")
			}
			if err := c.Rekey(ctx); err != nil {
				t.Fatalf("rekey: %v", err)
			}
			none := (&wire.UserauthRequest{User: "u", Service: "ssh-connection", Method: "none"}).Append(nil)
			if err := c.WritePacket(none); err != nil {
				t.Fatal(err)
			}
			p, err = c.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthFailure {
				t.Fatalf("after rekey: %x, %v", p, err)
			}
		})
	}
}
