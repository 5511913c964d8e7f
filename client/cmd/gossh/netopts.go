package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ipqosNames are IPQoS's names for IP TOS / traffic class values
// (ssh_config(5); DSCP code points shifted into the TOS byte).
var ipqosNames = map[string]int{
	"af11": 0x28, "af12": 0x30, "af13": 0x38, "af21": 0x48, "af22": 0x50, "af23": 0x58,
	"af31": 0x68, "af32": 0x70, "af33": 0x78, "af41": 0x88, "af42": 0x90, "af43": 0x98,
	"cs0": 0x00, "cs1": 0x20, "cs2": 0x40, "cs3": 0x60, "cs4": 0x80, "cs5": 0xa0, "cs6": 0xc0, "cs7": 0xe0,
	"ef": 0xb8, "le": 0x04, "lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04,
}

// ipqosOrder is the order of OpenSSH's table, whose first name for a
// value is the one ssh -G prints (0x04 is "le", not "reliability").
var ipqosOrder = []string{"af11", "af12", "af13", "af21", "af22", "af23", "af31", "af32", "af33",
	"af41", "af42", "af43", "cs0", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7", "ef", "le",
	"lowdelay", "throughput", "reliability"}

// ipqosName is ssh's iptos2str: the value's name, "none", or 0x%02x.
func ipqosName(v int) string {
	if v < 0 {
		return "none"
	}
	for _, n := range ipqosOrder {
		if ipqosNames[n] == v {
			return n
		}
	}
	return fmt.Sprintf("0x%02x", v)
}

// String is the ssh -G form of IPQoS.
func (q ipqos) String() string { return ipqosName(q.interactive) + " " + ipqosName(q.bulk) }

// An ipqos is IPQoS: the TOS for interactive sessions and for bulk
// (non-interactive) ones; -1 leaves the socket alone ("none").
type ipqos struct{ interactive, bulk int }

func parseIPQoS(s string) (ipqos, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 0 || len(f) > 2 {
		return ipqos{}, fmt.Errorf("bad IPQoS %q", s)
	}
	var v [2]int
	for i, name := range f {
		if name == "none" {
			v[i] = -1
			continue
		}
		n, ok := ipqosNames[name]
		if !ok {
			x, err := strconv.ParseInt(name, 0, 32)
			if err != nil || x < 0 || x > 255 {
				return ipqos{}, fmt.Errorf("Bad IPQoS value: %s", name)
			}
			n = int(x)
		}
		v[i] = n
	}
	if len(f) == 1 {
		v[1] = v[0]
	}
	return ipqos{v[0], v[1]}, nil
}

// setTOS sets the IP TOS (IPv4) or traffic class (IPv6) of c, as ssh's
// set_sock_tos; tos -1 does nothing.
func setTOS(c net.Conn, tos int) error {
	if tos < 0 {
		return nil
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	v6 := false
	if ta, ok := c.LocalAddr().(*net.TCPAddr); ok && ta.IP.To4() == nil {
		v6 = true
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if v6 {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, tos)
		} else {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, tos)
		}
	})
	return errors.Join(err, serr)
}

// dialTCP connects as ssh's ssh_connect_direct: from BindAddress and
// BindInterface if set, with TCPKeepAlive (SO_KEEPALIVE, the system's
// timers) on or off, IPQoS's interactive value, and ConnectionAttempts
// tries.
func dialTCP(ctx context.Context, o *options, network, addr string, lg *logger) (net.Conn, error) {
	d := &net.Dialer{KeepAlive: -1}
	keep := o.yes("tcpkeepalive", true)
	iface := o.get("bindinterface")
	if ba := o.get("bindaddress"); ba != "" {
		ip := net.ParseIP(ba)
		if ip == nil {
			ips, err := net.DefaultResolver.LookupIP(ctx, "ip", ba)
			if err != nil || len(ips) == 0 {
				return nil, fmt.Errorf("getaddrinfo: %s: %v", ba, err)
			}
			ip = ips[0]
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	// As ssh, the connection starts with IPQoS's interactive value (its
	// SYN included) until the session says what it is (setTOS).
	qos, _ := parseIPQoS(o.getDefault("ipqos", "lowdelay throughput"))
	d.Control = func(network, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if qos.interactive >= 0 {
				if network == "tcp6" {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, qos.interactive)
				} else {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, qos.interactive)
				}
				if serr != nil {
					return
				}
			}
			// The system's keepalive timers, as ssh's SO_KEEPALIVE.
			k := 0
			if keep {
				k = 1
			}
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, k)
			if serr == nil && iface != "" {
				serr = bindToDevice(int(fd), iface)
			}
		})
		return errors.Join(err, serr)
	}
	attempts, _ := strconv.Atoi(o.getDefault("connectionattempts", "1"))
	var err error
	for i := range max(attempts, 1) {
		if i > 0 {
			// ssh waits a second between attempts.
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(time.Second):
			}
			lg.debug(1, "Trying again...")
		}
		var c net.Conn
		if c, err = d.DialContext(ctx, network, addr); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}
