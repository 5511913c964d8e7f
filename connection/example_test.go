package connection_test

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// Example runs an "exec" session between two Conns over an in-memory
// transport: the server side answers the request from its RequestHandler
// (on the Run goroutine) and does the work in its own goroutine.
func Example() {
	ctx := context.Background()
	ct, st := wiretest.Pipe() // in real use: the authenticated kex transport
	client := connection.New(ct, nil)
	server := connection.New(st, nil)
	var wg sync.WaitGroup
	wg.Go(func() { client.Run(ctx) })
	wg.Go(func() { server.Run(ctx) })
	defer wg.Wait()
	defer client.Close()
	defer server.Close()

	wg.Go(func() { // the server: one session, one command
		nc, err := server.Accept(ctx)
		if err != nil {
			return
		}
		if nc.Type() != wire.ChannelTypeSession {
			nc.Reject(wire.UnknownChannelType, "sessions only")
			return
		}
		commands := make(chan string, 1)
		ch, err := nc.Accept(func(ch *connection.Channel, req *connection.Request) bool {
			if req.Type != wire.RequestExec {
				return false
			}
			e, err := req.Exec()
			if err != nil {
				return false
			}
			req.Reply(true) // before the work below sends output and CLOSE
			commands <- e.Command
			return true
		})
		if err != nil {
			return
		}
		cmd := <-commands
		fmt.Fprintf(ch, "ran %q\n", cmd)
		ch.SendExitStatus(ctx, 0)
		ch.Close()
	})

	ch, err := client.OpenSession(ctx, nil)
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
	// ran "uptime"
	// exit status 0
}
