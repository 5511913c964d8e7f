package forward_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/server/forward"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// pair runs f on the server end of an in-memory connection-layer pair,
// as package server does, and returns the client end. The returned stop
// closes both ends and waits for their Run goroutines; it does not close
// f.
func pair(t *testing.T, f *forward.Forwarder) (cli *connection.Conn, stop func()) {
	t.Helper()
	ct, st := wiretest.Pipe()
	scfg := &connection.Config{}
	f.Configure(scfg)
	srv := connection.New(st, scfg)
	cli = connection.New(ct, nil)
	ctx, cancel := context.WithCancel(context.Background())
	f.Start(ctx, srv)
	var wg sync.WaitGroup
	wg.Go(func() { srv.Run(ctx) })
	wg.Go(func() { cli.Run(ctx) })
	wg.Go(func() { // the server's channel dispatch
		for {
			nch, err := srv.Accept(ctx)
			if err != nil {
				return
			}
			if !f.HandleChannel(nch) {
				nch.Reject(wire.UnknownChannelType, "no")
			}
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			cli.Close()
			srv.Close()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return cli, stop
}

// TestCloseEndsEverything: Close ends a live direct-tcpip copy whose
// local end never closes, a remote forwarding's listener and its live
// copy, and the agent socket, while the SSH connection is still up, and
// returns only after every goroutine of the Forwarder has ended; the
// agent socket's directory is gone.
func TestCloseEndsEverything(t *testing.T) {
	target := servertest.Accept(t, servertest.Listen(t), func(c net.Conn) {
		io.WriteString(c, "hi")
		io.Copy(io.Discard, c) // never closes its end first
	})
	f := &forward.Forwarder{
		PermitOpen:   func(wire.DirectTCPIP) bool { return true },
		PermitListen: func(string, uint32) bool { return true },
	}
	cli, _ := pair(t, f)
	ctx := context.Background()
	// The goroutines from here on are the Forwarder's, and the
	// service's for the connection the Forwarder dials.
	before := goleak.IgnoreCurrent()

	tp := target.Addr().(*net.TCPAddr)
	ch, err := cli.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: "127.0.0.1", Port: uint32(tp.Port), OriginatorAddress: "127.0.0.1", OriginatorPort: 1})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(ch, buf); err != nil || string(buf) != "hi" {
		t.Fatalf("direct-tcpip: %q, %v", buf, err)
	}

	port, err := cli.ForwardTCPIP(ctx, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	nch, err := cli.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if nch.Type() != wire.ChannelTypeForwardedTCPIP {
		t.Fatalf("channel type %q", nch.Type())
	}
	fch, err := nch.Accept(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fch.Close()

	sock, err := f.AgentSocket(nil)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- f.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with live forwardings")
	}
	if _, err := os.Stat(filepath.Dir(sock)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("agent socket directory after Close: %v", err)
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port))); err == nil {
		c.Close()
		t.Error("the remote forwarding still listens after Close")
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := cli.ForwardTCPIP(ctx, "127.0.0.1", 0); err == nil {
		t.Error("tcpip-forward accepted after Close")
	}
	// The pair's own writers may have started after the snapshot.
	goleak.VerifyNone(t, before, goleak.IgnoreTopFunction("github.com/sshstack/sshstack/connection.(*Conn).writer"))
}

// TestAgentSocket: a connection to the agent socket becomes an
// auth-agent@openssh.com channel to the client with data both ways;
// AgentSocket returns the same socket the second time and chowns it
// once.
func TestAgentSocket(t *testing.T) {
	f := &forward.Forwarder{}
	defer f.Close()
	cli, stop := pair(t, f)
	defer stop()
	var chowned []string
	sock, err := f.AgentSocket(func(dir, sock string) { chowned = append(chowned, dir, sock) })
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.AgentSocket(nil)
	if err != nil || again != sock {
		t.Errorf("second AgentSocket: %q, %v; want %q", again, err, sock)
	}
	if len(chowned) != 2 || chowned[0] != filepath.Dir(sock) || chowned[1] != sock {
		t.Errorf("chown got %q", chowned)
	}
	uc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	ctx := context.Background()
	nch, err := cli.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if nch.Type() != wire.ChannelTypeAuthAgent {
		t.Fatalf("channel type %q", nch.Type())
	}
	ch, err := nch.Accept(nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(uc, "req")
	buf := make([]byte, 3)
	if _, err := io.ReadFull(ch, buf); err != nil || string(buf) != "req" {
		t.Fatalf("agent channel read %q, %v", buf, err)
	}
	io.WriteString(ch, "ans")
	if _, err := io.ReadFull(uc, buf); err != nil || string(buf) != "ans" {
		t.Fatalf("agent socket read %q, %v", buf, err)
	}
	ch.Close()
}

// TestRefusals: nil Permit hooks refuse everything, with the errors and
// channel rejections the client sees.
func TestRefusals(t *testing.T) {
	f := &forward.Forwarder{}
	defer f.Close()
	cli, stop := pair(t, f)
	defer stop()
	ctx := context.Background()
	_, err := cli.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: "127.0.0.1", Port: 1})
	var oe *connection.OpenError
	if !errors.As(err, &oe) || oe.Reason != wire.AdministrativelyProhibited {
		t.Errorf("direct-tcpip without PermitOpen: %v", err)
	}
	if _, err := cli.OpenDirectStreamLocal(ctx, wire.DirectStreamLocal{SocketPath: "/tmp/x.sock"}); !errors.As(err, &oe) {
		t.Errorf("direct-streamlocal without PermitStreamLocal: %v", err)
	}
	if _, err := cli.ForwardTCPIP(ctx, "127.0.0.1", 0); !errors.Is(err, connection.ErrRequestDenied) {
		t.Errorf("tcpip-forward without PermitListen: %v", err)
	}
	if err := cli.ForwardStreamLocal(ctx, filepath.Join(t.TempDir(), "s")); !errors.Is(err, connection.ErrRequestDenied) {
		t.Errorf("streamlocal-forward without PermitStreamLocal: %v", err)
	}
	if err := cli.CancelForwardTCPIP(ctx, "127.0.0.1", 1); !errors.Is(err, connection.ErrRequestDenied) {
		t.Errorf("cancel of no forwarding: %v", err)
	}
}

func itoa(n uint32) string { return strconv.Itoa(int(n)) }
