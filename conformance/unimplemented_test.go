package conformance_test

// RFC 4253, Section 11.4 against gosshd and, for comparison, OpenSSH's
// sshd on the same steps: a message number nobody implements (150), sent
// before and after user authentication, is answered with
// SSH_MSG_UNIMPLEMENTED carrying its sequence number, and the connection
// goes on to authenticate and run a command.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// sendUnrecognized writes message 150 and reads until the UNIMPLEMENTED
// for it, skipping the messages a server may send unasked after
// authentication (hostkeys-00@openssh.com, IGNORE); it fails the test if
// the seq number is wrong or the connection ends.
func sendUnrecognized(t *testing.T, pc *packet.Conn, tr *kex.Transport) {
	t.Helper()
	seq := pc.WriteSeq()
	if err := tr.WritePacket([]byte{150, 'x'}); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := tr.ReadPacket()
		if err != nil {
			t.Fatalf("waiting for UNIMPLEMENTED: %v", err)
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgGlobalRequest, wire.MsgIgnore, wire.MsgDebug:
			continue
		case wire.MsgUnimplemented:
			m, err := wire.ParseUnimplemented(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.SeqNum != seq {
				t.Fatalf("UNIMPLEMENTED for seq %d, want %d", m.SeqNum, seq)
			}
			return
		}
		t.Fatalf("got %v, want UNIMPLEMENTED", wire.Describe(p, wire.ContextNone))
	}
}

// unimplementedSession runs the steps against addr as user with key.
func unimplementedSession(t *testing.T, addr string, hostPub []byte, userName string, key hostkey.Signer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ak, err := hostkey.ParseAuthorizedKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	pc := packet.NewConn(nc, nil)
	tr, err := kex.ClientHandshake(ctx, pc, &kex.Config{
		HostKeyAlgorithms: []string{hostkey.ED25519},
		HostKeyVerifier:   trustOnly(ak.Key.Marshal()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sendUnrecognized(t, pc, tr) // before SERVICE_REQUEST
	res, err := userauth.Authenticate(ctx, tr, &userauth.ClientConfig{User: userName, Sources: []userauth.Method{userauth.InMemoryPrivateKey(key)}})
	if err != nil || !res.Authenticated() {
		t.Fatalf("auth after an unrecognized message: %v %v", res, err)
	}
	sendUnrecognized(t, pc, tr) // after USERAUTH_SUCCESS
	c := connection.New(tr, nil)
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	defer func() { c.Close(); <-runErr }()
	ch, err := c.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Exec(ctx, "echo still here"); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(ch)
	if err != nil || string(out) != "still here\n" {
		t.Fatalf("exec: %q %v", out, err)
	}
}

func TestUnimplementedMessage(t *testing.T) {
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	authorized := hostkey.MarshalAuthorizedKey(k.PublicKey(), "")
	t.Run("gosshd", func(t *testing.T) {
		s := svStart(t, []string{"ed25519"})
		uaWrite(t, filepath.Join(s.dir, "root.keys"), authorized, 0o644)
		pub, err := os.ReadFile(s.hostKeys["ed25519"] + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		unimplementedSession(t, "127.0.0.1:"+s.port, pub, "root", k)
		if t.Failed() {
			t.Log(s.logText())
		}
	})
	t.Run("sshd", func(t *testing.T) {
		me, _ := user.Current()
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: authorized})
		unimplementedSession(t, srv.Addr, srv.HostPublicKey(t, "ed25519"), me.Username, k)
		if t.Failed() {
			t.Log(srv.Log())
		}
	})
}

// TestClientPing: our client's Ping gets a PONG from gosshd, which
// advertises ping@openssh.com; OpenSSH 9.2's sshd does not (ping came
// with OpenSSH 9.5), so Ping refuses to send (kex.ErrPingUnsupported)
// and the connection still runs a command.
func TestClientPing(t *testing.T) {
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	authorized := hostkey.MarshalAuthorizedKey(k.PublicKey(), "")
	ping := func(t *testing.T, addr, userName string, hostPub []byte, want error) {
		ak, err := hostkey.ParseAuthorizedKey(hostPub)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := dialOurs(ctx, t, addr, userName, ak.Key.Marshal(), k)
		for i := range 3 {
			if err := c.Ping(ctx, []byte{byte(i)}); !errors.Is(err, want) {
				t.Fatalf("Ping: %v, want %v", err, want)
			}
		}
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := s.Output(ctx, "echo after ping"); err != nil || string(out) != "after ping\n" {
			t.Fatalf("after Ping: %q %v", out, err)
		}
	}
	t.Run("gosshd", func(t *testing.T) {
		s := svStart(t, []string{"ed25519"})
		uaWrite(t, filepath.Join(s.dir, "root.keys"), authorized, 0o644)
		pub, err := os.ReadFile(s.hostKeys["ed25519"] + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		ping(t, "127.0.0.1:"+s.port, "root", pub, nil)
	})
	t.Run("sshd 9.2", func(t *testing.T) {
		me, _ := user.Current()
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: authorized})
		ping(t, srv.Addr, me.Username, srv.HostPublicKey(t, "ed25519"), kex.ErrPingUnsupported)
	})
}

// dialOurs connects our client to addr as userName with key, trusting
// only hostKey.
func dialOurs(ctx context.Context, t *testing.T, addr, userName string, hostKey []byte, key hostkey.Signer) *client.Client {
	t.Helper()
	c, err := client.Dial(ctx, "tcp", addr, &client.Config{User: userName, Auth: []userauth.Method{userauth.InMemoryPrivateKey(key)},
		HostKeyCallback: func(_ string, _ net.Addr, k hostkey.PublicKey) error {
			if !bytes.Equal(k.Marshal(), hostKey) {
				return errors.New("conformance: unexpected host key")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestBreakMatchesSSHD: our client's SendBreak (RFC 4335) on a session
// with a pty succeeds and on one without is refused, by gosshd as by
// sshd 9.2 (session_break_req: tcsendbreak on the pty master, failure
// without one); OpenSSH's ssh ~B escape reaches gosshd's pty.
func TestBreakMatchesSSHD(t *testing.T) {
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	authorized := hostkey.MarshalAuthorizedKey(k.PublicKey(), "")
	check := func(t *testing.T, addr, userName string, hostPub []byte) {
		ak, err := hostkey.ParseAuthorizedKey(hostPub)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := dialOurs(ctx, t, addr, userName, ak.Key.Marshal(), k)
		for _, withPty := range []bool{true, false} {
			s, err := c.NewSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if withPty {
				if err := s.RequestPty(ctx, "xterm", 24, 80, nil); err != nil {
					t.Fatal(err)
				}
			}
			in, err := s.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(ctx, "cat"); err != nil {
				t.Fatal(err)
			}
			err = s.SendBreak(ctx, 300)
			if withPty && err != nil {
				t.Errorf("break with a pty: %v", err)
			}
			if !withPty && !errors.Is(err, connection.ErrRequestDenied) {
				t.Errorf("break without a pty: %v, want ErrRequestDenied", err)
			}
			in.Close()
			s.Close()
		}
	}
	t.Run("gosshd", func(t *testing.T) {
		s := svStart(t, []string{"ed25519"})
		uaWrite(t, filepath.Join(s.dir, "root.keys"), authorized, 0o644)
		pub, err := os.ReadFile(s.hostKeys["ed25519"] + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		check(t, "127.0.0.1:"+s.port, "root", pub)
		// ssh's ~B: a break of 1000 ms, without want-reply.
		res := s.ssh(t, []byte("\n~B\n"), "root", "-tt", "127.0.0.1", "sleep 2")
		if res.ExitCode != 0 {
			t.Errorf("ssh ~B: exit %d: %s", res.ExitCode, res.Stderr)
		}
		if !strings.Contains(s.logText(), "session_break_req: break of 1000 ms requested") {
			t.Errorf("gosshd did not log the break:\n%s", s.logText())
		}
	})
	t.Run("sshd 9.2", func(t *testing.T) {
		me, _ := user.Current()
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: authorized})
		check(t, srv.Addr, me.Username, srv.HostPublicKey(t, "ed25519"))
	})
}

// unimplSpy records the sequence numbers of the UNIMPLEMENTED messages
// that pass up through it and passes everything on.
type unimplSpy struct {
	wire.Transport
	got chan<- uint32
}

func (s *unimplSpy) ReadPacket() ([]byte, error) {
	p, err := s.Transport.ReadPacket()
	if err == nil && wire.MsgNum(p[0]) == wire.MsgUnimplemented {
		if m, err := wire.ParseUnimplemented(p); err == nil {
			s.got <- m.SeqNum
		}
	}
	return p, err
}

// TestClientUnimplemented: our client facade, against a server built
// from our layers that sends message 150 right after key exchange and
// right after USERAUTH_SUCCESS, answers each with UNIMPLEMENTED carrying
// its sequence number and then runs a command on the same connection.
func TestClientUnimplemented(t *testing.T) {
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	uk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	ln := servertest.Listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent, got := make(chan uint32, 4), make(chan uint32, 4)
	srvDone := make(chan error, 1)
	go func() {
		srvDone <- func() error {
			nc, err := ln.Accept()
			if err != nil {
				return err
			}
			defer nc.Close()
			pc := packet.NewConn(nc, &packet.Config{Server: true})
			tr, err := kex.ServerHandshake(ctx, pc, &kex.Config{HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)}})
			if err != nil {
				return err
			}
			defer tr.Close()
			spy := &unimplSpy{Transport: tr, got: got}
			send150 := func() error { sent <- pc.WriteSeq(); return tr.WritePacket([]byte{150, 'x'}) }
			if err := send150(); err != nil {
				return err
			}
			_, err = userauth.Serve(ctx, spy, &userauth.ServerConfig{
				PublicKeyCallback: func(_ context.Context, _ userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
					if !bytes.Equal(k.Marshal(), uk.PublicKey().Marshal()) {
						return nil, errors.New("conformance: unknown key")
					}
					return &userauth.Permissions{}, nil
				}}, userauth.ConnInfo{RemoteAddr: nc.RemoteAddr(), HostKey: tr.HostKey()})
			if err != nil {
				return err
			}
			if err := send150(); err != nil {
				return err
			}
			mux := connection.New(spy, &connection.Config{ChannelTypes: []string{wire.ChannelTypeSession}})
			runErr := make(chan error, 1)
			go func() { runErr <- mux.Run(ctx) }()
			defer func() { mux.Close(); <-runErr }() // Run's result is read here only
			nch, err := mux.Accept(ctx)
			if err != nil {
				return err
			}
			done := make(chan struct{})
			_, err = nch.Accept(func(ch *connection.Channel, req *connection.Request) bool {
				if req.Type != wire.RequestExec {
					return false
				}
				go func() {
					defer close(done)
					io.WriteString(ch, "ok\n")
					ch.SendExitStatus(ctx, 0)
					ch.Close()
				}()
				return true
			})
			if err != nil {
				return err
			}
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}()
	}()
	c := dialOurs(ctx, t, ln.Addr().String(), "alice", hk.PublicKey().Marshal(), uk)
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.Output(ctx, "anything"); err != nil || string(out) != "ok\n" {
		t.Fatalf("exec after the unrecognized messages: %q %v", out, err)
	}
	for i, when := range []string{"before authentication", "after authentication"} {
		want := <-sent
		select {
		case seq := <-got:
			if seq != want {
				t.Errorf("%s: UNIMPLEMENTED for seq %d, want %d", when, seq, want)
			}
		case <-ctx.Done():
			t.Fatalf("%s (%d): no UNIMPLEMENTED from the client", when, i)
		}
	}
	c.Close()
	if err := <-srvDone; err != nil {
		t.Logf("server: %v", err)
	}
}
