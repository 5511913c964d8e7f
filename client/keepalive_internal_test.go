//go:build linux

package client

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSystemKeepAlive: Dial's sockets have SO_KEEPALIVE on with the
// system's idle time (net.ipv4.tcp_keepalive_time), as ssh's TCPKeepAlive
// yes, not Go's 15 s.
func TestSystemKeepAlive(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_keepalive_time")
	if err != nil {
		t.Skipf("no Linux keepalive sysctl: %v", err)
	}
	want, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := (&net.Dialer{KeepAliveConfig: systemKeepAlive}).DialContext(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, _ := c.(*net.TCPConn).SyscallConn()
	var keep, idle int
	rc.Control(func(fd uintptr) {
		keep, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		idle, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
	})
	if keep != 1 || idle != want {
		t.Errorf("SO_KEEPALIVE %d, TCP_KEEPIDLE %d; want 1, %d (the system's)", keep, idle, want)
	}
}
