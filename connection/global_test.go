package connection

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// TestGlobalRequests exercises every global request of RFC 4254,
// Section 4 and 7.1 and OpenSSH PROTOCOL, Sections 2.2, 2.4, 2.5 through
// the typed helpers on one side and the hooks on the other.
// Requirement: protocol-2.4-streamlocal
func TestGlobalRequests(t *testing.T) {
	var mu sync.Mutex
	var log []string
	note := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	var gotKeys [][]byte
	server := &Config{
		TCPIPForward: func(f wire.TCPIPForward) (uint32, error) {
			note("forward " + f.BindAddress + ":" + strconv.Itoa(int(f.BindPort)))
			if f.BindPort == 0 {
				return 40000, nil
			}
			if f.BindPort == 1 {
				return 0, errors.New("privileged")
			}
			return f.BindPort, nil
		},
		CancelTCPIPForward: func(f wire.TCPIPForward) error {
			note("cancel " + f.BindAddress + ":" + strconv.Itoa(int(f.BindPort)))
			return nil
		},
		StreamLocalForward:       func(path string) error { note("streamlocal " + path); return nil },
		CancelStreamLocalForward: func(path string) error { note("cancel-streamlocal " + path); return nil },
		ProveHostKeys: func(keys [][]byte) ([][]byte, error) {
			sigs := make([][]byte, len(keys))
			for i, k := range keys {
				sigs[i] = append([]byte("sig:"), k...)
			}
			return sigs, nil
		},
		GlobalRequest: func(req *GlobalRequest) (bool, []byte) {
			if req.Name == "echo@example.com" {
				return true, append([]byte(nil), req.Data...)
			}
			return false, nil
		},
	}
	hostKeysSeen := make(chan struct{})
	client := &Config{HostKeys: func(keys [][]byte) { gotKeys = keys; close(hostKeysSeen) }}
	a, b := pair(t, client, server)
	ctx := testCtx(t)

	port, err := a.ForwardTCPIP(ctx, "localhost", 0)
	if err != nil || port != 40000 {
		t.Fatalf("ForwardTCPIP port 0: %d, %v", port, err)
	}
	port, err = a.ForwardTCPIP(ctx, "", 8022)
	if err != nil || port != 8022 {
		t.Fatalf("ForwardTCPIP 8022: %d, %v", port, err)
	}
	if _, err := a.ForwardTCPIP(ctx, "", 1); !errors.Is(err, ErrRequestDenied) {
		t.Fatalf("ForwardTCPIP 1: %v", err)
	}
	if err := a.CancelForwardTCPIP(ctx, "", 8022); err != nil {
		t.Fatal(err)
	}
	if err := a.ForwardStreamLocal(ctx, "/tmp/x.sock"); err != nil {
		t.Fatal(err)
	}
	if err := a.CancelForwardStreamLocal(ctx, "/tmp/x.sock"); err != nil {
		t.Fatal(err)
	}
	if err := a.Keepalive(ctx); err != nil { // answered with failure: still alive
		t.Fatal(err)
	}
	sigs, err := a.ProveHostKeys(ctx, [][]byte{[]byte("k1"), []byte("k2")})
	if diff := cmp.Diff([][]byte{[]byte("sig:k1"), []byte("sig:k2")}, sigs); err != nil || diff != "" {
		t.Fatalf("ProveHostKeys: %v (-want +got):\n%s", err, diff)
	}
	ok, data, err := a.SendRequest(ctx, "echo@example.com", true, []byte("hi"))
	if err != nil || !ok || string(data) != "hi" {
		t.Fatalf("echo: %v %q %v", ok, data, err)
	}
	ok, _, err = a.SendRequest(ctx, "unknown@example.com", true, nil)
	if err != nil || ok {
		t.Fatalf("unknown: %v %v", ok, err)
	}
	// The client side has no forwarding hooks: refused.
	if _, err := b.ForwardTCPIP(ctx, "", 0); !errors.Is(err, ErrRequestDenied) {
		t.Fatalf("reverse ForwardTCPIP: %v", err)
	}
	if err := b.SendHostKeys(ctx, [][]byte{[]byte("hk1"), []byte("hk2")}); err != nil {
		t.Fatal(err)
	}
	<-hostKeysSeen
	if diff := cmp.Diff([][]byte{[]byte("hk1"), []byte("hk2")}, gotKeys); diff != "" {
		t.Errorf("HostKeys (-want +got):\n%s", diff)
	}
	want := []string{"forward localhost:0", "forward :8022", "forward :1", "cancel :8022", "streamlocal /tmp/x.sock", "cancel-streamlocal /tmp/x.sock"}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
}

// TestNoMoreSessions: after no-more-sessions@openssh.com the peer's
// session opens are refused; other types still work.
// Requirement: protocol-2.2-no-more-sessions
func TestNoMoreSessions(t *testing.T) {
	a, b := pair(t, nil, nil)
	ctx := testCtx(t)
	if err := a.NoMoreSessions(ctx); err != nil {
		t.Fatal(err)
	}
	// A request with a reply flushes the one without.
	if err := a.Keepalive(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := a.OpenSession(ctx, nil)
	var oe *OpenError
	if !errors.As(err, &oe) || oe.Reason != wire.AdministrativelyProhibited {
		t.Fatalf("OpenSession after no-more-sessions: %v", err)
	}
	openPair(t, a, b, wire.ChannelTypeAuthAgent, nil, nil, nil)
}

// TestChannelCaps is docs/security.md#c4: opens past MaxChannels and
// MaxSessions (or refused by AllowSession) get RESOURCE_SHORTAGE, and the
// caps free up when channels close.
func TestChannelCaps(t *testing.T) {
	allow := true
	a, b := pair(t, &Config{MaxChannels: 3}, &Config{MaxChannels: 6, MaxSessions: 2, AllowSession: func(int) bool { return allow }})
	ctx := testCtx(t)
	var chans []*Channel
	for range 2 {
		_, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
		chans = append(chans, cb)
	}
	var oe *OpenError
	if _, err := a.OpenSession(ctx, nil); !errors.As(err, &oe) || oe.Reason != wire.ResourceShortage {
		t.Fatalf("third session: %v", err)
	}
	openPair(t, a, b, wire.ChannelTypeAuthAgent, nil, nil, nil)
	// a holds 3 channels now: its own cap.
	if _, err := a.OpenAuthAgent(ctx); !errors.Is(err, ErrTooManyChannels) {
		t.Fatalf("past local cap: %v", err)
	}
	chans[0].Close()
	waitFor(t, func() bool { return a.channels() == 2 && b.channels() == 2 })
	allow = false // read by the Run goroutine only after the next open is sent
	if _, err := a.OpenSession(ctx, nil); !errors.As(err, &oe) || oe.Reason != wire.ResourceShortage {
		t.Fatalf("AllowSession false: %v", err)
	}
}

// TestChannelFlood is docs/security.md#c4 at scale: 20k opens from a raw peer
// that never reads; past the cap every one is refused, memory is bounded
// by the cap.
func TestChannelFlood(t *testing.T) {
	c, p := rawPair(t, &Config{MaxChannels: 100})
	const n = 20000
	refused := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n - MaxPendingOpens {
			b, err := p.tr.ReadPacket()
			if err != nil {
				return
			}
			m, err := wire.ParseChannelOpenFailure(b)
			if err == nil && m.Reason == wire.ResourceShortage {
				refused++
			}
		}
	}()
	for i := range n {
		p.send(&wire.ChannelOpen{Type: "x@example.com", Sender: uint32(i), InitialWindow: 1, MaxPacket: 1})
	}
	<-done
	// Nobody calls Accept: pending opens are capped at MaxPendingOpens.
	if refused != n-MaxPendingOpens {
		t.Errorf("refused %d of %d", refused, n)
	}
	if got := c.channels(); got > 100 {
		t.Errorf("%d channels allocated", got)
	}
}

// TestForwardLoopback carries a TCP connection to a loopback target
// through a direct-tcpip channel, as a server facade would.
func TestForwardLoopback(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { // the target: an upper-casing echo
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		b, _ := io.ReadAll(conn)
		conn.Write(bytes.ToUpper(b))
	})
	a, b := pair(t, nil, nil)
	ctx := testCtx(t)
	wg.Go(func() { // the server side
		nc, err := b.Accept(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		d, err := nc.DirectTCPIP()
		if err != nil {
			t.Error(err)
			return
		}
		conn, err := net.Dial("tcp", net.JoinHostPort(d.Host, strconv.Itoa(int(d.Port))))
		if err != nil {
			nc.Reject(wire.ConnectFailed, err.Error())
			return
		}
		defer conn.Close()
		ch, err := nc.Accept(nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer ch.Close()
		go func() {
			io.Copy(conn, ch)
			conn.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(ch, conn)
		ch.CloseWrite()
	})
	addr := l.Addr().(*net.TCPAddr)
	ch, err := a.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: "127.0.0.1", Port: uint32(addr.Port), OriginatorAddress: "127.0.0.1", OriginatorPort: 1})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("forward me "), 20000)
	go func() {
		ch.Write(payload)
		ch.CloseWrite()
	}()
	got, err := io.ReadAll(ch)
	if err != nil || !bytes.Equal(got, bytes.ToUpper(payload)) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	ch.Close()
}
