package server_test

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// TestR4StalledRekey: sessions stream data while the server's rekey
// never completes, because the client's side of the connection goes
// silent (docs/security.md#r4, CVE-2025-22869). The handlers' writes must
// block once the transport has queued its 64 packets, instead of
// buffering the 100 MB the clients' windows would allow; another
// client is served meanwhile, and closing the stalled connection frees
// everything (goleak, Shutdown).
func TestR4StalledRekey(t *testing.T) {
	const sessions, perSession = 50, 2 << 20 // x/crypto's 2 MiB window each: 100 MiB in all
	var written atomic.Int64
	var started sync.WaitGroup
	started.Add(sessions)
	begin := make(chan struct{})
	handler := func(ctx context.Context, s *server.Session) {
		if s.Command() != "bulk" {
			echoHandler(ctx, s)
			return
		}
		started.Done()
		select {
		case <-begin:
		case <-ctx.Done():
			return
		}
		buf := make([]byte, 32<<10)
		for n := 0; n < perSession; n += len(buf) {
			if _, err := s.Write(buf); err != nil {
				return
			}
			written.Add(int64(len(buf)))
		}
		s.Exit(0)
	}
	addr := alice.Start(t, &server.Server{Handler: handler, RekeyBytes: 1 << 20, MaxSessions: sessions})
	p := servertest.StartProxy(t, addr)
	c := alice.Dial(t, p.Addr, ssh.PublicKeys(alice.XSigner(t)))
	var drain sync.WaitGroup
	defer drain.Wait()
	for range sessions {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		drain.Go(func() { io.Copy(io.Discard, out) })
		if err := s.Start("bulk"); err != nil {
			t.Fatal(err)
		}
	}
	// Silence the client, then let the handlers write: the server's
	// rekey at 1 MiB never completes.
	started.Wait()
	p.DropToTarget.Store(true)
	close(begin)

	// Wait until the writers stop making progress.
	last, still := int64(-1), 0
	for deadline := time.Now().Add(20 * time.Second); still < 5 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if w := written.Load(); w == last {
			still++
		} else {
			last, still = w, 0
		}
	}
	w := written.Load()
	t.Logf("handlers wrote %.1f MiB of %d MiB while the rekey stalled", float64(w)/(1<<20), sessions*perSession>>20)
	if still < 5 {
		t.Fatalf("writers still making progress after 20 s (%d bytes)", w)
	}
	// The rekey starts after 1 MiB; past it, at most 64 queued packets
	// of at most 32 KiB data each, plus what was in flight.
	if limit := int64(1<<20 + 64*(32<<10) + 4<<20); w > limit {
		t.Errorf("handlers wrote %d bytes during a stalled rekey, want <= %d", w, limit)
	}

	// Another client is unaffected.
	other := alice.Dial(t, addr, ssh.PublicKeys(alice.XSigner(t)))
	s, err := other.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.Output("hello"); err != nil || string(out) != "ran hello as alice\n" {
		t.Errorf("other client during the stall: %q, %v", out, err)
	}
	other.Close()

	// Ending the stalled connection ends its writers: the proxy closes
	// its side to the server once the client's side closes.
	c.Close()
}

// TestR7CompressionBomb: zlib@openssh.com only, so compression starts
// after authentication; a client offering only "zlib" (compression from
// the first NEWKEYS) is refused; after authentication, a payload that
// inflates to less than the 256 KiB packet limit is fine, and one that
// inflates past it ends the connection with DISCONNECT
// COMPRESSION_ERROR (docs/security.md#r7).
func TestR7CompressionBomb(t *testing.T) {
	addr := alice.Start(t, &server.Server{Handler: echoHandler, Compression: []string{"zlib@openssh.com", "none"}})
	trust := kex.NewHostKeyVerifier(func(hostkey.PublicKey) error { return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	nc := rawConn(t, addr, "")
	_, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{Compression: []string{"zlib"}, HostKeyVerifier: trust})
	nc.Close()
	var ne *kex.NegotiationError
	if !errors.As(err, &ne) {
		t.Fatalf("client offering only zlib: %v, want a NegotiationError", err)
	}

	nc = rawConn(t, addr, "")
	defer nc.Close()
	// Our own packet limit is raised so that the bomb can be sent at all.
	kt, err := kex.ClientHandshake(ctx, packet.NewConn(nc, &packet.Config{MaxPacketSize: 1 << 20}),
		&kex.Config{Compression: []string{"zlib@openssh.com"}, HostKeyVerifier: trust})
	if err != nil {
		t.Fatal(err)
	}
	defer kt.Close()
	if got := kt.Algorithms().ClientToServer.Compression; got != "zlib@openssh.com" {
		t.Fatalf("compression %q", got)
	}
	if _, err := userauth.Authenticate(ctx, kt, &userauth.ClientConfig{User: "alice",
		Sources: []userauth.Method{userauth.InMemoryPrivateKey(userKey)}}); err != nil {
		t.Fatal(err)
	}
	ping := func() error {
		if err := kt.WritePacket((&wire.GlobalRequest{Name: "ping@sshstack", WantReply: true}).Append(nil)); err != nil {
			return err
		}
		for {
			p, err := kt.ReadPacket()
			if err != nil {
				return err
			}
			if p[0] == byte(wire.MsgRequestFailure) {
				return nil
			}
		}
	}
	if err := kt.WritePacket((&wire.Ignore{Data: make([]byte, 200<<10)}).Append(nil)); err != nil {
		t.Fatal(err)
	}
	if err := ping(); err != nil {
		t.Fatalf("after 200 KiB inflated: %v", err)
	}
	if err := kt.WritePacket((&wire.Ignore{Data: make([]byte, 300<<10)}).Append(nil)); err != nil {
		t.Fatal(err)
	}
	err = ping()
	var de *wire.DisconnectError
	if !errors.As(err, &de) || de.Reason != wire.CompressionError {
		t.Fatalf("after 300 KiB inflated: %v, want DISCONNECT COMPRESSION_ERROR", err)
	}
}

// TestL3SequentialConnections: many full connections one after another
// (kex, publickey, an exec session, close) leave nothing behind: within
// 5 s the goroutines and open descriptors are back to their baseline
// (±2), and the heap within 10 MB of it (docs/security.md#l3: 10k; 2000 under
// -race, which is several times slower).
func TestL3SequentialConnections(t *testing.T) {
	n := 10000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	addr := alice.Start(t, &server.Server{Handler: echoHandler, MaxStartups: server.Startups{Start: -1}, PerSourceMaxStartups: -1,
		Penalties: &server.Penalties{Disabled: true}})
	cfg := &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(alice.XSigner(t))},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		Config: ssh.Config{KeyExchanges: []string{"curve25519-sha256"}}}
	once := func() {
		c, err := ssh.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if out, err := s.Output("l3"); err != nil || string(out) != "ran l3 as alice\n" {
			t.Fatalf("exec: %q %v", out, err)
		}
		c.Close()
	}
	once() // warm up: pools, the first connection's one-time allocations
	settle := func() (g, fds int, heap uint64) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), openFDs(t), ms.HeapInuse
	}
	time.Sleep(100 * time.Millisecond)
	g0, fd0, h0 := settle()
	for range n {
		once()
	}
	var g, fds int
	var heap uint64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		g, fds, heap = settle()
		if (g <= g0+2 && fds <= fd0+2) || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("after %d connections: goroutines %d -> %d, fds %d -> %d, heap %.1f -> %.1f MB", n, g0, g, fd0, fds, float64(h0)/1e6, float64(heap)/1e6)
	if g > g0+2 {
		t.Errorf("goroutines %d, baseline %d", g, g0)
	}
	if fds > fd0+2 {
		t.Errorf("open descriptors %d, baseline %d", fds, fd0)
	}
	if heap > h0+10<<20 {
		t.Errorf("heap in use %d bytes, baseline %d: more than 10 MB grown", heap, h0)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}
