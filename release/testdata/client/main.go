// Command client is the outside module of the consumer test that imports
// only the client facade: it runs NewClientConn against a peer that
// answers with a protocol version the client refuses, and checks that the
// handshake fails cleanly.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sshstack/sshstack/client"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cn, sn := net.Pipe()
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(io.Discard, sn) }) // the client's version line
	wg.Go(func() {
		io.WriteString(sn, "SSH-1.5-old\r\n")
		sn.Close()
	})
	c, err := client.NewClientConn(ctx, cn, "example.com:22", &client.Config{User: "alice"})
	wg.Wait()
	if err == nil {
		c.Close()
		fmt.Fprintln(os.Stderr, "client: handshake with an SSH-1.5 peer succeeded")
		os.Exit(1)
	}
	fmt.Println("refused SSH-1.5 peer")
}
