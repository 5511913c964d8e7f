package forward

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/sshstack/sshstack/client"
)

// SOCKS5 (RFC 1928) constants.
const (
	socksVersion     = 5
	socksNoAuth      = 0
	socksNoMethods   = 0xff
	socksConnect     = 1
	socksIPv4        = 1
	socksDomain      = 3
	socksIPv6        = 4
	socksSucceeded   = 0
	socksFailure     = 1
	socksCmdNotSupp  = 7
	socksAddrNotSupp = 8
	socksHandshakeTO = 30 * time.Second

	// SOCKS4 and its 4A extension (no RFC; "SOCKS: A protocol for
	// TCP proxy across firewalls" and "SOCKS 4A"), which ssh -D serves.
	socks4Version  = 4
	socks4Granted  = 90
	socks4Rejected = 91
	socks4MaxField = 255 // user ID and 4A host name, NUL excluded
)

// ErrSOCKS wraps the errors of a SOCKS request that cannot be served.
var ErrSOCKS = errors.New("forward: socks")

// SOCKS serves SOCKS5 (RFC 1928, CONNECT without authentication) and
// SOCKS4/4A (CONNECT; the user ID is ignored) on l, opening each
// requested connection as a direct-tcpip channel of c: the dynamic
// forwarding of ssh -D, which serves the same. It returns when ctx ends
// or l fails, after closing l and every connection it serves.
func SOCKS(ctx context.Context, c *client.Client, l net.Listener) error {
	log := c.Logger()
	return serveEach(ctx, l, func(ctx context.Context, conn net.Conn) {
		if err := serveSOCKS(ctx, c, conn); err != nil {
			log.Debug("socks", "client", conn.RemoteAddr(), "err", err)
		}
	})
}

// SOCKSDial serves SOCKS on l as SOCKS does, but opens each requested
// connection with dial: the dynamic form of ssh -R, where l is a
// Client.Listen listener and dial connects from this side (and may
// refuse, as ssh's PermitRemoteOpen). It returns as SOCKS does.
func SOCKSDial(ctx context.Context, l net.Listener, log *slog.Logger, dial func(ctx context.Context, network, addr string) (net.Conn, error)) error {
	return serveEach(ctx, l, func(ctx context.Context, conn net.Conn) {
		if err := serveSOCKSDial(ctx, dial, conn); err != nil && log != nil {
			log.Debug("socks", "client", conn.RemoteAddr(), "err", err)
		}
	})
}

func serveSOCKS(ctx context.Context, c *client.Client, conn net.Conn) error {
	return serveSOCKSDial(ctx, c.Dial, conn)
}

func serveSOCKSDial(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), conn net.Conn) error {
	conn.SetDeadline(time.Now().Add(socksHandshakeTO))
	target, version, err := socksHandshake(conn)
	if err != nil {
		return err
	}
	ch, err := dial(ctx, "tcp", target)
	if err != nil {
		socksReply(conn, version, false, socksFailure)
		return err
	}
	defer ch.Close()
	if err := socksReply(conn, version, true, socksSucceeded); err != nil {
		return err
	}
	conn.SetDeadline(time.Time{})
	proxy(conn, ch)
	return nil
}

// socksHandshake reads a SOCKS4/4A request, or a SOCKS5 method
// negotiation and request, and returns the target "host:port" and the
// SOCKS version to answer in.
func socksHandshake(conn net.Conn) (string, byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return "", 0, err
	}
	if hdr[0] == socks4Version {
		target, err := socks4Request(conn, hdr[1])
		return target, socks4Version, err
	}
	target, err := socks5Request(conn, hdr)
	return target, socksVersion, err
}

// socks4Request reads the rest of a SOCKS4 request whose command is cmd:
// port, IPv4 address, NUL-terminated user ID, and for SOCKS 4A (address
// 0.0.0.x, x not 0) a NUL-terminated host name.
func socks4Request(conn net.Conn, cmd byte) (string, error) {
	var req [6]byte
	if _, err := io.ReadFull(conn, req[:]); err != nil {
		return "", err
	}
	if cmd != socksConnect {
		socksReply(conn, socks4Version, false, 0)
		return "", fmt.Errorf("%w: SOCKS4 command %d", ErrSOCKS, cmd)
	}
	if _, err := readNULTerminated(conn); err != nil { // the user ID
		return "", err
	}
	port := strconv.Itoa(int(binary.BigEndian.Uint16(req[0:2])))
	ip := net.IP(req[2:6])
	if ip[0] != 0 || ip[1] != 0 || ip[2] != 0 || ip[3] == 0 {
		return net.JoinHostPort(ip.String(), port), nil
	}
	name, err := readNULTerminated(conn)
	if err != nil {
		return "", err
	}
	if !validDomain(name) {
		socksReply(conn, socks4Version, false, 0)
		return "", fmt.Errorf("%w: bad domain name %q", ErrSOCKS, name)
	}
	return net.JoinHostPort(string(name), port), nil
}

// readNULTerminated reads a SOCKS4 string: at most socks4MaxField bytes
// and a NUL, which is not returned.
func readNULTerminated(conn net.Conn) ([]byte, error) {
	var out []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(conn, b[:]); err != nil {
			return nil, err
		}
		if b[0] == 0 {
			return out, nil
		}
		if len(out) == socks4MaxField {
			return nil, fmt.Errorf("%w: SOCKS4 field longer than %d bytes", ErrSOCKS, socks4MaxField)
		}
		out = append(out, b[0])
	}
}

// socks5Request reads the rest of a SOCKS5 method negotiation whose
// first two bytes are hdr, and the request.
func socks5Request(conn net.Conn, hdr [2]byte) (string, error) {
	if hdr[0] != socksVersion {
		return "", fmt.Errorf("%w: version %d", ErrSOCKS, hdr[0])
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(conn, methods); err != nil {
		return "", err
	}
	ok := false
	for _, m := range methods {
		ok = ok || m == socksNoAuth
	}
	if !ok {
		conn.Write([]byte{socksVersion, socksNoMethods})
		return "", fmt.Errorf("%w: no acceptable method", ErrSOCKS)
	}
	if _, err := conn.Write([]byte{socksVersion, socksNoAuth}); err != nil {
		return "", err
	}
	var req [4]byte
	if _, err := io.ReadFull(conn, req[:]); err != nil {
		return "", err
	}
	if req[0] != socksVersion {
		return "", fmt.Errorf("%w: version %d", ErrSOCKS, req[0])
	}
	if req[1] != socksConnect {
		socksReply(conn, socksVersion, false, socksCmdNotSupp)
		return "", fmt.Errorf("%w: command %d", ErrSOCKS, req[1])
	}
	var host string
	switch req[3] {
	case socksIPv4, socksIPv6:
		ip := make(net.IP, 4)
		if req[3] == socksIPv6 {
			ip = make(net.IP, 16)
		}
		if _, err := io.ReadFull(conn, ip); err != nil {
			return "", err
		}
		host = ip.String()
	case socksDomain:
		var n [1]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return "", err
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(conn, name); err != nil {
			return "", err
		}
		if !validDomain(name) {
			socksReply(conn, socksVersion, false, socksAddrNotSupp)
			return "", fmt.Errorf("%w: bad domain name %q", ErrSOCKS, name)
		}
		host = string(name)
	default:
		socksReply(conn, socksVersion, false, socksAddrNotSupp)
		return "", fmt.Errorf("%w: address type %d", ErrSOCKS, req[3])
	}
	var port [2]byte
	if _, err := io.ReadFull(conn, port[:]); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))), nil
}

// validDomain accepts host names of letters, digits, '-', '_' and '.',
// so that a peer cannot smuggle ':' or brackets into the target address.
func validDomain(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// socksReply answers a request in its version: SOCKS5 with code, SOCKS4
// with granted or rejected. The bound address is reported as 0.0.0.0:0,
// as OpenSSH does.
func socksReply(conn net.Conn, version byte, ok bool, code byte) error {
	if version == socks4Version {
		code = socks4Rejected
		if ok {
			code = socks4Granted
		}
		_, err := conn.Write([]byte{0, code, 0, 0, 0, 0, 0, 0})
		return err
	}
	_, err := conn.Write([]byte{socksVersion, code, 0, socksIPv4, 0, 0, 0, 0, 0, 0})
	return err
}
