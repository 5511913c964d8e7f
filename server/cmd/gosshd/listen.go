package main

import (
	"log/syslog"
	"net"
	"syscall"
)

// qosListener sets IPQoS on each accepted connection: sshd's bulk
// (second) value, which it uses for connections without a pty. gosshd
// does not switch to the interactive value for pty sessions.
type qosListener struct {
	net.Listener
	tos int // ipqosNone: leave it
}

func (l *qosListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.tos == ipqosNone {
		return c, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		setTOS(tc, l.tos)
	}
	return c, nil
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
