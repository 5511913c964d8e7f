package client_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
)

// Run a command and report its exit status.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	home, _ := os.UserHomeDir()
	cfg := &client.Config{
		User: "alice",
		Auth: []userauth.Method{
			userauth.OnDiskPrivateKey(home+"/.ssh/id_ed25519", "", nil),
			userauth.StaticPassword("correct horse"),
		},
		StrictHostKeyChecking: client.StrictAcceptNew,
		KeepaliveInterval:     15 * time.Second,
	}
	c, err := client.Dial(ctx, "tcp", "server.example:22", cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	out, err := s.Output(ctx, "uname -a")
	var exit *client.ExitError
	switch {
	case errors.As(err, &exit):
		fmt.Println("remote status", exit.Status, "signal", exit.Signal)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("%s", out)
}

// Run a command on a server of package server in the same process, over
// loopback TCP, and report its output and exit status.
func ExampleClient_NewSession() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The server side: alice with a password, every command answered
	// with its name and exit status 3.
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		log.Fatal(err)
	}
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{
			PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
				if m.User == "alice" && pw == "correct horse" {
					return nil, nil
				}
				return nil, errors.New("denied")
			},
		},
		Handler: func(_ context.Context, s *server.Session) {
			fmt.Fprintf(s, "hello %s, you ran %q\n", s.User(), s.Command())
			s.Exit(3)
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	defer func() {
		srv.Close()
		<-done
	}()

	// The client side. The server's key is known in advance here; in
	// real use known_hosts holds it (the default without a
	// HostKeyCallback).
	cfg := &client.Config{
		User: "alice",
		Auth: []userauth.Method{userauth.StaticPassword("correct horse")},
		HostKeyCallback: func(_ string, _ net.Addr, key hostkey.PublicKey) error {
			if !hostkey.Equal(key, hk.PublicKey()) {
				return errors.New("unknown host key")
			}
			return nil
		},
	}
	c, err := client.Dial(ctx, "tcp", l.Addr().String(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("authenticated with", c.AuthMethod())
	s, err := c.NewSession(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	out, err := s.Output(ctx, "uptime")
	fmt.Printf("%s", out)
	var exit *client.ExitError
	if errors.As(err, &exit) {
		fmt.Println("exit status", exit.Status)
	} else if err != nil {
		log.Fatal(err)
	}
	// Output:
	// authenticated with password
	// hello alice, you ran "uptime"
	// exit status 3
}
