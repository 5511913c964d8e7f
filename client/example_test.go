package client_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
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

// Run a command on an SSH server in the same process, over loopback
// TCP, and report its output and exit status. The server side is built
// from the layers themselves (packet, kex, userauth and connection:
// package server composes the same steps), so this example needs no
// server package.
func ExampleClient_NewSession() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The server side: alice with a password, one session whose command
	// is answered with its name and exit status 3.
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { serveOne(ctx, l, hk) })

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

// serveOne is the server of ExampleClient_NewSession: it accepts one
// TCP connection, runs the key exchange with hk, authenticates alice's
// password, and answers one "exec" on one session channel.
func serveOne(ctx context.Context, l net.Listener, hk hostkey.Signer) {
	nc, err := l.Accept()
	if err != nil {
		return
	}
	defer nc.Close()
	t, err := kex.ServerHandshake(ctx, packet.NewConn(nc, &packet.Config{Server: true}),
		&kex.Config{HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)}})
	if err != nil {
		return
	}
	defer t.Close()
	res, err := userauth.Serve(ctx, t, &userauth.ServerConfig{
		PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if m.User == "alice" && pw == "correct horse" {
				return nil, nil
			}
			return nil, errors.New("denied")
		},
	}, userauth.ConnInfo{RemoteAddr: nc.RemoteAddr()})
	if err != nil {
		return
	}
	mux := connection.New(t, nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer mux.Close()
	wg.Go(func() { mux.Run(ctx) })
	nch, err := mux.Accept(ctx)
	if err != nil {
		return
	}
	if nch.Type() != wire.ChannelTypeSession {
		nch.Reject(wire.UnknownChannelType, "sessions only")
		return
	}
	commands := make(chan string, 1)
	ch, err := nch.Accept(func(_ *connection.Channel, req *connection.Request) bool {
		e, err := req.Exec()
		if req.Type != wire.RequestExec || err != nil {
			return false
		}
		req.Reply(true) // before the output, exit status and CLOSE below
		commands <- e.Command
		return true
	})
	if err != nil {
		return
	}
	select {
	case cmd := <-commands:
		fmt.Fprintf(ch, "hello %s, you ran %q\n", res.User, cmd)
		ch.SendExitStatus(ctx, 3)
	case <-ctx.Done():
	}
	ch.Close()
	ch.Wait(ctx)
}
