package x11_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/server/x11"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// x11Req is the data of "x11-req" (RFC 4254, Section 6.3.1) for
// x/crypto/ssh's SendRequest.
type x11Req struct {
	Single bool
	Proto  string
	Cookie string
	Screen uint32
}

const testCookie = "00112233445566778899aabbccddeeff"

// x11Seen is what the X11 session handler saw.
type x11Seen struct {
	display  x11.Display
	ok       bool
	req      x11Req
	locals   []string // local addresses of the connections it made
	replies  []string
	extraErr error // the dial after the last expected connection
}

// x11Handler connects to the session's display conns times, sends
// "ping N" on each and reads the reply; with tryExtra it dials once
// more and records the error.
func x11Handler(conns int, tryExtra bool, seen chan<- x11Seen) server.SessionHandler {
	return func(ctx context.Context, s *server.Session) {
		var v x11Seen
		defer func() { seen <- v }()
		v.display, v.ok = x11.DisplayOf(s)
		if x, ok := s.X11(); ok {
			v.req = x11Req{x.SingleConnection, x.AuthProtocol, x.AuthCookie, x.Screen}
		}
		if !v.ok {
			s.Exit(1)
			return
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(x11.BasePort+v.display.Number))
		var d net.Dialer
		for i := range conns {
			xc, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				v.replies = append(v.replies, "dial: "+err.Error())
				break
			}
			v.locals = append(v.locals, xc.LocalAddr().String())
			fmt.Fprintf(xc, "ping %d", i)
			xc.(*net.TCPConn).CloseWrite()
			b, _ := io.ReadAll(xc)
			xc.Close()
			v.replies = append(v.replies, string(b))
		}
		if tryExtra {
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			xc, err := d.DialContext(dctx, "tcp", addr)
			cancel()
			if err == nil {
				xc.Close()
			}
			v.extraErr = err
		}
		s.Exit(0)
	}
}

// serveX11Channels answers every "x11" channel: it checks nothing,
// records the originator and echoes "pong " + what it read.
func serveX11Channels(chans <-chan ssh.NewChannel, origins chan<- string) {
	for nc := range chans {
		var o struct {
			Addr string
			Port uint32
		}
		if err := ssh.Unmarshal(nc.ExtraData(), &o); err != nil {
			nc.Reject(ssh.ConnectionFailed, "bad x11 open data")
			continue
		}
		origins <- net.JoinHostPort(o.Addr, strconv.Itoa(int(o.Port)))
		ch, reqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go ssh.DiscardRequests(reqs)
		go func() {
			b, _ := io.ReadAll(ch)
			io.WriteString(ch, "pong "+string(b))
			ch.CloseWrite()
			ch.Close()
		}()
	}
}

// TestX11Forwarding: an accepted x11-req gives the session a display on
// 127.0.0.1 (and ::1) from DefaultX11DisplayOffset up; each connection
// to it becomes an "x11" channel to the client naming the originator
// (RFC 4254, Section 6.3.2) with data both ways; single_connection stops
// listening after the first; the display is gone when the session ends.
func TestX11Forwarding(t *testing.T) {
	for _, tc := range []struct {
		name   string
		single bool
		conns  int
	}{
		{"two connections", false, 2},
		{"single connection", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := make(chan x11Seen, 1)
			addr := alice.Start(t, &server.Server{
				Handler:    x11Handler(tc.conns, true, seen),
				X11Request: (&x11.Forwarding{}).Request,
			})
			c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
			origins := make(chan string, 4)
			x11Chans := c.HandleChannelOpen("x11")
			go serveX11Channels(x11Chans, origins)
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			want := x11Req{tc.single, "MIT-MAGIC-COOKIE-1", testCookie, 0}
			ok, err := sess.SendRequest("x11-req", true, ssh.Marshal(&want))
			if err != nil || !ok {
				t.Fatalf("x11-req: %v, %v", ok, err)
			}
			if err := sess.Run("xclock"); err != nil {
				t.Fatalf("Run: %v", err)
			}
			v := <-seen
			d := v.display
			if !v.ok || d.Number < x11.DefaultDisplayOffset || d.Number >= x11.MaxDisplays {
				t.Fatalf("display %+v, %v", d, v.ok)
			}
			if want := fmt.Sprintf("localhost:%d.0", d.Number); d.Display != want {
				t.Errorf("Display %q, want %q", d.Display, want)
			}
			if want := fmt.Sprintf("unix:%d.0", d.Number); d.AuthDisplay != want {
				t.Errorf("AuthDisplay %q, want %q", d.AuthDisplay, want)
			}
			if d.AuthProtocol != want.Proto || d.AuthCookie != want.Cookie || d.Screen != 0 || v.req != want {
				t.Errorf("auth %q %q screen %d, X11 %+v; want %+v", d.AuthProtocol, d.AuthCookie, d.Screen, v.req, want)
			}
			port := strconv.Itoa(x11.BasePort + d.Number)
			var addrs []string
			for _, a := range d.Addrs {
				addrs = append(addrs, a.String())
			}
			wantAddrs := []string{"127.0.0.1:" + port}
			if ipv6Loopback() {
				wantAddrs = append(wantAddrs, "[::1]:"+port)
			}
			if strings.Join(addrs, " ") != strings.Join(wantAddrs, " ") {
				t.Errorf("Addrs %v, want %v", addrs, wantAddrs)
			}
			for i := range tc.conns {
				if i >= len(v.replies) || v.replies[i] != fmt.Sprintf("pong ping %d", i) {
					t.Fatalf("replies %q", v.replies)
				}
				if got := <-origins; got != v.locals[i] {
					t.Errorf("x11 channel %d: originator %s, want the connection's %s", i, got, v.locals[i])
				}
			}
			if tc.single {
				if v.extraErr == nil {
					t.Error("single_connection: a second connection was accepted")
				}
			} else if v.extraErr != nil {
				t.Errorf("a third connection: %v", v.extraErr)
			}
			// The display closes with the session.
			deadline := time.Now().Add(5 * time.Second)
			for {
				xc, err := net.Dial("tcp", "127.0.0.1:"+port)
				if err != nil {
					break
				}
				xc.Close()
				if time.Now().After(deadline) {
					t.Fatal("display still listening 5 s after the session ended")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// displayFree reports whether nothing listens on X11 display n's TCP
// port on 127.0.0.1.
func displayFree(n int) bool {
	l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(x11.BasePort+n))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func ipv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// TestX11DisplayOffset: a display whose port is taken is skipped, and
// DisplayOffset sets the first number tried.
func TestX11DisplayOffset(t *testing.T) {
	// Find two free display numbers in a row above 100, keep the first
	// port busy.
	busy, first := servertest.ListenDisplay(t, 100)
	for first+1 >= x11.MaxDisplays || !displayFree(first+1) {
		busy.Close()
		busy, first = servertest.ListenDisplay(t, first+2)
	}
	seen := make(chan x11Seen, 1)
	addr := alice.Start(t, &server.Server{
		Handler:    x11Handler(0, false, seen),
		X11Request: (&x11.Forwarding{DisplayOffset: first}).Request,
	})
	c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := sess.SendRequest("x11-req", true, ssh.Marshal(&x11Req{false, "MIT-MAGIC-COOKIE-1", testCookie, 2})); !ok || err != nil {
		t.Fatalf("x11-req: %v, %v", ok, err)
	}
	if err := sess.Run("x"); err != nil {
		t.Fatal(err)
	}
	v := <-seen
	if want := fmt.Sprintf("localhost:%d.2", first+1); v.display.Display != want {
		t.Errorf("Display %q, want %q (display %d is busy)", v.display.Display, want, first)
	}
}

// TestX11Refused: x11-req is refused under no-X11-forwarding, without a
// hook, after the command started, and the second time on a session;
// sessions without it have no display.
func TestX11Refused(t *testing.T) {
	var calls atomic.Int32
	fw := &x11.Forwarding{}
	hook := func(s *server.Session, x wire.X11Request) bool {
		calls.Add(1)
		return fw.Request(s, x)
	}
	// alice may forward X11; "restricted" has no-X11-forwarding.
	auth := alice.Policy()
	auth.PublicKeyCallback = func(ctx context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
		if !hostkey.Equal(k, userKey.PublicKey()) {
			return nil, errors.New("unknown key")
		}
		if m.User == "restricted" {
			return &userauth.Permissions{NoX11Forwarding: true}, nil
		}
		return nil, nil
	}
	seen := make(chan x11Seen, 4)
	handler := func(ctx context.Context, s *server.Session) {
		var v x11Seen
		v.display, v.ok = x11.DisplayOf(s)
		seen <- v
		io.Copy(io.Discard, s) // until the client's EOF
		s.Exit(0)
	}
	req := ssh.Marshal(&x11Req{false, "MIT-MAGIC-COOKIE-1", testCookie, 0})
	send := func(t *testing.T, sess *ssh.Session) bool {
		t.Helper()
		ok, err := sess.SendRequest("x11-req", true, req)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	run := func(t *testing.T, sess *ssh.Session) x11Seen {
		t.Helper()
		in, err := sess.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Start("cmd"); err != nil {
			t.Fatal(err)
		}
		v := <-seen
		if send(t, sess) {
			t.Error("x11-req after the command started accepted")
		}
		in.Close()
		if err := sess.Wait(); err != nil {
			t.Fatal(err)
		}
		return v
	}

	addr := alice.Start(t, &server.Server{Handler: handler, Auth: auth, X11Request: hook})
	t.Run("no-X11-forwarding", func(t *testing.T) {
		c, err := servertest.DialAs(addr, "restricted", ssh.PublicKeys(alice.XSigner(t)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		before := calls.Load()
		if send(t, sess) {
			t.Error("x11-req accepted under no-X11-forwarding")
		}
		if calls.Load() != before {
			t.Error("the hook was asked under no-X11-forwarding")
		}
		if v := run(t, sess); v.ok {
			t.Errorf("display %+v under no-X11-forwarding", v.display)
		}
	})
	t.Run("twice and after start", func(t *testing.T) {
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if !send(t, sess) {
			t.Fatal("first x11-req refused")
		}
		before := calls.Load()
		if send(t, sess) {
			t.Error("second x11-req on a session accepted")
		}
		if v := run(t, sess); !v.ok {
			t.Error("no display after the accepted x11-req")
		}
		if calls.Load() != before {
			t.Error("the hook was asked again")
		}
	})
	t.Run("without x11-req", func(t *testing.T) {
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if v := run(t, sess); v.ok {
			t.Errorf("display %+v without x11-req", v.display)
		}
	})
	t.Run("protocol name unsafe for xauth", func(t *testing.T) {
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		for _, proto := range []string{"MIT-MAGIC-COOKIE-1\nadd evil", "MIT MAGIC", ""} {
			bad := ssh.Marshal(&x11Req{false, proto, testCookie, 0})
			if ok, err := sess.SendRequest("x11-req", true, bad); ok || err != nil {
				t.Errorf("x11-req with protocol %q: %v, %v", proto, ok, err)
			}
		}
		if v := run(t, sess); v.ok {
			t.Errorf("display %+v", v.display)
		}
	})
	t.Run("no hook", func(t *testing.T) {
		addr := alice.Start(t, &server.Server{Handler: handler})
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if send(t, sess) {
			t.Error("x11-req accepted without X11Request")
		}
		run(t, sess)
	})
}
