package packet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// exchange runs ExchangeVersions on a Conn whose peer sends input and
// then closes. server selects the server's rules.
func exchange(t *testing.T, server bool, input string) (string, *packet.Conn, error) {
	t.Helper()
	a, b := packettest.Pipe()
	b.Write([]byte(input))
	b.(interface{ CloseWrite() error }).CloseWrite()
	t.Cleanup(func() { b.Close() })
	c := packet.NewConn(a, &packet.Config{Server: server})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := c.ExchangeVersions(ctx, "SSH-2.0-test")
	return got, c, err
}

// TestVersionExchange is docs/security.md#w9 and RFC 4253, Section 4.2.
// Requirement: 4253-4.2-ident-crlf, 4253-4.2-prelines-client
// Requirement: 4253-4.2-ident-max, 4253-4.2-ident-ascii, 4253-4.2-comments-space, 4253-4.2-no-null, 4253-4.2-protoversion
func TestVersionExchange(t *testing.T) {
	long := "SSH-2.0-" + strings.Repeat("x", 255-8-2) // 255 with CR LF
	tests := []struct {
		name   string
		server bool
		in     string
		want   string
		err    error
	}{
		{"client CRLF", false, "SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2", nil},
		{"server CRLF", true, "SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2", nil},
		{"bare LF", true, "SSH-2.0-old\n", "SSH-2.0-old", nil},
		{"comments", false, "SSH-2.0-OpenSSH_9.2 Debian-2\r\n", "SSH-2.0-OpenSSH_9.2 Debian-2", nil},
		{"1.99 is 2.0", true, "SSH-1.99-Cisco-1.25\r\n", "SSH-1.99-Cisco-1.25", nil},
		{"exactly 255", true, long + "\r\n", long, nil},
		{"client pre-lines", false, "hello\r\nworld\n\r\nSSH-2.0-x\r\n", "SSH-2.0-x", nil},
		{"client 1024 pre-lines", false, strings.Repeat("a\n", 1024) + "SSH-2.0-x\r\n", "SSH-2.0-x", nil},
		{"client 8000 bytes of pre-lines", false, strings.Repeat(strings.Repeat("b", 99)+"\n", 80) + "SSH-2.0-x\r\n", "SSH-2.0-x", nil},

		{"256 bytes", true, long + "y\r\n", "", packet.ErrVersion},
		{"too long no LF", false, "SSH-2.0-" + strings.Repeat("x", 400), "", packet.ErrVersion},
		{"SSH-1.5", true, "SSH-1.5-old\r\n", "", packet.ErrProtocolVersion},
		{"SSH-1.5 client", false, "SSH-1.5-old\r\n", "", packet.ErrProtocolVersion},
		{"SSH-3.0", true, "SSH-3.0-future\r\n", "", packet.ErrProtocolVersion},
		{"SSH-2.00", true, "SSH-2.00-x\r\n", "", packet.ErrProtocolVersion},
		{"no software version", true, "SSH-2.0-\r\n", "", packet.ErrVersion},
		{"no dash", true, "SSH-2.0\r\n", "", packet.ErrVersion},
		{"NUL", true, "SSH-2.0-a\x00b\r\n", "", packet.ErrVersion},
		{"escape", false, "SSH-2.0-a\x1b[31m\r\n", "", packet.ErrVersion},
		{"CR inside", true, "SSH-2.0-a\rb\r\n", "", packet.ErrVersion},
		{"server rejects pre-lines", true, "hello\r\nSSH-2.0-x\r\n", "", packet.ErrVersion},
		{"server rejects HTTP", true, "GET / HTTP/1.1\r\n", "", packet.ErrVersion},
		{"client 1025 pre-lines", false, strings.Repeat("a\n", 1025) + "SSH-2.0-x\r\n", "", packet.ErrVersion},
		{"client 8 KiB pre-lines", false, strings.Repeat(strings.Repeat("b", 99)+"\n", 83) + "SSH-2.0-x\r\n", "", packet.ErrVersion},
		{"client long pre-line", false, strings.Repeat("c", 9000) + "\nSSH-2.0-x\r\n", "", packet.ErrVersion},
		{"EOF", false, "SSH-2.0-x", "", io.ErrUnexpectedEOF},
		{"empty", true, "", "", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := exchange(t, tt.server, tt.in)
			if tt.err == nil {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("got %q, %v; want %v", got, err, tt.err)
			}
			var ve *packet.VersionError
			if errors.Is(tt.err, packet.ErrVersion) && !errors.As(err, &ve) {
				t.Errorf("%v is not a *VersionError", err)
			}
		})
	}
}

// TestVersionThenPacket checks that bytes after the identification string
// stay buffered for ReadPacket, and that our own line is sent.
// Requirement: 4253-4.2-send-ident
func TestVersionThenPacket(t *testing.T) {
	a, b := packettest.Pipe()
	c := packet.NewConn(a, nil)
	defer c.Close()
	peer := packet.NewConn(b, &packet.Config{Server: true})
	defer peer.Close()
	b.Write([]byte("SSH-2.0-peer\r\n"))
	peer.WritePacket([]byte{2, 1, 2, 3})
	got, err := c.ExchangeVersions(context.Background(), "")
	if err != nil || got != "SSH-2.0-peer" {
		t.Fatalf("%q, %v", got, err)
	}
	p, err := c.ReadPacket()
	if err != nil || len(p) != 4 {
		t.Fatalf("packet after version: %x, %v", p, err)
	}
	line := make([]byte, len(packet.DefaultVersion)+2)
	if _, err := io.ReadFull(b, line); err != nil || string(line) != packet.DefaultVersion+"\r\n" {
		t.Fatalf("sent %q, %v", line, err)
	}
}

// TestVersionThenFirstPacket: ExchangeVersionsThen sends the first
// packet in the same write as the identification string, and the peer
// reads both; the Conn's own sequence number has counted the packet.
func TestVersionThenFirstPacket(t *testing.T) {
	a, b := packettest.Pipe()
	wc := &firstWriteConn{Conn: a}
	c := packet.NewConn(wc, nil)
	defer c.Close()
	peer := packet.NewConn(b, &packet.Config{Server: true})
	defer peer.Close()
	b.Write([]byte("SSH-2.0-peer\r\n"))
	first := []byte{20, 1, 2, 3, 4}
	if _, err := c.ExchangeVersionsThen(context.Background(), "", first); err != nil {
		t.Fatal(err)
	}
	if wc.writes != 1 {
		t.Errorf("%d writes, want 1", wc.writes)
	}
	if got, err := peer.ExchangeVersions(context.Background(), "SSH-2.0-peer"); err != nil || got != packet.DefaultVersion {
		t.Fatalf("peer read version %q, %v", got, err)
	}
	p, err := peer.ReadPacket()
	if err != nil || !bytes.Equal(p, first) {
		t.Fatalf("peer read %x, %v; want %x", p, err, first)
	}
	if seq := c.WriteSeq(); seq != 1 {
		t.Errorf("write sequence number %d after the first packet, want 1", seq)
	}
}

// firstWriteConn counts writes.
type firstWriteConn struct {
	net.Conn
	writes int
}

func (c *firstWriteConn) Write(b []byte) (int, error) {
	c.writes++
	return c.Conn.Write(b)
}

// TestVersionBothOverNetPipe runs both sides over a synchronous net.Pipe,
// where both writing first would deadlock without the concurrent write.
func TestVersionBothOverNetPipe(t *testing.T) {
	a, b := net.Pipe()
	c, s := packet.NewConn(a, nil), packet.NewConn(b, &packet.Config{Server: true})
	defer c.Close()
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.ExchangeVersions(ctx, "SSH-2.0-server")
		done <- err
	}()
	got, err := c.ExchangeVersions(ctx, "SSH-2.0-client")
	if err != nil || got != "SSH-2.0-server" {
		t.Fatalf("client: %q, %v", got, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
}

// TestVersionContext checks that the context's deadline and cancellation
// end a stalled exchange (docs/security.md#r2).
func TestVersionContext(t *testing.T) {
	for _, cancelNow := range []bool{false, true} {
		a, b := packettest.Pipe()
		b.Write([]byte("SSH-2.0")) // then silence
		c := packet.NewConn(a, &packet.Config{Server: true})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		if cancelNow {
			cancel()
		}
		_, err := c.ExchangeVersions(ctx, "")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			t.Errorf("cancel=%v: %v", cancelNow, err)
		}
		if _, err := c.ReadPacket(); err == nil {
			t.Error("Conn usable after failed exchange")
		}
		c.Close()
		b.Close()
	}
}

func TestVersionOnce(t *testing.T) {
	_, c, err := exchange(t, false, "SSH-2.0-x\r\nSSH-2.0-y\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExchangeVersions(context.Background(), ""); !errors.Is(err, packet.ErrVersion) {
		t.Fatalf("second exchange: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("second exchange was fatal: %v", c.Err())
	}
}

// Requirement: 4253-4.2-ident-max, 4253-4.2-ident-ascii, 4253-4.2-protoversion
func TestLocalVersionChecked(t *testing.T) {
	for _, v := range []string{"SSH-1.99-x", "SSH-2.0-a\r\nb", "hello", "SSH-2.0-" + strings.Repeat("x", 250)} {
		a, b := packettest.Pipe()
		c := packet.NewConn(a, nil)
		if _, err := c.ExchangeVersions(context.Background(), v); !errors.Is(err, packet.ErrVersion) {
			t.Errorf("%q: %v", v, err)
		}
		c.Close()
		b.Close()
	}
}

func FuzzVersion(f *testing.F) {
	for _, s := range []string{"SSH-2.0-OpenSSH_9.2\r\n", "SSH-1.99-x\n", "a\r\nSSH-2.0-x\r\n", "SSH-1.5-x\r\n", "\x00\n"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, server bool) {
		got, c, err := exchange(t, server, in)
		if err != nil {
			if c.Err() == nil {
				t.Fatal("error did not stick")
			}
			return
		}
		if !strings.HasPrefix(got, "SSH-2.0-") && !strings.HasPrefix(got, "SSH-1.99-") || len(got)+2 > 255+1 ||
			strings.ContainsAny(got, "\r\n\x00") || !strings.Contains(in, got) {
			t.Fatalf("accepted %q from %q", got, in)
		}
	})
}

// TestVersionTruncated cuts a valid exchange at every byte: the reader
// reports the end of input, never a partial line.
func TestVersionTruncated(t *testing.T) {
	const in = "pre\r\nSSH-2.0-OpenSSH_9.2 x\r\n"
	for n := range len(in) {
		got, _, err := exchange(t, false, in[:n])
		if err == nil {
			t.Fatalf("cut at %d: accepted %q", n, got)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
}
