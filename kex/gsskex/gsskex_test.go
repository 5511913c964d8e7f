package gsskex

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/gssapi/krb5test"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeHostKey is a host key blob that is sent in KEXGSS_HOSTKEY but never
// signs: GSS-API methods authenticate the server with the MIC.
type fakeHostKey struct{}

var fakeBlob = wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), bytes.Repeat([]byte{7}, 32))

func (fakeHostKey) PublicKey() []byte { return fakeBlob }
func (fakeHostKey) Sign(io.Reader, string, []byte) ([]byte, error) {
	return nil, errors.New("gss methods never sign")
}

// neverCalled is the client's host key verifier: GSS-API methods do not
// call it, so it fails if they do.
type neverCalled struct{}

func (neverCalled) VerifyHostKey(string, []byte, []byte, []byte) error {
	return errors.New("gsskex test: host key verifier called")
}

var trustAll = neverCalled{}

// Requirement: 4462-2.1-names
func TestSuffix(t *testing.T) {
	if got := Suffix(gssapi.MechKerberos5); got != KerberosSuffix {
		t.Errorf("Suffix(krb5) = %q, want %q", got, KerberosSuffix)
	}
	m, err := New(Curve25519SHA256, nil)
	if err != nil || m.Name() != "gss-curve25519-sha256-toWM5Slw5Ew8Mqkay+al2g==" {
		t.Errorf("New = %v, %v", m, err)
	}
	if _, err := New("gss-foo-", nil); !errors.Is(err, ErrUnknownFamily) {
		t.Errorf("unknown family: %v", err)
	}
}

// setup starts a KDC with host/localhost and alice's TGT.
func setup(t *testing.T) *krb5test.Fixture {
	t.Helper()
	f := krb5test.NewFixture(t, "host/localhost")
	f.Setenv(t)
	return f
}

// side is one end's configuration and what it saw.
type side struct {
	cfg    *Config
	holder *ContextHolder
	kc     *kex.Config
}

func newSides(t *testing.T, family string, hostKey bool, tweak func(*Method)) (c, s *side) {
	t.Helper()
	c = &side{holder: &ContextHolder{}}
	c.cfg = &Config{Established: c.holder.Keep}
	s = &side{holder: &ContextHolder{}}
	s.cfg = &Config{Established: s.holder.Keep, StrictAcceptorCheck: true, Hostname: "localhost", SendHostKey: hostKey}
	cm, err := New(family, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	sm, _ := New(family, s.cfg)
	if tweak != nil {
		tweak(sm)
	}
	c.kc = &kex.Config{Methods: []kex.Method{cm}, HostKeyVerifier: trustAll, ServerName: "localhost",
		HostKeyAlgorithms: []string{"ssh-ed25519", kex.NullHostKey}}
	s.kc = &kex.Config{Methods: []kex.Method{sm}}
	if hostKey {
		s.kc.HostKeys = []kex.HostKey{{Signer: fakeHostKey{}, Algorithms: []string{"ssh-ed25519"}}}
	}
	return c, s
}

// handshake runs both sides over an in-memory buffered pipe.
func handshake(t *testing.T, ccfg, scfg *kex.Config) (c, s *kex.Transport, cerr, serr error) {
	t.Helper()
	a, b := packettest.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		s, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg)
		if serr != nil {
			b.Close()
		}
	})
	c, cerr = kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
	if cerr != nil {
		a.Close()
	}
	wg.Wait()
	t.Cleanup(func() {
		if c != nil {
			c.Close()
		}
		if s != nil {
			s.Close()
		}
		a.Close()
		b.Close()
	})
	return c, s, cerr, serr
}

// transfer sends n packets from w to r, calling rekey halfway.
func transfer(t *testing.T, w, r *kex.Transport, n int, rekey func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			if i == n/2 && rekey != nil {
				rekey()
			}
			if err := w.WritePacket(append([]byte{byte(wire.MsgChannelData)}, byte(i))); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range n {
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if p[1] != byte(i) {
			t.Fatalf("packet %d differs", i)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestEveryFamily: our client against our server for every family, with
// the "null" host key and with KEXGSS_HOSTKEY, and a rekey started by
// each side; every exchange's MIC is over its own H (docs/security.md#g8).
// Requirement: 4462-5-null-hostkey, 8732-4-families
func TestEveryFamily(t *testing.T) {
	f := setup(t)
	for _, fam := range Families() {
		for _, hk := range []bool{false, true} {
			name := fam + map[bool]string{false: "null", true: "hostkey"}[hk]
			t.Run(name, func(t *testing.T) {
				cs, ss := newSides(t, fam, hk, nil)
				c, s, cerr, serr := handshake(t, cs.kc, ss.kc)
				if cerr != nil || serr != nil {
					t.Fatalf("client %v, server %v\n%s", cerr, serr, f.KDC.Log())
				}
				if got := c.Algorithms().Kex; got != fam+KerberosSuffix {
					t.Fatalf("negotiated %q", got)
				}
				wantHK := kex.NullHostKey
				if hk {
					wantHK = "ssh-ed25519"
					if !bytes.Equal(c.HostKey(), fakeBlob) {
						t.Errorf("client HostKey %x", c.HostKey())
					}
				} else if c.HostKey() != nil {
					t.Errorf("client HostKey %x with the null algorithm", c.HostKey())
				}
				if got := c.Algorithms().HostKey; got != wantHK {
					t.Errorf("host key algorithm %q, want %q", got, wantHK)
				}
				sid := bytes.Clone(c.SessionID())
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				transfer(t, c, s, 50, func() {
					if err := c.Rekey(ctx); err != nil {
						t.Errorf("client rekey: %v", err)
					}
				})
				transfer(t, s, c, 50, func() {
					if err := s.Rekey(ctx); err != nil {
						t.Errorf("server rekey: %v", err)
					}
				})
				if !bytes.Equal(c.SessionID(), sid) {
					t.Error("session id changed on rekey")
				}
				if cs.holder.Exchanges() != 3 || ss.holder.Exchanges() != 3 {
					t.Errorf("exchanges: client %d, server %d, want 3", cs.holder.Exchanges(), ss.holder.Exchanges())
				}
				ic, ac := cs.holder.Context(), ss.holder.Context()
				if ic == nil || ac == nil || ac.PeerName().String() != f.User {
					t.Fatalf("kept contexts %v, %v", ic, ac)
				}
				// The kept contexts sign for gssapi-keyex.
				mic, err := ic.GetMIC(sid)
				if err != nil {
					t.Fatal(err)
				}
				if err := ac.VerifyMIC(sid, mic); err != nil {
					t.Errorf("kept contexts do not match: %v", err)
				}
			})
		}
	}
}

// TestG8WrongH: a MIC over anything but the current exchange hash is
// rejected, on the first exchange and on a rekey (docs/security.md#g8,
// paramiko PR #1065).
// Requirement: 4462-2.1-mic-verify
func TestG8WrongH(t *testing.T) {
	setup(t)
	t.Run("first exchange", func(t *testing.T) {
		cs, ss := newSides(t, Curve25519SHA256, false, func(m *Method) {
			m.micData = func(h []byte) []byte { return append(bytes.Clone(h), 0) }
		})
		_, _, cerr, _ := handshake(t, cs.kc, ss.kc)
		if !errors.Is(cerr, ErrMIC) || !errors.Is(cerr, kex.ErrHostKey) {
			t.Fatalf("client error %v, want ErrMIC", cerr)
		}
	})
	t.Run("rekey signs the session id", func(t *testing.T) {
		var mu sync.Mutex
		var first []byte
		cs, ss := newSides(t, Group14SHA256, false, func(m *Method) {
			m.micData = func(h []byte) []byte {
				mu.Lock()
				defer mu.Unlock()
				if first == nil {
					first = bytes.Clone(h)
					return h
				}
				return first // the session id, as paramiko once did
			}
		})
		c, s, cerr, serr := handshake(t, cs.kc, ss.kc)
		if cerr != nil || serr != nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
		// The server answers the client's KEXINIT in ReadPacket, as
		// the connection layer always has a goroutine there.
		var reader sync.WaitGroup
		reader.Go(func() {
			for {
				if _, err := s.ReadPacket(); err != nil {
					return
				}
			}
		})
		defer reader.Wait()
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := c.Rekey(ctx)
		if err == nil {
			_, err = c.ReadPacket()
		}
		if !errors.Is(err, ErrMIC) {
			t.Fatalf("rekey error %v, want ErrMIC", err)
		}
	})
}

// TestKexGSSError: the server's KEXGSS_ERROR reaches the client as a
// *KexError, and the failure cases of OpenSSH's gss-auth.sh fail the
// exchange on both sides.
// Requirement: 4462-2.1-error
func TestKexGSSError(t *testing.T) {
	setup(t)
	t.Run("server principal not in keytab", func(t *testing.T) {
		cs, ss := newSides(t, Curve25519SHA256, false, nil)
		ss.cfg.Hostname = "otherhost"
		_, _, cerr, serr := handshake(t, cs.kc, ss.kc)
		var ke *KexError
		if !errors.As(cerr, &ke) {
			t.Fatalf("client error %v, want *KexError", cerr)
		}
		if serr == nil {
			t.Error("server succeeded")
		}
	})
	t.Run("no keytab", func(t *testing.T) {
		t.Setenv("KRB5_KTNAME", "FILE:"+filepath.Join(t.TempDir(), "none"))
		cs, ss := newSides(t, Group16SHA512, false, nil)
		_, _, cerr, serr := handshake(t, cs.kc, ss.kc)
		var ke *KexError
		if !errors.As(cerr, &ke) || serr == nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
	})
	t.Run("no TGT", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none"))
		cs, ss := newSides(t, NISTP256SHA256, false, nil)
		_, _, cerr, serr := handshake(t, cs.kc, ss.kc)
		if cerr == nil || serr == nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
	})
	t.Run("client targets another host", func(t *testing.T) {
		cs, ss := newSides(t, Curve25519SHA256, false, nil)
		cs.kc.ServerName = "nosuchhost"
		_, _, cerr, serr := handshake(t, cs.kc, ss.kc)
		if cerr == nil || serr == nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
	})
	t.Run("relaxed acceptor", func(t *testing.T) {
		cs, ss := newSides(t, Curve25519SHA256, false, nil)
		ss.cfg.Hostname, ss.cfg.StrictAcceptorCheck = "otherhost", false
		if _, _, cerr, serr := handshake(t, cs.kc, ss.kc); cerr != nil || serr != nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
	})
	t.Run("error message parsed", func(t *testing.T) {
		e := peerError((&wire.KexGSSError{Major: 0xd0000, Minor: 7, Message: "bad\x1b[31m"}).Append(nil))
		var ke *KexError
		if !errors.As(e, &ke) || ke.Major != 0xd0000 || ke.Minor != 7 || bytes.ContainsRune([]byte(ke.Message), 0x1b) {
			t.Errorf("peerError = %#v", e)
		}
	})
}

// scriptConn replays packets to a method and records what it writes.
type scriptConn struct {
	in  [][]byte
	out [][]byte
}

func (c *scriptConn) ReadPacket(context.Context) ([]byte, error) {
	if len(c.in) == 0 {
		return nil, io.EOF
	}
	p := c.in[0]
	c.in = c.in[1:]
	return p, nil
}

func (c *scriptConn) WritePacket(_ context.Context, p []byte) error {
	c.out = append(c.out, bytes.Clone(p))
	return nil
}

// TestInvalidPublicValues: the server refuses bad ephemeral values in
// KEXGSS_INIT before any GSS-API work (docs/security.md#k6 to #k8).
// Requirement: 4462-2.1-e-f-range, 8732-4-validate
func TestInvalidPublicValues(t *testing.T) {
	p256, p384, p521 := make([]byte, 65), make([]byte, 97), make([]byte, 133)
	p256[0], p384[0], p521[0] = 4, 4, 4 // the point (0, 0), not on the curve
	tests := []struct {
		family string
		e      []byte
	}{
		{Curve25519SHA256, make([]byte, 32)},
		{Curve25519SHA256, make([]byte, 31)},
		{Curve25519SHA256, make([]byte, 33)},
		{NISTP256SHA256, p256},
		{NISTP256SHA256, append([]byte{2}, make([]byte, 32)...)},
		{NISTP384SHA384, p384},
		{NISTP384SHA384, p256},
		{NISTP521SHA512, p521},
		{NISTP521SHA512, p384},
		{Group14SHA256, nil},
		{Group14SHA256, []byte{1}},
		{Group14SHA256, []byte{0x80}},
		{Group14SHA256, wire.AppendMPInt(nil, kex.Group14().P)[4:]},
		{Group1SHA1, bytes.Repeat([]byte{0xff}, 200)},
		{Group15SHA512, wire.AppendMPInt(nil, kex.Group15().P)[4:]},
		{Group17SHA512, []byte{1}},
		{Group18SHA512, bytes.Repeat([]byte{0x7f}, 1026)},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			m, _ := New(tt.family, &Config{})
			c := &scriptConn{in: [][]byte{(&wire.KexGSSInit{Token: []byte("tok"), E: tt.e}).Append(nil)}}
			_, err := m.Run(context.Background(), c, &kex.Params{Role: kex.Server, HostKeyAlgorithm: kex.NullHostKey})
			if !errors.Is(err, kex.ErrInvalidPublicValue) {
				t.Errorf("Run = %v, want ErrInvalidPublicValue", err)
			}
		})
	}
	t.Run("gex group outside the request", func(t *testing.T) {
		m, _ := New(GexSHA1, &Config{})
		g := kex.Group1() // 1024 bits < GexMinBits
		c := &scriptConn{in: [][]byte{(&wire.KexGSSGroup{P: g.P.Bytes(), G: g.G.Bytes()}).Append(nil)}}
		_, err := m.Run(context.Background(), c, &kex.Params{Role: kex.Client, ServerName: "localhost"})
		if !errors.Is(err, kex.ErrInvalidGroup) {
			t.Errorf("Run = %v, want ErrInvalidGroup", err)
		}
	})
	t.Run("unexpected message", func(t *testing.T) {
		m, _ := New(Curve25519SHA256, &Config{})
		c := &scriptConn{in: [][]byte{(&wire.KexGSSContinue{Token: []byte("x")}).Append(nil)}}
		_, err := m.Run(context.Background(), c, &kex.Params{Role: kex.Server})
		if !errors.Is(err, kex.ErrUnexpectedMessage) {
			t.Errorf("Run = %v", err)
		}
	})
}

// FuzzServerInit: whatever the client's first message, the server side
// returns an error or a result, never panics.
func FuzzServerInit(f *testing.F) {
	f.Add((&wire.KexGSSInit{Token: []byte("tok"), E: make([]byte, 32)}).Append(nil))
	f.Add((&wire.KexGSSGroupReq{Min: 2048, N: 3072, Max: 8192}).Append(nil))
	f.Add([]byte{byte(wire.MsgKexGSSInit)})
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) == 0 {
			return
		}
		for _, fam := range []string{Curve25519SHA256, Group14SHA256, GexSHA1} {
			m, _ := New(fam, &Config{AcceptorCred: &gssapi.Credential{}})
			c := &scriptConn{in: [][]byte{p, p}}
			if _, err := m.Run(context.Background(), c, &kex.Params{Role: kex.Server}); err == nil {
				t.Fatal("exchange completed from one message")
			}
		}
	})
}

// BenchmarkHandshake measures a whole gss-curve25519-sha256 handshake
// over an in-memory pipe, the client's TGS exchange with the KDC
// included (the default credential is read on every exchange).
func BenchmarkHandshake(b *testing.B) {
	f := krb5test.NewFixture(b, "host/localhost")
	f.Setenv(b)
	cm, _ := New(Curve25519SHA256, &Config{})
	sm, _ := New(Curve25519SHA256, &Config{StrictAcceptorCheck: true, Hostname: "localhost"})
	ccfg := &kex.Config{Methods: []kex.Method{cm}, HostKeyVerifier: trustAll, ServerName: "localhost", HostKeyAlgorithms: []string{kex.NullHostKey}}
	scfg := &kex.Config{Methods: []kex.Method{sm}}
	for b.Loop() {
		a, p := packettest.Pipe()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var s *kex.Transport
		var serr error
		var wg sync.WaitGroup
		wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(p, &packet.Config{Server: true}), scfg) })
		c, cerr := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
		wg.Wait()
		cancel()
		if cerr != nil || serr != nil {
			b.Fatal(cerr, serr)
		}
		c.Close()
		s.Close()
	}
}
