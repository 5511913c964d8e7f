package kex_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// A client and a server run the version exchange and the key exchange
// over an in-memory connection and then carry a packet under the
// negotiated keys. packettest.Pipe stands in for a TCP connection: it
// buffers writes, as the key exchange needs (a synchronous net.Pipe
// deadlocks, because both sides send KEXINIT before reading).
func ExampleClientHandshake() {
	ctx := context.Background()
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	serverCfg := &kex.Config{HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)}}
	clientCfg := &kex.Config{
		// In real use this checks known_hosts (hostkey.KnownHosts.Verify).
		HostKeyVerifier: kex.NewHostKeyVerifier(func(k hostkey.PublicKey) error {
			if !hostkey.Equal(k, hk.PublicKey()) {
				return errors.New("unknown host key")
			}
			return nil
		}),
	}

	a, b := packettest.Pipe()
	var st *kex.Transport
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() {
		st, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), serverCfg)
	})
	ct, err := kex.ClientHandshake(ctx, packet.NewConn(a, nil), clientCfg)
	wg.Wait()
	if err != nil || serr != nil {
		fmt.Println(err, serr)
		return
	}
	defer ct.Close()
	defer st.Close()

	alg := ct.Algorithms()
	fmt.Println(alg.Kex, alg.HostKey, alg.ClientToServer.Cipher, ct.Strict())

	req := wire.ServiceRequest{Service: wire.ServiceUserauth}
	if err := ct.WritePacket(req.Append(nil)); err != nil {
		fmt.Println(err)
		return
	}
	p, err := st.ReadPacket()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(wire.MsgNum(p[0]), string(ct.SessionID()) == string(st.SessionID()))
	// Output:
	// mlkem768x25519-sha256 ssh-ed25519 chacha20-poly1305@openssh.com true
	// SERVICE_REQUEST true
}
