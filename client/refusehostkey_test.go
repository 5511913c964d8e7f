package client_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// TestRefuseHostKey: Config.RefuseHostKey sees the proved host key
// before HostKeyCallback and before known_hosts (so before any
// AskHostKey prompt), its error ends Dial and is usable with errors.Is,
// and a nil answer leaves the ordinary verification in charge.
func TestRefuseHostKey(t *testing.T) {
	s := startXServer(t)
	errNo := errors.New("refused by test")
	auth := []userauth.Method{&userauth.Password{Get: func(context.Context) (string, error) { return "secret", nil }}}
	dial := func(cfg *client.Config) (*client.Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cfg.User, cfg.Auth = "a", auth
		return client.Dial(ctx, "tcp", s.addr, cfg)
	}

	called := false
	_, err := dial(&client.Config{
		RefuseHostKey:   func(hostkey.PublicKey) error { return errNo },
		HostKeyCallback: func(string, net.Addr, hostkey.PublicKey) error { called = true; return nil },
	})
	if !errors.Is(err, errNo) || called {
		t.Fatalf("refused key: err %v, HostKeyCallback called %v", err, called)
	}

	asked := false
	_, err = dial(&client.Config{
		RefuseHostKey:         func(hostkey.PublicKey) error { return errNo },
		StrictHostKeyChecking: client.StrictAsk,
		UserKnownHostsFiles:   []string{filepath.Join(t.TempDir(), "known_hosts")},
		GlobalKnownHostsFiles: []string{},
		AskHostKey:            func(string, hostkey.PublicKey) bool { asked = true; return true },
	})
	if !errors.Is(err, errNo) || asked {
		t.Fatalf("refused key with known_hosts: err %v, asked %v", err, asked)
	}

	var seen hostkey.PublicKey
	c, err := dial(&client.Config{
		RefuseHostKey:   func(k hostkey.PublicKey) error { seen = k; return nil },
		HostKeyCallback: func(string, net.Addr, hostkey.PublicKey) error { called = true; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !called || seen == nil || !hostkey.Equal(seen, c.HostKey()) {
		t.Fatalf("accepted key: HostKeyCallback called %v, RefuseHostKey saw %v", called, seen)
	}
}

// TestTrustHostKey: Config.TrustHostKey's true connects without a
// known_hosts entry under StrictYes and records nothing; false leaves
// known_hosts in charge (refused); RefuseHostKey still comes first.
func TestTrustHostKey(t *testing.T) {
	s := startXServer(t)
	errNo := errors.New("refused by test")
	auth := []userauth.Method{&userauth.Password{Get: func(context.Context) (string, error) { return "secret", nil }}}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	dial := func(trust bool, refuse error) (*client.Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return client.Dial(ctx, "tcp", s.addr, &client.Config{
			User: "a", Auth: auth,
			StrictHostKeyChecking: client.StrictYes,
			UserKnownHostsFiles:   []string{kh},
			GlobalKnownHostsFiles: []string{},
			RefuseHostKey:         func(hostkey.PublicKey) error { return refuse },
			TrustHostKey:          func(hostkey.PublicKey) bool { return trust },
		})
	}
	c, err := dial(true, nil)
	if err != nil {
		t.Fatalf("trusted key: %v", err)
	}
	c.Close()
	if _, err := os.Stat(kh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("trusted key recorded in known_hosts: %v", err)
	}
	if _, err := dial(false, nil); !errors.Is(err, client.ErrHostKeyRefused) {
		t.Errorf("untrusted unknown key: %v", err)
	}
	if _, err := dial(true, errNo); !errors.Is(err, errNo) {
		t.Errorf("refused and trusted key: %v", err)
	}
}
