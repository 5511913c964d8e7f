package conformance

import (
	"context"
	"crypto/ed25519"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// writeLog records, for one side of a connection, the messages it sends
// (from the trace hook) and its network writes, in order. A corked
// packet is traced when it is sealed, before the write that carries it;
// an uncorked one after its own write.
type writeLog struct {
	mu     sync.Mutex
	events []string
}

func (l *writeLog) add(e string) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *writeLog) trace(e wire.TraceEvent) {
	if e.Dir == wire.DirSend {
		l.add(strings.Fields(e.Description.String())[0])
	}
}

// together reports whether a is sent and b follows it with no network
// write between: both left in the same write.
func (l *writeLog) together(a, b string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.events {
		if e != a {
			continue
		}
		for _, f := range l.events[i+1:] {
			switch f {
			case b:
				return true
			case "WRITE":
				return false
			}
		}
	}
	return false
}

type loggedConn struct {
	net.Conn
	log *writeLog
}

func (c *loggedConn) Write(b []byte) (int, error) {
	c.log.add("WRITE")
	return c.Conn.Write(b)
}

type loggedListener struct {
	net.Listener
	log *writeLog
}

func (l loggedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &loggedConn{Conn: c, log: l.log}, nil
}

// TestConnectionWritesCoalesced: on a whole connection (key exchange,
// publickey, a session running a command), the packets that one side
// sends back to back leave in one network write: the server's
// USERAUTH_SUCCESS and hostkeys-00@openssh.com, and its CHANNEL_EOF and
// CHANNEL_CLOSE at the end of the command; and the client's
// SERVICE_REQUEST and first USERAUTH_REQUEST, once the server's EXT_INFO
// has come with its NEWKEYS (which also saves the client a round trip),
// and then the server's SERVICE_ACCEPT and its answer to that request.
// (The client's NEWKEYS and SERVICE_REQUEST stay apart: Wireshark 4.0
// fails to decrypt sessions that join them.) Each costs the sender a
// system call and the peer a wake-up otherwise.
func TestConnectionWritesCoalesced(t *testing.T) {
	_, hpriv, _ := ed25519.GenerateKey(nil)
	hk, _ := hostkey.NewSigner(hpriv)
	_, upriv, _ := ed25519.GenerateKey(nil)
	uk, _ := hostkey.NewSigner(upriv)
	var slog, clog writeLog
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{PublicKeyCallback: func(_ context.Context, _ userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
			return nil, nil
		}},
		Handler: func(_ context.Context, s *server.Session) { s.Exit(0) },
		Trace:   func(net.Addr) wire.Tracer { return slog.trace },
	}
	done := make(chan struct{})
	go func() { srv.Serve(context.Background(), loggedListener{Listener: l, log: &slog}); close(done) }()
	defer func() { srv.Close(); <-done }()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClientConn(ctx, &loggedConn{Conn: nc, log: &clog}, l.Addr().String(), &client.Config{
		User: "u", Auth: []userauth.Method{userauth.InMemoryPrivateKey(uk)},
		HostKeyCallback:       func(string, net.Addr, hostkey.PublicKey) error { return nil },
		GlobalKnownHostsFiles: []string{}, UserKnownHostsFiles: []string{},
		Trace: clog.trace,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, "true"); err != nil {
		t.Fatal(err)
	}
	if !slog.together("USERAUTH_SUCCESS", "GLOBAL_REQUEST") {
		t.Errorf("server: USERAUTH_SUCCESS and hostkeys-00 in separate writes: %v", slog.events)
	}
	if !slog.together("CHANNEL_EOF", "CHANNEL_CLOSE") {
		t.Errorf("server: CHANNEL_EOF and CHANNEL_CLOSE in separate writes: %v", slog.events)
	}
	if !clog.together("SERVICE_REQUEST", "USERAUTH_REQUEST") {
		t.Errorf("client: SERVICE_REQUEST and USERAUTH_REQUEST in separate writes: %v", clog.events)
	}
	if !slog.together("SERVICE_ACCEPT", "USERAUTH_SUCCESS") {
		t.Errorf("server: SERVICE_ACCEPT and the answer to the request that came with it in separate writes: %v", slog.events)
	}
}
