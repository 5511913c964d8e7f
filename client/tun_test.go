package client_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/connection/tun"
	"github.com/sshstack/sshstack/server/xsshtest"
	"github.com/sshstack/sshstack/wire"
)

// pktDev is a device the test feeds and reads.
type pktDev struct {
	in, out chan []byte
	once    sync.Once
	done    chan struct{}
}

func (d *pktDev) Read(p []byte) (int, error) {
	select {
	case b := <-d.in:
		return copy(p, b), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}

func (d *pktDev) Write(p []byte) (int, error) {
	select {
	case d.out <- bytes.Clone(p):
		return len(p), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}

func (d *pktDev) Close() error { d.once.Do(func() { close(d.done) }); return nil }

// TestForwardTun: ForwardTun opens tun@openssh.com with the mode and the
// remote unit, sends the device's packets behind OpenSSH's address
// family header and writes what comes back to the device without it; an
// x/crypto/ssh server echoes the channel. OpenTun refuses a bad mode.
func TestForwardTun(t *testing.T) {
	opened := make(chan wire.TunOpen, 1)
	echoTun := func(_ *ssh.ServerConn, nch ssh.NewChannel) {
		to, err := wire.ParseTunOpen(nch.ExtraData())
		if err != nil {
			nch.Reject(ssh.ConnectionFailed, "bad data")
			return
		}
		opened <- to
		ch, reqs, err := nch.Accept()
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs)
		defer ch.Close()
		buf := make([]byte, 2048)
		for {
			n, err := ch.Read(buf)
			if err != nil {
				return
			}
			ch.Write(buf[:n])
		}
	}
	srv := xsshtest.Start(t, xsshtest.Options{Config: &ssh.ServerConfig{NoClientAuth: true},
		Handle: xsshtest.Channels(map[string]xsshtest.ChannelHandler{wire.ChannelTypeTun: echoTun})})
	cfg := &client.Config{User: "alice", UserKnownHostsFiles: []string{srv.KnownHosts(t)}, GlobalKnownHostsFiles: []string{}}
	c, err := client.Dial(context.Background(), "tcp", srv.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.OpenTun(context.Background(), wire.TunOpen{Mode: 9}); !errors.Is(err, tun.ErrBadMode) {
		t.Errorf("mode 9: %v, want ErrBadMode", err)
	}
	dev := &pktDev{in: make(chan []byte, 1), out: make(chan []byte, 1), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.ForwardTun(ctx, dev, wire.TunModePointToPoint, 5) }()
	if to := <-opened; to.Mode != wire.TunModePointToPoint || to.Unit != 5 {
		t.Errorf("server got %+v", to)
	}
	pkt := append([]byte{0x60}, make([]byte, 47)...) // an IPv6 header
	dev.in <- pkt
	select {
	case got := <-dev.out:
		if !bytes.Equal(got, pkt) {
			t.Errorf("echoed %x, want %x", got, pkt)
		}
	case <-ctx.Done():
		t.Fatal("nothing came back")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ForwardTun: %v", err)
	}
}
