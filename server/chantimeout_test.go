package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

// TestChannelTimeout: Server.ChannelTimeout is asked for sshd's channel
// types ("session", then "session:command" once the command starts,
// "direct-tcpip"), and a channel idle for the interval is closed and
// logged in sshd's words, while one that carries data stays open.
func TestChannelTimeout(t *testing.T) {
	const limit = 300 * time.Millisecond
	var logs syncBuf
	var mu sync.Mutex
	var asked []string
	srv := &server.Server{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		ChannelTimeout: func(_ *server.Conn, typ string) time.Duration {
			mu.Lock()
			asked = append(asked, typ)
			mu.Unlock()
			if typ == "session:command" || typ == "direct-tcpip" {
				return limit
			}
			return 0
		},
		PermitOpen: func(*server.Conn, string, uint32) bool { return true },
		Handler: func(ctx context.Context, s *server.Session) {
			<-ctx.Done() // silent until the channel goes
		},
	}
	addr := alice.Start(t, srv)
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("silent"); err != nil {
		t.Fatal(err)
	}
	var missing *ssh.ExitMissingError
	if err := sess.Wait(); !errors.As(err, &missing) {
		t.Errorf("idle session ended with %v, want no exit status", err)
	}
	waitLog(t, &logs, "seconds of inactivity")
	mu.Lock()
	// "session" is asked when the channel is dispatched, unless the
	// client's exec was handled first (the session had already become
	// a command, as happens under load); it never comes after.
	if i := slices.Index(asked, "session:command"); i < 0 || slices.Contains(asked[i:], "session") {
		t.Errorf("ChannelTimeout asked for %q, want session:command, after session if that is asked", asked)
	}
	mu.Unlock()

	echo := servertest.EchoAddr(t)
	busy, err := c.Dial("tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	buf := make([]byte, 4)
	for range 3 * int(limit/(30*time.Millisecond)) {
		if _, err := busy.Write([]byte("ping")); err != nil {
			t.Fatalf("busy forwarding: %v", err)
		}
		if _, err := io.ReadFull(busy, buf); err != nil {
			t.Fatalf("busy forwarding closed: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	// Now idle: closed.
	busy.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := busy.Read(buf); !errors.Is(err, io.EOF) {
		t.Errorf("idle forwarding: read %v, want EOF", err)
	}
}
