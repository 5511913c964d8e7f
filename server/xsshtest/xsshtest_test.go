package xsshtest_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server/xsshtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func clientConfig(s *xsshtest.Server) *ssh.ClientConfig {
	return &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.FixedHostKey(s.HostKey.PublicKey())}
}

// TestStartExitZero runs "exec" against ExitZero and DrainExitZero
// through Dial: exit status 0. The cleanups then stop clients and
// servers, which goleak checks.
func TestStartExitZero(t *testing.T) {
	for name, h := range map[string]xsshtest.Handler{"ExitZero": xsshtest.ExitZero, "DrainExitZero": xsshtest.DrainExitZero} {
		t.Run(name, func(t *testing.T) {
			drain := name == "DrainExitZero"
			s := xsshtest.Start(t, xsshtest.Options{Handle: h})
			if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.Port == 0 {
				t.Fatalf("address %q port %d", s.Addr, s.Port)
			}
			c, err := xsshtest.Dial(t, s.Addr, clientConfig(s))
			if err != nil {
				t.Fatal(err)
			}
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if drain {
				// ExitZero may close the channel before input arrives.
				sess.Stdin = strings.NewReader("input")
			}
			if err := sess.Run("anything"); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// TestRejectAll: the default handler refuses channels; CloseConns, and
// then Close, end a connection the client keeps open.
func TestRejectAll(t *testing.T) {
	s := xsshtest.Start(t, xsshtest.Options{})
	c, err := xsshtest.Dial(t, s.Addr, clientConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.NewSession()
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
		t.Errorf("NewSession: %v, want Prohibited", err)
	}
	hangUp := func(what string, close func()) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("client still connected after %s", what)
		}
	}
	hangUp("CloseConns", s.CloseConns)
	// The server still accepts; Close ends the new connection too.
	c, err = xsshtest.Dial(t, s.Addr, clientConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	hangUp("Close", s.Close)
}

// TestConfigAndWrap: the caller's Config decides authentication, and
// Wrap sees each connection.
func TestConfigAndWrap(t *testing.T) {
	var wrapped atomic.Int32
	cfg := &ssh.ServerConfig{PasswordCallback: func(_ ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
		if string(p) == "secret" {
			return nil, nil
		}
		return nil, errors.New("wrong password")
	}}
	s := xsshtest.Start(t, xsshtest.Options{Config: cfg, Wrap: func(c net.Conn) net.Conn { wrapped.Add(1); return c }})
	ccfg := clientConfig(s)
	ccfg.Auth = []ssh.AuthMethod{ssh.Password("wrong")}
	if _, err := xsshtest.Dial(t, s.Addr, ccfg); err == nil {
		t.Error("wrong password accepted")
	}
	ccfg.Auth = []ssh.AuthMethod{ssh.Password("secret")}
	if _, err := xsshtest.Dial(t, s.Addr, ccfg); err != nil {
		t.Fatal(err)
	}
	if n := wrapped.Load(); n != 2 {
		t.Errorf("Wrap saw %d connections, want 2", n)
	}
}

// TestKnownHosts: the file names the server's key at [127.0.0.1]:port.
func TestKnownHosts(t *testing.T) {
	s := xsshtest.Start(t, xsshtest.Options{})
	b, err := os.ReadFile(s.KnownHosts(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "[127.0.0.1]:" + strings.TrimPrefix(s.Addr, "127.0.0.1:") + " "
	if !bytes.HasPrefix(b, []byte(want)) || !bytes.Contains(b, bytes.Fields(ssh.MarshalAuthorizedKey(s.HostKey.PublicKey()))[1]) {
		t.Errorf("known_hosts %q", b)
	}
}

// TestServeConn serves one end of a pipe and reports the failed
// handshake when the other end hangs up.
func TestServeConn(t *testing.T) {
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	hk := xsshtest.NewHostKey(t)
	cfg.AddHostKey(hk)
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- xsshtest.ServeConn(b, cfg, nil) }()
	a.Close()
	if err := <-done; err == nil {
		t.Error("ServeConn: nil error after garbage")
	}
}

// TestChannels: a type with a ChannelHandler reaches it, another is
// rejected as unknown.
func TestChannels(t *testing.T) {
	h := xsshtest.Channels(map[string]xsshtest.ChannelHandler{"echo@test": func(_ *ssh.ServerConn, nch ssh.NewChannel) {
		nch.Reject(ssh.ConnectionFailed, "seen")
	}})
	s := xsshtest.Start(t, xsshtest.Options{Handle: h})
	c, err := xsshtest.Dial(t, s.Addr, clientConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	for typ, want := range map[string]ssh.RejectionReason{"echo@test": ssh.ConnectionFailed, "session": ssh.UnknownChannelType} {
		_, _, err := c.OpenChannel(typ, nil)
		var oe *ssh.OpenChannelError
		if !errors.As(err, &oe) || oe.Reason != want {
			t.Errorf("%s: %v, want %v", typ, err, want)
		}
	}
}
