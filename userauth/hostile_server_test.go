package userauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// fakeServer answers the service request and then, for each client
// request, the scripted payloads of script (one slice per request).
func fakeServer(t *testing.T, script [][][]byte, sources ...userauth.Method) (*userauth.AuthResult, error) {
	t.Helper()
	a, b := wirePipe()
	defer a.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer b.Close()
		if _, err := b.ReadPacket(); err != nil {
			return
		}
		b.WritePacket((&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil))
		for _, answers := range script {
			if _, err := b.ReadPacket(); err != nil {
				return
			}
			for _, p := range answers {
				if b.WritePacket(p) != nil {
					return
				}
			}
		}
		for {
			if _, err := b.ReadPacket(); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := userauth.Authenticate(ctx, a, &userauth.ClientConfig{User: "alice", Sources: sources})
	a.Close()
	<-done
	return res, err
}

// TestClientHostileServer: a client is authenticated only by a
// USERAUTH_SUCCESS answering its own request, and a server message that
// does not fit the phase ends authentication with a protocol error
// (docs/security.md#h3, #p9).
func TestClientHostileServer(t *testing.T) {
	success := (&wire.UserauthSuccess{}).Append(nil)
	failure := (&wire.UserauthFailure{Methods: []string{"password"}}).Append(nil)
	ext := (&wire.ExtInfo{Extensions: []wire.Extension{{Name: wire.ExtServerSigAlgs, Value: []byte("ssh-ed25519")}}}).Append(nil)
	for _, tt := range []struct {
		name   string
		script [][][]byte
	}{
		{"method-specific to none", [][][]byte{{{60, 0, 0, 0, 0}}}},
		{"CHANNEL_OPEN", [][][]byte{{(&wire.ChannelOpen{Type: "session"}).Append(nil)}}},
		{"GLOBAL_REQUEST", [][][]byte{{(&wire.GlobalRequest{Name: "x"}).Append(nil)}}},
		{"SERVICE_ACCEPT again", [][][]byte{{(&wire.ServiceAccept{Service: wire.ServiceConnection}).Append(nil)}}},
		{"EXT_INFO then FAILURE", [][][]byte{{ext, failure}}},
		{"two EXT_INFO", [][][]byte{{ext, ext, success}}},
		{"malformed FAILURE", [][][]byte{{{51, 0, 0}}}},
		{"SUCCESS with trailing data", [][][]byte{{{52, 0}}}},
		{"USERAUTH_REQUEST from server", [][][]byte{{passwordReq("a", "b").Append(nil)}}},
		{"KEXINIT", [][][]byte{{{20}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := fakeServer(t, tt.script, userauth.NoneAuth{}, userauth.StaticPassword("pw"))
			if err == nil || res.Authenticated() {
				t.Fatalf("authenticated: %v", res)
			}
			if !errors.Is(err, wire.ErrUnexpectedMessage) && !errors.Is(err, wire.ErrTruncated) && !errors.Is(err, wire.ErrTrailingData) {
				t.Errorf("err = %v, want a protocol error", err)
			}
		})
	}
	t.Run("EXT_INFO before SUCCESS", func(t *testing.T) {
		res, err := fakeServer(t, [][][]byte{{ext, success}}, userauth.NoneAuth{})
		if err != nil || !res.Authenticated() || res.ExtInfo == nil {
			t.Fatalf("res %v, err %v", res, err)
		}
	})
	t.Run("remote DISCONNECT", func(t *testing.T) {
		disc := (&wire.Disconnect{Reason: wire.ByApplication, Description: "bye"}).Append(nil)
		_, err := fakeServer(t, [][][]byte{{disc}}, userauth.NoneAuth{})
		var d *wire.DisconnectError
		if !errors.As(err, &d) || !d.Remote || d.Reason != wire.ByApplication {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("endless INFO_REQUEST", func(t *testing.T) {
		info := (&wire.UserauthInfoRequest{Instruction: "again"}).Append(nil)
		var script [][][]byte
		script = append(script, [][]byte{info})
		for i := 0; i < 100; i++ {
			script = append(script, [][]byte{info})
		}
		rounds := 0
		_, err := fakeServer(t, script, &userauth.KeyboardInteractive{Respond: func(context.Context, userauth.Challenge) ([]string, error) {
			rounds++
			return nil, nil
		}})
		if err == nil || rounds > 64 {
			t.Fatalf("err %v after %d rounds", err, rounds)
		}
	})
}

// TestSuccessOnlyForOwnRequest: a method that returns without sending a
// request cannot be authenticated by a SUCCESS the server pushes.
func TestSuccessOnlyForOwnRequest(t *testing.T) {
	silent := methodFunc{name: "password", fn: func(ctx context.Context, c *userauth.ClientConn) error {
		_, err := c.Next(ctx) // no request outstanding
		return err
	}}
	res, err := fakeServer(t, nil, silent)
	if err == nil || res.Authenticated() {
		t.Fatalf("authenticated: %v", res)
	}
}

// methodFunc is a Method made of a function, for tests.
type methodFunc struct {
	name string
	fn   func(ctx context.Context, c *userauth.ClientConn) error
}

func (m methodFunc) Name() string { return m.name }
func (m methodFunc) Authenticate(ctx context.Context, c *userauth.ClientConn) error {
	return m.fn(ctx, c)
}
