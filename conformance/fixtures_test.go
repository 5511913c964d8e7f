package conformance_test

import (
	"context"
	"net"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
)

// Where the peers of these tests come from: a whole server.Server from
// server/servertest, an x/crypto/ssh server from server/xsshtest, sshd
// and gosshd processes from sshdtest (Start, and StartDaemon with
// svStart), echo and other plain services from servertest.Accept. The
// tests that drive our layers by hand against OpenSSH's or paramiko's
// client take the connection from acceptTransport.

// acceptTransport accepts one connection on l, giving up when ctx ends
// (it closes l then), and runs our server side of the key exchange on it
// with cfg (RFC 4253, Section 7). The tests that use it play the user
// authentication and connection protocols themselves. The caller closes
// the Transport, which closes the connection; nc is for its addresses.
func acceptTransport(ctx context.Context, l net.Listener, cfg *kex.Config) (tr *kex.Transport, nc net.Conn, err error) {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	nc, err = l.Accept()
	stop()
	if err != nil {
		return nil, nil, err
	}
	tr, err = kex.ServerHandshake(ctx, packet.NewConn(nc, &packet.Config{Server: true}), cfg)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return tr, nc, nil
}
