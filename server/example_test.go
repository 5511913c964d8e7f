package server_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
)

// A server that lets one key in as alice and answers every command with
// its name, exit status 0; Ctrl-C style shutdown gives live connections
// ten seconds.
func Example() {
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		panic(err)
	}
	authorized := userKey.PublicKey() // e.g. from hostkey.ParseAuthorizedKeys
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hk},
		Auth: &userauth.ServerConfig{
			PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
				if m.User != "alice" {
					return nil, server.ErrInvalidUser
				}
				if !hostkey.Equal(k, authorized) {
					return nil, errors.New("key not authorized")
				}
				return nil, nil
			},
		},
		Handler: func(ctx context.Context, s *server.Session) {
			fmt.Fprintf(s, "you asked for %q\n", s.Command())
			io.WriteString(s.Stderr(), "done\n")
			s.Exit(0)
		},
		PermitOpen: func(_ *server.Conn, host string, port uint32) bool { return host == "localhost" },
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()

	// ... later:
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	cancel()
	fmt.Println(errors.Is(<-done, server.ErrServerClosed))
	// Output: true
}
