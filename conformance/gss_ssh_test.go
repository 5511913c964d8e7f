package conformance_test

// Interop of GSS-API in SSH (RFC 4462, RFC 8732) with a real MIT KDC:
// OpenSSH 9.2's ssh (Debian, with the GSSAPI key exchange patch) and
// paramiko 2.12 against our server stack (packet + kex with kex/gsskex +
// userauth + connection), and our client stack against OpenSSH's sshd,
// with gssapi-with-mic, gssapi-keyex after each gss-* key exchange
// family, credential delegation proven by klist in the session, and the
// failure cases of OpenSSH's regress/gss-auth.sh.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// gssAllFamilies are every gss-* family, legacy ones included, for tests.
var gssAllFamilies = append(gsskex.DefaultFamilies(), gsskex.LegacyFamilies()...)

// gssKexMethods returns the GSS methods of families for cfg followed by
// the registry's default methods.
func gssKexMethods(t *testing.T, cfg *gsskex.Config, families ...string) []kex.Method {
	t.Helper()
	ms, err := gsskex.Methods(cfg, families...)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range kex.DefaultMethods() {
		m, ok := kex.Lookup(n)
		if !ok {
			t.Fatalf("method %s not registered", n)
		}
		ms = append(ms, m)
	}
	return ms
}

// gssServerOpts configure one connection of our server stack.
type gssServerOpts struct {
	families    []string // GSS kex families offered; nil: none
	strict      bool     // GSSAPIStrictAcceptorCheck
	hostname    string   // strict acceptor's host name; "" means localhost
	sendHostKey bool     // KEXGSS_HOSTKEY
	krb5Config  string   // KRB5_CONFIG for commands in sessions
}

// gssServed is what one served connection produced.
type gssServed struct {
	res      *userauth.Result
	err      error
	kexAlg   string
	ccache   string // delegated credential stored for the session
	ccGone   bool   // the ccache was removed at disconnect
	commands []string
	gssKex   int // completed GSS key exchanges, rekeys included
}

// serveGSS accepts one connection on l and runs our server stack on it:
// kex with the GSS methods, userauth with gssapi-with-mic and
// gssapi-keyex (principal alice@REALM may log in as alice), and a
// connection layer that runs exec requests with sh, with KRB5CCNAME set
// to the stored delegated credential (docs/security.md#g7).
func serveGSS(t *testing.T, ctx context.Context, l net.Listener, hk *hostkey.CryptoSigner, o gssServerOpts) (out gssServed) {
	t.Helper()
	host := o.hostname
	if host == "" {
		host = "localhost"
	}
	holder := &gsskex.ContextHolder{}
	kcfg := &kex.Config{HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)}}
	if o.families != nil {
		kcfg.Methods = gssKexMethods(t, &gsskex.Config{Established: holder.Keep, StrictAcceptorCheck: o.strict, Hostname: host, SendHostKey: o.sendHostKey}, o.families...)
	}
	s, nc, err := acceptTransport(ctx, l, kcfg)
	if err != nil {
		out.err = err
		return out
	}
	defer s.Close()
	out.kexAlg = s.Algorithms().Kex
	home := t.TempDir() // no ~/.k5login: alice@REALM is user alice
	srv := &gssauth.Server{StrictAcceptorCheck: o.strict, Hostname: host,
		HomeDir: func(string) (string, error) { return home, nil }}
	sess := srv.NewSession(holder.Context)
	defer func() {
		sess.Cleanup()
		if out.ccache != "" {
			_, err := os.Stat(out.ccache)
			out.ccGone = errors.Is(err, os.ErrNotExist)
		}
	}()
	out.res, out.err = userauth.Serve(ctx, s, sess.Install(&userauth.ServerConfig{FailureDelay: -1}), userauth.ConnInfo{RemoteAddr: nc.RemoteAddr()})
	if out.err != nil {
		return out
	}
	if out.ccache, err = sess.StoreDelegated(out.res, filepath.Join(t.TempDir(), "krb5cc_session")); err != nil {
		t.Error(err)
	}
	out.commands = serveExec(ctx, s, o.krb5Config, out.ccache)
	out.gssKex = holder.Exchanges()
	return out
}

// serveExec runs the connection protocol on t until the client leaves,
// answering each session's exec request with sh -c.
func serveExec(ctx context.Context, t wire.Transport, krb5Config, ccache string) []string {
	conn := connection.New(t, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()
	var mu sync.Mutex
	var cmds []string
	var hw sync.WaitGroup
	defer hw.Wait()
	for {
		nc, err := conn.Accept(ctx)
		if err != nil {
			return cmds
		}
		if nc.Type() != wire.ChannelTypeSession {
			nc.Reject(wire.UnknownChannelType, "sessions only")
			continue
		}
		commands := make(chan string, 1)
		ch, err := nc.Accept(func(ch *connection.Channel, req *connection.Request) bool {
			if req.Type != wire.RequestExec {
				return false
			}
			e, err := req.Exec()
			if err != nil {
				return false
			}
			select {
			case commands <- e.Command:
				return true
			default:
				return false
			}
		})
		if err != nil {
			continue
		}
		hw.Go(func() {
			defer ch.Close()
			var cmd string
			select {
			case cmd = <-commands:
			case <-ctx.Done():
				return
			}
			mu.Lock()
			cmds = append(cmds, cmd)
			mu.Unlock()
			c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
			c.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "KRB5_CONFIG=" + krb5Config}
			if ccache != "" {
				c.Env = append(c.Env, "KRB5CCNAME=FILE:"+ccache)
			}
			outb, _ := c.CombinedOutput()
			ch.Write(outb)
			status := 0
			if c.ProcessState != nil {
				status = c.ProcessState.ExitCode()
			}
			ch.SendExitStatus(ctx, uint32(status))
			ch.CloseWrite()
		})
	}
}

// gssSSH runs OpenSSH's ssh against port as alice@localhost.
func gssSSH(ctx context.Context, port int, args ...string) (sshdtest.SSHResult, error) {
	return gssSSHCommand(ctx, port, "klist -s && echo TGT-OK; echo done", args...)
}

// gssSSHCommand is gssSSH with another remote command.
func gssSSHCommand(ctx context.Context, port int, command string, args ...string) (sshdtest.SSHResult, error) {
	base := []string{"-vvv", "-p", itoa(port), "-o", "AddressFamily=inet",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "PubkeyAuthentication=no", "-o", "PasswordAuthentication=no",
		"-o", "KbdInteractiveAuthentication=no", "-o", "GSSAPIAuthentication=yes"}
	return sshdtest.RunSSH(ctx, nil, append(append(base, args...), "alice@localhost", command)...)
}

// gssListen listens on loopback (servertest.Listen).
func gssListen(t *testing.T) (net.Listener, int) {
	t.Helper()
	l := servertest.Listen(t)
	return l, servertest.Port(l)
}

// aliceIsMe is the realm option that lets sshd map alice@SSHSTACK.TEST
// to u, the user running the test (auth_to_local).
func aliceIsMe(u *user.User) krb5test.Options {
	return krb5test.Options{ExtraRealm: "\t\tauth_to_local = RULE:[1:$1@$0](^alice@SSHSTACK\\.TEST$)s/.*/" + u.Username + "/\n\t\tauth_to_local = DEFAULT\n"}
}

// gssKDC starts the realm of these tests: host/localhost in a keytab that
// KRB5_KTNAME names, alice's forwardable TGT in KRB5CCNAME, and
// host/otherhost known to the KDC but in no keytab.
func gssKDC(t *testing.T, opts ...krb5test.Options) *krb5test.Fixture {
	t.Helper()
	var f *krb5test.Fixture
	if len(opts) == 0 {
		f = krb5test.NewFixture(t, "host/localhost")
	} else {
		kdc := krb5test.Start(t, opts...)
		kdc.AddService(t, "host/localhost")
		kdc.AddUser(t, "alice", "alicepw")
		f = &krb5test.Fixture{KDC: kdc, Service: kdc.Principal("host/localhost"), Keytab: kdc.Keytab(t, "host/localhost"),
			User: kdc.Principal("alice"), Password: "alicepw", CCache: kdc.Kinit(t, "alice", "alicepw")}
	}
	f.KDC.AddService(t, "host/otherhost")
	f.Setenv(t)
	return f
}

// TestGSSSSHToOurServer: OpenSSH's ssh logs in to our server stack with
// gssapi-with-mic, with gssapi-keyex after each gss-* key exchange family
// ssh offers, and with delegation, whose TGT a command in the session
// finds with klist -s.
func TestGSSSSHToOurServer(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	f := gssKDC(t)
	hk := uaKey(t, hostkey.ED25519)
	type tc struct {
		name     string
		args     []string
		families []string
		method   string
		kex      string
		deleg    bool
	}
	cases := []tc{
		{"gssapi-with-mic", []string{"-o", "GSSAPIKeyExchange=no", "-o", "GSSAPIDelegateCredentials=no"}, nil, wire.MethodGSSAPIWithMIC, "", false},
		{"gssapi-with-mic delegation", []string{"-o", "GSSAPIKeyExchange=no", "-o", "GSSAPIDelegateCredentials=yes"}, nil, wire.MethodGSSAPIWithMIC, "", true},
	}
	for _, fam := range gssAllFamilies {
		cases = append(cases, tc{"gssapi-keyex " + fam, []string{"-o", "GSSAPIKeyExchange=yes", "-o", "GSSAPIKexAlgorithms=" + fam,
			"-o", "GSSAPIDelegateCredentials=" + map[bool]string{true: "yes", false: "no"}[fam == gsskex.Curve25519SHA256]},
			gssAllFamilies, wire.MethodGSSAPIKeyex, fam + gsskex.KerberosSuffix, fam == gsskex.Curve25519SHA256})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, port := gssListen(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var res sshdtest.SSHResult
			var sshErr error
			var wg sync.WaitGroup
			wg.Go(func() { res, sshErr = gssSSH(ctx, port, c.args...) })
			got := serveGSS(t, ctx, l, hk, gssServerOpts{families: c.families, strict: true, krb5Config: f.KDC.ConfigPath})
			wg.Wait()
			if sshErr != nil {
				t.Fatal(sshErr)
			}
			if got.err != nil {
				t.Fatalf("server: %v\nssh:\n%s", got.err, tail(string(res.Stderr)))
			}
			if c.kex != "" && got.kexAlg != c.kex {
				t.Errorf("kex %q, want %q", got.kexAlg, c.kex)
			}
			if got.res.User != "alice" || !slices.Equal(got.res.Methods, []string{c.method}) {
				t.Errorf("result %+v, want %s", got.res, c.method)
			}
			if want := fmt.Sprintf("using %q", c.method); !bytes.Contains(res.Stderr, []byte(want)) {
				t.Errorf("ssh output lacks %s:\n%s", want, tail(string(res.Stderr)))
			}
			if res.ExitCode != 0 || !bytes.Contains(res.Stdout, []byte("done")) {
				t.Errorf("session: exit %d, stdout %q", res.ExitCode, res.Stdout)
			}
			tgt := bytes.Contains(res.Stdout, []byte("TGT-OK"))
			if tgt != c.deleg || (got.ccache != "") != c.deleg {
				t.Errorf("delegation %v: klist -s in the session %v, ccache %q", c.deleg, tgt, got.ccache)
			}
			if got.ccache != "" && !got.ccGone {
				t.Error("delegated ccache left behind after disconnect (G7)")
			}
		})
	}
}

// TestGSSSSHRekey: ssh with RekeyLimit=16K rekeys while our server sends
// 350 KB; the rekey is a new GSS key exchange whose MIC ssh checks over
// that exchange's H (docs/security.md#g8 against OpenSSH).
func TestGSSSSHRekey(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	f := gssKDC(t)
	hk := uaKey(t, hostkey.ED25519)
	for _, fam := range []string{gsskex.Curve25519SHA256, gsskex.Group14SHA256} {
		t.Run(fam, func(t *testing.T) {
			l, port := gssListen(t)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			var res sshdtest.SSHResult
			var sshErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				res, sshErr = gssSSHCommand(ctx, port, "head -c 262144 /dev/zero | base64; echo done",
					"-o", "GSSAPIKeyExchange=yes", "-o", "GSSAPIKexAlgorithms="+fam, "-o", "RekeyLimit=16K")
			})
			got := serveGSS(t, ctx, l, hk, gssServerOpts{families: gssAllFamilies, strict: true, krb5Config: f.KDC.ConfigPath})
			wg.Wait()
			if sshErr != nil || got.err != nil {
				t.Fatalf("ssh %v, server %v\n%s", sshErr, got.err, tail(string(res.Stderr)))
			}
			if res.ExitCode != 0 || !bytes.Contains(res.Stdout, []byte("done")) {
				t.Fatalf("ssh exit %d, stdout %q\n%s", res.ExitCode, res.Stdout, tail(string(res.Stderr)))
			}
			if got.gssKex < 2 {
				t.Errorf("%d GSS key exchanges, want the first and at least one rekey\n%s", got.gssKex,
					grepLines(string(res.Stderr), "kex: algorithm", "rekey", "KEXINIT sent"))
			}
		})
	}
}

// TestGSSSSHToOurServerNullHostKey: with no host key at all our server
// offers only the "null" host key algorithm (RFC 4462, Section 5), which
// Debian's ssh accepts with GSSAPIKeyExchange.
func TestGSSSSHToOurServerNullHostKey(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	f := gssKDC(t)
	l, port := gssListen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res sshdtest.SSHResult
	var sshErr error
	var wg sync.WaitGroup
	wg.Go(func() { res, sshErr = gssSSH(ctx, port, "-o", "GSSAPIKeyExchange=yes") })
	holder := &gsskex.ContextHolder{}
	ms, _ := gsskex.Methods(&gsskex.Config{Established: holder.Keep, StrictAcceptorCheck: true, Hostname: "localhost"})
	s, _, err := acceptTransport(ctx, l, &kex.Config{Methods: ms})
	if err != nil {
		wg.Wait()
		t.Fatalf("handshake: %v\n%s", err, tail(string(res.Stderr)))
	}
	defer s.Close()
	if a := s.Algorithms(); a.HostKey != kex.NullHostKey {
		t.Errorf("host key algorithm %q", a.HostKey)
	}
	sess := (&gssauth.Server{StrictAcceptorCheck: true, Hostname: "localhost",
		HomeDir: func(string) (string, error) { return t.TempDir(), nil }}).NewSession(holder.Context)
	r, err := userauth.Serve(ctx, s, sess.Install(&userauth.ServerConfig{FailureDelay: -1}), userauth.ConnInfo{})
	if err == nil {
		serveExec(ctx, s, f.KDC.ConfigPath, "")
	}
	s.Close()
	wg.Wait()
	if sshErr != nil || err != nil {
		t.Fatalf("ssh %v, server %v\n%s", sshErr, err, tail(string(res.Stderr)))
	}
	if !slices.Equal(r.Methods, []string{wire.MethodGSSAPIKeyex}) || res.ExitCode != 0 {
		t.Errorf("methods %v, ssh exit %d", r.Methods, res.ExitCode)
	}
}

// TestGSSSSHToOurServerFailures: the cases of OpenSSH's
// regress/gss-auth.sh against our server: only the valid setup logs in.
func TestGSSSSHToOurServerFailures(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	f := gssKDC(t)
	hk := uaKey(t, hostkey.ED25519)
	emptyKT := f.KDC.Keytab(t) // a keytab without entries
	otherKT := f.KDC.Keytab(t, "host/otherhost")
	cases := []struct {
		name  string
		env   func(t *testing.T)
		opts  gssServerOpts
		args  []string
		keyex bool
	}{
		{"no keytab entry", func(t *testing.T) { t.Setenv("KRB5_KTNAME", "FILE:"+emptyKT) }, gssServerOpts{strict: true}, nil, false},
		{"no keytab entry keyex", func(t *testing.T) { t.Setenv("KRB5_KTNAME", "FILE:"+emptyKT) }, gssServerOpts{strict: true, families: gssAllFamilies}, []string{"-o", "GSSAPIKeyExchange=yes"}, true},
		{"no TGT", func(t *testing.T) { t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none")) }, gssServerOpts{strict: true, families: gssAllFamilies}, []string{"-o", "GSSAPIKeyExchange=yes"}, true},
		{"server host/principal mismatch", nil, gssServerOpts{strict: true, hostname: "otherhost"}, nil, false},
		{"server keytab for another host", func(t *testing.T) { t.Setenv("KRB5_KTNAME", "FILE:"+otherKT) }, gssServerOpts{strict: false}, nil, false},
		{"client host/principal mismatch", nil, gssServerOpts{strict: true}, []string{"-o", "GSSAPIServerIdentity=otherhost"}, false},
		{"client mismatch, relaxed acceptor", nil, gssServerOpts{strict: false}, []string{"-o", "GSSAPIServerIdentity=otherhost"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != nil {
				c.env(t)
			}
			l, port := gssListen(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var res sshdtest.SSHResult
			var sshErr error
			var wg sync.WaitGroup
			args := c.args
			if !c.keyex {
				args = append(args, "-o", "GSSAPIKeyExchange=no")
			}
			wg.Go(func() { res, sshErr = gssSSH(ctx, port, args...) })
			c.opts.krb5Config = f.KDC.ConfigPath
			got := serveGSS(t, ctx, l, hk, c.opts)
			wg.Wait()
			if sshErr != nil {
				t.Fatal(sshErr)
			}
			if got.err == nil || got.res != nil || res.ExitCode == 0 {
				t.Fatalf("logged in: server %v, ssh exit %d\n%s", got.err, res.ExitCode, tail(string(res.Stderr)))
			}
			if got.ccache != "" {
				t.Error("delegated credential stored for a failed login")
			}
		})
	}
}

// TestGSSOurClientToSSHD: our client stack against OpenSSH's sshd with
// GSSAPIAuthentication and GSSAPIKeyExchange: gssapi-with-mic after an
// ordinary key exchange, and gssapi-keyex after each gss-* family sshd
// offers; the delegated TGT is seen by klist -s in the session.
func TestGSSOurClientToSSHD(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// sshd maps alice@SSHSTACK.TEST to the user running the test.
	f := gssKDC(t, aliceIsMe(u))
	fams := slices.Clone(gssAllFamilies)
	srv := sshdtest.Start(t, sshdtest.Options{
		Config: []string{
			"GSSAPIAuthentication yes",
			"GSSAPIKeyExchange yes",
			"GSSAPIKexAlgorithms " + strings.Join(fams, ","),
			"GSSAPIStrictAcceptorCheck no", // the keytab has host/localhost, not host/<hostname>
			"GSSAPICleanupCredentials yes",
			"PubkeyAuthentication no",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
		},
		Env: []string{"KRB5_KTNAME=FILE:" + f.Keytab},
	})
	hkBlob := authorizedBlob(t, srv.HostPublicKey(t, "ed25519"))
	type tc struct {
		name   string
		family string // "" for gssapi-with-mic after curve25519-sha256
		method string
		deleg  bool
	}
	cases := []tc{{"gssapi-with-mic", "", wire.MethodGSSAPIWithMIC, true}, {"gssapi-with-mic no delegation", "", wire.MethodGSSAPIWithMIC, false}}
	for _, fam := range gssAllFamilies {
		cases = append(cases, tc{"gssapi-keyex " + fam, fam, wire.MethodGSSAPIKeyex, fam == gsskex.Curve25519SHA256})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			holder := &gsskex.ContextHolder{}
			kcfg := &kex.Config{HostKeyAlgorithms: []string{hostkey.ED25519, kex.NullHostKey},
				HostKeyVerifier: trustOnly(hkBlob), ServerName: "localhost"}
			if c.family != "" {
				kcfg.Methods = gssKexMethods(t, &gsskex.Config{Established: holder.Keep, Delegate: c.deleg}, c.family)
			}
			k, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), kcfg)
			if err != nil {
				nc.Close()
				t.Fatalf("handshake: %v\n%s", err, tail(srv.Log()))
			}
			defer k.Close()
			if c.family != "" && k.Algorithms().Kex != c.family+gsskex.KerberosSuffix {
				t.Fatalf("kex %q", k.Algorithms().Kex)
			}
			if c.family != "" {
				// Debian's sshd sends no KEXGSS_HOSTKEY.
				t.Logf("kex %s, host key algorithm %s, KEXGSS_HOSTKEY received: %v", k.Algorithms().Kex, k.Algorithms().HostKey, k.HostKey() != nil)
			}
			res, err := userauth.Authenticate(ctx, k, &userauth.ClientConfig{User: u.Username, Sources: []userauth.Method{
				&gssauth.Keyex{Context: holder.Context},
				&gssauth.WithMIC{Host: "localhost", Delegate: c.deleg},
			}})
			if err != nil {
				t.Fatalf("authenticate: %v\n%s", err, tail(srv.Log()))
			}
			if last := res.Results[len(res.Results)-1]; last.Source.Name() != c.method || last.Outcome != userauth.Success {
				t.Fatalf("result:\n%s", res)
			}
			conn := connection.New(k, nil)
			var wg sync.WaitGroup
			wg.Go(func() { conn.Run(ctx) })
			defer wg.Wait()
			defer conn.Close()
			if c.family != "" {
				// A rekey after authentication: a new GSS context, and
				// sshd's MIC over the new H (docs/security.md#g8).
				if err := k.Rekey(ctx); err != nil {
					t.Fatalf("rekey: %v\n%s", err, tail(srv.Log()))
				}
			}
			ch, err := conn.OpenSession(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.family != "" && holder.Exchanges() != 2 {
				t.Errorf("%d GSS key exchanges after the rekey, want 2", holder.Exchanges())
			}
			if err := ch.Exec(ctx, `echo "cache=$KRB5CCNAME"; klist -s && echo TGT-OK; echo done`); err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(ch)
			ch.Wait(ctx)
			if !bytes.Contains(out, []byte("done")) {
				t.Fatalf("session output %q", out)
			}
			if got := bytes.Contains(out, []byte("TGT-OK")); got != c.deleg {
				t.Errorf("delegation %v, klist -s in the session %v: %q", c.deleg, got, out)
			}
			want := fmt.Sprintf("Accepted %s for %s", c.method, u.Username)
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(srv.Log(), want) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if !strings.Contains(srv.Log(), want) {
				t.Errorf("sshd log lacks %q:\n%s", want, tail(srv.Log()))
			}
		})
	}
}

// gssParamikoClient logs in with paramiko's GSS-API support (python-gssapi
// with MIT's library): gss_kex for the key exchange with gssapi-keyex,
// or gssapi-with-mic; it runs one command and prints its output.
const gssParamikoClient = `
import socket, sys
import paramiko

port, mode = int(sys.argv[1]), sys.argv[2]
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
t = paramiko.Transport(sock, gss_kex=(mode == "keyex"), gss_deleg_creds=True)
t.set_gss_host("localhost", trust_dns=False)
t.start_client(timeout=20)
if mode == "keyex":
    t.auth_gssapi_keyex("alice")
else:
    t.auth_gssapi_with_mic("alice", "localhost", True)
ok = t.is_authenticated()
print("gss_kex_used", t.gss_kex_used, "authenticated", ok)
ch = t.open_session()
ch.exec_command("klist -s && echo TGT-OK; echo done")
print(ch.makefile().read().decode())
print("exit", ch.recv_exit_status())
t.close()
sys.exit(0 if ok else 1)
`

// paramikoGroupBug is paramiko 2.12's failure in its gss-group1/14-sha1
// client under Python 3 (kex_gss.py: sha1(str(hm))).
const paramikoGroupBug = "TypeError: __str__ returned non-string"

// TestGSSParamikoToOurServer: paramiko 2.12 with gss_kex (its three SHA-1
// families) and gss_auth against our server stack, delegating.
func TestGSSParamikoToOurServer(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko, gssapi").Run(); err != nil {
		sshdtest.MissingPeer(t, "paramiko with python-gssapi not available: %v", err)
	}
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	f := gssKDC(t)
	script := uaWrite(t, filepath.Join(t.TempDir(), "gss.py"), []byte(gssParamikoClient), 0o644)
	hk := uaKey(t, hostkey.ED25519)
	cases := []struct {
		name, mode string
		families   []string
		method     string
	}{
		{"gss_auth", "mic", nil, wire.MethodGSSAPIWithMIC},
	}
	for _, fam := range gsskex.LegacyFamilies() {
		cases = append(cases, struct {
			name, mode string
			families   []string
			method     string
		}{"gss_kex " + fam, "keyex", []string{fam}, wire.MethodGSSAPIKeyex})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, port := gssListen(t)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			var out []byte
			var pyErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				cmd := exec.CommandContext(ctx, py, script, itoa(port), c.mode)
				out, pyErr = cmd.CombinedOutput()
			})
			got := serveGSS(t, ctx, l, hk, gssServerOpts{families: c.families, strict: true, krb5Config: f.KDC.ConfigPath})
			wg.Wait()
			if c.mode == "keyex" && c.families[0] != gsskex.GexSHA1 && bytes.Contains(out, []byte(paramikoGroupBug)) {
				// paramiko 2.12's KexGSSGroup1/KexGSSGroup14 client hashes
				// str() of a bytes-returning Message on Python 3 and dies
				// with a TypeError before checking the MIC, against any
				// server. Our side of the exchange is the one
				// gss-group*-sha1 uses with OpenSSH above.
				t.Logf("paramiko's own %s client bug (%s); our server: %v", c.families[0], paramikoGroupBug, got.err)
				return
			}
			if got.err != nil || pyErr != nil {
				t.Fatalf("server %v, paramiko %v:\n%s", got.err, pyErr, tail(string(out)))
			}
			if !slices.Equal(got.res.Methods, []string{c.method}) {
				t.Errorf("methods %v, want %s", got.res.Methods, c.method)
			}
			if c.families != nil && got.kexAlg != c.families[0]+gsskex.KerberosSuffix {
				t.Errorf("kex %q", got.kexAlg)
			}
			if !bytes.Contains(out, []byte("TGT-OK")) || got.ccache == "" || !got.ccGone {
				t.Errorf("delegation: ccache %q removed %v; paramiko:\n%s", got.ccache, got.ccGone, out)
			}
			t.Logf("paramiko: %s", bytes.TrimSpace(out))
		})
	}
}

// grepLines returns the lines of s that contain any of words.
func grepLines(s string, words ...string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				b.WriteString(l + "\n")
				break
			}
		}
	}
	return b.String()
}

// TestGSSOurClientToSSHDFailures: the cases of OpenSSH's
// regress/gss-auth.sh with our client against sshd: only the valid setup
// logs in, with gssapi-with-mic and with GSS key exchange.
func TestGSSOurClientToSSHDFailures(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	f := gssKDC(t, aliceIsMe(u))
	sshd := func(keytab string, strict bool) *sshdtest.Server {
		return sshdtest.Start(t, sshdtest.Options{
			Config: []string{
				"GSSAPIAuthentication yes",
				"GSSAPIKeyExchange yes",
				"GSSAPIStrictAcceptorCheck " + map[bool]string{true: "yes", false: "no"}[strict],
				"PubkeyAuthentication no",
				"PasswordAuthentication no",
				"KbdInteractiveAuthentication no",
			},
			Env: []string{"KRB5_KTNAME=FILE:" + keytab},
		})
	}
	good := sshd(f.Keytab, false)
	noEntry := sshd(f.KDC.Keytab(t), false) // an empty keytab
	// Strict: sshd accepts only host/<its hostname>, which is not in the
	// keytab (host/localhost is).
	strict := sshd(f.Keytab, true)
	cases := []struct {
		name     string
		srv      *sshdtest.Server
		env      func(t *testing.T)
		identity string
		ok       bool
	}{
		{"valid", good, nil, "", true},
		{"no keytab entry", noEntry, nil, "", false},
		{"no TGT", good, func(t *testing.T) { t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none")) }, "", false},
		{"server host/principal mismatch", strict, nil, "", false},
		{"client host/principal mismatch", good, nil, "otherhost", false},
	}
	for _, c := range cases {
		for _, keyex := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s keyex=%v", c.name, keyex), func(t *testing.T) {
				if h, _ := os.Hostname(); c.srv == strict && h == "localhost" {
					t.Skip("the host is called localhost: no mismatch to test")
				}
				if c.env != nil {
					c.env(t)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.srv.Addr)
				if err != nil {
					t.Fatal(err)
				}
				holder := &gsskex.ContextHolder{}
				kcfg := &kex.Config{HostKeyAlgorithms: []string{hostkey.ED25519, kex.NullHostKey},
					HostKeyVerifier: trustOnly(authorizedBlob(t, c.srv.HostPublicKey(t, "ed25519"))), ServerName: "localhost"}
				if keyex {
					kcfg.Methods, err = gsskex.Methods(&gsskex.Config{Established: holder.Keep, ServerIdentity: c.identity})
					if err != nil {
						t.Fatal(err)
					}
				}
				k, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), kcfg)
				if err != nil {
					nc.Close()
					if c.ok {
						t.Fatalf("handshake: %v\n%s", err, tail(c.srv.Log()))
					}
					return // the GSS key exchange itself failed: not logged in
				}
				defer k.Close()
				_, err = userauth.Authenticate(ctx, k, &userauth.ClientConfig{User: u.Username, Sources: []userauth.Method{
					&gssauth.Keyex{Context: holder.Context},
					&gssauth.WithMIC{Host: "localhost", ServerIdentity: c.identity},
				}})
				if (err == nil) != c.ok {
					t.Fatalf("authenticate: %v (want success %v)\n%s", err, c.ok, tail(c.srv.Log()))
				}
			})
		}
	}
}
