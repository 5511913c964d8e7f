package mux

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// unixPair is a connected pair of Unix stream sockets.
func unixPair(t testing.TB) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	a, b := conn(fds[0]), conn(fds[1])
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestProxyFraming(t *testing.T) {
	a, b := unixPair(t)
	w := &proxyTransport{c: &Conn{p: packetConn{c: a}}}
	r := &proxyTransport{c: &Conn{p: packetConn{c: b}}}
	payload := []byte{90, 0, 0, 0, 7, 's', 'e', 's', 's', 'i', 'o', 'n'}
	if err := w.WritePacket(payload); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(payload, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// PROTOCOL.mux Section 9: uint32 length, padding length, payload,
	// padding; at least 5 bytes after the length, the least OpenSSH's
	// ssh reads (a one-byte REQUEST_SUCCESS had it fail with
	// "incomplete message").
	go w.WritePacket([]byte{81})
	raw := make([]byte, 9)
	if _, err := io.ReadFull(b, raw); err != nil || string(raw) != "\x00\x00\x00\x05\x03\x51\x00\x00\x00" {
		t.Errorf("encoding %q %v", raw, err)
	}
	go w.WritePacket([]byte{81})
	if got, err := r.ReadPacket(); err != nil || string(got) != "\x51" {
		t.Errorf("padded packet read back as %x, %v", got, err)
	}
	go w.WritePacket([]byte{1, 2, 3, 4})
	raw = make([]byte, 9)
	if _, err := io.ReadFull(b, raw); err != nil || string(raw) != "\x00\x00\x00\x05\x00\x01\x02\x03\x04" {
		t.Errorf("encoding %q %v", raw, err)
	}
	for _, bad := range [][]byte{
		{0, 0, 0, 1, 0},          // no room for a message number
		{0xff, 0xff, 0xff, 0xff}, // over MaxProxyPacket
		{0, 0, 0, 3, 2, 1, 1},    // padding eats the payload
	} {
		a, b := unixPair(t)
		a.Write(bad)
		r := &proxyTransport{c: &Conn{p: packetConn{c: b}}}
		if _, err := r.ReadPacket(); !errors.Is(err, ErrProxyPacket) {
			t.Errorf("%x: %v, want ErrProxyPacket", bad, err)
		}
	}
}

func FuzzProxyRead(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 0, 90, 1})
	f.Add([]byte{0, 0, 0, 5, 2, 94, 1, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := unixPair(t)
		go func() { a.Write(in); a.Close() }()
		r := &proxyTransport{c: &Conn{p: packetConn{c: b}}}
		for {
			p, err := r.ReadPacket()
			if err != nil {
				return
			}
			if len(p) == 0 || len(p) > MaxProxyPacket {
				t.Fatalf("payload of %d bytes", len(p))
			}
		}
	})
}
