package kex_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

var benchMethods = []string{
	kex.MLKEM768X25519SHA256, kex.SNTRUP761X25519SHA512, kex.Curve25519SHA256,
	kex.ECDHSHA2NISTP256, kex.DHGroup14SHA256, kex.DHGroup16SHA512,
}

// BenchmarkHandshake measures one full connection setup, client and
// server in this process over an in-memory pipe: version exchange,
// KEXINIT, the method, host key signature (Ed25519) and NEWKEYS. "ours"
// is this package; "xcrypto" is golang.org/x/crypto/ssh with the same
// method, whose handshake also includes the ssh-userauth service request
// and a "none" authentication (it cannot stop after NEWKEYS), so it does
// one round trip more. sntrup761 has no x/crypto counterpart.
func BenchmarkHandshake(b *testing.B) {
	for _, name := range benchMethods {
		b.Run("ours/"+name, func(b *testing.B) {
			ccfg, scfg := configs(b, name)
			b.ReportAllocs()
			for b.Loop() {
				c, s := benchPair(b, ccfg, scfg)
				c.Close()
				s.Close()
			}
		})
		if name == kex.SNTRUP761X25519SHA512 {
			continue
		}
		b.Run("xcrypto/"+name, func(b *testing.B) {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			signer, _ := ssh.NewSignerFromKey(priv)
			scfg := &ssh.ServerConfig{NoClientAuth: true}
			scfg.KeyExchanges = []string{name}
			scfg.AddHostKey(signer)
			ccfg := &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.FixedHostKey(signer.PublicKey())}
			ccfg.KeyExchanges = []string{name}
			b.ReportAllocs()
			for b.Loop() {
				a, c := packettest.Pipe()
				var wg sync.WaitGroup
				wg.Go(func() {
					sc, _, _, err := ssh.NewServerConn(c, scfg)
					if err != nil {
						b.Error(err)
						return
					}
					sc.Close()
				})
				cc, _, _, err := ssh.NewClientConn(a, "pipe", ccfg)
				if err != nil {
					b.Fatal(err)
				}
				cc.Close()
				wg.Wait()
			}
		})
	}
}

func benchPair(b *testing.B, ccfg, scfg *kex.Config) (c, s *kex.Transport) {
	a, d := packettest.Pipe()
	ctx := context.Background()
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(d, &packet.Config{Server: true}), scfg) })
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		b.Fatal(cerr, serr)
	}
	return c, s
}

// BenchmarkTransportThroughput sends 32 KiB CHANNEL_DATA payloads from our
// client Transport to our server Transport (chacha20-poly1305, the
// default) over an in-memory pipe: the steady-state hot path of the
// layers above.
func BenchmarkTransportThroughput(b *testing.B) {
	ccfg, scfg := configs(b, kex.Curve25519SHA256)
	c, s := benchPair(b, ccfg, scfg)
	defer c.Close()
	defer s.Close()
	payload := channelData(1, 32<<10)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	n := b.N
	done := make(chan struct{})
	b.ResetTimer()
	go func() {
		defer close(done)
		for range n {
			if _, err := s.ReadPacket(); err != nil {
				return
			}
		}
	}()
	for range n {
		if err := c.WritePacket(payload); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// BenchmarkTransportChannelData times each side of the 32 KiB
// CHANNEL_DATA path alone, so that allocs/op belongs to it: "write" is
// WritePacket (seal into the packet layer's reused buffer), "read" is
// ReadPacket (decrypt in place, payload aliasing the buffer). The other
// side runs with the timer stopped. Both are 0 allocs/op in steady state.
func BenchmarkTransportChannelData(b *testing.B) {
	ccfg, scfg := configs(b, kex.Curve25519SHA256)
	payload := channelData(1, 32<<10)
	for _, side := range []string{"write", "read"} {
		b.Run(side, func(b *testing.B) {
			c, s := benchPair(b, ccfg, scfg)
			defer c.Close()
			defer s.Close()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if side == "read" {
					b.StopTimer()
				}
				if err := c.WritePacket(payload); err != nil {
					b.Fatal(err)
				}
				if side == "read" {
					b.StartTimer()
				} else {
					b.StopTimer()
				}
				if _, err := s.ReadPacket(); err != nil {
					b.Fatal(err)
				}
				if side == "write" {
					b.StartTimer()
				}
			}
		})
	}
}
