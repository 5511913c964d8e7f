package kex_test

// The hostile-peer cases of docs/security.md for the key exchange (#k1 to #k11,
// #p9, #p10, #h3, #r4), driven by a scripted peer built from a bare
// packet.Conn and this package's exported pieces, against our Transport.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// rawPeer is a hand-driven SSH endpoint for hostile tests.
type rawPeer struct {
	t        *testing.T
	pc       *packet.Conn
	role     kex.Role
	hk       *ed25519Key // the raw server's host key
	local    string
	remote   string
	myInit   []byte
	peerInit []byte
	sid      []byte
	strict   bool
	kexCount int
	// withNewKeys are sent after our NEWKEYS, under the new keys and in
	// the same network write.
	withNewKeys [][]byte
}

// result of the Transport under test.
type outcome struct {
	tr  *kex.Transport
	err error
}

// A delivery is what one ReadPacket returned, the payload copied.
type delivery struct {
	p   []byte
	err error
}

// reading keeps a goroutine in tr.ReadPacket until it fails, as the
// connection layer always does, and passes on what it returns. The
// Transport reads only while someone does: a rekey the peer starts, its
// PING or an unrecognized message is handled by a ReadPacket call, not
// by a goroutine of the Transport's own (there is none while no exchange
// of ours runs). The test's cleanup closes tr and waits for the reader.
func reading(t *testing.T, tr *kex.Transport) <-chan delivery {
	ch := make(chan delivery, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			p, err := tr.ReadPacket()
			ch <- delivery{bytes.Clone(p), err}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tr.Close(); <-done })
	return ch
}

// next returns the next delivery, failing the test after 20 s.
func next(t *testing.T, ch <-chan delivery) ([]byte, error) {
	t.Helper()
	select {
	case d := <-ch:
		return d.p, d.err
	case <-time.After(20 * time.Second):
		t.Fatal("nothing delivered")
	}
	return nil, nil
}

// startServer runs our ServerHandshake against a raw client.
func startServer(t *testing.T, cfg *kex.Config) (*rawPeer, <-chan outcome) {
	a, b := packettest.Pipe()
	ch := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	go func() {
		defer cancel()
		tr, err := kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), cfg)
		ch <- outcome{tr, err}
	}()
	r := &rawPeer{t: t, pc: packet.NewConn(a, nil), role: kex.Client, local: "SSH-2.0-raw"}
	r.versions()
	t.Cleanup(func() { r.pc.Close() })
	return r, ch
}

// startClient runs our ClientHandshake against a raw server.
func startClient(t *testing.T, cfg *kex.Config, hk *ed25519Key) (*rawPeer, <-chan outcome) {
	a, b := packettest.Pipe()
	ch := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	go func() {
		defer cancel()
		tr, err := kex.ClientHandshake(ctx, packet.NewConn(a, nil), cfg)
		ch <- outcome{tr, err}
	}()
	r := &rawPeer{t: t, pc: packet.NewConn(b, &packet.Config{Server: true}), role: kex.Server, hk: hk, local: "SSH-2.0-raw"}
	r.versions()
	t.Cleanup(func() { r.pc.Close() })
	return r, ch
}

func (r *rawPeer) versions() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	remote, err := r.pc.ExchangeVersions(ctx, r.local)
	if err != nil {
		r.t.Fatal(err)
	}
	r.remote = remote
}

func (r *rawPeer) send(p []byte) {
	r.t.Helper()
	if err := r.pc.WritePacket(p); err != nil {
		r.t.Fatalf("raw send: %v", err)
	}
}

func (r *rawPeer) read() ([]byte, error) {
	p, err := r.pc.ReadPacket()
	return bytes.Clone(p), err
}

// initMsg builds a KEXINIT with the given kex list (markers included as
// given) and first_kex_packet_follows.
func (r *rawPeer) initMsg(kexAlgs []string, follows bool) *wire.KexInit {
	aead := []string{cipher.ChaCha20Poly1305}
	macs := []string{cipher.HMACSHA256ETM}
	return &wire.KexInit{
		KexAlgorithms:           kexAlgs,
		ServerHostKeyAlgorithms: []string{"ssh-ed25519"},
		CiphersClientServer:     aead, CiphersServerClient: aead,
		MACsClientServer: macs, MACsServerClient: macs,
		CompressionClientServer: []string{"none"}, CompressionServerClient: []string{"none"},
		FirstKexPacketFollows: follows,
	}
}

func (r *rawPeer) sendInit(m *wire.KexInit) {
	r.myInit = m.Append(nil)
	r.send(r.myInit)
}

// readInit reads the peer's KEXINIT.
func (r *rawPeer) readInit() *wire.KexInit {
	r.t.Helper()
	p, err := r.read()
	if err != nil {
		r.t.Fatalf("raw: reading KEXINIT: %v", err)
	}
	m, err := wire.ParseKexInit(p)
	if err != nil {
		r.t.Fatalf("raw: want KEXINIT: %v", err)
	}
	r.peerInit = p
	return &m
}

// methodConn adapts the raw packet.Conn for kex.Method.Run.
type methodConn struct{ r *rawPeer }

func (c methodConn) ReadPacket(context.Context) ([]byte, error) {
	for {
		p, err := c.r.read()
		if err != nil {
			return nil, err
		}
		if wire.MsgNum(p[0]) == wire.MsgKexInit && c.r.peerInit == nil {
			c.r.peerInit = p // a guess was sent before reading it
			continue
		}
		return p, nil
	}
}

func (c methodConn) WritePacket(_ context.Context, p []byte) error { return c.r.pc.WritePacket(p) }

// exchange runs method name and switches keys; strict says whether to
// reset sequence numbers.
func (r *rawPeer) exchange(name string) {
	r.t.Helper()
	m, ok := kex.Lookup(name)
	if !ok {
		r.t.Fatalf("no method %s", name)
	}
	p := &kex.Params{Role: r.role, HostKeyAlgorithm: "ssh-ed25519", SessionID: r.sid}
	if r.role == kex.Client {
		p.ClientVersion, p.ServerVersion = []byte(r.local), []byte(r.remote)
		p.Verifier = edVerifier{}
	} else {
		p.ClientVersion, p.ServerVersion = []byte(r.remote), []byte(r.local)
		p.HostKey = r.hk
	}
	conn := methodConn{r}
	// I_C and I_S are read when H is computed, after the method's first
	// read; a guessing client learns I_S only then.
	res, err := m.Run(context.Background(), conn, r.fillInits(p))
	if err != nil {
		r.t.Fatalf("raw %s: %v", name, err)
	}
	if r.sid == nil {
		r.sid = res.H
	}
	ci, si := r.inits()
	algs, err := kex.Negotiate(ci, si, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	sizes := func(d kex.DirectionAlgorithms) kex.KeySizes {
		a, _ := cipher.LookupAlgorithm(d.Cipher)
		s := kex.KeySizes{IV: a.IVSize, Key: a.KeySize}
		if !a.AEAD() {
			m, _ := cipher.LookupMAC(d.MAC)
			s.MACKey = m.KeySize
		}
		return s
	}
	kc, ks := res.Keys(r.sid, sizes(algs.ClientToServer), sizes(algs.ServerToClient))
	mk := func(d kex.DirectionAlgorithms, k kex.DirectionKeys) packet.Keys {
		return packet.Keys{Cipher: d.Cipher, MAC: d.MAC, IV: k.IV, Key: k.Key, MACKey: k.MACKey, ResetSeq: r.strict}
	}
	out, in := mk(algs.ClientToServer, kc), mk(algs.ServerToClient, ks)
	if r.role == kex.Server {
		out, in = in, out
	}
	r.pc.Cork()
	if err := r.pc.WriteNewKeys(out); err != nil {
		r.t.Fatal(err)
	}
	for _, p := range r.withNewKeys {
		r.send(p)
	}
	if err := r.pc.Flush(); err != nil {
		r.t.Fatal(err)
	}
	for {
		q, err := r.read()
		if err != nil {
			r.t.Fatalf("raw: waiting for NEWKEYS: %v", err)
		}
		if wire.MsgNum(q[0]) == wire.MsgNewKeys {
			break
		}
	}
	if err := r.pc.SetReadKeys(in); err != nil {
		r.t.Fatal(err)
	}
	r.kexCount++
	r.myInit, r.peerInit = nil, nil
}

func (r *rawPeer) fillInits(p *kex.Params) *kex.Params {
	if r.peerInit == nil { // guessing: I_S arrives during Run
		r.peerInit = r.awaitInit()
	}
	if r.role == kex.Client {
		p.ClientKexInit, p.ServerKexInit = r.myInit, r.peerInit
	} else {
		p.ClientKexInit, p.ServerKexInit = r.peerInit, r.myInit
	}
	return p
}

// awaitInit reads until the peer's KEXINIT.
func (r *rawPeer) awaitInit() []byte {
	for {
		p, err := r.read()
		if err != nil {
			r.t.Fatalf("raw: %v", err)
		}
		if wire.MsgNum(p[0]) == wire.MsgKexInit {
			return p
		}
	}
}

func (r *rawPeer) inits() (ci, si *wire.KexInit) {
	a, _ := wire.ParseKexInit(r.myInit)
	b, _ := wire.ParseKexInit(r.peerInit)
	if r.role == kex.Client {
		return &a, &b
	}
	return &b, &a
}

// expectDisconnect reads until DISCONNECT and checks its reason.
func (r *rawPeer) expectDisconnect(want wire.DisconnectReason) {
	r.t.Helper()
	for {
		p, err := r.read()
		if err != nil {
			r.t.Fatalf("no DISCONNECT %v: %v", want, err)
		}
		if wire.MsgNum(p[0]) == wire.MsgDisconnect {
			d, err := wire.ParseDisconnect(p)
			if err != nil || d.Reason != want {
				r.t.Fatalf("DISCONNECT %v (%v), want %v", d.Reason, err, want)
			}
			return
		}
	}
}

func wait(t *testing.T, ch <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		if o.tr != nil {
			t.Cleanup(func() { o.tr.Close() })
		}
		return o
	case <-time.After(20 * time.Second):
		t.Fatal("handshake did not finish")
	}
	return outcome{}
}

var strictClientKex = []string{kex.Curve25519SHA256, kex.ExtInfoClient, kex.StrictClient}

// serverCfg is our server with curve25519 and group14.
func serverCfg(t *testing.T) *kex.Config {
	_, s := configs(t, kex.Curve25519SHA256, kex.DHGroup14SHA256)
	return s
}

// establishedServer runs our server's initial exchange (strict kex,
// curve25519) against a raw client and returns both.
func establishedServer(t *testing.T) (*rawPeer, outcome) {
	t.Helper()
	r, ch := startServer(t, serverCfg(t))
	r.sendInit(r.initMsg(strictClientKex, false))
	r.readInit()
	r.strict = true
	r.exchange(kex.Curve25519SHA256)
	o := wait(t, ch)
	if o.err != nil {
		t.Fatal(o.err)
	}
	return r, o
}

// TestStrictKexBeforeKexInit: a peer that announced strict kex but sent
// IGNORE, DEBUG or UNIMPLEMENTED before its KEXINIT is disconnected with
// PROTOCOL_ERROR (docs/security.md#k1).
// Requirement: protocol-1.10-first-kexinit
func TestStrictKexBeforeKexInit(t *testing.T) {
	for name, msg := range map[string]wire.Message{
		"IGNORE":        &wire.Ignore{Data: []byte("x")},
		"DEBUG":         &wire.Debug{Message: "x"},
		"UNIMPLEMENTED": &wire.Unimplemented{SeqNum: 0},
	} {
		t.Run(name, func(t *testing.T) {
			r, ch := startServer(t, serverCfg(t))
			r.send(msg.Append(nil))
			r.sendInit(r.initMsg(strictClientKex, false))
			r.readInit()
			r.expectDisconnect(wire.ProtocolError)
			if o := wait(t, ch); !errors.Is(o.err, kex.ErrStrictKex) {
				t.Fatalf("server: %v, want ErrStrictKex", o.err)
			}
		})
	}
}

// TestStrictKexDuringKex: under strict kex, IGNORE between KEXINIT and
// the method messages, a second KEXINIT, or EXT_INFO and SERVICE_REQUEST
// before NEWKEYS end the connection with PROTOCOL_ERROR (docs/security.md#k1, #k2).
// Requirement: 4253-7.1-kex-only-msgs, protocol-1.10-only-kex
func TestStrictKexDuringKex(t *testing.T) {
	for name, msg := range map[string][]byte{
		"IGNORE":          (&wire.Ignore{}).Append(nil),
		"second KEXINIT":  (&wire.KexInit{KexAlgorithms: []string{kex.Curve25519SHA256}}).Append(nil),
		"EXT_INFO":        (&wire.ExtInfo{}).Append(nil),
		"SERVICE_REQUEST": (&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil),
	} {
		t.Run(name, func(t *testing.T) {
			r, ch := startServer(t, serverCfg(t))
			r.sendInit(r.initMsg(strictClientKex, false))
			r.readInit()
			r.send(msg)
			r.expectDisconnect(wire.ProtocolError)
			o := wait(t, ch)
			if !errors.Is(o.err, kex.ErrStrictKex) && !errors.Is(o.err, kex.ErrUnexpectedMessage) {
				t.Fatalf("server: %v", o.err)
			}
		})
	}
}

// TestNonStrictPeer: a peer without the marker may send IGNORE before
// KEXINIT and during kex (docs/security.md#k4); a marker first seen in a later KEXINIT does
// not switch strict kex on (docs/security.md#k3): the rekey completes with sequence
// numbers continuing.
// Requirement: 4253-11.2-ignore, protocol-1.10-later-ignored
func TestNonStrictPeer(t *testing.T) {
	r, ch := startServer(t, serverCfg(t))
	r.send((&wire.Ignore{Data: []byte("hello")}).Append(nil))
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.ExtInfoClient}, false))
	r.readInit()
	r.send((&wire.Ignore{}).Append(nil))
	r.exchange(kex.Curve25519SHA256)
	o := wait(t, ch)
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.tr.Strict() {
		t.Fatal("strict kex without the client's marker")
	}
	p, err := r.read() // EXT_INFO from our server
	if err != nil || wire.MsgNum(p[0]) != wire.MsgExtInfo {
		t.Fatalf("want EXT_INFO: %x %v", p, err)
	}
	// Rekey, now with the strict marker: ignored (docs/security.md#k3).
	got := reading(t, o.tr)
	r.sendInit(r.initMsg(strictClientKex, false))
	r.awaitInitInto()
	r.exchange(kex.Curve25519SHA256)
	r.send((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil))
	p, err = next(t, got)
	if err != nil || wire.MsgNum(p[0]) != wire.MsgServiceRequest {
		t.Fatalf("after rekey: %x %v", p, err)
	}
	if o.tr.Strict() {
		t.Fatal("strict kex switched on by a later KEXINIT")
	}
}

func (r *rawPeer) awaitInitInto() { r.peerInit = r.awaitInit() }

// TestKexInitFlood: after the initial exchange, two KEXINITs in a row:
// the second, arriving during the exchange the first started, is fatal
// (docs/security.md#k5).
func TestKexInitFlood(t *testing.T) {
	r, o := establishedServer(t)
	got := reading(t, o.tr)
	init := r.initMsg([]string{kex.Curve25519SHA256}, false).Append(nil)
	r.send(init)
	r.send(init) // arrives while the first one's exchange runs
	r.expectDisconnect(wire.ProtocolError)
	if _, err := next(t, got); !errors.Is(err, kex.ErrUnexpectedMessage) {
		t.Fatalf("ReadPacket: %v, want ErrUnexpectedMessage", err)
	}
}

// TestFirstKexPacketFollows: a wrong guess is discarded silently, a right
// one is used, under strict kex in both cases (docs/security.md#k9).
// Requirement: 4253-7.1-wrong-guess-ignore
// Requirement: 4253-7.1-same-guess, 4253-7.1-right-guess-packet
func TestFirstKexPacketFollows(t *testing.T) {
	t.Run("wrong guess", func(t *testing.T) {
		r, ch := startServer(t, serverCfg(t)) // server prefers curve25519
		r.sendInit(r.initMsg([]string{kex.DHGroup14SHA256, kex.Curve25519SHA256, kex.StrictClient}, true))
		r.send((&wire.KexDHInit{E: []byte{0x47}}).Append(nil)) // the guess: discarded
		r.readInit()
		r.strict = true
		r.exchange(kex.DHGroup14SHA256)
		o := wait(t, ch)
		if o.err != nil {
			t.Fatal(o.err)
		}
		if got := o.tr.Algorithms().Kex; got != kex.DHGroup14SHA256 {
			t.Fatalf("negotiated %s", got)
		}
	})
	t.Run("right guess", func(t *testing.T) {
		r, ch := startServer(t, serverCfg(t))
		r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.StrictClient}, true))
		r.strict = true
		r.exchange(kex.Curve25519SHA256) // sends the method's first packet before reading KEXINIT
		if o := wait(t, ch); o.err != nil {
			t.Fatal(o.err)
		}
	})
}

// TestNoCommonKex: no common algorithm means DISCONNECT
// KEY_EXCHANGE_FAILED and ErrNoCommonAlgorithm (docs/security.md#k10a).
// Requirement: 4253-7.1-no-match-disconnect, 4253-11.1-disconnect-send
func TestNoCommonKex(t *testing.T) {
	r, ch := startServer(t, serverCfg(t))
	r.sendInit(r.initMsg([]string{kex.DHGroup1SHA1, kex.StrictClient}, false))
	r.readInit()
	r.expectDisconnect(wire.KeyExchangeFailed)
	if o := wait(t, ch); !errors.Is(o.err, kex.ErrNoCommonAlgorithm) {
		t.Fatalf("server: %v", o.err)
	}
}

// TestServerOffersOnlyItsKeys: the server's KEXINIT lists exactly the
// algorithms of its host keys (docs/security.md#k10b).
// Requirement: 8308-2.1-indicator, protocol-1.10-markers
func TestServerOffersOnlyItsKeys(t *testing.T) {
	r, _ := startServer(t, serverCfg(t))
	m := r.readInit()
	if !slices.Equal(m.ServerHostKeyAlgorithms, []string{"ssh-ed25519"}) {
		t.Fatalf("server offers %q", m.ServerHostKeyAlgorithms)
	}
	if !slices.Contains(m.KexAlgorithms, kex.StrictServer) || !slices.Contains(m.KexAlgorithms, kex.ExtInfoServer) {
		t.Fatalf("markers missing: %q", m.KexAlgorithms)
	}
}

// TestKexMessagesOutsideKex: NEWKEYS, method messages and a misplaced
// EXT_INFO after the exchange are fatal (docs/security.md#p9, #p10, #h3).
func TestKexMessagesOutsideKex(t *testing.T) {
	for name, msg := range map[string][]byte{
		"NEWKEYS":        (&wire.NewKeys{}).Append(nil),
		"KEX_ECDH_REPLY": (&wire.KexECDHReply{HostKey: []byte("k"), ServerPublic: []byte("q"), Signature: []byte("s")}).Append(nil),
		"KEXDH_INIT":     (&wire.KexDHInit{E: []byte{5}}).Append(nil),
		"EXT_INFO late":  (&wire.ExtInfo{}).Append(nil),
	} {
		t.Run(name, func(t *testing.T) {
			r, o := establishedServer(t)
			r.send((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil))
			r.send(msg)
			if _, err := o.tr.ReadPacket(); err != nil {
				t.Fatal(err)
			}
			if _, err := o.tr.ReadPacket(); !errors.Is(err, kex.ErrUnexpectedMessage) {
				t.Fatalf("ReadPacket: %v, want ErrUnexpectedMessage", err)
			}
			r.expectDisconnect(wire.ProtocolError)
		})
	}
}

// rawServerKex runs the raw server side of an initial strict exchange
// against our client.
func rawServerKex(t *testing.T, withNewKeys ...[]byte) (*rawPeer, outcome) {
	hk := newEd25519Key(t)
	c, _ := configs(t, kex.Curve25519SHA256)
	c.HostKeyVerifier = edVerifier{trusted: hk.blob}
	r, ch := startClient(t, c, hk)
	r.withNewKeys = withNewKeys
	r.readInit()
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.ExtInfoServer, kex.StrictServer}, false))
	r.strict = true
	r.exchange(kex.Curve25519SHA256)
	return r, wait(t, ch)
}

// TestClientExtInfoPositions: the client accepts EXT_INFO as the first
// packet after NEWKEYS and once more right before USERAUTH_SUCCESS, and
// nowhere else (RFC 8308, Section 2.4; docs/security.md#h3).
// Requirement: 8308-2.4-server-positions, 8308-2.4-accept-both, 8308-2.4-not-required
func TestClientExtInfoPositions(t *testing.T) {
	ext := func(alg string) []byte {
		return (&wire.ExtInfo{Extensions: []wire.Extension{{Name: wire.ExtServerSigAlgs, Value: []byte(alg)}}}).Append(nil)
	}
	t.Run("allowed", func(t *testing.T) {
		r, o := rawServerKex(t)
		if o.err != nil {
			t.Fatal(o.err)
		}
		r.send(ext("ssh-ed25519"))
		r.send((&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil))
		if _, err := o.tr.ReadPacket(); err != nil {
			t.Fatal(err)
		}
		if got := o.tr.ServerSigAlgs(); !slices.Equal(got, []string{"ssh-ed25519"}) {
			t.Fatalf("server-sig-algs %q", got)
		}
		r.send(ext("rsa-sha2-512"))
		r.send((&wire.UserauthSuccess{}).Append(nil))
		if p, err := o.tr.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
			t.Fatal(err)
		}
		if got := o.tr.ServerSigAlgs(); !slices.Equal(got, []string{"rsa-sha2-512"}) {
			t.Fatalf("server-sig-algs %q", got)
		}
	})
	t.Run("not before USERAUTH_SUCCESS", func(t *testing.T) {
		r, o := rawServerKex(t)
		if o.err != nil {
			t.Fatal(o.err)
		}
		r.send((&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil))
		r.send(ext("ssh-ed25519"))
		r.send((&wire.UserauthFailure{Methods: []string{"publickey"}}).Append(nil))
		o.tr.ReadPacket()
		if _, err := o.tr.ReadPacket(); !errors.Is(err, kex.ErrUnexpectedMessage) {
			t.Fatalf("ReadPacket: %v, want ErrUnexpectedMessage", err)
		}
	})
}

// TestClientTakesBufferedExtInfo: an EXT_INFO that arrived with the
// server's NEWKEYS is taken before ClientHandshake returns, so
// PeerExtensions is complete before anything is sent (userauth then
// sends SERVICE_REQUEST and its first request together); a packet of
// another kind there is held and is the first ReadPacket returns, and
// one that follows the EXT_INFO is left for it.
func TestClientTakesBufferedExtInfo(t *testing.T) {
	ext := (&wire.ExtInfo{Extensions: []wire.Extension{{Name: wire.ExtServerSigAlgs, Value: []byte("ssh-ed25519")}}}).Append(nil)
	accept := (&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil)
	for _, tc := range []struct {
		name string
		sent [][]byte
		sigs []string
	}{
		{"EXT_INFO", [][]byte{ext}, []string{"ssh-ed25519"}},
		{"EXT_INFO and SERVICE_ACCEPT", [][]byte{ext, accept}, []string{"ssh-ed25519"}},
		{"SERVICE_ACCEPT", [][]byte{accept}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, o := rawServerKex(t, tc.sent...)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if got := o.tr.ServerSigAlgs(); !slices.Equal(got, tc.sigs) {
				t.Fatalf("server-sig-algs right after the handshake: %q, want %q", got, tc.sigs)
			}
			if len(tc.sent) == 1 && tc.sigs != nil {
				r.send(accept)
			}
			p, err := o.tr.ReadPacket()
			if err != nil || !bytes.Equal(p, accept) {
				t.Fatalf("ReadPacket: %x, %v; want the SERVICE_ACCEPT", p, err)
			}
		})
	}
}

// TestNewKeysBeforeReply: NEWKEYS where the client expects the method's
// reply is fatal (docs/security.md#p10).
func TestNewKeysBeforeReply(t *testing.T) {
	hk := newEd25519Key(t)
	c, _ := configs(t, kex.Curve25519SHA256)
	r, ch := startClient(t, c, hk)
	r.readInit()
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.StrictServer}, false))
	if _, err := r.read(); err != nil { // KEX_ECDH_INIT
		t.Fatal(err)
	}
	r.send((&wire.NewKeys{}).Append(nil))
	r.expectDisconnect(wire.ProtocolError)
	if o := wait(t, ch); !errors.Is(o.err, kex.ErrUnexpectedMessage) {
		t.Fatalf("client: %v", o.err)
	}
}

// TestHostKeyRejectedDisconnects: a host key the verifier refuses ends
// the handshake with HOST_KEY_NOT_VERIFIABLE.
func TestHostKeyRejectedDisconnects(t *testing.T) {
	hk := newEd25519Key(t)
	c, _ := configs(t, kex.Curve25519SHA256) // trusts another key
	r, ch := startClient(t, c, hk)
	r.readInit()
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.StrictServer}, false))
	m, _ := kex.Lookup(kex.Curve25519SHA256)
	p := &kex.Params{Role: kex.Server, ClientVersion: []byte(r.remote), ServerVersion: []byte(r.local),
		ClientKexInit: r.peerInit, ServerKexInit: r.myInit, HostKeyAlgorithm: "ssh-ed25519", HostKey: hk}
	if _, err := m.Run(context.Background(), methodConn{r}, p); err != nil {
		t.Fatal(err)
	}
	r.expectDisconnect(wire.HostKeyNotVerifiable)
	if o := wait(t, ch); !errors.Is(o.err, kex.ErrHostKey) {
		t.Fatalf("client: %v", o.err)
	}
}

// TestPendingWritesBounded: while our rekey waits for a peer that never
// answers, 64 writes are queued and the 65th blocks until Close
// (docs/security.md#r4, CVE-2025-22869).
// Requirement: 4253-7.1-kex-only-msgs, 4253-7.1-no-service-msgs
func TestPendingWritesBounded(t *testing.T) {
	_, o := establishedServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := o.tr.Rekey(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Rekey: %v", err) // the raw peer never answers
	}
	for i := range kex.MaxPendingPackets {
		if err := o.tr.WritePacket(channelData(i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	blocked := make(chan error, 1)
	go func() { blocked <- o.tr.WritePacket(channelData(99, 100)) }()
	select {
	case err := <-blocked:
		t.Fatalf("65th write returned %v instead of blocking", err)
	case <-time.After(100 * time.Millisecond):
	}
	o.tr.Close()
	if err := <-blocked; err == nil {
		t.Fatal("blocked write succeeded after Close")
	}
}

// TestSimultaneousRekey: both sides rekey at once, repeatedly, during
// transfers both ways; nothing is lost (docs/security.md#k11 in small).
// Requirement: 4253-7.1-no-second-kexinit, 4253-7.1-in-flight
func TestSimultaneousRekey(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			go c.Rekey(ctx)
			s.Rekey(ctx)
		}
	}()
	errc := make(chan struct{})
	go func() { defer close(errc); transfer(t, s, c, 3000, nil) }()
	transfer(t, c, s, 3000, nil)
	<-errc
	// A rekey one side starts after the other's reader has finished is
	// never answered (nobody reads there): stop waiting for it.
	cancel()
	<-done
}

// TestHeldWhileRekeyUnanswered: what the helper read for the layers
// above while our KEXINIT goes unanswered reaches ReadPacket at once,
// though the helper is still blocked reading a peer that sends nothing
// more. It used to wait behind the helper for the peer's next packet,
// forever if the peer had no reader to see our KEXINIT.
func TestHeldWhileRekeyUnanswered(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	const n = 5
	for i := range n {
		if err := c.WritePacket(channelData(i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	// Nobody reads c, so c never answers: the helper reads c's
	// packets for s meanwhile, then waits on the pipe.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Rekey(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Rekey: %v, want the deadline", err)
	}
	got := make(chan error, 1)
	go func() {
		for i := range n {
			p, err := s.ReadPacket()
			if err == nil && !bytes.Equal(p, channelData(i, 100)) {
				err = fmt.Errorf("packet %d differs", i)
			}
			if err != nil {
				got <- err
				return
			}
		}
		got <- nil
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadPacket waits behind the helper for a packet the peer will not send")
	}
}

// stallConn is a net.Conn whose writes block, once stalled, until Close.
type stallConn struct {
	net.Conn
	stalled atomic.Bool
	once    sync.Once
	closed  chan struct{}
}

func (s *stallConn) Write(b []byte) (int, error) {
	if s.stalled.Load() {
		<-s.closed
		return 0, net.ErrClosed
	}
	return s.Conn.Write(b)
}

func (s *stallConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// TestCloseWithStalledWriter: Close returns, and releases the writer,
// while a writer is blocked on a peer that reads nothing.
func TestCloseWithStalledWriter(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	a, b := packettest.Pipe()
	sc := &stallConn{Conn: a, closed: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var s *kex.Transport
	var serr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg)
	}()
	c, err := kex.ClientHandshake(ctx, packet.NewConn(sc, nil), ccfg)
	<-done
	if err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	defer s.Close()
	sc.stalled.Store(true)
	werr := make(chan error, 1)
	go func() { werr <- c.WritePacket(channelData(1, 10)) }()
	time.Sleep(10 * time.Millisecond) // let the writer block on the network
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a writer was stalled")
	}
	if err := <-werr; err == nil {
		t.Fatal("stalled write reported success")
	}
}

// TestDataDuringPeerRekey: a peer that sends channel data after its
// KEXINIT of a rekey, before its NEWKEYS, as AsyncSSH 2.10 does (RFC 4253,
// Section 7.1 forbids it; OpenSSH accepts it). Our Transport delivers the
// data in order, a hundred packets held while the exchange runs, and
// the exchange completes; during the initial exchange the same is
// still an error (TestStrictKexDuringKex, TestNonStrictPeer).
func TestDataDuringPeerRekey(t *testing.T) {
	r, o := establishedServer(t)
	got := reading(t, o.tr)
	const n = 100
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256}, false))
	for i := range n {
		r.send(channelData(i, 1000))
	}
	r.awaitInitInto() // past our EXT_INFO
	r.exchange(kex.Curve25519SHA256)
	for i := range n {
		p, err := next(t, got)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(p, channelData(i, 1000)) {
			t.Fatalf("packet %d differs", i)
		}
	}
	// The keys changed: a message after the rekey still gets through.
	r.send(channelData(n, 10))
	if p, err := next(t, got); err != nil || !bytes.Equal(p, channelData(n, 10)) {
		t.Fatalf("after the rekey: %v", err)
	}
}

// TestDataDuringPeerRekeyBounded: what is held for the layers above
// during a rekey is bounded (MaxHeldDuringRekey); past it the connection
// ends with ErrHeldTooMuch instead of holding more.
func TestDataDuringPeerRekeyBounded(t *testing.T) {
	r, o := establishedServer(t)
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256}, false))
	go func() {
		big := channelData(0, 32<<10)
		for range kex.MaxHeldDuringRekey/len(big) + 64 {
			if r.pc.WritePacket(big) != nil {
				return
			}
		}
	}()
	var err error
	for err == nil {
		_, err = o.tr.ReadPacket() // the queued ones, then the end
		if err == nil {
			time.Sleep(time.Millisecond) // a slow consumer: let the held data pile up
		}
	}
	if !errors.Is(err, kex.ErrHeldTooMuch) {
		t.Fatalf("ReadPacket: %v, want ErrHeldTooMuch", err)
	}
}
