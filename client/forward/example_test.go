package forward_test

import (
	"context"
	"log"
	"net"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/forward"
	"github.com/sshstack/sshstack/userauth"
)

// Reach a host behind a jump host, as ssh -J does, and forward a local
// port to a service there, as ssh -L does.
func ExampleLocal() {
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
	log.Fatal(forward.Local(ctx, inner, l, "tcp", "localhost:80"))
}
