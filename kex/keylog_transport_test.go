package kex_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// teeConn keeps a copy of everything written to the net.Conn.
type teeConn struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *teeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// firstCookie returns the cookie of the first binary packet after the
// version line in the bytes a side wrote: its plaintext KEXINIT.
func (c *teeConn) firstCookie(t *testing.T) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.out.Bytes()
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 || len(b) < i+2+6+16 {
		t.Fatal("no KEXINIT in the stream")
	}
	p := b[i+2:]
	if n := binary.BigEndian.Uint32(p); n < 22 || p[5] != 20 {
		t.Fatalf("first packet is not KEXINIT: % x", p[:6])
	}
	return hex.EncodeToString(p[6:22])
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// secrets returns the SHARED_SECRET lines' cookies and values, in order.
func (w *syncBuffer) secrets(t *testing.T) (cookies, values []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range strings.Split(strings.TrimSuffix(w.b.String(), "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[1] == "SHARED_SECRET" {
			cookies, values = append(cookies, f[0]), append(values, f[2])
		} else if len(f) != 2 {
			t.Fatalf("key log line %q", l)
		}
	}
	return cookies, values
}

// TestTransportKeyLog: with Config.KeyLog on both sides, each side logs
// one SHARED_SECRET line per key exchange, the initial one and each
// rekey from either side, under its own KEXINIT cookie, and both sides
// log the same secrets.
func TestTransportKeyLog(t *testing.T) {
	for _, name := range []string{kex.Curve25519SHA256, kex.ECDHSHA2NISTP256, kex.DHGroup14SHA256, kex.MLKEM768X25519SHA256} {
		t.Run(name, func(t *testing.T) {
			ccfg, scfg := configs(t, name)
			var clog, slog syncBuffer
			ccfg.KeyLog, scfg.KeyLog = &clog, &slog
			a0, b0 := packettest.Pipe()
			a, b := &teeConn{Conn: a0}, &teeConn{Conn: b0}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var s *kex.Transport
			var serr error
			var wg sync.WaitGroup
			wg.Go(func() { s, serr = kex.ServerHandshake(ctx, packet.NewConn(b, &packet.Config{Server: true}), scfg) })
			c, cerr := kex.ClientHandshake(ctx, packet.NewConn(a, nil), ccfg)
			wg.Wait()
			if cerr != nil || serr != nil {
				t.Fatalf("client: %v; server: %v", cerr, serr)
			}
			defer c.Close()
			defer s.Close()
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
			cc, cv := clog.secrets(t)
			sc, sv := slog.secrets(t)
			if len(cv) != 3 || len(sv) != 3 {
				t.Fatalf("%d client and %d server SHARED_SECRET lines, want 3 each", len(cv), len(sv))
			}
			for i := range cv {
				if cv[i] != sv[i] {
					t.Errorf("exchange %d: client and server log different secrets", i)
				}
				if cc[i] == sc[i] {
					t.Errorf("exchange %d: both sides log cookie %s", i, cc[i])
				}
				if i > 0 && (cc[i] == cc[i-1] || cv[i] == cv[i-1]) {
					t.Errorf("exchange %d repeats the cookie or secret of the one before", i)
				}
			}
			if got, want := cc[0], a.firstCookie(t); got != want {
				t.Errorf("client logged cookie %s, its KEXINIT has %s", got, want)
			}
			if got, want := sc[0], b.firstCookie(t); got != want {
				t.Errorf("server logged cookie %s, its KEXINIT has %s", got, want)
			}
		})
	}
}

var errDiskFull = errors.New("test: disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestTransportKeyLogWriteFails: a key log that cannot be written fails
// the handshake, as crypto/tls does, rather than run without the log the
// user asked for.
func TestTransportKeyLogWriteFails(t *testing.T) {
	ccfg, scfg := configs(t, kex.Curve25519SHA256)
	ccfg.KeyLog = failWriter{}
	_, _, err := tryPair(t, ccfg, scfg)
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("handshake error %v, want the key log's", err)
	}
}

// TestOpenKeyLogFile: a new file is created 0600 whatever the umask
// allows; an existing one is appended to, never truncated, and reported
// when others can read it.
func TestOpenKeyLogFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	f, insecure, err := kex.OpenKeyLogFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("one\n")
	f.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || insecure {
		t.Fatalf("new key log: %v, mode %v, insecure %v", err, fi.Mode(), insecure)
	}
	f, _, err = kex.OpenKeyLogFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("two\n")
	f.Close()
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Fatalf("after reopening: %q", b)
	}
	os.Chmod(path, 0o644)
	f, insecure, err = kex.OpenKeyLogFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !insecure {
		t.Error("a world-readable key log is not reported")
	}
}

// BenchmarkHandshakeKeyLog is BenchmarkHandshake for curve25519-sha256
// without and with a key log on both sides (to io.Discard), in one run,
// so the two are comparable: the key log adds two lines per side per
// exchange.
func BenchmarkHandshakeKeyLog(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			ccfg, scfg := configs(b, kex.Curve25519SHA256)
			if on {
				ccfg.KeyLog, scfg.KeyLog = io.Discard, io.Discard
			}
			b.ReportAllocs()
			for b.Loop() {
				c, s := benchPair(b, ccfg, scfg)
				c.Close()
				s.Close()
			}
		})
	}
}
