package main

import (
	"log/syslog"
	"net"
	"sync"
	"syscall"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/x11"
)

// qosListener sets IPQoS on each accepted connection: sshd's bulk
// (second) value, until a session sets the value of the connection's
// Match sections (setSessionQoS). It keeps each connection in
// acceptedConns while it is open.
type qosListener struct {
	net.Listener
	tos int // ipqosNone: leave it
}

func (l *qosListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	if l.tos != ipqosNone {
		setTOS(tc, l.tos)
	}
	return &trackedConn{TCPConn: tc, key: acceptedConns.add(tc)}, nil
}

// acceptedConns are the open accepted TCP connections by their two
// addresses, so that a session can set the IPQoS of its connection's
// Match sections on the socket, as sshd's ssh_packet_set_interactive.
var acceptedConns = connRegistry{m: map[string]*net.TCPConn{}}

type connRegistry struct {
	mu sync.Mutex
	m  map[string]*net.TCPConn // guarded by mu
}

func connKey(local, remote net.Addr) string { return local.String() + " " + remote.String() }

func (r *connRegistry) add(c *net.TCPConn) string {
	k := connKey(c.LocalAddr(), c.RemoteAddr())
	r.mu.Lock()
	r.m[k] = c
	r.mu.Unlock()
	return k
}

func (r *connRegistry) remove(k string) {
	r.mu.Lock()
	delete(r.m, k)
	r.mu.Unlock()
}

// lookup returns the open connection with these addresses, or nil.
func (r *connRegistry) lookup(local, remote net.Addr) *net.TCPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[connKey(local, remote)]
}

// A trackedConn leaves acceptedConns when it is closed.
type trackedConn struct {
	*net.TCPConn
	key  string
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { acceptedConns.remove(c.key) })
	return c.TCPConn.Close()
}

// setSessionQoS sets the connection's IPQoS as a session starts, as
// sshd's session.c: the interactive (first) value with a pty or an X11
// display, the bulk one otherwise, from ec, the configuration the
// connection's Match sections give. The last session started wins, as
// in sshd.
func setSessionQoS(s *server.Session, ec *config) {
	tos := ec.more.IPQoS[1]
	_, pty := s.Pty()
	if _, x := x11.DisplayOf(s); pty || x {
		tos = ec.more.IPQoS[0]
	}
	if tos == ipqosNone {
		return
	}
	if tc := acceptedConns.lookup(s.Conn().LocalAddr(), s.Conn().RemoteAddr()); tc != nil {
		setTOS(tc, tos)
	}
}

// setTOS sets IP_TOS (IPv4) or IPV6_TCLASS (IPv6); failures are
// ignored, as sshd only logs them.
func setTOS(c *net.TCPConn, tos int) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	v6 := false
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok && a.IP.To4() == nil {
		v6 = true
	}
	rc.Control(func(fd uintptr) {
		if v6 {
			syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, tos)
			return
		}
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, tos)
	})
}

// syslogFacility maps SyslogFacility to log/syslog's.
func syslogFacility(name string) syslog.Priority {
	return map[string]syslog.Priority{
		"DAEMON": syslog.LOG_DAEMON, "USER": syslog.LOG_USER, "AUTH": syslog.LOG_AUTH, "AUTHPRIV": syslog.LOG_AUTHPRIV,
		"LOCAL0": syslog.LOG_LOCAL0, "LOCAL1": syslog.LOG_LOCAL1, "LOCAL2": syslog.LOG_LOCAL2, "LOCAL3": syslog.LOG_LOCAL3,
		"LOCAL4": syslog.LOG_LOCAL4, "LOCAL5": syslog.LOG_LOCAL5, "LOCAL6": syslog.LOG_LOCAL6, "LOCAL7": syslog.LOG_LOCAL7,
	}[name]
}
