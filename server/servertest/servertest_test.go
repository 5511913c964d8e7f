package servertest_test

import (
	"bufio"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestStart dials the address Start returns and reads the server's
// identification string (RFC 4253, Section 4.2); the cleanup then stops
// the server, which goleak checks.
// Requirement: 4253-4.2-send-ident, 4253-4.2-prelines-not-ssh
func TestStart(t *testing.T) {
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	addr := servertest.Start(t, &server.Server{HostKeys: []hostkey.Signer{hk}, Auth: &userauth.ServerConfig{}})
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
		t.Fatalf("identification %q, %v", line, err)
	}
}

// TestAcceptEcho sends a line through EchoAddr and Discard, and leaves a
// connection open for the cleanup to close (goleak checks it did).
func TestAcceptEcho(t *testing.T) {
	addr := servertest.EchoAddr(t)
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte("ping\n"))
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	// Registered first, so it runs after Accept's cleanup has closed
	// the server's side of the connection.
	var open net.Conn
	t.Cleanup(func() {
		if open != nil {
			open.Close()
		}
	})
	sink := servertest.Accept(t, servertest.Listen(t), servertest.Discard)
	if servertest.Port(sink) == 0 {
		t.Fatal("no port")
	}
	open, err = net.DialTimeout("tcp", sink.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	open.Write([]byte("into the sink"))
}

// TestListenDisplay takes the first free display: a second call from the
// same number gets the next one.
func TestListenDisplay(t *testing.T) {
	l1, n1 := servertest.ListenDisplay(t, 150)
	l2, n2 := servertest.ListenDisplay(t, n1)
	if n1 < 150 || n2 <= n1 {
		t.Errorf("displays %d, %d", n1, n2)
	}
	if got := servertest.Port(l1); got != 6000+n1 {
		t.Errorf("port %d for display %d", got, n1)
	}
	if l2.Addr().(*net.TCPAddr).Port != 6000+n2 {
		t.Errorf("second listener on %v", l2.Addr())
	}
}

// TestProxy relays to an echo service, then drops what the client sends:
// the echo stops, the connection stays open.
func TestProxy(t *testing.T) {
	p := servertest.StartProxy(t, servertest.EchoAddr(t))
	nc, err := net.DialTimeout("tcp", p.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte("one\n"))
	if line, err := r.ReadString('\n'); err != nil || line != "one\n" {
		t.Fatalf("through the proxy: %q, %v", line, err)
	}
	p.DropToTarget.Store(true)
	nc.Write([]byte("two\n"))
	nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if line, err := r.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("after DropToTarget: %q, %v, want a timeout", line, err)
	}
}
