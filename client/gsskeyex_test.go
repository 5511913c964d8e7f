package client_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGSSKeyexSkippedSaysWhy asks for GSS-API key exchange from a server
// that has none (x/crypto/ssh): the connection goes on with an ordinary
// key exchange, and the debug log says that gssapi-keyex was skipped
// because the key exchange was not a GSS-API one, instead of calling the
// method unsupported.
func TestGSSKeyexSkippedSaysWhy(t *testing.T) {
	s := startXServer(t)
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "tcp", s.addr, &client.Config{
		User: "a",
		Auth: []userauth.Method{&userauth.Password{Get: func(context.Context) (string, error) { return "secret", nil }}},
		HostKeyCallback: func(string, net.Addr, hostkey.PublicKey) error {
			return nil
		},
		GSSAPI: &client.GSSAPI{KeyExchange: true},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if k := c.Algorithms().Kex; strings.HasPrefix(k, "gss-") {
		t.Fatalf("kex %s: x/crypto/ssh has no GSS-API key exchange", k)
	}
	if !strings.Contains(logs.String(), "gssapi-keyex skipped: the key exchange was not a GSS-API one") {
		t.Fatalf("log does not say why gssapi-keyex was skipped:\n%s", logs.String())
	}
}
