package forward_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/server/forward"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// A server built from the connection layer alone serves ssh -L
// (direct-tcpip) with a Forwarder, as package server does for each of
// its connections. The two ends run over an in-memory transport; in real
// use the server's is the authenticated kex transport.
func ExampleForwarder() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A local service for the client to reach through the server.
	svc, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		c, err := svc.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "hello from the service\n")
		c.Close()
	})

	// The server side: the Forwarder's hooks in the connection.Config,
	// Start before Run, the forwarding channels to HandleChannel, and
	// Close at the end.
	fw := &forward.Forwarder{
		PermitOpen: func(d wire.DirectTCPIP) bool { return d.Host == "127.0.0.1" },
	}
	defer fw.Close()
	ct, st := wiretest.Pipe()
	scfg := &connection.Config{}
	fw.Configure(scfg)
	srv := connection.New(st, scfg)
	fw.Start(ctx, srv)
	cli := connection.New(ct, nil)
	defer cli.Close()
	defer srv.Close()
	wg.Go(func() { srv.Run(ctx) })
	wg.Go(func() { cli.Run(ctx) })
	wg.Go(func() {
		for {
			nch, err := srv.Accept(ctx)
			if err != nil {
				return
			}
			if !fw.HandleChannel(nch) { // not a forwarding channel
				nch.Reject(wire.UnknownChannelType, "forwarding only")
			}
		}
	})

	// The client side: ssh -L's channel to the service.
	port := svc.Addr().(*net.TCPAddr).Port
	ch, err := cli.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: "127.0.0.1", Port: uint32(port), OriginatorAddress: "127.0.0.1", OriginatorPort: 50000})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(ch)
	ch.Close()
	fmt.Print(string(b))
	// Output: hello from the service
}
