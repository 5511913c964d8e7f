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
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/conformance/krb5test"
	"github.com/sshstack/sshstack/gssapi"
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
	ctx := testCtx(t)
	p := startMIT(t, r, env, "accept")
	ic, err := gssapi.NewInitContext(gssapi.HostbasedService("host", "localhost"), &gssapi.InitOptions{Flags: flags})
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
func acceptFromMIT(t *testing.T, r *gssRealm, ac *gssapi.Context, letters string) (*mitPeer, error) {
	t.Helper()
	ctx := testCtx(t)
	p := startMIT(t, r, nil, "init", "host@localhost", letters)
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
