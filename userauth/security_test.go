package userauth_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// spyServer returns a config whose every callback records that it ran
// and accepts everything, so a test can assert that none ran.
func spyServer(ran *[]string) *userauth.ServerConfig {
	scfg := fastServer()
	scfg.NoneCallback = func(context.Context, userauth.ConnMeta) (*userauth.Permissions, error) {
		*ran = append(*ran, "none")
		return nil, errors.New("no")
	}
	scfg.PasswordCallback = func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) {
		*ran = append(*ran, "password")
		return nil, nil
	}
	scfg.KeyboardInteractiveCallback = func(ctx context.Context, _ userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		*ran = append(*ran, "keyboard-interactive")
		if _, err := ask(ctx, userauth.Challenge{Prompts: []wire.Prompt{{Text: "p"}}}); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return scfg
}

// TestA1ClientSentServerMessages: USERAUTH_SUCCESS, FAILURE, BANNER and
// PK_OK sent by a client never authenticate it: DISCONNECT
// PROTOCOL_ERROR and an error, whether sent before any request or in the
// middle of a keyboard-interactive conversation (docs/security.md#a1).
func TestA1ClientSentServerMessages(t *testing.T) {
	msgs := map[string][]byte{
		"SUCCESS": (&wire.UserauthSuccess{}).Append(nil),
		"FAILURE": (&wire.UserauthFailure{Methods: []string{"password"}, PartialSuccess: true}).Append(nil),
		"BANNER":  (&wire.UserauthBanner{Message: "hi"}).Append(nil),
		"PK_OK":   (&wire.UserauthPKOK{Algorithm: "ssh-ed25519", PublicKey: []byte("k")}).Append(nil),
	}
	for name, p := range msgs {
		for _, when := range []string{"before request", "during keyboard-interactive"} {
			t.Run(name+"/"+when, func(t *testing.T) {
				var ran []string
				rc := startServer(t, spyServer(&ran))
				rc.ServiceOK()
				if when != "before request" {
					rc.Send(&wire.UserauthRequest{User: "u", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive})
					if p := rc.Recv(); len(p) == 0 || wire.MsgNum(p[0]) != wire.MsgUserauthInfoRequest {
						t.Fatalf("want INFO_REQUEST, got %x", p)
					}
				}
				rc.SendRaw(p)
				if r := rc.ExpectDisconnect(); r != wire.ProtocolError {
					t.Errorf("DISCONNECT reason %v, want PROTOCOL_ERROR", r)
				}
				res, err := rc.Wait()
				if res != nil || !errors.Is(err, wire.ErrUnexpectedMessage) {
					t.Fatalf("Serve = %v, %v; want an unexpected-message error", res, err)
				}
			})
		}
	}
}

// TestA2NoConnectionLayerBeforeAuth sends every message number that is
// not a USERAUTH_REQUEST or a transport-generic message, in three phases
// before success. Serve must never return a Result, so a connection
// layer run after it (the spy) is never reached (docs/security.md#a2, #p9).
func TestA2NoConnectionLayerBeforeAuth(t *testing.T) {
	phases := []string{"before request", "during keyboard-interactive", "after partial success"}
	for _, phase := range phases {
		t.Run(phase, func(t *testing.T) {
			for n := 5; n < 256; n++ {
				num := wire.MsgNum(n)
				if num == wire.MsgUserauthRequest {
					continue
				}
				if phase == "during keyboard-interactive" && n >= 60 && n <= 79 {
					continue // method-specific: the method decides
				}
				var ran []string
				scfg := spyServer(&ran)
				if phase == "after partial success" {
					scfg.AuthenticationMethods = [][]string{{"password", "keyboard-interactive"}}
				}
				rc := startServer(t, scfg)
				rc.ServiceOK()
				switch phase {
				case "during keyboard-interactive":
					rc.Send(&wire.UserauthRequest{User: "u", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive})
					rc.Recv()
				case "after partial success":
					rc.Send(passwordReq("u", "pw"))
					f, err := wire.ParseUserauthFailure(rc.Recv())
					if err != nil || !f.PartialSuccess {
						t.Fatalf("want partial success, got %+v %v", f, err)
					}
				}
				// A plausible body: CHANNEL_OPEN "session" for 90, an
				// exec request for 98, a few bytes otherwise.
				p := []byte{byte(n), 0, 0, 0, 0}
				switch num {
				case wire.MsgChannelOpen:
					p = (&wire.ChannelOpen{Type: "session", Sender: 0, InitialWindow: 1 << 20, MaxPacket: 1 << 15}).Append(nil)
				case wire.MsgChannelRequest:
					p = (&wire.ChannelRequest{Recipient: 0, Type: "exec", WantReply: true}).Append(nil)
				case wire.MsgGlobalRequest:
					p = (&wire.GlobalRequest{Name: "tcpip-forward", WantReply: true}).Append(nil)
				}
				rc.SendRaw(p)
				res, err := rc.Wait()
				if res != nil || err == nil {
					t.Fatalf("message %d (%v): Serve = %+v, %v; connection layer would start", n, num, res, err)
				}
			}
		})
	}
}

// TestA6MaxAuthTries: failures across password and keyboard-interactive
// lead to DISCONNECT NO_MORE_AUTH_METHODS_AVAILABLE after the sixth;
// "none" requests are not counted.
// Requirement: 4252-4-attempts
// Requirement: 4252-4-attempts-disconnect
func TestA6MaxAuthTries(t *testing.T) {
	scfg := fastServer()
	var calls int
	scfg.PasswordCallback = passwordCallback("right", &calls)
	scfg.KeyboardInteractiveCallback = otpCallback("42")
	var sources []userauth.Method
	for i := 0; i < 10; i++ {
		sources = append(sources, userauth.NoneAuth{})
	}
	var ks keyServer
	scfg.PublicKeyCallback = ks.config(keyEd25519().PublicKey()).PublicKeyCallback
	// A stand-in for the gssapi-with-mic Handler of issue #11: its
	// failures count like any other (docs/security.md#a6, #g5).
	scfg.Handlers = map[string]userauth.Handler{wire.MethodGSSAPIWithMIC: userauth.HandlerFunc(
		func(context.Context, *userauth.ServerConn, *wire.UserauthRequest) (*userauth.Permissions, error) {
			return nil, errors.New("no credentials")
		})}
	gss := methodFunc{name: wire.MethodGSSAPIWithMIC, fn: func(ctx context.Context, c *userauth.ClientConn) error {
		if err := c.Request(&wire.UserauthRequest{Method: wire.MethodGSSAPIWithMIC, Mechanisms: [][]byte{{6, 1, 0}}}); err != nil {
			return err
		}
		_, err := c.Next(ctx)
		return err
	}}
	sources = append(sources,
		userauth.StaticPassword("wrong"),
		&userauth.KeyboardInteractive{Respond: answer("0")},
		userauth.InMemoryPrivateKey(keyECDSA()), // not authorized
		gss,
		userauth.StaticPassword("wrong"),
		&userauth.KeyboardInteractive{Respond: answer("0")},
		userauth.StaticPassword("right"),
	)
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: sources}, scfg)
	var d *wire.DisconnectError
	if !errors.As(o.cerr, &d) || d.Reason != wire.NoMoreAuthMethodsAvailable || !d.Remote {
		t.Fatalf("client error %v, want a remote NO_MORE_AUTH_METHODS_AVAILABLE", o.cerr)
	}
	if !errors.Is(o.serr, userauth.ErrMaxAuthTries) {
		t.Errorf("server error %v, want ErrMaxAuthTries", o.serr)
	}
	// 10 none + 5 denied + the sixth failure, answered by DISCONNECT.
	if got := len(o.cres.Results); got != 16 {
		t.Errorf("%d attempts, want 16:\n%v", got, o.cres)
	}
	if calls != 2 || len(ks.calls) != 1 {
		t.Errorf("password verifier ran %d times, publickey callback %d; want 2, 1", calls, len(ks.calls))
	}
}

func TestMaxAuthTriesConfigurable(t *testing.T) {
	for _, tt := range []struct {
		max, wrong int
		ok         bool
	}{{2, 1, true}, {2, 2, false}, {-1, 20, true}} {
		scfg := fastServer()
		scfg.MaxAuthTries = tt.max
		var calls int
		scfg.PasswordCallback = passwordCallback("right", &calls)
		var sources []userauth.Method
		for i := 0; i < tt.wrong; i++ {
			sources = append(sources, userauth.StaticPassword("wrong"))
		}
		sources = append(sources, userauth.StaticPassword("right"))
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: sources}, scfg)
		if (o.cerr == nil) != tt.ok {
			t.Errorf("max %d, %d wrong: err %v", tt.max, tt.wrong, o.cerr)
		}
	}
}

// TestA7Enumeration: for a valid and an invalid user the server's
// answers are byte-identical for every method, and no failure is
// answered before the minimum delay (docs/security.md#a7).
// Requirement: 4252-5-unknown-user
func TestA7Enumeration(t *testing.T) {
	const delay = 20 * time.Millisecond
	newCfg := func() *userauth.ServerConfig {
		scfg := &userauth.ServerConfig{FailureDelay: delay}
		scfg.PasswordCallback = func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if m.User != "alice" {
				return nil, errors.New("no such user")
			}
			return nil, errors.New("wrong password")
		}
		scfg.KeyboardInteractiveCallback = func(ctx context.Context, m userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
			// Same prompts for every user.
			if _, err := ask(ctx, userauth.Challenge{Prompts: []wire.Prompt{{Text: "Password: "}}}); err != nil {
				return nil, err
			}
			return nil, errors.New("denied")
		}
		scfg.Banner = func(userauth.ConnMeta) string { return "authorised use only\n" }
		scfg.PublicKeyCallback = func(_ context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
			if m.User != "alice" {
				return nil, errors.New("no such user")
			}
			return nil, errors.New("key not authorized")
		}
		return scfg
	}
	malformedPK := append((&wire.UserauthRequest{Method: wire.MethodPublicKey, Algorithm: "ssh-ed25519", PublicKey: []byte{1}}).Append(nil), 0xff)
	requests := map[string]func(user string) []byte{
		"none": func(u string) []byte {
			return (&wire.UserauthRequest{User: u, Service: wire.ServiceConnection, Method: wire.MethodNone}).Append(nil)
		},
		"password": func(u string) []byte { return passwordReq(u, "guess").Append(nil) },
		"publickey malformed": func(u string) []byte {
			m := (&wire.UserauthRequest{User: u, Service: wire.ServiceConnection, Method: wire.MethodPublicKey, Algorithm: "ssh-ed25519", PublicKey: []byte{1}}).Append(nil)
			return append(m, malformedPK[len(malformedPK)-1])
		},
		"publickey valid format": func(u string) []byte {
			return (&wire.UserauthRequest{User: u, Service: wire.ServiceConnection, Method: wire.MethodPublicKey, Algorithm: "ssh-ed25519", PublicKey: keyEd25519().PublicKey().Marshal()}).Append(nil)
		},
		"publickey signed": func(u string) []byte {
			return signedRequest(t, keyEd25519(), hostkey.ED25519, testSessionID, u, wire.ServiceConnection)
		},
		"publickey bad key blob": func(u string) []byte {
			return (&wire.UserauthRequest{User: u, Service: wire.ServiceConnection, Method: wire.MethodPublicKey, Algorithm: "ssh-ed25519", PublicKey: []byte("blob")}).Append(nil)
		},
		"gssapi-with-mic": func(u string) []byte {
			return (&wire.UserauthRequest{User: u, Service: wire.ServiceConnection, Method: wire.MethodGSSAPIWithMIC, Mechanisms: [][]byte{{6, 9, 42, 134, 72, 134, 247, 18, 1, 2, 2}}}).Append(nil)
		},
		"keyboard-interactive": func(u string) []byte {
			return (&wire.UserauthRequest{User: u, Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive}).Append(nil)
		},
	}
	for name, req := range requests {
		t.Run(name, func(t *testing.T) {
			var transcripts [2][][]byte
			for i, user := range []string{"alice", "mallory"} {
				rc := startServer(t, newCfg())
				rc.ServiceOK()
				for try := 0; try < 3; try++ {
					start := time.Now()
					rc.SendRaw(req(user))
					for {
						p := rc.Recv()
						if p == nil {
							t.Fatal("closed")
						}
						transcripts[i] = append(transcripts[i], bytes.Clone(p))
						if wire.MsgNum(p[0]) == wire.MsgUserauthInfoRequest {
							rc.Send(&wire.UserauthInfoResponse{Responses: []string{"guess"}})
							continue
						}
						if wire.MsgNum(p[0]) == wire.MsgUserauthFailure {
							break
						}
					}
					if elapsed := time.Since(start); name != "none" && elapsed < delay {
						t.Errorf("%s: failure answered after %v, before the %v minimum", user, elapsed, delay)
					}
				}
				rc.Finish()
			}
			if diff := cmp.Diff(transcripts[0], transcripts[1]); diff != "" {
				t.Errorf("valid vs invalid user transcripts differ (-alice +mallory):\n%s", diff)
			}
		})
	}
}

// TestA8PasswordCap: passwords over 1024 bytes and passwords that are not
// UTF-8 fail without running the verifier (docs/security.md#a8).
func TestA8PasswordCap(t *testing.T) {
	for _, tt := range []struct {
		name   string
		req    []byte
		called bool
	}{
		{"1024", passwordReq("alice", strings.Repeat("a", 1024)).Append(nil), true},
		{"1025", passwordReq("alice", strings.Repeat("a", 1025)).Append(nil), false},
		{"256KiB", passwordReq("alice", strings.Repeat("a", 256<<10)).Append(nil), false},
		{"new password 1025", (&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodPassword,
			ChangePassword: true, Password: "old", NewPassword: strings.Repeat("a", 1025)}).Append(nil), false},
		{"invalid UTF-8", passwordReq("alice", "\xff\xfe").Append(nil), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			scfg := fastServer()
			scfg.PasswordCallback = func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) {
				called = true
				return nil, errors.New("no")
			}
			scfg.ChangePasswordCallback = func(context.Context, userauth.ConnMeta, string, string) (*userauth.Permissions, error) {
				called = true
				return nil, errors.New("no")
			}
			rc := startServer(t, scfg)
			rc.ServiceOK()
			rc.SendRaw(tt.req)
			if _, err := wire.ParseUserauthFailure(rc.Recv()); err != nil {
				t.Fatalf("want FAILURE: %v", err)
			}
			if _, err := rc.Finish(); err == nil {
				t.Error("Serve succeeded")
			}
			if called != tt.called {
				t.Errorf("verifier called = %v, want %v", called, tt.called)
			}
		})
	}
}

// TestA9MultiFactorPermissions: restrictions of every factor reach the
// Result; conflicting forced commands and a source address the client
// does not match fail the factor (docs/security.md#a9, CVE-2026-39828).
// Requirement: certkeys-source-address
func TestA9MultiFactorPermissions(t *testing.T) {
	first := &userauth.Permissions{
		ForceCommand:  "/usr/bin/backup",
		SourceAddress: [][]string{{"192.0.2.0/24"}},
		Extensions:    map[string]string{"factor1": "password"},
	}
	for _, tt := range []struct {
		name   string
		second *userauth.Permissions
		ok     bool
	}{
		{"merged", &userauth.Permissions{NoPTY: true, PermitOpen: [][]string{{"db:5432"}}, ForceCommand: "/usr/bin/backup"}, true},
		{"conflicting command", &userauth.Permissions{ForceCommand: "/bin/sh"}, false},
		{"source address", &userauth.Permissions{SourceAddress: [][]string{{"10.0.0.0/8", "!192.0.2.7"}}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scfg := fastServer()
			scfg.AuthenticationMethods = [][]string{{"password", "keyboard-interactive"}}
			scfg.PasswordCallback = func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) { return first, nil }
			scfg.KeyboardInteractiveCallback = func(context.Context, userauth.ConnMeta, func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
				return tt.second, nil
			}
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
				userauth.StaticPassword("pw"), &userauth.KeyboardInteractive{Respond: answer("")},
			}}, scfg)
			if (o.serr == nil) != tt.ok {
				t.Fatalf("server err %v", o.serr)
			}
			if !tt.ok {
				if o.cres.Results[1].Outcome != userauth.Failed {
					t.Errorf("second factor outcome %v", o.cres.Results[1].Outcome)
				}
				return
			}
			want := &userauth.Permissions{
				ForceCommand:  "/usr/bin/backup",
				NoPTY:         true,
				SourceAddress: [][]string{{"192.0.2.0/24"}},
				PermitOpen:    [][]string{{"db:5432"}},
				Extensions:    map[string]string{"factor1": "password"},
			}
			if diff := cmp.Diff(want, o.sres.Permissions); diff != "" {
				t.Errorf("Permissions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestA11ServiceRequests: any service before "ssh-userauth", a
// SERVICE_REQUEST for another service during authentication, or a
// request naming another service is DISCONNECT SERVICE_NOT_AVAILABLE
// (docs/security.md#a11).
// Requirement: 4253-10-service-reject
// Requirement: 4253-10-reject-message, 4252-5-unknown-service
func TestA11ServiceRequests(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(rc *rawClient)
	}{
		{"ssh-connection first", func(rc *rawClient) { rc.Send(&wire.ServiceRequest{Service: wire.ServiceConnection}) }},
		{"unknown first", func(rc *rawClient) { rc.Send(&wire.ServiceRequest{Service: "x-files@example.com"}) }},
		{"ssh-connection before success", func(rc *rawClient) {
			rc.ServiceOK()
			rc.Send(&wire.ServiceRequest{Service: wire.ServiceConnection})
		}},
		{"ssh-connection after failure", func(rc *rawClient) {
			rc.ServiceOK()
			rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodNone})
			rc.Recv()
			rc.Send(&wire.ServiceRequest{Service: wire.ServiceConnection})
		}},
		{"request for other service", func(rc *rawClient) {
			rc.ServiceOK()
			rc.Send(&wire.UserauthRequest{User: "alice", Service: "x-files@example.com", Method: wire.MethodNone})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ran []string
			rc := startServer(t, spyServer(&ran))
			tt.setup(rc)
			if r := rc.ExpectDisconnect(); r != wire.ServiceNotAvailable {
				t.Errorf("DISCONNECT reason %v, want SERVICE_NOT_AVAILABLE", r)
			}
			if res, err := rc.Wait(); res != nil || err == nil {
				t.Errorf("Serve = %v, %v", res, err)
			}
		})
	}
}

// TestServiceRequestAgain: "ssh-userauth" requested again during
// authentication (paramiko does it before every auth_* call) is accepted
// again and changes nothing.
// Requirement: 4253-10-service-accept
func TestServiceRequestAgain(t *testing.T) {
	scfg := fastServer()
	scfg.AuthenticationMethods = [][]string{{"password", "keyboard-interactive"}}
	scfg.PasswordCallback = func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) { return nil, nil }
	scfg.KeyboardInteractiveCallback = func(context.Context, userauth.ConnMeta, func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		return nil, nil
	}
	rc := startServer(t, scfg)
	rc.ServiceOK()
	rc.Send(passwordReq("alice", "pw"))
	if f, err := wire.ParseUserauthFailure(rc.Recv()); err != nil || !f.PartialSuccess {
		t.Fatalf("want partial success: %+v %v", f, err)
	}
	rc.ServiceOK()
	rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive})
	if _, err := wire.ParseUserauthSuccess(rc.Recv()); err != nil {
		t.Fatalf("want SUCCESS: %v", err)
	}
	if res, err := rc.Wait(); err != nil || len(res.Methods) != 2 {
		t.Fatalf("Serve = %+v, %v", res, err)
	}
}

// TestUserChange: changing the user name mid-authentication is refused,
// so state from one user never helps another (RFC 4252, Section 5).
// Requirement: 4252-5-user-change
func TestUserChange(t *testing.T) {
	scfg := fastServer()
	scfg.AuthenticationMethods = [][]string{{"password", "keyboard-interactive"}}
	scfg.PasswordCallback = func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) { return nil, nil }
	scfg.KeyboardInteractiveCallback = func(context.Context, userauth.ConnMeta, func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		return nil, nil
	}
	rc := startServer(t, scfg)
	rc.ServiceOK()
	rc.Send(passwordReq("alice", "pw"))
	rc.Recv() // partial success
	rc.Send(&wire.UserauthRequest{User: "root", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive})
	if r := rc.ExpectDisconnect(); r != wire.ProtocolError {
		t.Errorf("reason %v", r)
	}
	if res, err := rc.Wait(); res != nil || err == nil {
		t.Errorf("Serve = %v, %v", res, err)
	}
}

// TestContextCancel: a server waiting for a request and a client waiting
// for an answer both return once their context is done.
func TestContextCancel(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		scfg := fastServer()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		a, b := wirePipe()
		defer a.Close()
		go func() { a.WritePacket((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil)) }()
		_, err := userauth.Serve(ctx, b, scfg, userauth.ConnInfo{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		a, b := wirePipe()
		defer b.Close()
		_, err := userauth.Authenticate(ctx, a, &userauth.ClientConfig{User: "u", Sources: []userauth.Method{userauth.NoneAuth{}}})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
	})
}

func TestConfigChainNotEnabled(t *testing.T) {
	scfg := fastServer()
	scfg.PasswordCallback = func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) { return nil, nil }
	scfg.AuthenticationMethods = [][]string{{"password", "gssapi-with-mic"}}
	a, b := wirePipe()
	defer a.Close()
	if _, err := userauth.Serve(context.Background(), b, scfg, userauth.ConnInfo{}); !errors.Is(err, userauth.ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}

// TestG2GSSNotConfigured: a gssapi-with-mic request to a server without a
// GSS Handler is a FAILURE, and GSS tokens or a MIC without a request are
// a protocol error; nothing dereferences a missing configuration
// (docs/security.md#g2, CVE-2020-29652).
func TestG2GSSNotConfigured(t *testing.T) {
	for _, tt := range []struct {
		name string
		msg  []byte
	}{
		{"TOKEN", (&wire.UserauthGSSAPIToken{Token: []byte{1}}).Append(nil)},
		{"MIC", (&wire.UserauthGSSAPIMIC{MIC: []byte{1}}).Append(nil)},
		{"EXCHANGE_COMPLETE", (&wire.UserauthGSSAPIExchangeComplete{}).Append(nil)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ran []string
			rc := startServer(t, spyServer(&ran))
			rc.ServiceOK()
			expectFailure(t, rc, (&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection,
				Method: wire.MethodGSSAPIWithMIC, Mechanisms: [][]byte{{6, 9, 42, 134, 72, 134, 247, 18, 1, 2, 2}}}).Append(nil))
			rc.SendRaw(tt.msg)
			if r := rc.ExpectDisconnect(); r != wire.ProtocolError {
				t.Errorf("reason %v", r)
			}
			if res, err := rc.Wait(); res != nil || !errors.Is(err, wire.ErrUnexpectedMessage) {
				t.Errorf("Serve = %v, %v", res, err)
			}
		})
	}
}

// TestNilConfigs: nil configurations authenticate nobody and do not
// panic.
func TestNilConfigs(t *testing.T) {
	o := run(t, nil, nil)
	if o.cerr == nil || o.serr == nil || o.cres.Authenticated() {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
}
