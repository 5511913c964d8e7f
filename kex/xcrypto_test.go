package kex_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
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
// with 300 one-KiB global requests after the handshake during which both
// sides rekey (x/crypto by RekeyThreshold 16 KiB, ours on demand),
// over an in-memory buffered pipe (packettest.Pipe: with a synchronous
// net.Pipe neither implementation can work, as both sides write NEWKEYS
// before reading the peer's), for every shared method. The client's SERVICE_REQUEST
// for ssh-userauth arriving through our Transport proves the exchange got
// past NEWKEYS in both directions; we then rekey from our side and answer
// under the new keys.
// Requirement: 4253-7.3-newkeys-send, 4253-7.3-newkeys-recv, protocol-1.10-reset-seq
func TestXCryptoClient(t *testing.T) {
	for _, name := range xcryptoMethods {
		t.Run(name, func(t *testing.T) {
			_, scfg := configs(t, name)
			a, b := packettest.Pipe()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			var wg sync.WaitGroup
			defer wg.Wait()
			xerr := make(chan error, 1)
			wg.Go(func() {
				cfg := &ssh.ClientConfig{
					User:            "u",
					HostKeyCallback: ssh.InsecureIgnoreHostKey(),
					Timeout:         20 * time.Second,
				}
				cfg.KeyExchanges = []string{name}
				cfg.RekeyThreshold = 16 << 10 // x/crypto rekeys during the transfer too
				cc, chans, reqs, err := ssh.NewClientConn(a, "pipe", cfg)
				if err != nil {
					xerr <- err
					a.Close()
					return
				}
				client := ssh.NewClient(cc, chans, reqs)
				defer client.Close()
				junk := make([]byte, 1024)
				for range 300 {
					ok, _, err := client.SendRequest("sshstack-test@example.com", true, junk)
					if err != nil || ok {
						xerr <- fmt.Errorf("global request: ok=%v, %v", ok, err)
						return
					}
				}
				xerr <- nil
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
			// x/crypto now sends USERAUTH_REQUEST "none" under the new keys;
			// the test grants it.
			p, err = s.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthRequest {
				t.Fatalf("after rekey: %x, %v", p, err)
			}
			if err := s.WritePacket((&wire.UserauthSuccess{}).Append(nil)); err != nil {
				t.Fatal(err)
			}
			// Answer 300 global requests, rekeying from our side half way.
			for i := 0; i < 300; i++ {
				p, err := s.ReadPacket()
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if wire.MsgNum(p[0]) != wire.MsgGlobalRequest {
					t.Fatalf("request %d: got %v", i, wire.MsgNum(p[0]))
				}
				if i == 150 {
					if err := s.Rekey(ctx); err != nil {
						t.Fatalf("rekey during transfer: %v", err)
					}
				}
				if err := s.WritePacket((&wire.RequestFailure{}).Append(nil)); err != nil {
					t.Fatal(err)
				}
			}
			if err := <-xerr; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestXCryptoServer: our client transport against x/crypto/ssh's server
// for every shared method: the server's EXT_INFO must arrive; we rekey
// after the service request, then send 300 one-KiB global requests (and
// rekey once more half way) while x/crypto, with RekeyThreshold 16 KiB,
// starts exchanges of its own; every reply must arrive.
// Requirement: 4253-7.3-newkeys-send, 4253-7.3-newkeys-recv, protocol-1.10-reset-seq
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
				cfg := &ssh.ServerConfig{NoClientAuth: true}
				cfg.KeyExchanges = []string{name}
				cfg.RekeyThreshold = 16 << 10 // x/crypto rekeys during the transfer too
				cfg.AddHostKey(signer)
				sc, chans, reqs, err := ssh.NewServerConn(b, cfg)
				if err != nil {
					b.Close()
					return
				}
				go ssh.DiscardRequests(reqs)
				go func() {
					for ch := range chans {
						ch.Reject(ssh.Prohibited, "no")
					}
				}()
				sc.Wait()
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
			if err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
				t.Fatalf("after rekey: %x, %v", p, err)
			}
			globalRequestTransfer(ctx, t, c)
		})
	}
}

// globalRequestTransfer sends 300 one-KiB global requests with want-reply
// through t, rekeying at the half-way mark, and reads the 300
// REQUEST_FAILURE replies. At most 16 requests are outstanding: x/crypto's
// server blocks its request handler once 64 replies are queued behind an
// exchange, and its reader behind that handler, so a client that floods
// it during its own rekey stalls it (a limit of x/crypto's design, which
// ours shares and documents).
func globalRequestTransfer(ctx context.Context, t *testing.T, c *kex.Transport) {
	t.Helper()
	const n = 300
	junk := make([]byte, 1024)
	window := make(chan struct{}, 16)
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			window <- struct{}{}
			if i == n/2 {
				if err := c.Rekey(ctx); err != nil {
					errc <- err
					return
				}
			}
			req := wire.GlobalRequest{Name: "sshstack-test@example.com", WantReply: true, Data: junk}
			if err := c.WritePacket(req.Append(nil)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		p, err := c.ReadPacket()
		if err != nil || wire.MsgNum(p[0]) != wire.MsgRequestFailure {
			t.Fatalf("reply %d: %x, %v", i, p, err)
		}
		<-window
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
