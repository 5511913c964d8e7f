package userauth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// TestPluginProtocolErrors: a Method or Handler outside the package ends
// the connection on a bad method-specific message as the built-in ones
// do: ClientConn.Fail and Unexpected, ServerConn.Unexpected send
// DISCONNECT PROTOCOL_ERROR and return an error that wraps the cause.
func TestPluginProtocolErrors(t *testing.T) {
	const method = "x-test@example.com"
	errBad := errors.New("bad token")
	// The server answers the request with one INFO_REQUEST (60), then
	// waits for the client's next message.
	handler := func(unexpected bool) userauth.Handler {
		return userauth.HandlerFunc(func(ctx context.Context, c *userauth.ServerConn, req *wire.UserauthRequest) (*userauth.Permissions, error) {
			if err := c.Write(&wire.UserauthInfoRequest{}); err != nil {
				return nil, err
			}
			p, err := c.Next(ctx)
			if err != nil {
				return nil, err
			}
			if unexpected {
				return nil, c.Unexpected(p)
			}
			return nil, errors.New("not reached")
		})
	}
	client := func(end func(c *userauth.ClientConn, p []byte) error) userauth.Method {
		return methodFunc{name: method, fn: func(ctx context.Context, c *userauth.ClientConn) error {
			if err := c.Request(&wire.UserauthRequest{Method: method}); err != nil {
				return err
			}
			p, err := c.Next(ctx)
			if err != nil {
				return err
			}
			if end != nil {
				return end(c, p)
			}
			if err := c.Write(&wire.UserauthInfoResponse{}); err != nil {
				return err
			}
			_, err = c.Next(ctx) // the server's DISCONNECT
			return err
		}}
	}
	for _, tt := range []struct {
		name       string
		end        func(c *userauth.ClientConn, p []byte) error
		unexpected bool
		cause      error // what the ending side's error wraps
		clientEnds bool
	}{
		{"client Fail", func(c *userauth.ClientConn, p []byte) error { return c.Fail(errBad) }, false, errBad, true},
		{"client Unexpected", func(c *userauth.ClientConn, p []byte) error { return c.Unexpected(p) }, false, wire.ErrUnexpectedMessage, true},
		{"server Unexpected", nil, true, wire.ErrUnexpectedMessage, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scfg := fastServer()
			scfg.Handlers = map[string]userauth.Handler{method: handler(tt.unexpected)}
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{client(tt.end)}}, scfg)
			ending, other := o.cerr, o.serr
			if !tt.clientEnds {
				ending, other = o.serr, o.cerr
			}
			var d *wire.DisconnectError
			if !errors.Is(ending, tt.cause) || !errors.As(ending, &d) || d.Reason != wire.ProtocolError {
				t.Errorf("ending side: %v, want %v and DISCONNECT PROTOCOL_ERROR", ending, tt.cause)
			}
			if !errors.As(other, &d) || d.Reason != wire.ProtocolError || !d.Remote {
				t.Errorf("other side: %v, want the peer's DISCONNECT PROTOCOL_ERROR", other)
			}
		})
	}
}
