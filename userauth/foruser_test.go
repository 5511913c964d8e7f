package userauth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// TestForUser: the policy ForUser returns for the user of the first
// request decides that request and the rest of authentication: its
// methods are the "can continue" list, its chains, MaxAuthTries and
// Banner apply, and it is asked once, with the connection's addresses.
func TestForUser(t *testing.T) {
	ok := func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) { return nil, nil }
	kbd := func(context.Context, userauth.ConnMeta, func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		return nil, errors.New("no")
	}
	var asked []userauth.ConnMeta
	base := fastServer()
	base.PasswordCallback = ok
	base.Banner = func(userauth.ConnMeta) string { return "global banner\r\n" }
	base.ForUser = func(_ context.Context, m userauth.ConnMeta) (*userauth.ServerConfig, error) {
		asked = append(asked, m)
		switch m.User {
		case "deploy": // Match User deploy: AuthenticationMethods keyboard-interactive,password, MaxAuthTries 2
			return &userauth.ServerConfig{FailureDelay: -1, PasswordCallback: ok, KeyboardInteractiveCallback: kbd,
				AuthenticationMethods: [][]string{{"keyboard-interactive", "password"}}, MaxAuthTries: 2,
				Banner: func(userauth.ConnMeta) string { return "deploy banner\r\n" }}, nil
		case "nopass": // PasswordAuthentication no
			return &userauth.ServerConfig{FailureDelay: -1, KeyboardInteractiveCallback: kbd}, nil
		case "broken": // a chain naming a method the user's policy lacks
			return &userauth.ServerConfig{FailureDelay: -1, AuthenticationMethods: [][]string{{"password"}}}, nil
		case "refused":
			return nil, errors.New("lookup failed")
		}
		return nil, nil // the global policy
	}
	none := func(user string) *wire.UserauthRequest {
		return &wire.UserauthRequest{User: user, Service: wire.ServiceConnection, Method: wire.MethodNone}
	}
	failure := func(t *testing.T, p []byte) *wire.UserauthFailure {
		t.Helper()
		f, err := wire.ParseUserauthFailure(p)
		if err != nil {
			t.Fatalf("want USERAUTH_FAILURE: %v (%v)", err, wire.MsgNum(p[0]))
		}
		return &f
	}
	banner := func(t *testing.T, p []byte) string {
		t.Helper()
		b, err := wire.ParseUserauthBanner(p)
		if err != nil {
			t.Fatalf("want USERAUTH_BANNER: %v", err)
		}
		return b.Message
	}

	t.Run("global", func(t *testing.T) {
		asked = nil
		rc := startServer(t, base)
		rc.ServiceOK()
		rc.Send(none("alice"))
		if b := banner(t, rc.Recv()); b != "global banner\r\n" {
			t.Errorf("banner %q", b)
		}
		if diff := cmp.Diff([]string{"password"}, failure(t, rc.Recv()).Methods); diff != "" {
			t.Errorf("can continue (-want +got):\n%s", diff)
		}
		rc.Send(passwordReq("alice", "pw"))
		if p := rc.Recv(); wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
			t.Fatalf("want USERAUTH_SUCCESS, got %v", wire.MsgNum(p[0]))
		}
		if res, err := rc.Wait(); err != nil || res.User != "alice" {
			t.Fatalf("Serve = %v, %v", res, err)
		}
		if len(asked) != 1 || asked[0].User != "alice" || asked[0].RemoteAddr != testRemote {
			t.Errorf("ForUser asked %+v, want once for alice from %v", asked, testRemote)
		}
	})
	t.Run("per user", func(t *testing.T) {
		asked = nil
		rc := startServer(t, base)
		rc.ServiceOK()
		rc.Send(none("deploy"))
		if b := banner(t, rc.Recv()); b != "deploy banner\r\n" {
			t.Errorf("banner %q", b)
		}
		if diff := cmp.Diff([]string{"keyboard-interactive"}, failure(t, rc.Recv()).Methods); diff != "" {
			t.Errorf("can continue (-want +got):\n%s", diff)
		}
		// password alone is not the head of the chain: a failure, and
		// the second one reaches the user's MaxAuthTries 2.
		rc.Send(passwordReq("deploy", "pw"))
		failure(t, rc.Recv())
		rc.Send(passwordReq("deploy", "pw"))
		if r := rc.ExpectDisconnect(); r != wire.NoMoreAuthMethodsAvailable {
			t.Errorf("reason %v", r)
		}
		if _, err := rc.Wait(); !errors.Is(err, userauth.ErrMaxAuthTries) {
			t.Errorf("err %v, want ErrMaxAuthTries", err)
		}
		if len(asked) != 1 {
			t.Errorf("ForUser asked %d times, want 1", len(asked))
		}
	})
	t.Run("method off for the user", func(t *testing.T) {
		rc := startServer(t, base)
		rc.ServiceOK()
		rc.Send(passwordReq("nopass", "pw"))
		// No banner (the user's policy has none), and password, which
		// the global policy accepts, fails.
		if diff := cmp.Diff([]string{"keyboard-interactive"}, failure(t, rc.Recv()).Methods); diff != "" {
			t.Errorf("can continue (-want +got):\n%s", diff)
		}
		rc.Tr.Close()
		if res, err := rc.Wait(); res != nil || err == nil {
			t.Errorf("Serve = %v, %v", res, err)
		}
	})
	for _, user := range []string{"broken", "refused"} {
		t.Run(user, func(t *testing.T) {
			rc := startServer(t, base)
			rc.ServiceOK()
			rc.Send(passwordReq(user, "pw"))
			if r := rc.ExpectDisconnect(); r != wire.NoMoreAuthMethodsAvailable {
				t.Errorf("reason %v", r)
			}
			_, err := rc.Wait()
			if err == nil || (user == "broken") != errors.Is(err, userauth.ErrConfig) {
				t.Errorf("err %v (ErrConfig wanted: %v)", err, user == "broken")
			}
		})
	}
}

// TestForUserLogger: a Logger in the policy ForUser returns takes the
// debug messages from that request on (sshd's LogLevel in Match), and
// the connection's Logger keeps only those before it.
func TestForUserLogger(t *testing.T) {
	var before, after bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	ok := func(context.Context, userauth.ConnMeta, string) (*userauth.Permissions, error) { return nil, nil }
	base := fastServer()
	base.PasswordCallback = ok
	base.Logger = slog.New(slog.NewTextHandler(&before, debug))
	base.ForUser = func(context.Context, userauth.ConnMeta) (*userauth.ServerConfig, error) {
		return &userauth.ServerConfig{FailureDelay: -1, PasswordCallback: ok,
			Logger: slog.New(slog.NewTextHandler(&after, debug))}, nil
	}
	rc := startServer(t, base)
	rc.ServiceOK()
	rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodNone})
	if p := rc.Recv(); wire.MsgNum(p[0]) != wire.MsgUserauthFailure {
		t.Fatalf("want USERAUTH_FAILURE, got %v", wire.MsgNum(p[0]))
	}
	rc.Send(passwordReq("alice", "pw"))
	if p := rc.Recv(); wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
		t.Fatalf("want USERAUTH_SUCCESS, got %v", wire.MsgNum(p[0]))
	}
	if _, err := rc.Wait(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(before.String(), "password") || !strings.Contains(before.String(), "none") {
		t.Errorf("the connection's logger got:\n%s\nwant the none request and not the password one", before.String())
	}
	if !strings.Contains(after.String(), "password") || strings.Contains(after.String(), "none") {
		t.Errorf("the user's logger got:\n%s\nwant the password request and not the none one", after.String())
	}
}
