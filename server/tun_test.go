package server_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// fakeTun is a TunDevice the test feeds and reads.
type fakeTun struct {
	in, out chan []byte
	once    sync.Once
	done    chan struct{}
}

func newFakeTun() *fakeTun {
	return &fakeTun{in: make(chan []byte, 4), out: make(chan []byte, 4), done: make(chan struct{})}
}

func (d *fakeTun) Name() string { return "faketun0" }
func (d *fakeTun) Read(p []byte) (int, error) {
	select {
	case b := <-d.in:
		return copy(p, b), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}
func (d *fakeTun) Write(p []byte) (int, error) {
	select {
	case d.out <- bytes.Clone(p):
		return len(p), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}
func (d *fakeTun) Close() error { d.once.Do(func() { close(d.done) }); return nil }

// TestTunnel: a tun@openssh.com channel reaches the Tunnel hook with the
// unit asked for (or the one authorized_keys tunnel= forces), relays
// packets in OpenSSH's point-to-point framing, and names the device in
// SSH_TUNNEL; without a hook, or for another unit than the forced one,
// the open is refused as sshd refuses it.
func TestTunnel(t *testing.T) {
	tunOpen := func(mode, unit uint32) []byte { return (&wire.TunOpen{Mode: mode, Unit: unit}).Append(nil) }
	t.Run("refused without a hook", func(t *testing.T) {
		addr := alice.Start(t, &server.Server{Handler: echoHandler})
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		_, _, err := c.OpenChannel(wire.ChannelTypeTun, tunOpen(wire.TunModePointToPoint, wire.TunUnitAny))
		var oe *ssh.OpenChannelError
		if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
			t.Fatalf("open: %v, want administratively prohibited", err)
		}
	})
	t.Run("relay", func(t *testing.T) {
		dev := newFakeTun()
		units := make(chan uint32, 1)
		addr := alice.Start(t, &server.Server{Handler: echoHandler, Tunnel: func(_ *server.Conn, to wire.TunOpen) (server.TunDevice, error) {
			units <- to.Unit
			return dev, nil
		}})
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		ch, reqs, err := c.OpenChannel(wire.ChannelTypeTun, tunOpen(wire.TunModePointToPoint, 5))
		if err != nil {
			t.Fatal(err)
		}
		go ssh.DiscardRequests(reqs)
		if u := <-units; u != 5 {
			t.Errorf("hook got unit %d, want 5", u)
		}
		pkt := append([]byte{0x45}, make([]byte, 27)...)
		ch.Write(append([]byte{0, 0, 0, 2}, pkt...))
		if got := <-dev.out; !bytes.Equal(got, pkt) {
			t.Errorf("device got %x, want %x", got, pkt)
		}
		dev.in <- pkt
		buf := make([]byte, 64)
		n, err := ch.Read(buf)
		if want := append([]byte{0, 0, 0, 2}, pkt...); err != nil || !bytes.Equal(buf[:n], want) {
			t.Errorf("client got %x, %v; want %x", buf[:n], err, want)
		}
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if out, err := sess.Output("env"); err != nil || !bytes.Contains(out, []byte("SSH_TUNNEL=faketun0")) {
			t.Errorf("env: %q, %v; want SSH_TUNNEL=faketun0", out, err)
		}
		ch.Close()
		<-dev.done // the relay ends with the channel and closes the device
	})
	t.Run("forced unit", func(t *testing.T) {
		auth := alice.Policy()
		pk := auth.PublicKeyCallback
		auth.PublicKeyCallback = func(ctx context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
			if _, err := pk(ctx, m, k); err != nil {
				return nil, err
			}
			return &userauth.Permissions{Extensions: map[string]string{server.ExtTunnel: "3"}}, nil
		}
		units := make(chan uint32, 2)
		addr := alice.Start(t, &server.Server{Auth: auth, Tunnel: func(_ *server.Conn, to wire.TunOpen) (server.TunDevice, error) {
			units <- to.Unit
			return newFakeTun(), nil
		}})
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		if _, _, err := c.OpenChannel(wire.ChannelTypeTun, tunOpen(wire.TunModeEthernet, 4)); err == nil {
			t.Error("unit 4 accepted though the key forces 3")
		}
		ch, reqs, err := c.OpenChannel(wire.ChannelTypeTun, tunOpen(wire.TunModeEthernet, wire.TunUnitAny))
		if err != nil {
			t.Fatal(err)
		}
		go ssh.DiscardRequests(reqs)
		if u := <-units; u != 3 {
			t.Errorf("hook got unit %d, want the forced 3", u)
		}
		ch.Close()
	})
	t.Run("TunnelDevices refuses other modes", func(t *testing.T) {
		addr := alice.Start(t, &server.Server{Tunnel: server.TunnelDevices(wire.TunModeEthernet)})
		c := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
		if _, _, err := c.OpenChannel(wire.ChannelTypeTun, tunOpen(wire.TunModePointToPoint, wire.TunUnitAny)); err == nil {
			t.Error("point-to-point accepted under ethernet only")
		}
	})
}
