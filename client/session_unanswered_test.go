package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// TestExecClosedBeforeReply: the server runs the command, sends its
// output and exit status and closes the channel without answering the
// exec request, as a paramiko server whose command runs on its own
// thread can. As ssh does, Run reports the exit status and the output
// arrives; a channel closed before any exit report is still an error.
func TestExecClosedBeforeReply(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Close()
	wg.Go(func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
		if err != nil {
			return
		}
		defer conn.Close()
		wg.Go(func() { ssh.DiscardRequests(reqs) })
		for nch := range chans {
			ch, creqs, err := nch.Accept()
			if err != nil {
				continue
			}
			wg.Go(func() {
				defer ch.Close()
				for r := range creqs {
					var e struct{ Cmd string }
					ssh.Unmarshal(r.Payload, &e)
					if e.Cmd == "exit 7" {
						ch.Write([]byte("out\n"))
						ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 7))
					}
					return // no reply; the deferred Close
				}
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "tcp", l.Addr().String(), &client.Config{
		User:            "alice",
		Auth:            []userauth.Method{userauth.StaticPassword("any")},
		HostKeyCallback: func(string, net.Addr, hostkey.PublicKey) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Output(ctx, "exit 7")
	var ee *client.ExitError
	if !errors.As(err, &ee) || ee.Status != 7 || string(out) != "out\n" {
		t.Errorf("Output(exit 7) = %q, %v; want \"out\\n\" and exit status 7", out, err)
	}
	s.Close()
	s, err = c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Run(ctx, "nothing"); err == nil || errors.As(err, &ee) {
		t.Errorf("Run(nothing) = %v; want an error that is not an exit status", err)
	}
}
