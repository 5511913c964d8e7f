package conformance

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/server/xsshtest"
	"github.com/sshstack/sshstack/userauth"
)

// pipeListener is a net.Listener whose connections are in-memory
// packettest pipes: dial returns the client's end.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) dial() (net.Conn, error) {
	c, s := packettest.Pipe()
	select {
	case l.conns <- s:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// BenchmarkFullHandshake measures one whole connection through every
// layer in one process over an in-memory pipe, no sockets: version
// exchange, key exchange (the method named), Ed25519 host key, Ed25519
// publickey authentication, a session channel running "true" with its
// exit status, close. "ours" is package client against package server;
// "xcrypto" is x/crypto/ssh's client against its server, the baseline of
// the same run. allocs/op counts both sides.
func BenchmarkFullHandshake(b *testing.B) {
	hk, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	uk, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	for _, method := range []string{"curve25519-sha256", "mlkem768x25519-sha256"} {
		b.Run("ours/"+method, func(b *testing.B) {
			l := newPipeListener()
			srv := &server.Server{
				HostKeys: []hostkey.Signer{hk},
				Auth: &userauth.ServerConfig{
					FailureDelay: -1,
					PublicKeyCallback: func(_ context.Context, _ userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
						if !hostkey.Equal(k, uk.PublicKey()) {
							return nil, errors.New("bench: unknown key")
						}
						return nil, nil
					},
				},
				Handler:     func(_ context.Context, s *server.Session) { s.Exit(0) },
				MaxStartups: server.Startups{Start: -1}, PerSourceMaxStartups: -1,
				Penalties: &server.Penalties{Disabled: true},
			}
			servertest.Serve(b, srv, l)
			cfg := &client.Config{
				User: "bench", Auth: []userauth.Method{userauth.InMemoryPrivateKey(uk)},
				HostKeyCallback:   func(string, net.Addr, hostkey.PublicKey) error { return nil },
				KexAlgorithms:     []string{method},
				HostKeyAlgorithms: []string{hostkey.ED25519},
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				nc, err := l.dial()
				if err != nil {
					b.Fatal(err)
				}
				c, err := client.NewClientConn(ctx, nc, "pipe", cfg)
				if err != nil {
					b.Fatal(err)
				}
				s, err := c.NewSession(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Run(ctx, "true"); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
		b.Run("xcrypto/"+method, func(b *testing.B) {
			hs, _ := ssh.NewSignerFromSigner(hk.Crypto())
			us, _ := ssh.NewSignerFromSigner(uk.Crypto())
			want := string(us.PublicKey().Marshal())
			scfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
				if string(k.Marshal()) != want {
					return nil, errors.New("bench: unknown key")
				}
				return nil, nil
			}}
			scfg.KeyExchanges = []string{method}
			scfg.AddHostKey(hs)
			ccfg := &ssh.ClientConfig{User: "bench", Auth: []ssh.AuthMethod{ssh.PublicKeys(us)},
				HostKeyCallback: ssh.FixedHostKey(hs.PublicKey()), HostKeyAlgorithms: []string{ssh.KeyAlgoED25519}}
			ccfg.KeyExchanges = []string{method}
			b.ReportAllocs()
			for b.Loop() {
				cc, sc := packettest.Pipe()
				var wg sync.WaitGroup
				wg.Go(func() { xsshtest.ServeConn(sc, scfg, xsshtest.ExitZero) })
				conn, chans, reqs, err := ssh.NewClientConn(cc, "pipe", ccfg)
				if err != nil {
					b.Fatal(err)
				}
				c := ssh.NewClient(conn, chans, reqs)
				s, err := c.NewSession()
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Run("true"); err != nil {
					b.Fatal(err)
				}
				c.Close()
				wg.Wait()
			}
		})
	}
}
