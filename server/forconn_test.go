package server_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// TestForConnStreamLocal: the StreamLocalMode and StreamLocalBindUnlink
// ForConn returns apply to the connection's streamlocal-forward sockets
// (ssh -R /path:...): the socket's mode, and a stale socket file
// replaced.
func TestForConnStreamLocal(t *testing.T) {
	addr := alice.Start(t, &server.Server{Handler: echoHandler,
		PermitStreamLocal: func(*server.Conn, string) bool { return true },
		ForConn: func(_ *server.Conn, s server.ConnSettings) server.ConnSettings {
			s.StreamLocalMode, s.StreamLocalBindUnlink = 0o640, true
			return s
		}})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	path := filepath.Join(t.TempDir(), "fwd.sock")
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	l, err := c.ListenUnix(path)
	if err != nil {
		t.Fatalf("over a stale socket with StreamLocalBindUnlink: %v", err)
	}
	defer l.Close()
	if st, err := os.Stat(path); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o640 {
		t.Errorf("socket mode %v, want 0640", st.Mode().Perm())
	}
}

// TestForConnRekeyLimit: the RekeyBytes ForConn returns replaces the
// Server's on the connection's transport once the user is known (sshd's
// RekeyLimit in a Match section): 1 MiB echoed under 64 KiB rekeys many
// times (KEXINITs the server sends), where the same transfer under the
// Server's default sends only the first.
func TestForConnRekeyLimit(t *testing.T) {
	var logs syncBuf
	var small atomic.Bool
	addr := alice.Start(t, &server.Server{Handler: echoHandler,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ForConn: func(_ *server.Conn, s server.ConnSettings) server.ConnSettings {
			if small.Load() {
				s.RekeyBytes = 64 << 10
			}
			return s
		}})
	echo := func() int {
		before := strings.Count(logs.String(), "kex: sent KEXINIT")
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		defer c.Close()
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		in := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		sess.Stdin = bytes.NewReader(in)
		out, err := sess.Output("echo")
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("echo: %d bytes, %v", len(out), err)
		}
		return strings.Count(logs.String(), "kex: sent KEXINIT") - before
	}
	if n := echo(); n != 1 {
		t.Errorf("%d KEXINITs under the default limit, want the first alone", n)
	}
	small.Store(true)
	if n := echo(); n < 3 {
		t.Errorf("%d KEXINITs for 1 MiB each way at 64 KiB, want at least 3", n)
	}
}
