package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server/xsshtest"
	"github.com/sshstack/sshstack/userauth"
)

// TestServerOpenedChannelsRefused: an x/crypto/ssh server that opens
// channels at our client gets "session" and "direct-tcpip" refused, and
// "forwarded-tcpip" refused for a port the client never asked to
// forward, while one for the port it did forward is accepted.
//
// Requirement: 4254-6.1-client-rejects-session, 4254-7.2-forwarded-reject, 4254-7.2-client-rejects-direct
func TestServerOpenedChannelsRefused(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hostkey.ParsePublicKey(signer.PublicKey().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	type open struct {
		typ   string
		extra []byte
	}
	forwarded := func(port uint32) []byte {
		return ssh.Marshal(struct {
			Addr  string
			Port  uint32
			OAddr string
			OPort uint32
		}{"127.0.0.1", port, "192.0.2.1", 40000})
	}
	direct := ssh.Marshal(struct {
		Host  string
		Port  uint32
		OHost string
		OPort uint32
	}{"127.0.0.1", 22, "192.0.2.1", 40000})
	results := make(chan error, 8)
	var wg sync.WaitGroup
	defer wg.Wait()
	forwardedPort := make(chan uint32, 1)
	wg.Go(func() {
		nc, err := l.Accept()
		if err != nil {
			results <- err
			return
		}
		defer nc.Close()
		conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
		if err != nil {
			results <- err
			return
		}
		defer conn.Close()
		go func() {
			for range chans {
			}
		}()
		// Wait for the client's tcpip-forward, grant it with port 4242.
		for r := range reqs {
			if r.Type == "tcpip-forward" {
				r.Reply(true, ssh.Marshal(struct{ Port uint32 }{4242}))
				forwardedPort <- 4242
				break
			}
			r.Reply(false, nil)
		}
		go ssh.DiscardRequests(reqs)
		for _, o := range []open{
			{"session", nil},
			{"direct-tcpip", direct},
			{"forwarded-tcpip", forwarded(4243)},
			{"forwarded-tcpip", forwarded(4242)},
		} {
			ch, creqs, err := conn.OpenChannel(o.typ, o.extra)
			if err == nil {
				go ssh.DiscardRequests(creqs)
				ch.Close()
			}
			results <- err
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "tcp", l.Addr().String(), &client.Config{
		User: "alice",
		Auth: []userauth.Method{userauth.StaticPassword("x")},
		HostKeyCallback: func(_ string, _ net.Addr, key hostkey.PublicKey) error {
			if !hostkey.Equal(key, pub) {
				return errors.New("wrong host key")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fl, err := c.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	go func() {
		for {
			conn, err := fl.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	<-forwardedPort
	for i, want := range []bool{false, false, false, true} {
		var err error
		select {
		case err = <-results:
		case <-ctx.Done():
			t.Fatal("server did not finish")
		}
		var oe *ssh.OpenChannelError
		switch {
		case want && err != nil:
			t.Errorf("open %d: %v, want it accepted", i, err)
		case !want && !errors.As(err, &oe):
			t.Errorf("open %d: %v, want it refused", i, err)
		}
	}
}

// TestForwardOpenedRightBehindReply: a server may open a
// "forwarded-tcpip" channel the moment it has replied to "tcpip-forward"
// (RFC 4254, Section 7.2 sets no order beyond the reply); the channel
// reaches the new listener for a fixed port and for port 0, where only
// the reply tells the client which port it is. It flaked 1 in 300 runs
// of TestServerOpenedChannelsRefused before Listen registered its
// listener ahead of the open; here 40 rounds per kind make it show.
//
// Requirement: 4254-7.2-forwarded-reject
func TestForwardOpenedRightBehindReply(t *testing.T) {
	opened := make(chan error, 1)
	next := uint32(20000)
	s := xsshtest.Start(t, xsshtest.Options{Config: &ssh.ServerConfig{
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil },
	}, Handle: func(conn *ssh.ServerConn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		go func() {
			for nc := range chans {
				nc.Reject(ssh.Prohibited, "no")
			}
		}()
		for r := range reqs {
			if r.Type != "tcpip-forward" {
				r.Reply(r.Type == "cancel-tcpip-forward", nil)
				continue
			}
			var f struct {
				Addr string
				Port uint32
			}
			ssh.Unmarshal(r.Payload, &f)
			port, reply := f.Port, []byte(nil)
			if port == 0 {
				next++
				port, reply = next, ssh.Marshal(struct{ Port uint32 }{next})
			}
			r.Reply(true, reply)
			ch, creqs, err := conn.OpenChannel("forwarded-tcpip", ssh.Marshal(struct {
				Addr  string
				Port  uint32
				OAddr string
				OPort uint32
			}{f.Addr, port, "192.0.2.1", 40000}))
			if err == nil {
				go ssh.DiscardRequests(creqs)
				ch.Close()
			}
			opened <- err
		}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "tcp", s.Addr, &client.Config{
		User:            "alice",
		Auth:            []userauth.Method{userauth.StaticPassword("x")},
		HostKeyCallback: func(string, net.Addr, hostkey.PublicKey) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.1:4242"} {
		for i := range 40 {
			l, err := c.Listen(ctx, "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			accepted := make(chan error, 1)
			go func() {
				conn, err := l.Accept()
				if err == nil {
					conn.Close()
				}
				accepted <- err
			}()
			err = <-opened // the server's OpenChannel waits for the Accept
			l.Close()
			if err != nil {
				t.Fatalf("%s round %d: %v, want the open accepted", addr, i, err)
			}
			if err := <-accepted; err != nil {
				t.Fatalf("%s round %d: accept: %v", addr, i, err)
			}
		}
	}
}
