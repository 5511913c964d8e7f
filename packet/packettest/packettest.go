// Package packettest provides test doubles for layers above packet: an
// in-memory buffered net.Conn pair and connected *packet.Conn pairs whose
// keys are already switched, as after SSH_MSG_NEWKEYS.
//
// Nothing here is for production use: the keys are derived from a fixed
// seed.
package packettest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
)

// Pipe returns the two ends of an in-memory, full-duplex connection. Unlike
// net.Pipe, writes are buffered without limit and never wait for the
// reader, so one goroutine can write on one end and then read on the other
// (as a real socket with large buffers behaves). Reads block until data
// arrives, the deadline passes (os.ErrDeadlineExceeded) or an end is
// closed: after the peer closes, buffered data is still returned, then
// io.EOF. Steady-state writes and reads do not allocate.
func Pipe() (net.Conn, net.Conn) {
	ab, ba := newBuffer(), newBuffer()
	return &pipeConn{in: ba, out: ab, name: "a"}, &pipeConn{in: ab, out: ba, name: "b"}
}

type buffer struct {
	mu       sync.Mutex
	cond     sync.Cond
	data     []byte // unread bytes are data[off:]
	off      int
	closed   bool      // writer or reader end closed
	deadline time.Time // read deadline
	timer    *time.Timer
}

func newBuffer() *buffer {
	b := &buffer{}
	b.cond.L = &b.mu
	return b
}

type pipeConn struct {
	in, out *buffer
	name    string
	once    sync.Once
}

type pipeAddr string

func (a pipeAddr) Network() string { return "packettest" }
func (a pipeAddr) String() string  { return string(a) }

func (p *pipeConn) Read(b []byte) (int, error) {
	in := p.in
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.off == len(in.data) {
		if in.closed {
			return 0, io.EOF
		}
		if !in.deadline.IsZero() && !time.Now().Before(in.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		in.cond.Wait()
	}
	n := copy(b, in.data[in.off:])
	in.off += n
	if in.off == len(in.data) {
		in.data, in.off = in.data[:0], 0
	}
	return n, nil
}

func (p *pipeConn) Write(b []byte) (int, error) {
	out := p.out
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.closed {
		return 0, io.ErrClosedPipe
	}
	if out.off > 0 && len(out.data)+len(b) > cap(out.data) {
		out.data = out.data[:copy(out.data, out.data[out.off:])]
		out.off = 0
	}
	out.data = append(out.data, b...)
	out.cond.Broadcast()
	return len(b), nil
}

// Close closes both directions: the peer reads what is buffered, then
// io.EOF; writes on either end fail.
func (p *pipeConn) Close() error {
	p.once.Do(func() {
		for _, b := range []*buffer{p.in, p.out} {
			b.mu.Lock()
			b.closed = true
			if b.timer != nil {
				b.timer.Stop()
			}
			b.cond.Broadcast()
			b.mu.Unlock()
		}
	})
	return nil
}

// CloseWrite closes the sending direction only, like
// (*net.TCPConn).CloseWrite: the peer reads what is buffered, then io.EOF,
// while this end can still read and the peer can still write.
func (p *pipeConn) CloseWrite() error {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	p.out.closed = true
	p.out.cond.Broadcast()
	return nil
}

func (p *pipeConn) LocalAddr() net.Addr  { return pipeAddr(p.name) }
func (p *pipeConn) RemoteAddr() net.Addr { return pipeAddr("peer-of-" + p.name) }

func (p *pipeConn) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

// SetReadDeadline sets the read deadline. Writes never block, so the
// write deadline is ignored.
func (p *pipeConn) SetReadDeadline(t time.Time) error {
	in := p.in
	in.mu.Lock()
	defer in.mu.Unlock()
	in.deadline = t
	if in.timer != nil {
		in.timer.Stop()
		in.timer = nil
	}
	if !t.IsZero() {
		in.timer = time.AfterFunc(time.Until(t), func() {
			in.mu.Lock()
			in.cond.Broadcast()
			in.mu.Unlock()
		})
	}
	in.cond.Broadcast()
	return nil
}

func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// Keys returns packet.Keys for the named cipher and MAC with key material
// of the right sizes, derived from seed. Two calls with the same arguments
// return equal keys.
func Keys(cipherName, macName string, seed string) (packet.Keys, error) {
	alg, ok := cipher.LookupAlgorithm(cipherName)
	if !ok {
		return packet.Keys{}, fmt.Errorf("packettest: unknown cipher %q", cipherName)
	}
	k := packet.Keys{Cipher: cipherName,
		IV: derive(seed+"/iv", alg.IVSize), Key: derive(seed+"/key", alg.KeySize)}
	if !alg.AEAD() && macName != "" {
		m, ok := cipher.LookupMAC(macName)
		if !ok {
			return packet.Keys{}, fmt.Errorf("packettest: unknown MAC %q", macName)
		}
		k.MAC, k.MACKey = macName, derive(seed+"/mac", m.KeySize)
	}
	return k, nil
}

func derive(label string, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", label, i))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// NewPair returns two Conns connected over Pipe, a client end and a server
// end, with both directions switched to cipherName and macName (macName
// is ignored for AEAD ciphers and may be empty with "none"). Both are
// closed when the test ends.
func NewPair(t testing.TB, cipherName, macName string) (client, server *packet.Conn) {
	t.Helper()
	a, b := Pipe()
	return Switch(t, a, b, cipherName, macName)
}

// Switch wraps two connected net.Conns (from Pipe or net.Pipe) in Conns
// and switches both directions to cipherName and macName, as after
// SSH_MSG_NEWKEYS. Both are closed when the test ends.
func Switch(t testing.TB, a, b net.Conn, cipherName, macName string) (client, server *packet.Conn) {
	t.Helper()
	client = packet.NewConn(a, nil)
	server = packet.NewConn(b, &packet.Config{Server: true})
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	c2s, err := Keys(cipherName, macName, "client to server")
	if err != nil {
		t.Fatal(err)
	}
	s2c, err := Keys(cipherName, macName, "server to client")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return client.SetWriteKeys(c2s) },
		func() error { return server.SetReadKeys(c2s) },
		func() error { return server.SetWriteKeys(s2c) },
		func() error { return client.SetReadKeys(s2c) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return client, server
}
