package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
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
