package server_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server"
)

// TestForConn: the settings Server.ForConn returns once authentication
// has succeeded decide that connection's MaxSessions, AcceptEnv,
// keepalives and unused-connection timeout, over the Server's fields;
// ForConn sees the user and the Server's values.
func TestForConn(t *testing.T) {
	var logs syncBuf
	seen := make(chan server.ConnSettings, 1)
	addr := alice.Start(t, &server.Server{Handler: echoHandler, MaxSessions: 5,
		AcceptEnv: func(name, _ string) bool { return name == "GLOBAL" },
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		ForConn: func(c *server.Conn, s server.ConnSettings) server.ConnSettings {
			seen <- s
			if c.User() != "alice" {
				return s
			}
			s.MaxSessions = 1
			s.AcceptEnv = func(name, _ string) bool { return name == "MINE" }
			s.UnusedConnectionTimeout = 200 * time.Millisecond
			return s
		}})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got.MaxSessions != 5 || got.AcceptEnv == nil {
		t.Errorf("ForConn got %+v, want the Server's settings", got)
	}
	var oe *ssh.OpenChannelError
	if _, err := c.NewSession(); !errors.As(err, &oe) || oe.Reason != ssh.ResourceShortage {
		t.Errorf("2nd session under MaxSessions 1: %v, want RESOURCE_SHORTAGE", err)
	}
	sess.Setenv("GLOBAL", "1") // refused by the connection's AcceptEnv
	if err := sess.Setenv("MINE", "2"); err != nil {
		t.Errorf("env MINE: %v", err)
	}
	out, err := sess.Output("env")
	if err != nil || !strings.Contains(string(out), "MINE=2") || strings.Contains(string(out), "GLOBAL") {
		t.Errorf("env: %q, %v; want MINE=2 and no GLOBAL", out, err)
	}
	// With its only session closed, the connection ends after the
	// UnusedConnectionTimeout ForConn gave it.
	waitLog(t, &logs, "terminating inactive connection from user alice 127.0.0.1 port ")
	c.Close()
}
