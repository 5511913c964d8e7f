package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// stdinServer is an x/crypto/ssh server for the Stdin tests: "exit"
// ends at once with status 0 without reading its input, "sleep" reads
// until the channel closes. stop closes it and waits for its goroutines.
type stdinServer struct {
	addr string
	l    net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	nc   []net.Conn // guarded by mu
}

func startStdinServer(t *testing.T) *stdinServer {
	t.Helper()
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
	s := &stdinServer{addr: l.Addr().String(), l: l}
	s.wg.Go(func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.nc = append(s.nc, nc)
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(nc, cfg) })
		}
	})
	t.Cleanup(s.stop)
	return s
}

func (s *stdinServer) stop() {
	s.l.Close()
	s.mu.Lock()
	for _, nc := range s.nc {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *stdinServer) serve(nc net.Conn, cfg *ssh.ServerConfig) {
	defer nc.Close()
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	s.wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nch := range chans {
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		s.wg.Go(func() {
			defer ch.Close()
			for r := range creqs {
				if r.Type != "exec" {
					r.Reply(false, nil)
					continue
				}
				var e struct{ Cmd string }
				ssh.Unmarshal(r.Payload, &e)
				r.Reply(true, nil)
				if e.Cmd == "sleep" {
					io.Copy(io.Discard, ch)
				}
				ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 0))
				return
			}
		})
	}
}

func (s *stdinServer) dial(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), "tcp", s.addr, &client.Config{
		User:            "alice",
		Auth:            []userauth.Method{userauth.StaticPassword("any")},
		HostKeyCallback: func(string, net.Addr, hostkey.PublicKey) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitOrFail runs f and fails the test if it has not returned after 10 s.
func waitOrFail(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// TestWaitInterruptsStdin: the command ends without reading its input,
// which blocks (a pipe nobody writes to): Wait returns, the Stdin copy
// has ended by then (no goroutine is left once the Client and the server
// are closed, while the pipe is still open), and the pipe is usable
// again, its deadline reset.
func TestWaitInterruptsStdin(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	srv := startStdinServer(t)
	c := srv.dial(t)
	s, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Stdin = pr
	if err := s.Start(context.Background(), "exit"); err != nil {
		t.Fatal(err)
	}
	if err := waitOrFail(t, "Wait", func() error { return s.Wait(context.Background()) }); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after Wait: %v", err)
	}
	c.Close()
	srv.stop()
	goleak.VerifyNone(t)
	if t.Failed() {
		return // a live copier would take the byte below
	}

	io.WriteString(pw, "x")
	b := make([]byte, 1)
	if _, err := pr.Read(b); err != nil {
		t.Errorf("Stdin after Wait: %v (its deadline was not reset)", err)
	}
}

// TestCloseInterruptsStdin: Close while the command runs and Stdin
// blocks (a net.Conn nobody writes to) returns and leaves no goroutine.
func TestCloseInterruptsStdin(t *testing.T) {
	in, peer := net.Pipe()
	defer peer.Close()
	defer in.Close()
	srv := startStdinServer(t)
	c := srv.dial(t)
	s, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Stdin = in
	if err := s.Start(context.Background(), "sleep"); err != nil {
		t.Fatal(err)
	}
	if err := waitOrFail(t, "Close", s.Close); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := waitOrFail(t, "Client.Close", c.Close); err != nil {
		t.Errorf("Client.Close: %v", err)
	}
	srv.stop()
	goleak.VerifyNone(t)
}

// blockingReader blocks in Read until release is closed, and cannot be
// interrupted otherwise.
type blockingReader struct{ release chan struct{} }

func (r blockingReader) Read([]byte) (int, error) {
	<-r.release
	return 0, io.EOF
}

// TestStdinNotInterruptible: with a Stdin whose Read cannot be
// interrupted, Wait still returns when the command ends and Close says
// the copy is blocked (ErrStdinBlocked); once the Read returns, the copy
// ends and Close reports nothing.
func TestStdinNotInterruptible(t *testing.T) {
	r := blockingReader{make(chan struct{})}
	srv := startStdinServer(t)
	c := srv.dial(t)
	defer c.Close()
	s, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Stdin = r
	if err := s.Start(context.Background(), "exit"); err != nil {
		t.Fatal(err)
	}
	if err := waitOrFail(t, "Wait", func() error { return s.Wait(context.Background()) }); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if err := s.Close(); !errors.Is(err, client.ErrStdinBlocked) {
		t.Errorf("Close with a blocked Stdin: %v, want ErrStdinBlocked", err)
	}
	close(r.release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Close()
		if err == nil {
			break
		}
		if !errors.Is(err, client.ErrStdinBlocked) || time.Now().After(deadline) {
			t.Fatalf("Close after the Read returned: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientCloseInterruptsStdin: Client.Close ends the Stdin copy of a
// session nobody waited for or closed (a net.Conn nobody writes to),
// and leaves no goroutine.
func TestClientCloseInterruptsStdin(t *testing.T) {
	in, peer := net.Pipe()
	defer peer.Close()
	defer in.Close()
	srv := startStdinServer(t)
	c := srv.dial(t)
	s, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Stdin = in
	if err := s.Start(context.Background(), "sleep"); err != nil {
		t.Fatal(err)
	}
	if err := waitOrFail(t, "Client.Close", c.Close); err != nil {
		t.Errorf("Client.Close: %v", err)
	}
	srv.stop()
	goleak.VerifyNone(t)
}
