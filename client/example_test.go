package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"github.com/sshstack/sshstack/client"
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

// Reach a host behind a jump host, as ssh -J does, and forward a local
// port to a service there, as ssh -L does.
func ExampleClient_DialClient() {
	ctx := context.Background()
	cfg := &client.Config{User: "alice", Auth: []userauth.Method{userauth.StaticPassword("pw")}}
	jump, err := client.Dial(ctx, "tcp", "bastion.example:22", cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer jump.Close()
	inner, err := jump.DialClient(ctx, "10.0.0.5:22", cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer inner.Close()
	l, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(inner.ServeLocalForward(ctx, l, "tcp", "localhost:80"))
}
