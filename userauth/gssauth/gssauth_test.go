package gssauth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// gssFixture starts an MIT KDC with host/localhost in a keytab and
// alice's forwardable TGT, and points the process's Kerberos
// environment at them (RFC 4462 tests run against a real KDC, as
// OpenSSH's gss-auth.sh does).
func gssFixture(t *testing.T) *krb5test.Fixture {
	t.Helper()
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	return f
}

// gssServer is the server policy of the tests: strict acceptor for
// host/localhost, the default user mapping with no ~/.k5login.
func gssServer(t *testing.T) *gssauth.Server {
	return &gssauth.Server{
		StrictAcceptorCheck: true,
		Hostname:            "localhost",
		HomeDir:             func(string) (string, error) { return t.TempDir(), nil },
	}
}

func TestGSSAPIWithMIC(t *testing.T) {
	f := gssFixture(t)
	t.Run("success", func(t *testing.T) {
		sess := gssServer(t).NewSession(nil)
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			sess.Install(fastServer()))
		if o.cerr != nil || o.serr != nil {
			t.Fatalf("client %v, server %v\n%s", o.cerr, o.serr, f.KDC.Log())
		}
		if !slices.Equal(o.sres.Methods, []string{wire.MethodGSSAPIWithMIC}) {
			t.Errorf("methods %v", o.sres.Methods)
		}
		if sess.Delegated() != nil {
			t.Error("credential delegated although delegation is off by default (G7)")
		}
		if p, err := sess.StoreDelegated(o.sres, filepath.Join(t.TempDir(), "cc")); p != "" || err != nil {
			t.Errorf("StoreDelegated without delegation = %q, %v", p, err)
		}
	})
	t.Run("server identity", func(t *testing.T) {
		sess := gssServer(t).NewSession(nil)
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "127.0.0.1", ServerIdentity: "localhost"}}},
			sess.Install(fastServer()))
		if o.cerr != nil || o.serr != nil {
			t.Fatalf("client %v, server %v", o.cerr, o.serr)
		}
	})
	t.Run("wrong user", func(t *testing.T) {
		sess := gssServer(t).NewSession(nil)
		o := run(t, &userauth.ClientConfig{User: "bob", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost", Delegate: true}}},
			sess.Install(fastServer()))
		if !errors.Is(o.cerr, userauth.ErrDenied) {
			t.Fatalf("client error %v, want ErrDenied", o.cerr)
		}
		if sess.Delegated() != nil {
			t.Error("delegated credential kept after a failed attempt (G7)")
		}
	})
	t.Run("k5login", func(t *testing.T) {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, ".k5login"), []byte("carol@OTHER.REALM\n"+f.User+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := gssServer(t)
		srv.HomeDir = func(string) (string, error) { return home, nil }
		o := run(t, &userauth.ClientConfig{User: "bob", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			srv.NewSession(nil).Install(fastServer()))
		if o.cerr != nil || o.serr != nil {
			t.Fatalf("bob with alice in ~bob/.k5login: client %v, server %v", o.cerr, o.serr)
		}
		// A .k5login that exists but does not list the principal denies
		// even the principal's own account, as MIT's kuserok does.
		if err := os.WriteFile(filepath.Join(home, ".k5login"), []byte("carol@OTHER.REALM\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		o = run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			srv.NewSession(nil).Install(fastServer()))
		if !errors.Is(o.cerr, userauth.ErrDenied) {
			t.Fatalf("client error %v, want ErrDenied", o.cerr)
		}
	})
	t.Run("custom mapping", func(t *testing.T) {
		srv := gssServer(t)
		var got string
		srv.UserOK = func(_ context.Context, m userauth.ConnMeta, principal string) (*userauth.Permissions, error) {
			got = principal
			if m.User == "svc" {
				return &userauth.Permissions{ForceCommand: "true"}, nil
			}
			return nil, errors.New("no")
		}
		o := run(t, &userauth.ClientConfig{User: "svc", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			srv.NewSession(nil).Install(fastServer()))
		if o.cerr != nil || o.serr != nil {
			t.Fatalf("client %v, server %v", o.cerr, o.serr)
		}
		if got != f.User || o.sres.Permissions.ForceCommand != "true" {
			t.Errorf("hook saw %q, permissions %+v", got, o.sres.Permissions)
		}
	})
	t.Run("no TGT", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none"))
		sess := gssServer(t).NewSession(nil)
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			sess.Install(fastServer()))
		if o.cerr == nil || o.serr == nil {
			t.Fatal("authenticated without a TGT")
		}
		if !errors.Is(o.cerr, gssapi.ErrNoCred) && !errors.Is(o.cerr, gssapi.ErrFailure) {
			t.Logf("client error: %v", o.cerr)
		}
	})
	t.Run("host mismatch client side", func(t *testing.T) {
		sess := gssServer(t).NewSession(nil)
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "nosuchhost"}}},
			sess.Install(fastServer()))
		if o.cerr == nil || o.serr == nil {
			t.Fatal("authenticated to a host principal that does not exist")
		}
	})
	t.Run("strict acceptor mismatch", func(t *testing.T) {
		srv := gssServer(t)
		srv.Hostname = "otherhost" // host/otherhost is not in the keytab
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			srv.NewSession(nil).Install(fastServer()))
		if !errors.Is(o.cerr, userauth.ErrDenied) {
			t.Fatalf("client error %v, want ErrDenied", o.cerr)
		}
		srv.StrictAcceptorCheck = false // any keytab principal
		o = run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			srv.NewSession(nil).Install(fastServer()))
		if o.cerr != nil {
			t.Fatalf("relaxed acceptor: %v", o.cerr)
		}
	})
	t.Run("no keytab", func(t *testing.T) {
		t.Setenv("KRB5_KTNAME", "FILE:"+filepath.Join(t.TempDir(), "none.keytab"))
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}},
			gssServer(t).NewSession(nil).Install(fastServer()))
		if !errors.Is(o.cerr, userauth.ErrDenied) {
			t.Fatalf("client error %v, want ErrDenied", o.cerr)
		}
	})
}

// TestG7Delegation: delegation is opt-in; the server keeps the delegated
// TGT in memory until authentication succeeded, writes it as a 0600
// ccache that klist reads, and removes it at Cleanup.
func TestG7Delegation(t *testing.T) {
	f := gssFixture(t)
	sess := gssServer(t).NewSession(nil)
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost", Delegate: true}}},
		sess.Install(fastServer()))
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	if sess.Delegated() == nil {
		t.Fatal("no delegated credential")
	}
	if p, _ := sess.StoreDelegated(&userauth.Result{Methods: []string{wire.MethodPassword}}, filepath.Join(t.TempDir(), "x")); p != "" {
		t.Error("stored for an authentication without a GSS factor")
	}
	path := filepath.Join(t.TempDir(), "krb5cc_session")
	got, err := sess.StoreDelegated(o.sres, path)
	if err != nil || got != path || sess.CCache() != path {
		t.Fatalf("StoreDelegated = %q, %v", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("ccache mode %v, want 0600", fi.Mode().Perm())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := f.KDC.Klist(ctx, path)
	if err != nil {
		t.Fatalf("klist: %v\n%s", err, out)
	}
	t.Logf("klist of the delegated cache:\n%s", out)
	if err := sess.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ccache still there after Cleanup: %v", err)
	}
	if err := sess.Cleanup(); err != nil {
		t.Errorf("second Cleanup: %v", err)
	}
}

// initToken returns alice's AP-REQ for host@localhost and its context.
func initToken(t *testing.T, ctx context.Context) (*gssapi.Context, []byte) {
	t.Helper()
	gc, err := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), &gssapi.InitOptions{Flags: gssapi.FlagMutual | gssapi.FlagInteg})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := gc.Step(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return gc, tok
}

// gssRequest is alice's gssapi-with-mic request with the given OIDs.
func gssRequest(mechs ...[]byte) *wire.UserauthRequest {
	return &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodGSSAPIWithMIC, Mechanisms: mechs}
}

// gssExpectFailure reads the server's next message and fails unless it is
// USERAUTH_FAILURE.
func gssExpectFailure(t *testing.T, rc *rawClient) {
	t.Helper()
	for {
		p := rc.Recv()
		if p == nil {
			t.Fatal("connection closed, want USERAUTH_FAILURE")
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgUserauthFailure:
			return
		case wire.MsgUserauthGSSAPIErrtok, wire.MsgUserauthGSSAPIError:
			continue
		}
		t.Fatalf("got %v, want USERAUTH_FAILURE", wire.MsgNum(p[0]).Name(wire.ContextAuthGSSAPI))
	}
}

// expectResponse reads GSSAPI_RESPONSE.
func expectResponse(t *testing.T, rc *rawClient) {
	t.Helper()
	p := rc.Recv()
	if _, err := wire.ParseUserauthGSSAPIResponse(p); err != nil {
		t.Fatalf("want GSSAPI_RESPONSE: %v (%x)", err, p)
	}
}

// establish runs a whole context as a raw client and returns it.
func establish(t *testing.T, ctx context.Context, rc *rawClient) *gssapi.Context {
	t.Helper()
	rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
	expectResponse(t, rc)
	gc, tok := initToken(t, ctx)
	rc.Send(&wire.UserauthGSSAPIToken{Token: tok})
	p := rc.Recv()
	m, err := wire.ParseUserauthGSSAPIToken(p)
	if err != nil {
		t.Fatalf("want GSSAPI_TOKEN: %v", err)
	}
	if _, err := gc.Step(ctx, m.Token); err != nil || !gc.Established() {
		t.Fatalf("AP-REP: %v", err)
	}
	return gc
}

// TestG1G2Mechanisms: bounded, validated mechanism lists and GSS not
// configured (docs/security.md#g1, #g2).
// Requirement: 4462-3.3-no-mech
func TestG1G2Mechanisms(t *testing.T) {
	gssFixture(t)
	krb := gssapi.MechKerberos5.DER()
	many := make([][]byte, wire.MaxGSSMechanisms+1)
	for i := range many {
		many[i] = krb
	}
	tests := []struct {
		name  string
		mechs [][]byte
	}{
		{"no mechanism", nil},
		{"65 mechanisms", many},
		{"malformed DER", [][]byte{{0x06, 0x09, 0x2a}}},
		{"trailing bytes", [][]byte{append(slices.Clone(krb), 0)}},
		{"SPNEGO only", [][]byte{{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := startServer(t, gssServer(t).NewSession(nil).Install(fastServer()))
			rc.ServiceOK()
			rc.Send(gssRequest(tt.mechs...))
			gssExpectFailure(t, rc)
			rc.Finish()
		})
	}
	t.Run("65 mechanisms raw", func(t *testing.T) {
		// The count field says 0xFFFFFFFF: refused by the decoder.
		rc := startServer(t, gssServer(t).NewSession(nil).Install(fastServer()))
		rc.ServiceOK()
		p := (&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodGSSAPIWithMIC}).Append(nil)
		p = append(p[:len(p)-4], 0xff, 0xff, 0xff, 0xff)
		rc.SendRaw(p)
		gssExpectFailure(t, rc)
		rc.Finish()
	})
	t.Run("not configured", func(t *testing.T) {
		rc := startServer(t, fastServer())
		rc.ServiceOK()
		rc.Send(gssRequest(krb))
		gssExpectFailure(t, rc)
		rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodGSSAPIKeyex, MIC: []byte("x")})
		gssExpectFailure(t, rc)
		// A token without a request is a protocol error.
		rc.Send(&wire.UserauthGSSAPIToken{Token: []byte("x")})
		if r := rc.ExpectDisconnect(); r != wire.ProtocolError {
			t.Errorf("reason %v", r)
		}
		rc.Wait()
	})
	t.Run("keyex without kex context", func(t *testing.T) {
		rc := startServer(t, gssServer(t).NewSession(func() *gssapi.Context { return nil }).Install(fastServer()))
		rc.ServiceOK()
		rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodGSSAPIKeyex, MIC: []byte("x")})
		gssExpectFailure(t, rc)
		rc.Finish()
	})
}

// TestG3MICRequired: success only after a verified MIC over this
// session's data (docs/security.md#g3, openssh-portable#690).
// Requirement: 4462-3.5-mic
func TestG3MICRequired(t *testing.T) {
	gssFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	micOver := func(gc *gssapi.Context, sid []byte, user string) []byte {
		mic, err := gc.GetMIC(wire.AppendGSSAPIMICData(nil, sid, user, wire.ServiceConnection, wire.MethodGSSAPIWithMIC))
		if err != nil {
			t.Fatal(err)
		}
		return mic
	}
	tests := []struct {
		name string
		end  func(rc *rawClient, gc *gssapi.Context)
	}{
		{"exchange complete with integrity", func(rc *rawClient, _ *gssapi.Context) {
			rc.Send(&wire.UserauthGSSAPIExchangeComplete{})
		}},
		{"MIC over another session id", func(rc *rawClient, gc *gssapi.Context) {
			rc.Send(&wire.UserauthGSSAPIMIC{MIC: micOver(gc, []byte("another-session"), "alice")})
		}},
		{"MIC over another user", func(rc *rawClient, gc *gssapi.Context) {
			rc.Send(&wire.UserauthGSSAPIMIC{MIC: micOver(gc, testSessionID, "root")})
		}},
		{"garbage MIC", func(rc *rawClient, _ *gssapi.Context) {
			rc.Send(&wire.UserauthGSSAPIMIC{MIC: []byte("not a mic token")})
		}},
		{"ERRTOK instead of MIC", func(rc *rawClient, _ *gssapi.Context) {
			rc.Send(&wire.UserauthGSSAPIErrtok{Token: []byte("x")})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := startServer(t, gssServer(t).NewSession(nil).Install(fastServer()))
			rc.ServiceOK()
			gc := establish(t, ctx, rc)
			tt.end(rc, gc)
			gssExpectFailure(t, rc)
			if res, _ := rc.Finish(); res != nil {
				t.Fatal("authenticated")
			}
		})
	}
	for _, early := range []wire.Message{&wire.UserauthGSSAPIMIC{MIC: []byte("x")}, &wire.UserauthGSSAPIExchangeComplete{}} {
		t.Run(early.Num().Name(wire.ContextAuthGSSAPI)+" before the context", func(t *testing.T) {
			rc := startServer(t, gssServer(t).NewSession(nil).Install(fastServer()))
			rc.ServiceOK()
			rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
			expectResponse(t, rc)
			rc.Send(early)
			gssExpectFailure(t, rc)
			if res, _ := rc.Finish(); res != nil {
				t.Fatal("authenticated")
			}
		})
	}
	t.Run("correct MIC", func(t *testing.T) {
		rc := startServer(t, gssServer(t).NewSession(nil).Install(fastServer()))
		rc.ServiceOK()
		gc := establish(t, ctx, rc)
		rc.Send(&wire.UserauthGSSAPIMIC{MIC: micOver(gc, testSessionID, "alice")})
		if p := rc.Recv(); wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
			t.Fatalf("got %x, want SUCCESS", p)
		}
		if res, err := rc.Wait(); err != nil || res.User != "alice" {
			t.Fatalf("Serve = %v, %v", res, err)
		}
	})
}

// TestG4ErrorTokens: ERRTOK is never fed to the acceptor, oversized and
// garbage tokens end the attempt at once, and every attempt counts
// (docs/security.md#g4, #g5).
func TestG4ErrorTokens(t *testing.T) {
	gssFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t.Run("ERRTOK not fed to the acceptor", func(t *testing.T) {
		rc := startServer(t, gssServer(t).NewSession(nil).Install(fastServer()))
		rc.ServiceOK()
		rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
		expectResponse(t, rc)
		gc, tok := initToken(t, ctx)
		// A valid AP-REQ in an ERRTOK: if the acceptor saw it, the
		// replay cache would refuse the same AP-REQ below.
		rc.Send(&wire.UserauthGSSAPIErrtok{Token: tok})
		gssExpectFailure(t, rc)
		rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
		expectResponse(t, rc)
		rc.Send(&wire.UserauthGSSAPIToken{Token: tok})
		m, err := wire.ParseUserauthGSSAPIToken(rc.Recv())
		if err != nil {
			t.Fatalf("the AP-REQ was consumed by the ERRTOK: %v", err)
		}
		if _, err := gc.Step(ctx, m.Token); err != nil {
			t.Fatal(err)
		}
		mic, _ := gc.GetMIC(wire.AppendGSSAPIMICData(nil, testSessionID, "alice", wire.ServiceConnection, wire.MethodGSSAPIWithMIC))
		rc.Send(&wire.UserauthGSSAPIMIC{MIC: mic})
		if p := rc.Recv(); wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
			t.Fatalf("got %x, want SUCCESS", p)
		}
		rc.Wait()
	})
	t.Run("flood counts toward MaxAuthTries", func(t *testing.T) {
		cfg := fastServer()
		cfg.MaxAuthTries = 3
		rc := startServer(t, gssServer(t).NewSession(nil).Install(cfg))
		rc.ServiceOK()
		big := make([]byte, 256<<10-64)
		for i := range 2 {
			rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
			expectResponse(t, rc)
			if i == 0 {
				rc.Send(&wire.UserauthGSSAPIToken{Token: big})
			} else {
				rc.Send(&wire.UserauthGSSAPIErrtok{Token: big})
			}
			gssExpectFailure(t, rc)
		}
		rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
		expectResponse(t, rc)
		rc.Send(&wire.UserauthGSSAPIToken{Token: []byte("garbage")})
		if r := rc.ExpectDisconnect(); r != wire.NoMoreAuthMethodsAvailable {
			t.Errorf("reason %v", r)
		}
		if _, err := rc.Wait(); !errors.Is(err, userauth.ErrMaxAuthTries) {
			t.Errorf("Serve error %v, want ErrMaxAuthTries", err)
		}
	})
	t.Run("client failures count", func(t *testing.T) {
		cfg := fastServer()
		cfg.MaxAuthTries = 2
		var srcs []userauth.Method
		for range 3 {
			srcs = append(srcs, &gssauth.WithMIC{Host: "localhost"})
		}
		o := run(t, &userauth.ClientConfig{User: "mallory", Sources: srcs}, gssServer(t).NewSession(nil).Install(cfg))
		if !errors.Is(o.serr, userauth.ErrMaxAuthTries) || o.sres != nil {
			t.Fatalf("Serve = %v, %v; want ErrMaxAuthTries", o.sres, o.serr)
		}
	})
}

// TestGSSAPIKeyex: gssapi-keyex with a context as key exchange leaves it
// (RFC 4462, Section 4).
// Requirement: 4462-4-keyex
func TestGSSAPIKeyex(t *testing.T) {
	gssFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ic, tok := initToken(t, ctx)
	ac, err := gssapi.NewAcceptContext(nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ac.Step(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Step(ctx, rep); err != nil || !ic.Established() || !ac.Established() {
		t.Fatal(err)
	}
	srv := gssServer(t)
	t.Run("success", func(t *testing.T) {
		sess := srv.NewSession(func() *gssapi.Context { return ac })
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.Keyex{Context: func() *gssapi.Context { return ic }}}},
			sess.Install(fastServer()))
		if o.cerr != nil || o.serr != nil {
			t.Fatalf("client %v, server %v", o.cerr, o.serr)
		}
		if !slices.Equal(o.sres.Methods, []string{wire.MethodGSSAPIKeyex}) {
			t.Errorf("methods %v", o.sres.Methods)
		}
	})
	t.Run("wrong user", func(t *testing.T) {
		sess := srv.NewSession(func() *gssapi.Context { return ac })
		o := run(t, &userauth.ClientConfig{User: "bob", Sources: []userauth.Method{&gssauth.Keyex{Context: func() *gssapi.Context { return ic }}}},
			sess.Install(fastServer()))
		if !errors.Is(o.cerr, userauth.ErrDenied) {
			t.Fatalf("client %v", o.cerr)
		}
	})
	for _, tt := range []struct {
		name string
		mic  func() []byte
	}{
		{"MIC over another session id", func() []byte {
			m, _ := ic.GetMIC(wire.AppendGSSAPIMICData(nil, []byte("other"), "alice", wire.ServiceConnection, wire.MethodGSSAPIKeyex))
			return m
		}},
		{"gssapi-with-mic MIC data", func() []byte {
			m, _ := ic.GetMIC(wire.AppendGSSAPIMICData(nil, testSessionID, "alice", wire.ServiceConnection, wire.MethodGSSAPIWithMIC))
			return m
		}},
		{"empty MIC", func() []byte { return nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sess := srv.NewSession(func() *gssapi.Context { return ac })
			m := methodFunc{wire.MethodGSSAPIKeyex, func(ctx context.Context, c *userauth.ClientConn) error {
				if err := c.Request(&wire.UserauthRequest{Method: wire.MethodGSSAPIKeyex, MIC: tt.mic()}); err != nil {
					return err
				}
				_, err := c.Next(ctx)
				return err
			}}
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{m}}, sess.Install(fastServer()))
			if !errors.Is(o.cerr, userauth.ErrDenied) {
				t.Fatalf("client %v", o.cerr)
			}
		})
	}
	t.Run("client without a kex context", func(t *testing.T) {
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.Keyex{}}},
			srv.NewSession(func() *gssapi.Context { return ac }).Install(fastServer()))
		if !errors.Is(o.cerr, gssauth.ErrNoContext) {
			t.Fatalf("client %v", o.cerr)
		}
	})
}

// TestG5SameAnswers: a GSS-API attempt for an account that does not
// exist and for one the principal may not use end in byte-identical
// answers, each only after the whole exchange and a verified MIC
// (docs/security.md#g5, #a7; OpenSSH 5d04ca6af: no early failure for invalid
// users).
func TestG5SameAnswers(t *testing.T) {
	gssFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := gssServer(t)
	srv.HomeDir = func(u string) (string, error) {
		if u == "bob" {
			return t.TempDir(), nil
		}
		return "", errors.New("no such user")
	}
	var answers [][]byte
	for _, user := range []string{"bob", "nosuchuser"} {
		rc := startServer(t, srv.NewSession(nil).Install(fastServer()))
		rc.ServiceOK()
		req := gssRequest(gssapi.MechKerberos5.DER())
		req.User = user
		rc.Send(req)
		expectResponse(t, rc)
		gc, tok := initToken(t, ctx)
		rc.Send(&wire.UserauthGSSAPIToken{Token: tok})
		m, err := wire.ParseUserauthGSSAPIToken(rc.Recv())
		if err != nil {
			t.Fatalf("%s: the exchange ended early: %v", user, err)
		}
		if _, err := gc.Step(ctx, m.Token); err != nil {
			t.Fatal(err)
		}
		mic, _ := gc.GetMIC(wire.AppendGSSAPIMICData(nil, testSessionID, user, wire.ServiceConnection, wire.MethodGSSAPIWithMIC))
		rc.Send(&wire.UserauthGSSAPIMIC{MIC: mic})
		answers = append(answers, slices.Clone(rc.Recv()))
		rc.Finish()
	}
	if _, err := wire.ParseUserauthFailure(answers[0]); err != nil || !slices.Equal(answers[0], answers[1]) {
		t.Errorf("answers differ or are not FAILURE: %x vs %x", answers[0], answers[1])
	}
}

// BenchmarkGSSAPIWithMIC measures one whole gssapi-with-mic login over an
// in-memory transport, including the client's TGS exchange with the KDC
// (the default credential is read from the ccache on every login).
func BenchmarkGSSAPIWithMIC(b *testing.B) {
	f := krb5test.NewFixture(b, "host/localhost")
	f.Setenv(b)
	srv := &gssauth.Server{StrictAcceptorCheck: true, Hostname: "localhost",
		HomeDir: func(string) (string, error) { return "", errors.New("none") }}
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}}
	for b.Loop() {
		if o := run(b, ccfg, srv.NewSession(nil).Install(fastServer())); o.cerr != nil || o.serr != nil {
			b.Fatal(o.cerr, o.serr)
		}
	}
}

// FuzzGSSServer feeds arbitrary method messages to the gssapi-with-mic
// server after a valid request: it must never panic or authenticate.
// Input: messages, each a one-byte length-prefix count of bytes.
func FuzzGSSServer(f *testing.F) {
	fx := krb5test.NewFixture(f, "host/localhost")
	fx.Setenv(f)
	f.Add([]byte{5, 61, 0, 0, 0, 1, 1, 66})
	f.Add([]byte{1, 63})
	f.Add([]byte{5, 64, 0, 0, 0, 0})
	srv := &gssauth.Server{StrictAcceptorCheck: true, Hostname: "localhost"}
	f.Fuzz(func(t *testing.T, in []byte) {
		rc := startServer(t, srv.NewSession(nil).Install(fastServer()))
		rc.ServiceOK()
		rc.Send(gssRequest(gssapi.MechKerberos5.DER()))
		for len(in) > 0 {
			n := int(in[0])
			in = in[1:]
			if n > len(in) {
				n = len(in)
			}
			if n > 0 && rc.Tr.WritePacket(in[:n]) != nil {
				break
			}
			in = in[n:]
		}
		if res, _ := rc.Finish(); res != nil {
			t.Fatal("authenticated")
		}
	})
}

// TestGSSClientHostileServer: the gssapi-with-mic client against servers
// that select a mechanism it did not offer, report errors, or send
// messages out of place.
// Requirement: 4462-3.3-mech-offered
func TestGSSClientHostileServer(t *testing.T) {
	gssFixture(t)
	spnego := []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	tests := []struct {
		name    string
		handler func(ctx context.Context, c *userauth.ServerConn) error
		want    error
	}{
		{"foreign mechanism", func(ctx context.Context, c *userauth.ServerConn) error {
			return c.Write(&wire.UserauthGSSAPIResponse{Mechanism: spnego})
		}, gssauth.ErrMechanism},
		{"MIC instead of RESPONSE", func(ctx context.Context, c *userauth.ServerConn) error {
			return c.Write(&wire.UserauthGSSAPIMIC{MIC: []byte("x")})
		}, wire.ErrUnexpectedMessage},
		{"ERRTOK and ERROR, then FAILURE", func(ctx context.Context, c *userauth.ServerConn) error {
			if err := c.Write(&wire.UserauthGSSAPIResponse{Mechanism: gssapi.MechKerberos5.DER()}); err != nil {
				return err
			}
			if _, err := c.Next(ctx); err != nil { // the AP-REQ
				return err
			}
			if err := c.Write(&wire.UserauthGSSAPIError{Major: 1, Message: "no"}); err != nil {
				return err
			}
			return c.Write(&wire.UserauthGSSAPIErrtok{Token: []byte("krb-error")})
		}, userauth.ErrDenied},
		{"garbage token", func(ctx context.Context, c *userauth.ServerConn) error {
			if err := c.Write(&wire.UserauthGSSAPIResponse{Mechanism: gssapi.MechKerberos5.DER()}); err != nil {
				return err
			}
			if _, err := c.Next(ctx); err != nil {
				return err
			}
			if err := c.Write(&wire.UserauthGSSAPIToken{Token: []byte("not an AP-REP")}); err != nil {
				return err
			}
			p, err := c.Next(ctx) // the client's ERRTOK
			if err == nil && wire.MsgNum(p[0]) != wire.MsgUserauthGSSAPIErrtok {
				return errors.New("no ERRTOK")
			}
			return err
		}, userauth.ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scfg := fastServer()
			scfg.Handlers = map[string]userauth.Handler{wire.MethodGSSAPIWithMIC: userauth.HandlerFunc(
				func(ctx context.Context, c *userauth.ServerConn, _ *wire.UserauthRequest) (*userauth.Permissions, error) {
					if err := tt.handler(ctx, c); err != nil {
						return nil, err
					}
					return nil, errors.New("hostile server denies")
				})}
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost"}}}, scfg)
			if !errors.Is(o.cerr, tt.want) {
				t.Fatalf("client error %v, want %v", o.cerr, tt.want)
			}
			if o.cres != nil && o.cres.Authenticated() {
				t.Fatal("authenticated")
			}
		})
	}
}

// TestG7CleanupAfterPanic: a connection goroutine that defers Cleanup
// removes the stored credential even when it panics and is recovered
// (docs/security.md#g7).
func TestG7CleanupAfterPanic(t *testing.T) {
	gssFixture(t)
	sess := gssServer(t).NewSession(nil)
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&gssauth.WithMIC{Host: "localhost", Delegate: true}}},
		sess.Install(fastServer()))
	if o.serr != nil {
		t.Fatal(o.serr)
	}
	path := filepath.Join(t.TempDir(), "cc")
	func() {
		defer func() { recover() }()
		defer sess.Cleanup()
		if _, err := sess.StoreDelegated(o.sres, path); err != nil {
			t.Fatal(err)
		}
		panic("session handler crashed")
	}()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ccache survived the panic: %v", err)
	}
}
