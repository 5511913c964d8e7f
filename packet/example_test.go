package packet_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// Two Conns over net.Pipe: the version exchange, a plaintext packet, then
// NEWKEYS and a packet protected with chacha20-poly1305@openssh.com. In a
// real connection package kex negotiates the algorithms and derives the
// keys; here both sides use the same made-up key. net.Pipe is synchronous,
// so the server side runs in its own goroutine.
func ExampleConn_ExchangeVersions() {
	ctx := context.Background()
	a, b := net.Pipe()
	client := packet.NewConn(a, nil)
	server := packet.NewConn(b, &packet.Config{Server: true})
	defer client.Close()
	defer server.Close()

	alg, ok := cipher.LookupAlgorithm("chacha20-poly1305@openssh.com")
	if !ok {
		fmt.Println("chacha20-poly1305 not registered")
		return
	}
	keys := packet.Keys{
		Cipher: alg.Name,
		Key:    bytes.Repeat([]byte{0x42}, alg.KeySize), // from the key exchange in real use
	}

	var seen []string // what the server read, printed once it is done
	var wg sync.WaitGroup
	wg.Go(func() {
		v, err := server.ExchangeVersions(ctx, "SSH-2.0-example_server")
		if err != nil {
			seen = append(seen, err.Error())
			return
		}
		seen = append(seen, "client is "+v)
		for {
			p, err := server.ReadPacket()
			if err != nil {
				seen = append(seen, err.Error())
				return
			}
			num := wire.MsgNum(p[0])
			seen = append(seen, num.String())
			switch num {
			case wire.MsgNewKeys:
				if err := server.SetReadKeys(keys); err != nil {
					seen = append(seen, err.Error())
					return
				}
			case wire.MsgServiceRequest:
				m, _ := wire.ParseServiceRequest(p)
				seen = append(seen, "service "+m.Service)
				return
			}
		}
	})

	v, err := client.ExchangeVersions(ctx, "SSH-2.0-example_client")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("server is", v)
	ignore := wire.Ignore{Data: []byte("padding")}
	client.WritePacket(ignore.Append(nil)) // in the clear
	client.WriteNewKeys(keys)              // sends NEWKEYS, then protects what follows
	req := wire.ServiceRequest{Service: wire.ServiceUserauth}
	client.WritePacket(req.Append(nil))
	wg.Wait()
	for _, s := range seen {
		fmt.Println(s)
	}
	// Output:
	// server is SSH-2.0-example_server
	// client is SSH-2.0-example_client
	// IGNORE
	// NEWKEYS
	// SERVICE_REQUEST
	// service ssh-userauth
}
