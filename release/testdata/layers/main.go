// Command layers is the outside module of the consumer test: it imports
// the five layers (and hostkey, whose types kex's API takes) the way a
// program with its own front-end does, and runs key exchange, password
// authentication and an exec session between a client and a server over
// packet/packettest's in-memory pipe.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hk, err := hostkey.GenerateKey(rand.Reader, "ssh-ed25519", 0)
	if err != nil {
		fail(err)
	}
	cn, sn := packettest.Pipe() // buffered, as a socket is: both sides send their version first
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() {
		serr = serve(ctx, sn, hk)
		sn.Close()
	})
	out, cerr := run(ctx, cn, hk.PublicKey())
	cn.Close()
	wg.Wait()
	if cerr != nil || serr != nil {
		fail(fmt.Errorf("client: %v; server: %v", cerr, serr))
	}
	fmt.Print(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "layers:", err)
	os.Exit(1)
}

// run is the client: kex, userauth with a password, one exec.
func run(ctx context.Context, nc net.Conn, want hostkey.PublicKey) (string, error) {
	t, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{
		HostKeyVerifier: kex.NewHostKeyVerifier(func(k hostkey.PublicKey) error {
			if !bytes.Equal(k.Marshal(), want.Marshal()) {
				return errors.New("unknown host key")
			}
			return nil
		}),
	})
	if err != nil {
		return "", err
	}
	defer t.Close()
	if _, err := userauth.Authenticate(ctx, t, &userauth.ClientConfig{
		User:    "alice",
		Sources: []userauth.Method{&userauth.Password{Get: func(context.Context) (string, error) { return "secret", nil }}},
	}); err != nil {
		return "", err
	}
	conn := connection.New(t, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()
	ch, err := conn.OpenSession(ctx, nil)
	if err != nil {
		return "", err
	}
	if err := ch.Exec(ctx, "uptime"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(ch)
	if err != nil {
		return "", err
	}
	if err := ch.Wait(ctx); err != nil {
		return "", err
	}
	status, _ := ch.ExitStatus()
	return fmt.Sprintf("%sexit status %d\n", out, status), nil
}

// serve is the server: kex with hk, one password, one exec session.
func serve(ctx context.Context, nc net.Conn, hk hostkey.Signer) error {
	t, err := kex.ServerHandshake(ctx, packet.NewConn(nc, &packet.Config{Server: true}), &kex.Config{
		HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)},
	})
	if err != nil {
		return err
	}
	defer t.Close()
	if _, err := userauth.Serve(ctx, t, &userauth.ServerConfig{
		FailureDelay: -1,
		PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if m.User == "alice" && pw == "secret" {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
	}, userauth.ConnInfo{RemoteAddr: nc.RemoteAddr()}); err != nil {
		return err
	}
	conn := connection.New(t, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()
	nch, err := conn.Accept(ctx)
	if err != nil {
		return err
	}
	if nch.Type() != wire.ChannelTypeSession {
		return nch.Reject(wire.UnknownChannelType, "sessions only")
	}
	commands := make(chan string, 1)
	ch, err := nch.Accept(func(ch *connection.Channel, req *connection.Request) bool {
		if req.Type != wire.RequestExec {
			return false
		}
		e, err := req.Exec()
		if err != nil {
			return false
		}
		req.Reply(true)
		commands <- e.Command
		return true
	})
	if err != nil {
		return err
	}
	var cmd string
	select {
	case cmd = <-commands:
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Fprintf(ch, "ran %q over %s\n", cmd, t.Algorithms().Kex)
	if err := ch.SendExitStatus(ctx, 0); err != nil {
		return err
	}
	ch.Close()
	// The client closes the connection once it has the exit status.
	<-conn.Done()
	return nil
}
