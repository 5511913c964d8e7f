package userauth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// splitPackets cuts fuzz input into payloads: each is one length byte
// followed by that many bytes (the last may be short).
func splitPackets(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < 512 {
		n := int(b[0])
		b = b[1:]
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinPackets(ps ...[]byte) []byte {
	var out []byte
	for _, p := range ps {
		if len(p) > 255 {
			p = p[:255]
		}
		out = append(out, byte(len(p)))
		out = append(out, p...)
	}
	return out
}

// fuzzKey is the one key the fuzz server accepts; short keys keep the
// seeds under the 255-byte packet limit of splitPackets.
var fuzzKey = keyEd25519()

// fuzzServerConfig enables every built-in method plus a multi-round
// Handler, so fuzzed payloads reach every branch.
func fuzzServerConfig() *userauth.ServerConfig {
	scfg := &userauth.ServerConfig{FailureDelay: -1}
	scfg.AuthenticationMethods = [][]string{{"password", "keyboard-interactive"}, {"x-rounds@example.com"}, {"none"}, {"publickey"}, {"hostbased"}}
	scfg.NoneCallback = func(_ context.Context, m userauth.ConnMeta) (*userauth.Permissions, error) {
		if m.User == "guest" {
			return nil, nil
		}
		return nil, errors.New("no")
	}
	scfg.PasswordCallback = func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
		switch pw {
		case "pw":
			return &userauth.Permissions{ForceCommand: "a"}, nil
		case "old":
			return nil, &userauth.ChangePasswordError{Prompt: "new"}
		}
		return nil, errors.New("no")
	}
	scfg.ChangePasswordCallback = func(context.Context, userauth.ConnMeta, string, string) (*userauth.Permissions, error) {
		return nil, nil
	}
	scfg.KeyboardInteractiveCallback = otpCallback("42")
	scfg.PublicKeyCallback = func(_ context.Context, _ userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
		if hostkey.Equal(key, fuzzKey.PublicKey()) {
			return nil, nil
		}
		return nil, errors.New("no")
	}
	scfg.CertChecker = certChecker()
	scfg.HostbasedCallback = func(context.Context, userauth.ConnMeta, string, string, hostkey.PublicKey) (*userauth.Permissions, error) {
		return nil, errors.New("no")
	}
	scfg.Handlers = map[string]userauth.Handler{
		"x-rounds@example.com": userauth.HandlerFunc(func(ctx context.Context, c *userauth.ServerConn, _ *wire.UserauthRequest) (*userauth.Permissions, error) {
			for i := 0; i < 3; i++ {
				if err := c.Write(&wire.UserauthGSSAPIToken{Token: []byte{byte(i)}}); err != nil {
					return nil, err
				}
				p, err := c.Next(ctx)
				if err != nil {
					return nil, err
				}
				if len(p) < 2 || p[1] != byte(i) {
					return nil, errors.New("bad token")
				}
			}
			return nil, nil
		}),
	}
	return scfg
}

// FuzzServe feeds arbitrary payloads into the server's authentication
// loop: it must not panic, must return once the input ends, and must
// only succeed through a completed chain.
func FuzzServe(f *testing.F) {
	svc := (&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil)
	req := func(m *wire.UserauthRequest) []byte {
		m.User, m.Service = "alice", wire.ServiceConnection
		return m.Append(nil)
	}
	f.Add(joinPackets(svc, req(&wire.UserauthRequest{Method: "none"})))
	f.Add(joinPackets(svc, req(&wire.UserauthRequest{Method: "password", Password: "pw"}),
		req(&wire.UserauthRequest{Method: "keyboard-interactive"}),
		(&wire.UserauthInfoResponse{}).Append(nil),
		(&wire.UserauthInfoResponse{Responses: []string{"42"}}).Append(nil)))
	f.Add(joinPackets(svc, req(&wire.UserauthRequest{Method: "password", Password: "old"}),
		req(&wire.UserauthRequest{Method: "password", ChangePassword: true, Password: "old", NewPassword: "n"})))
	f.Add(joinPackets(svc, req(&wire.UserauthRequest{Method: "x-rounds@example.com"}),
		[]byte{61, 0}, []byte{61, 1}, []byte{61, 2}))
	f.Add(joinPackets(svc, []byte{52}, []byte{90, 0, 0, 0, 0}))
	f.Add(joinPackets(svc, signedRequest(f, fuzzKey, hostkey.ED25519, testSessionID, "alice", wire.ServiceConnection)))
	f.Add(joinPackets(svc, req(&wire.UserauthRequest{Method: "publickey", Algorithm: hostkey.ED25519, PublicKey: fuzzKey.PublicKey().Marshal()})))
	f.Add(joinPackets(svc, req(&wire.UserauthRequest{Method: "publickey", Algorithm: "ssh-ed25519", PublicKey: []byte("k")})))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := splitPackets(b)
		a, s := wirePipe()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		wg.Go(func() { // drain what the server writes
			for {
				if _, err := a.ReadPacket(); err != nil {
					return
				}
			}
		})
		wg.Go(func() {
			for _, p := range ps {
				if a.WritePacket(p) != nil {
					break
				}
			}
			a.Close()
		})
		res, err := userauth.Serve(ctx, s, fuzzServerConfig(), userauth.ConnInfo{RemoteAddr: testRemote, HostKey: testHostKey})
		s.Close()
		wg.Wait()
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("Serve hung")
		}
		if err == nil {
			ok := slices.Equal(res.Methods, []string{"password", "keyboard-interactive"}) ||
				slices.Equal(res.Methods, []string{"publickey"}) && len(res.Keys) == 1 ||
				slices.Equal(res.Methods, []string{"x-rounds@example.com"}) ||
				slices.Equal(res.Methods, []string{"none"}) && res.User == "guest"
			if !ok {
				t.Fatalf("authenticated by %v as %q", res.Methods, res.User)
			}
		}
	})
}

// FuzzAuthenticate feeds arbitrary server payloads to the client engine:
// no panic, no hang, and success only after a USERAUTH_SUCCESS.
func FuzzAuthenticate(f *testing.F) {
	accept := (&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil)
	f.Add(joinPackets(accept, (&wire.UserauthSuccess{}).Append(nil)))
	f.Add(joinPackets(accept, (&wire.UserauthBanner{Message: "hi"}).Append(nil),
		(&wire.UserauthFailure{Methods: []string{"password", "keyboard-interactive"}}).Append(nil),
		(&wire.UserauthPasswdChangeReq{Prompt: "p"}).Append(nil),
		(&wire.UserauthInfoRequest{Prompts: []wire.Prompt{{Text: "x"}}}).Append(nil),
		(&wire.UserauthSuccess{}).Append(nil)))
	f.Add(joinPackets(accept, (&wire.UserauthFailure{Methods: []string{"password"}, PartialSuccess: true}).Append(nil)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := splitPackets(b)
		a, s := wirePipe()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				if _, err := s.ReadPacket(); err != nil {
					return
				}
			}
		})
		wg.Go(func() {
			for _, p := range ps {
				if s.WritePacket(p) != nil {
					break
				}
			}
			s.Close()
		})
		pw := userauth.StaticPassword("pw")
		pw.Change = func(context.Context, string) (string, error) { return "new", nil }
		res, err := userauth.Authenticate(ctx, a, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
			userauth.NoneAuth{}, pw, &userauth.KeyboardInteractive{Respond: answer("a")}, userauth.StaticPassword("x"),
		}, Banner: func(string, string) {}})
		a.Close()
		wg.Wait()
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("Authenticate hung")
		}
		if err == nil {
			found := false
			for _, p := range ps {
				found = found || (len(p) == 1 && p[0] == byte(wire.MsgUserauthSuccess))
			}
			if !found || !res.Authenticated() {
				t.Fatalf("authenticated without a USERAUTH_SUCCESS: %v", res)
			}
		}
	})
}

// FuzzParseAuthenticationMethods: parse, join, parse again gives the same
// chains.
func FuzzParseAuthenticationMethods(f *testing.F) {
	f.Add("publickey,password publickey,keyboard-interactive")
	f.Add("any")
	f.Add("password")
	f.Fuzz(func(t *testing.T, s string) {
		c1, err := userauth.ParseAuthenticationMethods(s)
		if err != nil || c1 == nil {
			return
		}
		var parts []string
		for _, l := range c1 {
			parts = append(parts, strings.Join(l, ","))
		}
		c2, err := userauth.ParseAuthenticationMethods(strings.Join(parts, " "))
		if err != nil || !slices.EqualFunc(c1, c2, slices.Equal) {
			t.Fatalf("round trip %q: %v -> %v, %v", s, c1, c2, err)
		}
	})
}
