package mux

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sshstack/sshstack/wire"
)

// MaxProxyPacket bounds a packet read in proxy mode, as the 256 KiB
// of the binary packet protocol's limit in OpenSSH.
const MaxProxyPacket = 256 << 10

// ErrProxyPacket is a malformed packet in proxy mode.
var ErrProxyPacket = errors.New("mux: bad proxy mode packet")

// Proxy puts the connection in proxy mode (MUX_C_PROXY, PROTOCOL.mux
// Section 9): from then on it carries SSH connection protocol messages
// (RFC 4254) unencrypted, and the master relays them on its connection,
// renumbering channels. The result is a wire.Transport for
// connection.New; it owns the Conn, which must not be used otherwise
// after. Its SessionID is nil: the master keeps the keys.
func (c *Conn) Proxy(ctx context.Context) (wire.Transport, error) {
	r, err := c.roundTrip(ctx, &Request{Kind: MsgProxy, ReqID: c.rid})
	if err != nil {
		return nil, err
	}
	if r.Type() != MsgProxyOK {
		return nil, fmt.Errorf("%w: 0x%08x to a proxy request", ErrUnexpectedReply, r.Type())
	}
	return &proxyTransport{c: c}, nil
}

// proxyTransport frames payloads as PROTOCOL.mux's proxy packets:
// uint32 length, a zero padding length byte, the payload.
// minProxyPacket is the shortest packet OpenSSH reads on a proxy socket.
const minProxyPacket = 5

type proxyTransport struct {
	c    *Conn
	rbuf []byte     // owned by the ReadPacket caller
	wmu  sync.Mutex // serialises WritePacket
	wbuf []byte     // guarded by wmu
}

func (t *proxyTransport) ReadPacket() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(t.c.p.c, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 2 || n > MaxProxyPacket {
		return nil, fmt.Errorf("%w: length %d", ErrProxyPacket, n)
	}
	if cap(t.rbuf) < int(n) {
		t.rbuf = make([]byte, n)
	}
	b := t.rbuf[:n]
	if _, err := io.ReadFull(t.c.p.c, b); err != nil {
		return nil, err
	}
	pad := int(b[0])
	if pad+2 > len(b) {
		return nil, fmt.Errorf("%w: padding %d of %d bytes", ErrProxyPacket, pad, n)
	}
	return b[1 : len(b)-pad], nil
}

func (t *proxyTransport) WritePacket(payload []byte) error {
	if len(payload) == 0 || len(payload)+1 > MaxProxyPacket {
		return fmt.Errorf("%w: payload of %d bytes", ErrProxyPacket, len(payload))
	}
	// OpenSSH's reader (packet.c, ssh_packet_read_poll2_mux) refuses a
	// packet shorter than 5 bytes, so the one-byte REQUEST_SUCCESS and
	// REQUEST_FAILURE are padded: it keeps the zeros after the payload,
	// which nothing parses there; our reader strips them.
	pad := max(0, minProxyPacket-1-len(payload))
	t.wmu.Lock()
	defer t.wmu.Unlock()
	b := binary.BigEndian.AppendUint32(t.wbuf[:0], uint32(1+len(payload)+pad))
	b = append(b, byte(pad))
	b = append(b, payload...)
	b = append(b, make([]byte, pad)...)
	t.wbuf = b
	_, err := t.c.p.c.Write(b)
	return err
}

func (t *proxyTransport) SessionID() []byte { return nil }
func (t *proxyTransport) Close() error      { return t.c.Close() }

var _ wire.Transport = (*proxyTransport)(nil)
