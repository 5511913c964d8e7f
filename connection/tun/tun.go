// Package tun forwards tun devices over "tun@openssh.com" channels
// (OpenSSH PROTOCOL, Section 2.3; ssh -w, sshd PermitTunnel): Open
// creates a Linux tun (layer 3) or tap (layer 2) interface, and Relay
// copies its packets to and from a datagram channel, one packet per
// CHANNEL_DATA, in OpenSSH's framing. Both package client and package
// server use it; it knows nothing of policy.
//
// In point-to-point mode each message starts with a 4-byte address
// family in OpenBSD's numbering (2 for IPv4, 24 for IPv6), as OpenSSH
// sends it on every system; on Linux the device carries bare IP packets
// (IFF_NO_PI), so Relay adds the header from the packet's IP version and
// strips it on the way in. In Ethernet mode frames pass unchanged.
package tun

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// The address families of point-to-point messages (OpenBSD's AF_INET and
// AF_INET6, OpenSSH's OPENBSD_AF_INET*).
const (
	AFInet  = 2
	AFInet6 = 24
)

// MaxUnit is the largest device number (OpenSSH SSH_TUNID_MAX); larger
// ones other than wire.TunUnitAny are refused.
const MaxUnit = 0x7ffffffe

// ErrUnsupported means this system has no tun devices Open can make.
var ErrUnsupported = errors.New("tun: tun devices are not supported on this system")

// ErrBadMode means a mode other than wire.TunModePointToPoint and
// wire.TunModeEthernet.
var ErrBadMode = errors.New("tun: unknown tunnel mode")

// A Device is an open tun or tap interface. Its Read and Write move one
// packet (point-to-point) or frame (Ethernet) each; Close removes the
// interface unless an administrator made it persistent.
type Device struct {
	f    *os.File
	name string
	mode uint32
}

// Name returns the interface name, e.g. "tun0" or "tap3".
func (d *Device) Name() string { return d.name }

// Mode returns the tunnel mode the device was opened with.
func (d *Device) Mode() uint32 { return d.mode }

// Read reads one packet or frame.
func (d *Device) Read(p []byte) (int, error) { return d.f.Read(p) }

// Write writes one packet or frame.
func (d *Device) Write(p []byte) (int, error) { return d.f.Write(p) }

// Close closes the device; a blocked Read returns.
func (d *Device) Close() error { return d.f.Close() }

// Open opens the tun device of unit in mode: "tunN" for point-to-point,
// "tapN" for Ethernet, or the next free one for wire.TunUnitAny, as
// OpenSSH's tun_open does. The caller configures the interface
// (addresses, up); Open only creates or attaches to it.
func Open(mode, unit uint32) (*Device, error) {
	if mode != wire.TunModePointToPoint && mode != wire.TunModeEthernet {
		return nil, fmt.Errorf("tun: mode %d: %w", mode, ErrBadMode)
	}
	if unit != wire.TunUnitAny && unit > MaxUnit {
		return nil, fmt.Errorf("tun: unit %d out of range", unit)
	}
	return open(mode, unit)
}

// ModeString is OpenSSH's name of a tunnel mode.
func ModeString(mode uint32) string {
	switch mode {
	case wire.TunModePointToPoint:
		return "point-to-point"
	case wire.TunModeEthernet:
		return "ethernet"
	}
	return fmt.Sprintf("mode %d", mode)
}

// bufSize holds the largest message a tun channel carries
// (connection.TunMaxPacket) and more than any MTU a tun device has by
// default.
const bufSize = 64 << 10

// Relay copies packets between dev and ch, a datagram channel
// (connection.ChannelConfig.Datagram, as Conn.OpenTun makes), in mode's
// framing, until either side ends or ctx does; it then closes both and
// returns. Malformed messages from the peer (too short for the header)
// and packets the device refuses are dropped, as OpenSSH drops them; log
// may be nil.
func Relay(ctx context.Context, ch *connection.Channel, dev io.ReadWriteCloser, mode uint32, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			dev.Close()
			ch.Close()
		})
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	var wg sync.WaitGroup
	var outErr error
	wg.Go(func() {
		outErr = toChannel(ctx, ch, dev, mode)
		cancel()
	})
	inErr := toDevice(ctx, ch, dev, mode, log)
	cancel()
	wg.Wait()
	closeAll()
	for _, err := range []error{inErr, outErr} {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) &&
			!errors.Is(err, connection.ErrChannelClosed) && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// toChannel sends what the device reads, one message per packet.
func toChannel(ctx context.Context, ch *connection.Channel, dev io.Reader, mode uint32) error {
	buf := make([]byte, 4+bufSize)
	for {
		n, err := dev.Read(buf[4:])
		if err != nil {
			return err
		}
		msg := buf[4 : 4+n]
		if mode == wire.TunModePointToPoint {
			if n < 20 { // not even an IPv4 header: OpenSSH refuses it too
				continue
			}
			af := uint32(AFInet)
			if buf[4]>>4 == 6 {
				af = AFInet6
			}
			binary.BigEndian.PutUint32(buf, af)
			msg = buf[:4+n]
		}
		if _, err := ch.WriteContext(ctx, msg); err != nil {
			if errors.Is(err, connection.ErrMessageTooLarge) {
				continue // larger than the peer takes: drop it
			}
			return err
		}
	}
}

// toDevice writes each message of the channel to the device.
func toDevice(ctx context.Context, ch *connection.Channel, dev io.Writer, mode uint32, log *slog.Logger) error {
	buf := make([]byte, bufSize)
	for {
		n, err := ch.ReadContext(ctx, buf)
		if errors.Is(err, io.ErrShortBuffer) {
			continue // larger than any packet we forward
		}
		if err != nil {
			return err
		}
		msg := buf[:n]
		if mode == wire.TunModePointToPoint {
			if n <= 4 {
				continue
			}
			// The family is implied by the IP version on a Linux tun
			// (IFF_NO_PI): the header is checked, not passed on.
			if af := binary.BigEndian.Uint32(msg); af != AFInet && af != AFInet6 {
				log.Debug("tun: dropping a packet of unknown address family", "af", af)
				continue
			}
			msg = msg[4:]
		}
		if _, err := dev.Write(msg); err != nil {
			if errors.Is(err, os.ErrClosed) {
				return err
			}
			log.Debug("tun: device refused a packet", "err", err)
		}
	}
}
