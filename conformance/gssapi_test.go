package conformance_test

// Interop of the pure-Go Kerberos GSS-API mechanism (module gssapi)
// with MIT Kerberos 1.20's GSS-API, driven through python3-gssapi
// (testdata/gssapi/peer.py), against a throwaway MIT KDC per test
// (krb5test).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/gssapi/krb5test"
)

// gssRealm is a realm with host/localhost (keytab) and alice (TGT in a
// FILE: cache), with KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME set for the
// test process.
type gssRealm struct {
	kdc    *krb5test.KDC
	keytab string
	ccache string
}

func newGSSRealm(t *testing.T) *gssRealm {
	t.Helper()
	kdc := krb5test.Start(t)
	kdc.AddService(t, "host/localhost")
	kdc.AddUser(t, "alice", "alicepw")
	r := &gssRealm{kdc: kdc, keytab: kdc.Keytab(t, "host/localhost"), ccache: kdc.Kinit(t, "alice", "alicepw")}
	kdc.Setenv(t)
	t.Setenv("KRB5CCNAME", "FILE:"+r.ccache)
	t.Setenv("KRB5_KTNAME", "FILE:"+r.keytab)
	return r
}

func (r *gssRealm) alice() string { return "alice@" + r.kdc.Realm }
func (r *gssRealm) host() string  { return "host/localhost@" + r.kdc.Realm }

// mitPeer is a running peer.py.
type mitPeer struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr bytes.Buffer
	cancel context.CancelFunc
}

func startMIT(t *testing.T, r *gssRealm, env []string, args ...string) *mitPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	script, err := filepath.Abs("testdata/gssapi/peer.py")
	if err != nil {
		t.Fatal(err)
	}
	env = append([]string{"KRB5_KTNAME=FILE:" + r.keytab, "KRB5CCNAME=FILE:" + r.ccache}, env...)
	p := &mitPeer{t: t, cancel: cancel}
	p.cmd = r.kdc.Command(ctx, "/usr/bin/python3", append([]string{script}, args...), env...)
	p.cmd.Stderr = &p.stderr
	p.stdin, err = p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdout = bufio.NewReader(out)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting peer.py: %v", err)
	}
	t.Cleanup(p.close)
	return p
}

func (p *mitPeer) close() {
	p.stdin.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill() // our own child, by PID
		<-done
	}
	p.cancel()
}

func (p *mitPeer) send(b []byte) {
	p.t.Helper()
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	if _, err := p.stdin.Write(append(frame, b...)); err != nil {
		p.t.Fatalf("writing to peer.py: %v (stderr: %s)", err, p.stderr.String())
	}
}

// recv reads a reply frame; a status-1 frame becomes an error.
func (p *mitPeer) recv() ([]byte, error) {
	p.t.Helper()
	var hdr [4]byte
	if _, err := io.ReadFull(p.stdout, hdr[:]); err != nil {
		p.t.Fatalf("reading from peer.py: %v (stderr: %s)", err, p.stderr.String())
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(p.stdout, b); err != nil || len(b) == 0 {
		p.t.Fatalf("reading from peer.py: %v (stderr: %s)", err, p.stderr.String())
	}
	if b[0] != 0 {
		return nil, fmt.Errorf("MIT: %s", b[1:])
	}
	return b[1:], nil
}

func (p *mitPeer) call(op byte, arg []byte) ([]byte, error) {
	p.t.Helper()
	p.send(append([]byte{op}, arg...))
	return p.recv()
}

func (p *mitPeer) mustCall(op byte, arg []byte) []byte {
	p.t.Helper()
	b, err := p.call(op, arg)
	if err != nil {
		p.t.Fatalf("peer op %c: %v", op, err)
	}
	return b
}

type mitInfo struct {
	Initiator string `json:"initiator"`
	Target    string `json:"target"`
	Flags     uint32 `json:"flags"`
	Delegated bool   `json:"delegated"`
}

func (p *mitPeer) info() mitInfo {
	p.t.Helper()
	var i mitInfo
	if err := json.Unmarshal(p.mustCall('I', nil), &i); err != nil {
		p.t.Fatal(err)
	}
	return i
}

// noLeaks checks, after every cleanup of t, that t left no goroutine
// behind. (The conformance package's TestMain is not ours to define.)
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// initToMIT runs our initiator against peer.py in accept mode.
func initToMIT(t *testing.T, r *gssRealm, flags gssapi.Flags, env ...string) (*gssapi.Context, *mitPeer) {
	t.Helper()
	return initToMITWith(t, r, &gssapi.InitOptions{Flags: flags}, env...)
}

func initToMITWith(t *testing.T, r *gssRealm, o *gssapi.InitOptions, env ...string) (*gssapi.Context, *mitPeer) {
	t.Helper()
	ctx := testCtx(t)
	p := startMIT(t, r, env, "accept")
	ic, err := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), o)
	if err != nil {
		t.Fatal(err)
	}
	var in []byte
	for i := 0; !ic.Established(); i++ {
		if i > 3 {
			t.Fatal("context not established after 3 round trips")
		}
		out, err := ic.Step(ctx, in)
		if err != nil {
			t.Fatalf("our initiator step %d: %v", i, err)
		}
		if out == nil {
			break
		}
		p.send(out)
		in, err = p.recv()
		if err != nil {
			t.Fatalf("MIT acceptor: %v", err)
		}
		if len(in) == 0 && !ic.Established() {
			t.Fatal("MIT acceptor sent no token but we are not established")
		}
	}
	return ic, p
}

// acceptFromMIT runs peer.py in init mode against our acceptor.
func acceptFromMIT(t *testing.T, r *gssRealm, ac *gssapi.Context, letters string, env ...string) (*mitPeer, error) {
	t.Helper()
	ctx := testCtx(t)
	p := startMIT(t, r, env, "init", "host@localhost", letters)
	for i := 0; !ac.Established(); i++ {
		if i > 3 {
			t.Fatal("context not established after 3 round trips")
		}
		tok, err := p.recv()
		if err != nil {
			t.Fatalf("MIT initiator: %v", err)
		}
		out, err := ac.Step(ctx, tok)
		if err != nil {
			if len(out) > 0 { // a KRB-ERROR token for the initiator
				p.send(out)
				if _, e := p.recv(); e == nil {
					t.Error("MIT initiator accepted our KRB-ERROR token")
				}
			}
			return p, err
		}
		if len(out) > 0 {
			p.send(out)
			if _, err := p.recv(); err != nil { // MIT's final (empty) step
				t.Fatalf("MIT initiator on our AP-REP: %v", err)
			}
		}
	}
	return p, nil
}

func checkFlags(t *testing.T, got gssapi.Flags, want ...gssapi.Flags) {
	t.Helper()
	for _, f := range want {
		if got&f == 0 {
			t.Errorf("flags %v lack %v", got, f)
		}
	}
}

// exchangeMessages runs MIC and Wrap in both directions between our
// context and the MIT peer.
func exchangeMessages(t *testing.T, c *gssapi.Context, p *mitPeer) {
	t.Helper()
	msg := []byte("sshstack per-message test \x00\xff")
	// Ours -> MIT: MIC.
	mic, err := c.GetMIC(msg)
	if err != nil {
		t.Fatal(err)
	}
	arg := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	p.mustCall('V', append(append(arg, msg...), mic...))
	// Tampered MIC is rejected by MIT.
	bad := append([]byte(nil), mic...)
	bad[len(bad)-1] ^= 1
	if _, err := p.call('V', append(append(arg, msg...), bad...)); err == nil {
		t.Error("MIT accepted a tampered MIC")
	}
	// MIT -> ours: MIC.
	mic = p.mustCall('M', msg)
	if err := c.VerifyMIC(msg, mic); err != nil {
		t.Errorf("VerifyMIC of MIT's MIC: %v", err)
	}
	if err := c.VerifyMIC(msg, mic); c.Flags().Replay() && !errors.Is(err, gssapi.ErrDuplicateToken) {
		t.Errorf("replayed MIT MIC: got %v, want ErrDuplicateToken", err)
	}
	for _, conf := range []bool{true, false} {
		for _, m := range [][]byte{msg, nil, bytes.Repeat([]byte{0xa5}, 4097)} {
			// Ours -> MIT: Wrap.
			tok, err := c.Wrap(m, conf)
			if err != nil {
				t.Fatal(err)
			}
			got := p.mustCall('U', tok)
			if (got[0] == 1) != conf || !bytes.Equal(got[1:], m) {
				t.Errorf("MIT unwrapped conf=%v %q, want conf=%v %q", got[0] == 1, trunc(got[1:]), conf, trunc(m))
			}
			// MIT -> ours: Wrap.
			c1 := byte(0)
			if conf {
				c1 = 1
			}
			tok = p.mustCall('W', append([]byte{c1}, m...))
			um, uconf, err := c.Unwrap(tok)
			if err != nil {
				t.Fatalf("Unwrap of MIT's token (conf=%v): %v", conf, err)
			}
			if uconf != conf || !bytes.Equal(um, m) {
				t.Errorf("we unwrapped conf=%v %q, want conf=%v %q", uconf, trunc(um), conf, trunc(m))
			}
		}
	}
	// A reflected token (our own) is rejected.
	tok, _ := c.Wrap(msg, true)
	if _, _, err := c.Unwrap(tok); !errors.Is(err, gssapi.ErrBadSig) {
		t.Errorf("unwrapping our own token: got %v, want ErrBadSig", err)
	}
	p.mustCall('U', tok) // keep the MIT peer's sequence in step
	// Last, since a rejected token leaves a gap in the sequence.
	if err := c.VerifyMIC([]byte("other"), p.mustCall('M', msg)); !errors.Is(err, gssapi.ErrBadSig) {
		t.Errorf("MIC over another message: got %v, want ErrBadSig", err)
	}
}

func trunc(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

func TestGSSOurInitiatorMITAcceptor(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	want := gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagConf | gssapi.FlagInteg
	ic, p := initToMIT(t, r, want)
	checkFlags(t, ic.Flags(), gssapi.FlagMutual, gssapi.FlagReplay, gssapi.FlagSequence, gssapi.FlagConf, gssapi.FlagInteg, gssapi.FlagProtReady)
	if ic.Flags().Delegate() {
		t.Error("delegation flag set without being requested")
	}
	if got := ic.PeerName().String(); got != r.host() {
		t.Errorf("peer name %q, want %q", got, r.host())
	}
	if got := ic.InitiatorName().String(); got != r.alice() {
		t.Errorf("initiator name %q, want %q", got, r.alice())
	}
	if l := ic.Lifetime(); l <= time.Hour || l > 10*time.Hour+time.Minute {
		t.Errorf("context lifetime %v, want about 10h", l)
	}
	info := p.info()
	if info.Initiator != r.alice() || info.Target != r.host() {
		t.Errorf("MIT sees initiator %q target %q", info.Initiator, info.Target)
	}
	if gssapi.Flags(info.Flags)&gssapi.FlagMutual == 0 || info.Delegated {
		t.Errorf("MIT flags %v, delegated %v", gssapi.Flags(info.Flags), info.Delegated)
	}
	exchangeMessages(t, ic, p)
	p.mustCall('Q', nil)

	// A requested lifetime shortens the service ticket and the context.
	// (A fresh credential, so no ticket is cached yet.)
	cred, err := gssapi.AcquireCredential(testCtx(t), gssapi.AcquireOptions{Usage: gssapi.UsageInitiate})
	if err != nil {
		t.Fatal(err)
	}
	ic2, p2 := initToMITWith(t, r, &gssapi.InitOptions{Cred: cred, Lifetime: 30 * time.Minute})
	if l := ic2.Lifetime(); l > 30*time.Minute || l < 25*time.Minute {
		t.Errorf("lifetime with 30m requested: %v", l)
	}
	exchangeMessages(t, ic2, p2)
}

func TestGSSMITInitiatorOurAcceptor(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	ac, err := gssapi.NewAcceptContext(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := acceptFromMIT(t, r, ac, "mrsci")
	if err != nil {
		t.Fatalf("accepting MIT's token: %v", err)
	}
	checkFlags(t, ac.Flags(), gssapi.FlagMutual, gssapi.FlagReplay, gssapi.FlagSequence, gssapi.FlagConf, gssapi.FlagInteg, gssapi.FlagProtReady)
	if got := ac.PeerName().String(); got != r.alice() {
		t.Errorf("peer name %q, want %q", got, r.alice())
	}
	if got := ac.TargetName().String(); got != r.host() {
		t.Errorf("target name %q, want %q", got, r.host())
	}
	if ac.DelegatedCredential() != nil {
		t.Error("delegated credential without delegation")
	}
	info := p.info()
	if info.Initiator != r.alice() || info.Target != r.host() {
		t.Errorf("MIT sees initiator %q target %q", info.Initiator, info.Target)
	}
	exchangeMessages(t, ac, p)
	p.mustCall('Q', nil)
}

// Without mutual authentication there is no AP-REP: one token.
func TestGSSNoMutual(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	t.Run("ours to MIT", func(t *testing.T) {
		ic, p := initToMIT(t, r, gssapi.FlagInteg|gssapi.FlagSequence)
		if ic.Flags().Mutual() {
			t.Error("mutual flag without mutual authentication")
		}
		exchangeMessages(t, ic, p)
	})
	t.Run("MIT to ours", func(t *testing.T) {
		ac, _ := gssapi.NewAcceptContext(nil)
		p, err := acceptFromMIT(t, r, ac, "s")
		if err != nil {
			t.Fatal(err)
		}
		if ac.Flags().Mutual() {
			t.Error("mutual flag without mutual authentication")
		}
		exchangeMessages(t, ac, p)
	})
}

// Our initiator delegates a forwarded TGT; MIT stores it and klist
// reads it.
func TestGSSDelegationOursToMIT(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	ic, p := initToMIT(t, r, gssapi.FlagMutual|gssapi.FlagDelegate)
	if !ic.Flags().Delegate() {
		t.Fatalf("delegation flag not set: %v", ic.Flags())
	}
	info := p.info()
	if !info.Delegated || gssapi.Flags(info.Flags)&gssapi.FlagDelegate == 0 {
		t.Fatalf("MIT got no delegated credential: %+v", info)
	}
	path := filepath.Join(t.TempDir(), "mit-deleg")
	p.mustCall('D', []byte(path))
	out, err := r.kdc.Klist(testCtx(t), path)
	if err != nil {
		t.Fatalf("klist: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Default principal: "+r.alice()) || !strings.Contains(out, "krbtgt/"+r.kdc.Realm+"@"+r.kdc.Realm) {
		t.Errorf("klist of MIT's stored delegation:\n%s", out)
	}
	if !strings.Contains(out, "Flags: FfT") && !strings.Contains(out, "Flags: Ff") {
		t.Errorf("delegated TGT is not marked forwarded:\n%s", out)
	}
}

// MIT delegates to our acceptor; we write the TGT to a ccache that klist
// reads, and use it to authenticate to MIT again.
func TestGSSDelegationMITToOurs(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	ac, _ := gssapi.NewAcceptContext(nil)
	if _, err := acceptFromMIT(t, r, ac, "md"); err != nil {
		t.Fatal(err)
	}
	if !ac.Flags().Delegate() {
		t.Fatalf("delegation flag not set: %v", ac.Flags())
	}
	d := ac.DelegatedCredential()
	if d == nil {
		t.Fatal("no delegated credential")
	}
	if d.Name().String() != r.alice() || d.Usage() != gssapi.UsageInitiate || d.Lifetime() <= 0 {
		t.Errorf("delegated credential: name %v usage %v lifetime %v", d.Name(), d.Usage(), d.Lifetime())
	}
	path := filepath.Join(t.TempDir(), "our-deleg")
	if err := d.WriteCCache("FILE:" + path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ccache mode: %v %v", fi.Mode(), err)
	}
	out, err := r.kdc.Klist(testCtx(t), path)
	if err != nil {
		t.Fatalf("klist: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Default principal: "+r.alice()) || !strings.Contains(out, "krbtgt/"+r.kdc.Realm+"@"+r.kdc.Realm) {
		t.Errorf("klist of our ccache:\n%s", out)
	}
	// The written cache works for MIT's kvno (a TGS exchange with it).
	kv, err := r.kdc.Command(testCtx(t), "kvno", []string{"host/localhost"}, "KRB5CCNAME=FILE:"+path).CombinedOutput()
	if err != nil {
		t.Errorf("kvno with our ccache: %v\n%s", err, kv)
	}
	// And the delegated credential initiates a context to MIT.
	p := startMIT(t, r, nil, "accept")
	ic, err := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), &gssapi.InitOptions{Cred: d})
	if err != nil {
		t.Fatal(err)
	}
	out1, err := ic.Step(testCtx(t), nil)
	if err != nil {
		t.Fatalf("initiating with the delegated credential: %v", err)
	}
	p.send(out1)
	in, err := p.recv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Step(testCtx(t), in); err != nil || !ic.Established() {
		t.Fatalf("second step: %v", err)
	}
}

func wantGSSError(t *testing.T, what string, err error, sentinel error, krbCode int32) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got %v, want %v", what, err, sentinel)
		return
	}
	var ge *gssapi.Error
	if !errors.As(err, &ge) {
		t.Errorf("%s: %T is not a *gssapi.Error", what, err)
		return
	}
	if krbCode != 0 && ge.KrbCode != krbCode {
		t.Errorf("%s: Kerberos code %d, want %d (%v)", what, ge.KrbCode, krbCode, err)
	}
}

// The failure cases of OpenSSH's gss-auth regression (docs/security.md#g6):
// no keytab entry, no TGT, wrong principal on either side.
func TestGSSFailures(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	r.kdc.AddService(t, "host/other")
	otherKT := r.kdc.Keytab(t, "host/other")
	bothKT := r.kdc.Keytab(t, "host/other", "host/localhost")
	ctx := testCtx(t)

	t.Run("no keytab entry, our acceptor", func(t *testing.T) {
		cred, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Usage: gssapi.UsageAccept, Store: gssapi.Store{Keytab: "FILE:" + otherKT}})
		if err != nil {
			t.Fatal(err)
		}
		ac, _ := gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: cred})
		_, err = acceptFromMIT(t, r, ac, "m")
		wantGSSError(t, "accept", err, gssapi.ErrNoCred, 45)
		if ac.Established() {
			t.Error("established without a key")
		}
	})
	t.Run("no keytab entry, MIT acceptor", func(t *testing.T) {
		p := startMIT(t, r, []string{"KRB5_KTNAME=FILE:" + otherKT}, "accept")
		ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), nil)
		out, err := ic.Step(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.send(out)
		mitAcceptFails(t, ctx, ic, p, 35) // KRB_AP_ERR_NOT_US
	})
	t.Run("no TGT, our initiator", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none"))
		ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), nil)
		_, err := ic.Step(ctx, nil)
		wantGSSError(t, "init", err, gssapi.ErrNoCred, 0)
		_, err = gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Usage: gssapi.UsageInitiate})
		wantGSSError(t, "acquire", err, gssapi.ErrNoCred, 0)
	})
	t.Run("no TGT, MIT initiator", func(t *testing.T) {
		p := startMIT(t, r, []string{"KRB5CCNAME=FILE:" + filepath.Join(t.TempDir(), "none")}, "init", "host@localhost", "m")
		if _, err := p.recv(); err == nil {
			t.Error("MIT initiated without a TGT")
		}
	})
	t.Run("wrong principal, unknown to the KDC", func(t *testing.T) {
		ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "nosuchhost"), nil)
		_, err := ic.Step(ctx, nil)
		wantGSSError(t, "init", err, gssapi.ErrFailure, 7) // KDC_ERR_S_PRINCIPAL_UNKNOWN
	})
	t.Run("wrong principal, strict acceptor", func(t *testing.T) {
		other, _ := gssapi.NewName("host/other", gssapi.NameKerberosPrincipal)
		cred, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: other, Usage: gssapi.UsageAccept, Store: gssapi.Store{Keytab: bothKT}})
		if err != nil {
			t.Fatal(err)
		}
		ac, _ := gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: cred})
		_, err = acceptFromMIT(t, r, ac, "m")
		wantGSSError(t, "strict accept", err, gssapi.ErrNoCred, 35) // KRB_AP_ERR_NOT_US
	})
	t.Run("wrong principal, strict MIT acceptor", func(t *testing.T) {
		p := startMIT(t, r, []string{"KRB5_KTNAME=FILE:" + bothKT}, "accept", "host/other@"+r.kdc.Realm)
		ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), nil)
		out, err := ic.Step(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.send(out)
		mitAcceptFails(t, ctx, ic, p, 35)
	})
	t.Run("acceptor credential for a name not in the keytab", func(t *testing.T) {
		nobody, _ := gssapi.NewName("host/nobody", gssapi.NameKerberosPrincipal)
		_, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: nobody, Usage: gssapi.UsageAccept})
		wantGSSError(t, "acquire", err, gssapi.ErrNoCred, 0)
	})
}

// mitAcceptFails expects MIT's acceptor to refuse our AP-REQ, either
// with an error or with a KRB-ERROR token, which our initiator must turn
// into an error carrying the Kerberos code.
func mitAcceptFails(t *testing.T, ctx context.Context, ic *gssapi.Context, p *mitPeer, krbCode int32) {
	t.Helper()
	tok, err := p.recv()
	if err != nil {
		return // refused outright
	}
	_, err = ic.Step(ctx, tok)
	wantGSSError(t, "KRB-ERROR token from MIT", err, gssapi.ErrFailure, krbCode)
	if ic.Established() {
		t.Error("established on a KRB-ERROR token")
	}
}

// Hostile and misdirected tokens against real contexts.
func TestGSSBadTokens(t *testing.T) {
	noLeaks(t)
	newGSSRealm(t)
	ctx := testCtx(t)
	target := gssapi.HostbasedService("host", "localhost")

	t.Run("replayed AP-REQ", func(t *testing.T) {
		ic, _ := gssapi.NewInitContext(target, &gssapi.InitOptions{Flags: gssapi.FlagInteg})
		tok, err := ic.Step(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		a1, _ := gssapi.NewAcceptContext(nil)
		if _, err := a1.Step(ctx, tok); err != nil {
			t.Fatal(err)
		}
		a2, _ := gssapi.NewAcceptContext(nil)
		_, err = a2.Step(ctx, tok)
		wantGSSError(t, "replay", err, gssapi.ErrDuplicateToken, 34)
		if a2.Established() {
			t.Error("replayed AP-REQ established a context")
		}
	})
	t.Run("tokens from a different context", func(t *testing.T) {
		pair := func() (*gssapi.Context, *gssapi.Context) {
			ic, _ := gssapi.NewInitContext(target, nil)
			ac, _ := gssapi.NewAcceptContext(nil)
			tok, err := ic.Step(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ac.Step(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ic.Step(ctx, rep); err != nil {
				t.Fatal(err)
			}
			return ic, ac
		}
		i1, _ := pair()
		_, a2 := pair()
		mic, _ := i1.GetMIC([]byte("m"))
		wantGSSError(t, "MIC", a2.VerifyMIC([]byte("m"), mic), gssapi.ErrBadSig, 0)
		w, _ := i1.Wrap([]byte("m"), true)
		_, _, err := a2.Unwrap(w)
		wantGSSError(t, "wrap", err, gssapi.ErrBadSig, 0)
	})
	t.Run("AP-REP from another context", func(t *testing.T) {
		i1, _ := gssapi.NewInitContext(target, nil)
		i2, _ := gssapi.NewInitContext(target, nil)
		t1, _ := i1.Step(ctx, nil)
		if _, err := i2.Step(ctx, nil); err != nil {
			t.Fatal(err)
		}
		ac, _ := gssapi.NewAcceptContext(nil)
		rep, err := ac.Step(ctx, t1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = i2.Step(ctx, rep)
		if err == nil || i2.Established() {
			t.Errorf("foreign AP-REP accepted: %v", err)
		}
	})
	t.Run("cut AP-REQ", func(t *testing.T) {
		ic, _ := gssapi.NewInitContext(target, nil)
		tok, _ := ic.Step(ctx, nil)
		for i := 0; i < len(tok); i++ {
			ac, _ := gssapi.NewAcceptContext(nil)
			if _, err := ac.Step(ctx, tok[:i]); !errors.Is(err, gssapi.ErrDefectiveToken) {
				t.Fatalf("AP-REQ cut at %d: got %v, want ErrDefectiveToken", i, err)
			}
		}
	})
	t.Run("truncated DER inside a well-framed AP-REQ", func(t *testing.T) {
		ic, _ := gssapi.NewInitContext(target, nil)
		tok, _ := ic.Step(ctx, nil)
		_, id, inner, err := gssapi.ParseInitialToken(tok)
		if err != nil || id != 0x0100 {
			t.Fatalf("our AP-REQ token: %x %v", id, err)
		}
		for i := 0; i < len(inner); i++ {
			ac, _ := gssapi.NewAcceptContext(nil)
			if _, err := ac.Step(ctx, frameToken(inner[:i])); !errors.Is(err, gssapi.ErrDefectiveToken) {
				t.Fatalf("AP-REQ DER cut at %d: got %v, want ErrDefectiveToken", i, err)
			}
		}
	})
	t.Run("wrong mechanism OID", func(t *testing.T) {
		ic, _ := gssapi.NewInitContext(target, nil)
		tok, _ := ic.Step(ctx, nil)
		bad := append([]byte(nil), tok...)
		bad[len(bad)-len(tok)+2+2+8] ^= 1 // last byte of the OID
		ac, _ := gssapi.NewAcceptContext(nil)
		_, err := ac.Step(ctx, bad)
		wantGSSError(t, "mech", err, gssapi.ErrBadMech, 0)
	})
}

// frameToken wraps an AP-REQ body in the RFC 2743, Section 3.1 framing.
func frameToken(inner []byte) []byte {
	body := append(append(gssapi.MechKerberos5.DER(), 0x01, 0x00), inner...)
	n := len(body)
	switch {
	case n < 0x80:
		return append([]byte{0x60, byte(n)}, body...)
	case n < 0x100:
		return append([]byte{0x60, 0x81, byte(n)}, body...)
	default:
		return append([]byte{0x60, 0x82, byte(n >> 8), byte(n)}, body...)
	}
}

// An expired TGT is refused before anything is sent; an AP-REQ whose
// ticket expired is refused by the acceptor.
func TestGSSExpired(t *testing.T) {
	noLeaks(t)
	kdc := krb5test.Start(t, krb5test.Options{ExtraLibdefaults: "\tclockskew = 1\n"})
	kdc.AddService(t, "host/localhost")
	kdc.AddUser(t, "alice", "alicepw")
	kt := kdc.Keytab(t, "host/localhost")
	cc := kdc.Kinit(t, "alice", "alicepw", "-l", "3s")
	kdc.Setenv(t)
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	t.Setenv("KRB5_KTNAME", "FILE:"+kt)
	ctx := testCtx(t)
	ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), nil)
	tok, err := ic.Step(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	ac, _ := gssapi.NewAcceptContext(nil)
	_, err = ac.Step(ctx, tok)
	wantGSSError(t, "expired ticket", err, gssapi.ErrCredentialsExpired, 32)
	_, err = gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Usage: gssapi.UsageInitiate})
	wantGSSError(t, "expired TGT", err, gssapi.ErrCredentialsExpired, 32)
}

// Channel bindings (RFC 4121, Section 4.1.1.2) agree with MIT's hash in
// both directions; a mismatch fails on either acceptor.
func TestGSSChannelBindings(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	cb := &gssapi.ChannelBindings{ApplicationData: []byte("tls-server-end-point:abc")}
	t.Run("ours to MIT", func(t *testing.T) {
		ic, p := initToMITWith(t, r, &gssapi.InitOptions{ChannelBindings: cb}, "PEER_CB=tls-server-end-point:abc")
		exchangeMessages(t, ic, p)
	})
	t.Run("ours to MIT, mismatch", func(t *testing.T) {
		p := startMIT(t, r, []string{"PEER_CB=other"}, "accept")
		ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), &gssapi.InitOptions{ChannelBindings: cb})
		out, err := ic.Step(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		p.send(out)
		mitAcceptFails(t, testCtx(t), ic, p, 0)
	})
	t.Run("MIT to ours", func(t *testing.T) {
		ac, _ := gssapi.NewAcceptContext(&gssapi.AcceptOptions{ChannelBindings: cb})
		p, err := acceptFromMIT(t, r, ac, "m", "PEER_CB=tls-server-end-point:abc")
		if err != nil {
			t.Fatal(err)
		}
		exchangeMessages(t, ac, p)
	})
	t.Run("MIT to ours, mismatch", func(t *testing.T) {
		ac, _ := gssapi.NewAcceptContext(&gssapi.AcceptOptions{ChannelBindings: cb})
		_, err := acceptFromMIT(t, r, ac, "m", "PEER_CB=other")
		wantGSSError(t, "accept", err, gssapi.ErrBadBindings, 0)
	})
}

// Initiator credentials from a password (gss_acquire_cred_with_password)
// and from a client keytab (KRB5_CLIENT_KTNAME), used against MIT.
func TestGSSPasswordAndClientKeytab(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	ctx := testCtx(t)
	alice, _ := gssapi.NewName("alice", gssapi.NameUser)
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none"))
	t.Run("password", func(t *testing.T) {
		cred, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: alice, Password: "alicepw", Usage: gssapi.UsageInitiate, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if cred.Name().String() != r.alice() || cred.Lifetime() > time.Hour || cred.Lifetime() < 50*time.Minute {
			t.Errorf("credential %v lifetime %v", cred.Name(), cred.Lifetime())
		}
		ic, p := initToMITWith(t, r, &gssapi.InitOptions{Cred: cred})
		if p.info().Initiator != r.alice() {
			t.Error("MIT sees another initiator")
		}
		exchangeMessages(t, ic, p)
		path := filepath.Join(t.TempDir(), "pw-cc")
		if err := cred.WriteCCache(path); err != nil {
			t.Fatal(err)
		}
		if out, err := r.kdc.Klist(ctx, path); err != nil || !strings.Contains(out, "host/localhost@") {
			t.Errorf("klist of password credential (with its service ticket): %v\n%s", err, out)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: alice, Password: "wrong", Usage: gssapi.UsageInitiate})
		wantGSSError(t, "wrong password", err, gssapi.ErrNoCred, 31) // KRB_AP_ERR_BAD_INTEGRITY
		// With pre-authentication required, the KDC itself refuses.
		r.kdc.Kadmin(t, "addprinc +requires_preauth -pw bobpw bob@"+r.kdc.Realm)
		bob, _ := gssapi.NewName("bob", gssapi.NameUser)
		_, err = gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: bob, Password: "wrong", Usage: gssapi.UsageInitiate})
		wantGSSError(t, "wrong password with preauth", err, gssapi.ErrNoCred, 24) // KDC_ERR_PREAUTH_FAILED
		if _, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: bob, Password: "bobpw", Usage: gssapi.UsageInitiate}); err != nil {
			t.Errorf("password with preauth: %v", err)
		}
		nobody, _ := gssapi.NewName("nobody", gssapi.NameUser)
		_, err = gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: nobody, Password: "x", Usage: gssapi.UsageInitiate})
		wantGSSError(t, "unknown user", err, gssapi.ErrNoCred, 6) // KDC_ERR_C_PRINCIPAL_UNKNOWN
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = gssapi.AcquireCredential(cctx, gssapi.AcquireOptions{Name: alice, Password: "alicepw", Usage: gssapi.UsageInitiate})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled acquisition: %v", err)
		}
	})
	t.Run("client keytab", func(t *testing.T) {
		t.Setenv("KRB5_CLIENT_KTNAME", "FILE:"+r.kdc.Keytab(t, "alice"))
		cred, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: alice, Usage: gssapi.UsageInitiate})
		if err != nil {
			t.Fatal(err)
		}
		ic, p := initToMITWith(t, r, &gssapi.InitOptions{Cred: cred})
		exchangeMessages(t, ic, p)
	})
}

// A credential for both initiating and accepting, acquired without a
// name, initiates as the cache's principal and accepts for any keytab
// principal.
func TestGSSBothCredential(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	cred, err := gssapi.AcquireCredential(testCtx(t), gssapi.AcquireOptions{Usage: gssapi.UsageBoth})
	if err != nil {
		t.Fatal(err)
	}
	if cred.Usage() != gssapi.UsageBoth || cred.Name().String() != r.alice() || !cred.Mechanisms().Contains(gssapi.MechKerberos5) {
		t.Errorf("credential: usage %v name %v mechs %v", cred.Usage(), cred.Name(), cred.Mechanisms())
	}
	ac, _ := gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: cred})
	if _, err := acceptFromMIT(t, r, ac, "m"); err != nil {
		t.Fatalf("accepting with a both-usage credential: %v", err)
	}
	ic, p := initToMITWith(t, r, &gssapi.InitOptions{Cred: cred})
	exchangeMessages(t, ic, p)
}

// TestGSSCredentialReuseAfterDelete runs two contexts to the same service
// on one Credential, deleting the first before the second. Delete clears
// the context's keys; it must not clear the service ticket's session key
// that the Credential caches for the next context (found by the GSS-in-SSH
// work, where a client reuses its Credential across connections and
// rekeys).
func TestGSSCredentialReuseAfterDelete(t *testing.T) {
	noLeaks(t)
	r := newGSSRealm(t)
	cred, err := gssapi.AcquireCredential(testCtx(t), gssapi.AcquireOptions{Usage: gssapi.UsageInitiate})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		ic, p := initToMITWith(t, r, &gssapi.InitOptions{Cred: cred, Flags: gssapi.FlagMutual | gssapi.FlagInteg})
		exchangeMessages(t, ic, p)
		if err := ic.Delete(); err != nil {
			t.Fatalf("context %d: Delete: %v", i, err)
		}
	}
}
