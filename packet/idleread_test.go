package packet_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// TestIdleReadOverTCP sends packets of random sizes with pauses over real
// TCP, so the reader keeps going idle (handing its buffer back) and
// resuming, and checks every payload arrives intact and in order.
func TestIdleReadOverTCP(t *testing.T) {
	for _, s := range []struct{ cipher, mac string }{
		{"chacha20-poly1305@openssh.com", ""},
		{"aes128-gcm@openssh.com", ""},
		{"aes256-ctr", "hmac-sha2-256-etm@openssh.com"},
		{"aes128-ctr", "hmac-sha1"},
	} {
		t.Run(s.cipher+"/"+s.mac, func(t *testing.T) {
			a, b := tcpPair(t)
			w, r := packettest.Switch(t, a, b, s.cipher, s.mac)
			const n = 1500
			payload := func(i int) []byte {
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				p := make([]byte, 1+rng.IntN(34000))
				for j := range p {
					p[j] = byte(rng.Uint32())
				}
				return p
			}
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(1, 2))
				for i := range n {
					if rng.IntN(20) == 0 {
						time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
					}
					if err := w.WritePacket(payload(i)); err != nil {
						t.Errorf("write %d: %v", i, err)
						return
					}
				}
			})
			for i := range n {
				got, err := r.ReadPacket()
				if err != nil {
					t.Fatalf("read %d: %v", i, err)
				}
				if !bytes.Equal(got, payload(i)) {
					t.Fatalf("packet %d: %d bytes differ from the %d sent", i, len(got), len(payload(i)))
				}
			}
		})
	}
}

// TestIdleReadReleasesBuffer: a Conn over TCP waiting for input holds no
// read buffer (issue 9's idle-connection memory); a wrapper around a TCP
// connection is read through its own Read and keeps its buffer; deadline,
// EOF and Close end the wait with the usual errors.
func TestIdleReadReleasesBuffer(t *testing.T) {
	type wrapped struct{ *net.TCPConn }
	for _, tc := range []struct {
		name    string
		wrap    bool
		wantBuf bool
	}{{"tcp", false, false}, {"wrapper", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tcpPair(t)
			var bc net.Conn = b
			if tc.wrap {
				bc = wrapped{b}
			}
			w, r := packet.NewConn(a, nil), packet.NewConn(bc, &packet.Config{Server: true})
			defer w.Close()
			defer r.Close()
			if err := w.WritePacket([]byte{2, 'x'}); err != nil {
				t.Fatal(err)
			}
			if _, err := r.ReadPacket(); err != nil {
				t.Fatal(err)
			}
			b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if _, err := r.ReadPacket(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadPacket past the deadline = %v, want os.ErrDeadlineExceeded", err)
			}
			if got := packet.ReadBufferCap(r) > 0; got != tc.wantBuf {
				t.Errorf("holds a read buffer while waiting: %v, want %v", got, tc.wantBuf)
			}
		})
	}
	t.Run("eof", func(t *testing.T) {
		a, b := tcpPair(t)
		r := packet.NewConn(b, nil)
		defer r.Close()
		a.Close()
		if _, err := r.ReadPacket(); !errors.Is(err, io.EOF) {
			t.Errorf("ReadPacket after the peer closed = %v, want io.EOF", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		a, b := tcpPair(t)
		defer a.Close()
		r := packet.NewConn(b, nil)
		errc := make(chan error, 1)
		go func() {
			_, err := r.ReadPacket()
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond)
		r.Close()
		select {
		case err := <-errc:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("ReadPacket after Close = %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("ReadPacket still blocked 5 s after Close")
		}
	})
}

// TestTCPSteadyStateAllocs: the TCP read path (readIdle) costs no
// allocation per packet, as the in-memory one does.
func TestTCPSteadyStateAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts need a build without -race")
	}
	a, b := tcpPair(t)
	w, r := packettest.Switch(t, a, b, "chacha20-poly1305@openssh.com", "")
	payload := bytes.Repeat([]byte{94}, 200)
	step := func() {
		if err := w.WritePacket(payload); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		step()
	}
	if n := testing.AllocsPerRun(200, step); n != 0 {
		t.Errorf("write+read over TCP: %v allocations, want 0", n)
	}
}
