package x11_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/x11"
	"github.com/sshstack/sshstack/userauth"
)

// A server with sshd's X11Forwarding yes: the session handler finds the
// display the client's x11-req opened, as sshd puts it in DISPLAY and
// in the user's Xauthority. The client here is x/crypto/ssh.
func ExampleForwarding_Request() {
	hk, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{
			PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
				if m.User != "alice" || pw != "pw" {
					return nil, server.ErrInvalidUser
				}
				return nil, nil
			},
		},
		X11Request: (&x11.Forwarding{}).Request,
		Handler: func(ctx context.Context, s *server.Session) {
			if d, ok := x11.DisplayOf(s); ok {
				fmt.Fprintf(s, "DISPLAY on localhost: %v, cookie %s\n", strings.HasPrefix(d.Display, "localhost:"), d.AuthCookie)
			}
			s.Exit(0)
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	defer func() { srv.Close(); <-done }()

	c, err := ssh.Dial("tcp", l.Addr().String(), &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.Password("pw")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // known_hosts in real use
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		panic(err)
	}
	defer sess.Close()
	req := struct {
		Single        bool
		Proto, Cookie string
		Screen        uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00112233445566778899aabbccddeeff", 0}
	if ok, err := sess.SendRequest("x11-req", true, ssh.Marshal(&req)); !ok || err != nil {
		panic("x11-req refused")
	}
	out, err := sess.Output("xterm")
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output: DISPLAY on localhost: true, cookie 00112233445566778899aabbccddeeff
}
