package kex_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// ed25519Key is a minimal ssh-ed25519 host key for transport tests
// (RFC 8709), a HostKeySigner; edVerifier is the matching
// HostKeyVerifier.
type ed25519Key struct {
	priv ed25519.PrivateKey
	blob []byte
}

func newEd25519Key(t testing.TB) *ed25519Key {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &ed25519Key{priv: priv, blob: wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), []byte(pub))}
}

func (k *ed25519Key) PublicKey() []byte { return k.blob }

func (k *ed25519Key) Sign(_ io.Reader, alg string, data []byte) ([]byte, error) {
	return wire.AppendString(wire.AppendString(nil, alg), ed25519.Sign(k.priv, data)), nil
}

var errUntrusted = errors.New("test: host key not trusted")

// edVerifier accepts any well-formed ssh-ed25519 key whose signature
// verifies, or only trusted when it is set.
type edVerifier struct{ trusted []byte }

func (v edVerifier) VerifyHostKey(alg string, blob, data, sig []byte) error {
	if v.trusted != nil && !bytes.Equal(v.trusted, blob) {
		return errUntrusted
	}
	r := wire.NewReader(blob)
	if r.Text() != "ssh-ed25519" || alg != "ssh-ed25519" {
		return errUntrusted
	}
	pub := r.StringBytes()
	s := wire.NewReader(sig)
	if s.Text() != alg {
		return errUntrusted
	}
	sb := s.StringBytes()
	if r.Err() != nil || s.Err() != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, data, sb) {
		return errUntrusted
	}
	return nil
}

func configs(t testing.TB, methods ...string) (client, server *kex.Config) {
	hk := newEd25519Key(t)
	var ms []kex.Method
	for _, n := range methods {
		m, ok := kex.Lookup(n)
		if !ok {
			t.Fatalf("%s not registered", n)
		}
		ms = append(ms, m)
	}
	client = &kex.Config{Methods: ms, HostKeyVerifier: edVerifier{trusted: hk.blob}, HostKeyAlgorithms: []string{"ssh-ed25519"}}
	server = &kex.Config{Methods: ms, HostKeys: []kex.HostKey{{Signer: hk, Algorithms: []string{"ssh-ed25519"}}}}
	return client, server
}

// pair runs both handshakes over an in-memory buffered pipe.
func pair(t testing.TB, ccfg, scfg *kex.Config) (c, s *kex.Transport) {
	t.Helper()
	a, b := packettest.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg) })
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		if c != nil {
			c.Close()
		}
		if s != nil {
			s.Close()
		}
		t.Fatalf("client: %v; server: %v", cerr, serr)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// tryPair is pair for handshakes that may fail: it returns the client's
// error (or the server's) instead of failing the test.
func tryPair(t testing.TB, ccfg, scfg *kex.Config) (c, s *kex.Transport, err error) {
	t.Helper()
	a, b := packettest.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg) })
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
	if cerr != nil {
		a.Close()
		b.Close()
	}
	wg.Wait()
	if cerr != nil || serr != nil {
		if c != nil {
			c.Close()
		}
		if s != nil {
			s.Close()
		}
		if cerr == nil {
			cerr = serr
		}
		return nil, nil, cerr
	}
	return c, s, nil
}

func channelData(i int, n int) []byte {
	d := make([]byte, n)
	for j := range d {
		d[j] = byte(i + j)
	}
	return (&wire.ChannelData{Recipient: uint32(i), Data: d}).Append(nil)
}

// transfer sends n packets from w to r while rekey (if set) runs in the
// middle, and checks every packet arrives intact and in order.
func transfer(t *testing.T, w, r *kex.Transport, n int, rekey func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			if i == n/2 && rekey != nil {
				rekey()
			}
			if err := w.WritePacket(channelData(i, 1000)); err != nil {
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
		if !bytes.Equal(p, channelData(i, 1000)) {
			t.Fatalf("packet %d differs", i)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestTransportEveryMethod: our client against our server for every
// registered method, with a client-initiated rekey in the middle of a
// transfer each way and a server-initiated one.
func TestTransportEveryMethod(t *testing.T) {
	for _, name := range kex.Methods() {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == kex.DHGroup18SHA512 {
				t.Skip("slow")
			}
			ccfg, scfg := configs(t, name)
			c, s := pair(t, ccfg, scfg)
			if got := c.Algorithms().Kex; got != name {
				t.Fatalf("negotiated %q", got)
			}
			if !c.Strict() || !s.Strict() {
				t.Error("strict kex not in force")
			}
			if !bytes.Equal(c.SessionID(), s.SessionID()) || len(c.SessionID()) == 0 {
				t.Fatal("session IDs differ")
			}
			sid := bytes.Clone(c.SessionID())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			transfer(t, c, s, 200, func() {
				if err := c.Rekey(ctx); err != nil {
					t.Errorf("client rekey: %v", err)
				}
			})
			transfer(t, s, c, 200, func() {
				if err := s.Rekey(ctx); err != nil {
					t.Errorf("server rekey: %v", err)
				}
			})
			if !bytes.Equal(c.SessionID(), sid) {
				t.Error("session ID changed on rekey")
			}
		})
	}
}

// TestExtInfo: the server's EXT_INFO reaches the client (RFC 8308).
// Requirement: 8308-2.4-server-positions, 8332-3.3-server-sig-algs
func TestExtInfo(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	// The EXT_INFO is the first packet after NEWKEYS; once a later packet
	// has been read, it has been processed.
	s.WritePacket((&wire.ServiceAccept{Service: "ssh-userauth"}).Append(nil))
	if _, err := c.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	algs := c.ServerSigAlgs()
	if len(algs) == 0 || algs[0] != "ssh-ed25519" {
		t.Errorf("server-sig-algs = %q", algs)
	}
	if s.PeerExtensions() != nil {
		t.Error("client sent EXT_INFO without extensions configured")
	}

	// A client with extensions sends them; the server listed ext-info-s.
	ccfg.Extensions = []wire.Extension{{Name: "test@example.com", Value: []byte("v")}}
	c2, s2 := pair(t, ccfg, scfg)
	c2.WritePacket((&wire.ServiceRequest{Service: "ssh-userauth"}).Append(nil))
	if _, err := s2.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	if got := s2.PeerExtensions(); len(got) != 1 || got[0].Name != "test@example.com" {
		t.Errorf("server got extensions %v", got)
	}
}

// TestRekeyByVolume: a small RekeyBytes makes both sides rekey
// repeatedly during a transfer, transparently (docs/security.md#k11, in
// small).
// Requirement: 4253-9-rekey-limit
func TestRekeyByVolume(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.RekeyBytes, scfg.RekeyBytes = 64<<10, 100<<10
	c, s := pair(t, ccfg, scfg)
	var wg sync.WaitGroup
	wg.Go(func() { transfer(t, s, c, 2000, nil) })
	transfer(t, c, s, 2000, nil)
	wg.Wait()
}

// TestRekeyUnderLoad transfers 1 GiB each way (32 MiB under -race or
// -short) over one Transport pair with RekeyBytes = 1 MiB, so that both
// sides start dozens of exchanges in the middle of the stream, and checks
// that every byte arrives in order (docs/security.md#k11).
// Requirement: 4253-7.1-in-flight
func TestRekeyUnderLoad(t *testing.T) {
	total := 1 << 30
	if raceEnabled || testing.Short() {
		total = 32 << 20
	}
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.RekeyBytes, scfg.RekeyBytes = 1<<20, 1<<20
	c, s := pair(t, ccfg, scfg)
	const chunk = 32 << 10
	n := total / chunk
	send := func(w *kex.Transport) error {
		data := make([]byte, chunk)
		for i := range n {
			data[0], data[1], data[2], data[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
			m := wire.ChannelData{Recipient: 1, Data: data}
			if err := w.WritePacket(m.Append(nil)); err != nil {
				return err
			}
		}
		return nil
	}
	recv := func(r *kex.Transport) error {
		for i := range n {
			p, err := r.ReadPacket()
			if err != nil {
				return err
			}
			m, err := wire.ParseChannelData(p)
			if err != nil || len(m.Data) != chunk {
				return errors.New("bad packet")
			}
			if got := int(m.Data[0])<<24 | int(m.Data[1])<<16 | int(m.Data[2])<<8 | int(m.Data[3]); got != i {
				return errors.New("packet out of order or lost")
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Go(func() { errs <- send(c) })
	wg.Go(func() { errs <- send(s) })
	wg.Go(func() { errs <- recv(s) })
	wg.Go(func() { errs <- recv(c) })
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRekeyByTime: with a 1 ms RekeyInterval, traffic after the interval
// starts a new exchange (RFC 4253, Section 9: "after each hour").
// Requirement: 4253-9-rekey-limit
func TestRekeyByTime(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.RekeyInterval = time.Millisecond
	scfg.RekeyInterval = time.Hour
	c, s := pair(t, ccfg, scfg)
	for range 5 {
		time.Sleep(2 * time.Millisecond)
		transfer(t, c, s, 3, nil)
	}
	// Every write after the interval found the keys expired; at least a
	// few exchanges have completed by now on the client.
	transfer(t, s, c, 3, nil)
	if n := kex.KexCount(c); n < 2 {
		t.Fatalf("client completed %d exchanges, want several", n)
	}
}

// TestRekeyCounts: RekeyBytes triggers exchanges in proportion to the
// data sent.
func TestRekeyCounts(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.RekeyBytes = 256 << 10
	c, s := pair(t, ccfg, scfg)
	transfer(t, c, s, 2000, nil) // about 2 MB
	transfer(t, s, c, 10, nil)   // let the last exchange finish
	if n := kex.KexCount(c); n < 4 {
		t.Fatalf("client completed %d exchanges for 2 MB at 256 KiB, want at least 4", n)
	}
	if kex.KexCount(c) != kex.KexCount(s) {
		t.Logf("client %d, server %d exchanges (one may be in flight)", kex.KexCount(c), kex.KexCount(s))
	}
}

// TestSetRekeyLimit: SetRekeyLimit on a live Transport (as a server does
// once the user's RekeyLimit is known) makes it rekey by the new volume,
// for the current keys and later ones; without it the same data makes
// no exchange.
func TestSetRekeyLimit(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	transfer(t, s, c, 200, nil)
	transfer(t, c, s, 10, nil)
	if n := kex.KexCount(s); n != 1 {
		t.Fatalf("server completed %d exchanges before SetRekeyLimit, want 1", n)
	}
	s.SetRekeyLimit(256<<10, 0)
	transfer(t, s, c, 2000, nil) // about 2 MB
	transfer(t, c, s, 10, nil)   // let the last exchange finish
	if n := kex.KexCount(s); n < 5 {
		t.Fatalf("server completed %d exchanges for 2 MB at 256 KiB, want at least 5", n)
	}
}

// TestRekeyByPacketCount: the per-key packet limit (2^31 in production,
// lowered here) forces exchanges (RFC 4344, Section 3.1).
// Requirement: 4344-3.1-send-limit, 4344-3.1-recv-limit, chacha20poly1305-no-reuse
func TestRekeyByPacketCount(t *testing.T) {
	t.Cleanup(kex.SetPacketLimit(100)) // runs after the Transports close
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	transfer(t, c, s, 1000, nil)
	transfer(t, s, c, 10, nil)
	if n := kex.KexCount(c); n < 5 {
		t.Fatalf("client completed %d exchanges for 1000 packets at 100 per key", n)
	}
}

// TestChannelDataAllocs: ReadPacket hands channel data out of the packet
// layer's buffer, so a steady stream costs no allocation (and no copy)
// per packet on either side.
func TestChannelDataAllocs(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts need a build without -race")
	}
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	c, s := pair(t, ccfg, scfg)
	payload := (&wire.ChannelData{Recipient: 1, Data: make([]byte, 32<<10)}).Append(nil)
	step := func() {
		if err := c.WritePacket(payload); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		step()
	}
	if n := testing.AllocsPerRun(200, step); n >= 1 {
		t.Errorf("%v allocations per 32 KiB packet, want 0", n)
	}
	// The same through WritePacketSplit, as package connection writes
	// channel data: header and data are never joined.
	head, data := payload[:9], payload[9:]
	split := func() {
		if err := c.WritePacketSplit(head, data); err != nil {
			t.Fatal(err)
		}
		if p, err := s.ReadPacket(); err != nil || len(p) != len(payload) {
			t.Fatal(len(p), err)
		}
	}
	if n := testing.AllocsPerRun(200, split); n >= 1 {
		t.Errorf("WritePacketSplit: %v allocations per 32 KiB packet, want 0", n)
	}
}

// closeFailConn is a net.Conn whose first Close fails with errCloseFail.
type closeFailConn struct {
	net.Conn
	once sync.Once
}

var errCloseFail = errors.New("close failed")

func (c *closeFailConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { err = errCloseFail })
	return err
}

// TestCloseErrorEveryCall: every Close returns the error of closing the
// connection, not only the first, so that a caller that closes after
// another layer did still learns it.
func TestCloseErrorEveryCall(t *testing.T) {
	ccfg, scfg := configs(t)
	a, b := packettest.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var s *kex.Transport
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg) })
	c, cerr := kex.ClientHandshake(ctx, packet.NewConn(&closeFailConn{Conn: a}, nil), ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		t.Fatalf("client: %v; server: %v", cerr, serr)
	}
	defer s.Close()
	for i := range 2 {
		if err := c.Close(); !errors.Is(err, errCloseFail) {
			t.Errorf("Close #%d: %v, want %v", i+1, err, errCloseFail)
		}
	}
}
