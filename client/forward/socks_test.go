package forward

import (
	"net"
	"strings"
	"testing"
	"time"
)

// socksRun feeds in to the SOCKS5 parser over a pipe and returns the
// target it parsed.
func socksRun(in []byte) (string, error) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		b.SetDeadline(time.Now().Add(time.Second))
		// Drain the replies; the request comes from eofConn.
		buf := make([]byte, 64)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	a.SetDeadline(time.Now().Add(time.Second))
	done := make(chan struct{})
	var target string
	var err error
	go func() {
		defer close(done)
		target, _, err = socksHandshake(&eofConn{Conn: a, data: in})
	}()
	<-done
	return target, err
}

// eofConn reads from data and fails at its end, so the parser never
// waits for bytes that will not come; writes go to the pipe.
type eofConn struct {
	net.Conn
	data []byte
}

func (c *eofConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, net.ErrClosed
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

func TestSOCKSRequests(t *testing.T) {
	tests := []struct { // RFC 1928, Sections 3-5
		name string
		in   []byte
		want string
	}{
		{"ipv4", []byte{5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 1, 0, 80}, "10.0.0.1:80"},
		{"domain", append(append([]byte{5, 2, 2, 0, 5, 1, 0, 3, 11}, "example.com"...), 1, 187), "example.com:443"},
		{"ipv6", append(append([]byte{5, 1, 0, 5, 1, 0, 4}, net.ParseIP("::1")...), 0, 22), "[::1]:22"},
		{"socks4", append([]byte{4, 1, 0, 80, 10, 0, 0, 1}, "user\x00"...), "10.0.0.1:80"},
		{"socks4a", append([]byte{4, 1, 1, 187, 0, 0, 0, 1}, "\x00example.com\x00"...), "example.com:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := socksRun(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
			// Cut at every byte: always an error, never a target.
			for i := range len(tt.in) {
				if got, err := socksRun(tt.in[:i]); err == nil {
					t.Errorf("cut at %d: parsed %q", i, got)
				}
			}
		})
	}
	for _, bad := range [][]byte{
		{4, 2, 0, 80, 10, 0, 0, 1, 0}, // SOCKS4 BIND
		append(append([]byte{4, 1, 0, 80, 10, 0, 0, 1}, strings.Repeat("u", 300)...), 0), // user ID too long
		append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0}, "a:b\x00"...),                         // 4A host name with ':'
		{3, 1, 0},                   // SOCKS3
		{5, 1, 2},                   // no acceptable method
		{5, 1, 0, 5, 2, 0, 1},       // BIND
		{5, 1, 0, 5, 1, 0, 9, 1, 2}, // address type 9
		{5, 1, 0, 4, 1, 0, 1},       // version changes
	} {
		if got, err := socksRun(bad); err == nil {
			t.Errorf("%x: parsed %q", bad, got)
		}
	}
}

func FuzzSOCKSHandshake(f *testing.F) {
	f.Add([]byte{5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 1, 0, 80})
	f.Add(append(append([]byte{5, 1, 0, 5, 1, 0, 3, 3}, "a.b"...), 0, 1))
	f.Add(append([]byte{4, 1, 1, 187, 0, 0, 0, 1}, "\x00example.com\x00"...))
	f.Fuzz(func(t *testing.T, in []byte) {
		target, err := socksRun(in)
		if err == nil {
			if _, _, err := net.SplitHostPort(target); err != nil {
				t.Fatalf("target %q: %v", target, err)
			}
		}
	})
}
