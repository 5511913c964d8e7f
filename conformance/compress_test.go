package conformance_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os/user"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/userauth"
)

// wireCounter counts the bytes a net.Conn sends and receives.
type wireCounter struct {
	net.Conn
	sent, received atomic.Int64
}

func (c *wireCounter) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(int64(n))
	return n, err
}

func (c *wireCounter) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.received.Add(int64(n))
	return n, err
}

// TestDelayedCompressionAgainstSSHD runs our client stack (packet, kex,
// userauth, connection) against OpenSSH sshd with zlib@openssh.com
// (OpenSSH PROTOCOL, Section 1.2): compression starts after
// USERAUTH_SUCCESS in both directions, and 1 MiB of compressible data goes
// through `cat` and back intact in a small fraction of its size on the
// wire.
func TestDelayedCompressionAgainstSSHD(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	key := uaKey(t, hostkey.ED25519)
	srv := sshdtest.Start(t, sshdtest.Options{
		HostKeyTypes:   []string{"ed25519"},
		AuthorizedKeys: hostkey.MarshalAuthorizedKey(key.PublicKey(), ""),
		Config:         []string{"Compression yes"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	wc := &wireCounter{Conn: nc}
	tr, err := kex.ClientHandshake(ctx, packet.NewConn(wc, nil), &kex.Config{
		HostKeyAlgorithms: []string{hostkey.ED25519},
		HostKeyVerifier:   trustOnly(authorizedBlob(t, srv.HostPublicKey(t, "ed25519"))),
		Compression:       []string{packet.CompressionDelayed, packet.CompressionNone},
	})
	if err != nil {
		t.Fatalf("handshake: %v\n%s", err, tail(srv.Log()))
	}
	defer tr.Close()
	if got := tr.Algorithms().ServerToClient.Compression; got != packet.CompressionDelayed {
		t.Fatalf("negotiated %q, want %q", got, packet.CompressionDelayed)
	}
	if _, err := userauth.Authenticate(ctx, tr, &userauth.ClientConfig{
		User: me.Username, Sources: []userauth.Method{userauth.InMemoryPrivateKey(key)},
	}); err != nil {
		t.Fatalf("auth: %v\n%s", err, tail(srv.Log()))
	}

	conn := connection.New(tr, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()
	ch, err := conn.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Exec(ctx, "cat"); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("sshstack compresses this line well.\n"), (1<<20)/36)
	sent0, recv0 := wc.sent.Load(), wc.received.Load()
	errc := make(chan error, 1)
	go func() {
		_, err := ch.Write(data)
		if err == nil {
			err = ch.CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(ch)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo returned %d bytes, want %d", len(got), len(data))
	}
	sent, recv := wc.sent.Load()-sent0, wc.received.Load()-recv0
	t.Logf("%d bytes each way took %d bytes up and %d down", len(data), sent, recv)
	if sent > int64(len(data))/10 || recv > int64(len(data))/10 {
		t.Errorf("not compressed: %d bytes up, %d down for %d", sent, recv, len(data))
	}
}
