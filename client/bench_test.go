package client_test

import (
	"context"
	"testing"

	"github.com/sshstack/sshstack/server/servertest"
)

// BenchmarkDialThroughput measures a direct-tcpip net.Conn (the -L and
// SOCKS data path: chanConn with its deadline contexts) writing 32 KiB
// chunks to a discarding loopback service through the in-process
// x/crypto/ssh server.
func BenchmarkDialThroughput(b *testing.B) {
	s := startXServerTB(b)
	c := dialTB(b, s, s.configTB(b))
	l := servertest.Accept(b, servertest.Listen(b), servertest.Discard)
	conn, err := c.Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	chunk := make([]byte, 32<<10)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conn.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}
