package server_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
)

// A server that lets one key in as alice and answers every command with
// its name, exit status 0; Ctrl-C style shutdown gives live connections
// ten seconds.
func Example() {
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		panic(err)
	}
	// Alice's public key; in real use it comes from her authorized_keys
	// file (hostkey.ParseAuthorizedKeys).
	aliceKey, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		panic(err)
	}
	authorized := aliceKey.PublicKey()
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{
			PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
				if m.User != "alice" {
					return nil, server.ErrInvalidUser
				}
				if !hostkey.Equal(k, authorized) {
					return nil, errors.New("key not authorized")
				}
				return nil, nil
			},
		},
		Handler: func(ctx context.Context, s *server.Session) {
			fmt.Fprintf(s, "you asked for %q\n", s.Command())
			io.WriteString(s.Stderr(), "done\n")
			s.Exit(0)
		},
		PermitOpen: func(_ *server.Conn, host string, port uint32) bool { return host == "localhost" },
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()

	// ... later:
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	cancel()
	fmt.Println(errors.Is(<-done, server.ErrServerClosed))
	// Output: true
}

// A Server on loopback TCP runs one command for a client built from the
// layers themselves (packet, kex, userauth and connection; package client
// wraps the same steps as client.Dial).
func ExampleServer_Serve() {
	ctx := context.Background()
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		panic(err)
	}
	aliceKey, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		panic(err)
	}
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{
			PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
				if m.User == "alice" && hostkey.Equal(k, aliceKey.PublicKey()) {
					return nil, nil
				}
				return nil, server.ErrInvalidUser
			},
		},
		Handler: func(ctx context.Context, s *server.Session) {
			fmt.Fprintf(s, "%s ran %q\n", s.User(), s.Command())
			s.Exit(3)
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	defer func() {
		srv.Close()
		<-done
	}()

	// The client side.
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	t, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{
		HostKeyVerifier: kex.NewHostKeyVerifier(func(k hostkey.PublicKey) error {
			if !hostkey.Equal(k, hk.PublicKey()) { // known_hosts in real use
				return errors.New("host key not known")
			}
			return nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	if _, err := userauth.Authenticate(ctx, t, &userauth.ClientConfig{
		User:    "alice",
		Sources: []userauth.Method{userauth.InMemoryPrivateKey(aliceKey)},
	}); err != nil {
		fmt.Println(err)
		return
	}
	conn := connection.New(t, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()

	ch, err := conn.OpenSession(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := ch.Exec(ctx, "uptime"); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := io.ReadAll(ch)
	ch.Wait(ctx)
	status, _ := ch.ExitStatus()
	fmt.Printf("%sexit status %d\n", out, status)
	// Output:
	// alice ran "uptime"
	// exit status 3
}
