package userauth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// summary is the comparable part of a SourceResult.
type summary struct {
	Source  string
	Outcome userauth.Outcome
	Methods []string
}

func summarize(r *userauth.AuthResult) []summary {
	var out []summary
	for _, sr := range r.Results {
		out = append(out, summary{sr.Source.Name(), sr.Outcome, sr.Methods})
	}
	return out
}

// Requirement: 4252-5.2-none-success
func TestNoneSuccess(t *testing.T) {
	scfg := fastServer()
	scfg.NoneCallback = func(context.Context, userauth.ConnMeta) (*userauth.Permissions, error) { return nil, nil }
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.NoneAuth{}}}, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	want := []summary{{"none", userauth.Success, nil}}
	if diff := cmp.Diff(want, summarize(o.cres)); diff != "" {
		t.Errorf("AuthResult (-want +got):\n%s", diff)
	}
	if !o.cres.Authenticated() || o.sres.User != "alice" || !slices.Equal(o.sres.Methods, []string{"none"}) {
		t.Errorf("client %v, server %+v", o.cres, o.sres)
	}
}

// TestStrategyOrder: sources run in order, each once, and nothing after
// the one that succeeds; the password getter is lazy (paramiko Password).
func TestStrategyOrder(t *testing.T) {
	var calls, get1, get2, get3 int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("right", &calls)
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.NoneAuth{},
		countingPassword("wrong", &get1),
		countingPassword("right", &get2),
		countingPassword("never", &get3),
	}}
	o := run(t, ccfg, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	want := []summary{
		{"none", userauth.Failed, []string{"password"}},
		{"password", userauth.Failed, []string{"password"}},
		{"password", userauth.Success, nil},
	}
	if diff := cmp.Diff(want, summarize(o.cres)); diff != "" {
		t.Errorf("AuthResult (-want +got):\n%s", diff)
	}
	if get1 != 1 || get2 != 1 || get3 != 0 || calls != 2 {
		t.Errorf("getter calls %d %d %d, verifier calls %d", get1, get2, get3, calls)
	}
	var denied *userauth.DeniedError
	if !errors.As(o.cres.Results[1].Err, &denied) || denied.Method != "password" {
		t.Errorf("Results[1].Err = %v, want a *DeniedError", o.cres.Results[1].Err)
	}
	if o.sres.Failures != 1 {
		t.Errorf("server Failures = %d, want 1 (none is not counted)", o.sres.Failures)
	}
}

// TestSkipNotOffered: a source whose method the server does not list as
// able to continue is skipped without running.
func TestSkipNotOffered(t *testing.T) {
	var calls int
	asked := false
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.NoneAuth{},
		&userauth.KeyboardInteractive{Respond: func(context.Context, userauth.Challenge) ([]string, error) {
			asked = true
			return nil, nil
		}},
		userauth.StaticPassword("pw"),
	}}
	o := run(t, ccfg, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	want := []summary{
		{"none", userauth.Failed, []string{"password"}},
		{"keyboard-interactive", userauth.Skipped, nil},
		{"password", userauth.Success, nil},
	}
	if diff := cmp.Diff(want, summarize(o.cres)); diff != "" {
		t.Errorf("AuthResult (-want +got):\n%s", diff)
	}
	if asked || !errors.Is(o.cres.Results[1].Err, userauth.ErrNotOffered) {
		t.Errorf("skipped source ran (%v) or Err = %v", asked, o.cres.Results[1].Err)
	}
}

// TestPartialSuccess: with the chain "password,keyboard-interactive" the
// password gets partial success and the next source completes it.
// Requirement: 4252-5.1-partial-true, 4252-5.1-partial-false, 4252-5.1-success-when-complete, 4252-5.1-useful-methods, 4252-5.1-completed-unlisted, 4252-5.2-none-failure, 4252-5.2-none-unlisted
func TestPartialSuccess(t *testing.T) {
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	scfg.KeyboardInteractiveCallback = otpCallback("123456")
	chains, err := userauth.ParseAuthenticationMethods("password,keyboard-interactive")
	if err != nil {
		t.Fatal(err)
	}
	scfg.AuthenticationMethods = chains
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.NoneAuth{},
		&userauth.KeyboardInteractive{Respond: answer("000000")}, // not offered yet: skipped
		userauth.StaticPassword("pw"),
		&userauth.KeyboardInteractive{Respond: answer("123456")},
	}}
	o := run(t, ccfg, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	want := []summary{
		{"none", userauth.Failed, []string{"password"}},
		{"keyboard-interactive", userauth.Skipped, nil},
		{"password", userauth.Partial, []string{"keyboard-interactive"}},
		{"keyboard-interactive", userauth.Success, nil},
	}
	if diff := cmp.Diff(want, summarize(o.cres)); diff != "" {
		t.Errorf("AuthResult (-want +got):\n%s", diff)
	}
	if o.cres.Results[2].Err != nil {
		t.Errorf("partial success has Err %v", o.cres.Results[2].Err)
	}
	if want := []string{"password", "keyboard-interactive"}; !slices.Equal(o.sres.Methods, want) {
		t.Errorf("server Methods = %v, want %v", o.sres.Methods, want)
	}
}

// TestAuthFailure: when every source fails the error is one
// *AuthFailure that lists every attempt and unwraps to each error.
func TestAuthFailure(t *testing.T) {
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("right", &calls)
	local := errors.New("no tty")
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.NoneAuth{},
		&userauth.Password{Get: func(context.Context) (string, error) { return "", local }},
		userauth.StaticPassword("wrong"),
		&userauth.KeyboardInteractive{Respond: answer("x")},
	}}
	o := run(t, ccfg, scfg)
	var af *userauth.AuthFailure
	if !errors.As(o.cerr, &af) {
		t.Fatalf("client error %v, want *AuthFailure", o.cerr)
	}
	want := []summary{
		{"none", userauth.Failed, []string{"password"}},
		{"password", userauth.Failed, nil},
		{"password", userauth.Failed, []string{"password"}},
		{"keyboard-interactive", userauth.Skipped, nil},
	}
	if diff := cmp.Diff(want, summarize(af.Result)); diff != "" {
		t.Errorf("AuthFailure.Result (-want +got):\n%s", diff)
	}
	for _, target := range []error{userauth.ErrDenied, userauth.ErrNotOffered, local} {
		if !errors.Is(o.cerr, target) {
			t.Errorf("errors.Is(err, %v) = false", target)
		}
	}
	if got := len(af.Unwrap()); got != 4 {
		t.Errorf("Unwrap returned %d errors, want 4", got)
	}
	// The message lists every attempt, one per line, as paramiko's does.
	if got := strings.Count(af.Error(), "\n"); got != len(want) {
		t.Errorf("AuthFailure text has %d lines after the first, want %d", got, len(want))
	}
	if strings.Contains(af.Error(), "wrong") {
		t.Error("AuthFailure text reveals a password")
	}
	if o.cres.Authenticated() {
		t.Error("Authenticated() on failure")
	}
}

// TestNothingCanContinue: a FAILURE with an empty method list leaves
// every later source skipped.
func TestNothingCanContinue(t *testing.T) {
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.NoneAuth{}, userauth.StaticPassword("x"),
	}}, fastServer())
	if !errors.Is(o.cerr, userauth.ErrNotOffered) {
		t.Fatalf("err = %v", o.cerr)
	}
	if got := o.cres.Results[1].Outcome; got != userauth.Skipped {
		t.Errorf("password outcome %v, want skipped", got)
	}
}

// Requirement: 4252-8-passwd-changereq
// Requirement: 4252-8-expired-not-used
func TestPasswordChange(t *testing.T) {
	newScfg := func(changed *string) *userauth.ServerConfig {
		scfg := fastServer()
		scfg.PasswordCallback = func(_ context.Context, _ userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			if pw == "old" {
				return nil, &userauth.ChangePasswordError{Prompt: "expired"}
			}
			return nil, errors.New("wrong")
		}
		scfg.ChangePasswordCallback = func(_ context.Context, _ userauth.ConnMeta, old, nw string) (*userauth.Permissions, error) {
			if old != "old" {
				return nil, errors.New("wrong")
			}
			*changed = nw
			return nil, nil
		}
		return scfg
	}
	t.Run("changed", func(t *testing.T) {
		var changed, prompt string
		src := userauth.StaticPassword("old")
		src.Change = func(_ context.Context, p string) (string, error) {
			prompt = p
			return "new", nil
		}
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{src}}, newScfg(&changed))
		if o.cerr != nil || o.serr != nil {
			t.Fatalf("client %v, server %v", o.cerr, o.serr)
		}
		if changed != "new" || prompt != "expired" {
			t.Errorf("changed to %q after prompt %q", changed, prompt)
		}
		if o.sres.Failures != 0 {
			t.Errorf("Failures = %d, want 0", o.sres.Failures)
		}
	})
	t.Run("no callback", func(t *testing.T) {
		var changed string
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
			userauth.StaticPassword("old"), userauth.StaticPassword("other"),
		}}, newScfg(&changed))
		if !errors.Is(o.cerr, userauth.ErrPasswordChange) || !errors.Is(o.cerr, userauth.ErrDenied) {
			t.Fatalf("err = %v", o.cerr)
		}
		if changed != "" {
			t.Errorf("password changed to %q", changed)
		}
	})
}

// otpCallback asks two rounds: a name with echo, then a code without.
func otpCallback(code string) func(context.Context, userauth.ConnMeta, func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
	return func(ctx context.Context, m userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		if _, err := ask(ctx, userauth.Challenge{Instruction: "welcome"}); err != nil {
			return nil, err
		}
		a, err := ask(ctx, userauth.Challenge{Name: "otp", Prompts: []wire.Prompt{{Text: "Code: ", Echo: false}}})
		if err != nil {
			return nil, err
		}
		if a[0] != code {
			return nil, errors.New("wrong code")
		}
		return nil, nil
	}
}

// answer returns a responder that answers every prompt with s.
func answer(s string) func(context.Context, userauth.Challenge) ([]string, error) {
	return func(_ context.Context, ch userauth.Challenge) ([]string, error) {
		out := make([]string, len(ch.Prompts))
		for i := range out {
			out[i] = s
		}
		return out, nil
	}
}

// Requirement: 4256-3.2-instruction, 4256-3.2-multiple, 4256-3.2-empty-fields, 4256-3.4-respond, 4256-3.4-zero-prompts, 4256-3.4-server-answers
func TestKeyboardInteractive(t *testing.T) {
	for _, tt := range []struct {
		name string
		code string
		ok   bool
	}{{"right", "42", true}, {"wrong", "41", false}} {
		t.Run(tt.name, func(t *testing.T) {
			var seen []userauth.Challenge
			scfg := fastServer()
			scfg.KeyboardInteractiveCallback = otpCallback("42")
			src := &userauth.KeyboardInteractive{Respond: func(ctx context.Context, ch userauth.Challenge) ([]string, error) {
				seen = append(seen, ch)
				return answer(tt.code)(ctx, ch)
			}}
			o := run(t, &userauth.ClientConfig{User: "bob", Sources: []userauth.Method{src}}, scfg)
			if (o.cerr == nil) != tt.ok {
				t.Fatalf("client err %v", o.cerr)
			}
			want := []userauth.Challenge{
				{Instruction: "welcome"},
				{Name: "otp", Prompts: []wire.Prompt{{Text: "Code: "}}},
			}
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("challenges (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeyboardInteractiveAbandon: a responder error abandons the
// conversation; the next source's request aborts it on the server
// (RFC 4256, Section 3.4), which counts one failure.
// Requirement: 4252-5-abandon
func TestKeyboardInteractiveAbandon(t *testing.T) {
	var calls int
	scfg := fastServer()
	scfg.KeyboardInteractiveCallback = otpCallback("42")
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	cancelled := errors.New("user pressed ^C")
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		&userauth.KeyboardInteractive{Respond: func(context.Context, userauth.Challenge) ([]string, error) { return nil, cancelled }},
		userauth.StaticPassword("pw"),
	}}
	o := run(t, ccfg, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	if !errors.Is(o.cres.Results[0].Err, cancelled) || o.cres.Results[1].Outcome != userauth.Success {
		t.Errorf("results %v", o.cres)
	}
	if o.sres.Failures != 1 {
		t.Errorf("Failures = %d, want 1", o.sres.Failures)
	}
}

// Requirement: 4252-5.4-banner-display
func TestBanner(t *testing.T) {
	scfg := fastServer()
	scfg.NoneCallback = func(context.Context, userauth.ConnMeta) (*userauth.Permissions, error) { return nil, nil }
	scfg.Banner = func(m userauth.ConnMeta) string { return "hello " + m.User + "\n" }
	var got []string
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.NoneAuth{}},
		Banner: func(msg, _ string) { got = append(got, msg) }}
	o := run(t, ccfg, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	if diff := cmp.Diff([]string{"hello alice\n"}, got); diff != "" {
		t.Errorf("banners (-want +got):\n%s", diff)
	}
}
