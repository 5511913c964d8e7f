package forward_test

import (
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

// The tests here run the Forwarder as package server wires it, against
// x/crypto/ssh's client.

// TestForwardingDeliversBeforeClose: data the client sends on a
// direct-tcpip channel just before closing it all reaches the local
// service. The server used to close the local socket as soon as CLOSE
// arrived, dropping what the channel still held.
// Requirement: 4254-5.3-deliver-before-close
func TestForwardingDeliversBeforeClose(t *testing.T) {
	got := make(chan int64, 1)
	target := servertest.Accept(t, servertest.Listen(t), func(tc net.Conn) {
		n, _ := io.Copy(io.Discard, tc)
		got <- n
	})
	addr := alice.Start(t, &server.Server{
		Handler:    echoHandler,
		PermitOpen: func(_ *server.Conn, host string, port uint32) bool { return host == "127.0.0.1" },
	})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	const size = 1 << 20
	for i := range 5 {
		fc, err := c.Dial("tcp", target.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fc.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		fc.Close()
		select {
		case n := <-got:
			if n != size {
				t.Fatalf("round %d: the local service got %d of %d bytes", i, n, size)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the local service saw no EOF", i)
		}
	}
}

func TestForwarding(t *testing.T) {
	// A TCP echo target for -L.
	target := servertest.EchoAddr(t)
	addr := alice.Start(t, &server.Server{
		Handler:      echoHandler,
		PermitOpen:   func(_ *server.Conn, host string, port uint32) bool { return host == "127.0.0.1" },
		PermitListen: func(*server.Conn, string, uint32) bool { return true },
	})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))

	// direct-tcpip (ssh -L)
	fc, err := c.Dial("tcp", target)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fc, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(fc, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("direct-tcpip echo: %q, %v", buf, err)
	}
	fc.Close()
	if _, err := c.Dial("tcp", "localhost:1"); err == nil {
		t.Error("direct-tcpip to a refused destination succeeded")
	}

	// tcpip-forward (ssh -R)
	rl, err := c.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	var rwg sync.WaitGroup
	defer rwg.Wait()
	rwg.Go(func() {
		cc, err := rl.Accept()
		if err != nil {
			return
		}
		io.Copy(cc, cc)
		cc.Close()
	})
	tc, err := net.Dial("tcp", rl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(tc, "pong")
	if _, err := io.ReadFull(tc, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("tcpip-forward echo: %q, %v", buf, err)
	}
	tc.Close()
}

// TestStreamLocalForwarding: direct-streamlocal and streamlocal-forward
// (OpenSSH PROTOCOL, Section 2.4) under PermitStreamLocal.
// Requirement: protocol-2.4-streamlocal
func TestStreamLocalForwarding(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.sock")
	tl, err := net.Listen("unix", target)
	if err != nil {
		t.Fatal(err)
	}
	servertest.Accept(t, tl, servertest.Echo)
	addr := alice.Start(t, &server.Server{Handler: echoHandler,
		PermitStreamLocal: func(_ *server.Conn, path string) bool { return strings.HasPrefix(path, dir) }})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	fc, err := c.Dial("unix", target)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fc, "unix")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(fc, buf); err != nil || string(buf) != "unix" {
		t.Fatalf("direct-streamlocal echo %q %v", buf, err)
	}
	fc.Close()
	if _, err := c.Dial("unix", "/tmp/elsewhere.sock"); err == nil {
		t.Error("direct-streamlocal outside the permitted directory succeeded")
	}
	remote := filepath.Join(dir, "remote.sock")
	var wg sync.WaitGroup
	defer wg.Wait()
	rl, err := c.ListenUnix(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	wg.Go(func() {
		cc, err := rl.Accept()
		if err != nil {
			return
		}
		io.Copy(cc, cc)
		cc.Close()
	})
	uc, err := net.Dial("unix", remote)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(uc, "back")
	if _, err := io.ReadFull(uc, buf); err != nil || string(buf) != "back" {
		t.Fatalf("streamlocal-forward echo %q %v", buf, err)
	}
	uc.Close()
}
