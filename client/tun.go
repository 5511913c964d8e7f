package client

import (
	"context"
	"fmt"
	"io"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/connection/tun"
	"github.com/sshstack/sshstack/wire"
)

// OpenTun opens a "tun@openssh.com" channel (OpenSSH PROTOCOL,
// Section 2.3; ssh -w) for the server's unit t.Unit (wire.TunUnitAny
// lets the server pick) in mode t.Mode. The channel is a datagram
// channel: one packet or frame per Read and Write, in OpenSSH's framing
// (tun.Relay writes and reads it). A server refusal is a
// *connection.OpenError.
func (c *Client) OpenTun(ctx context.Context, t wire.TunOpen) (*connection.Channel, error) {
	if t.Mode != wire.TunModePointToPoint && t.Mode != wire.TunModeEthernet {
		return nil, fmt.Errorf("client: tunnel mode %d: %w", t.Mode, tun.ErrBadMode)
	}
	return c.conn.OpenTun(ctx, t)
}

// ForwardTun forwards dev, a local tun device (tun.Open) or anything
// that reads and writes one packet at a time, to the server's unit
// remoteUnit, as ssh -w local:remote does: it opens the channel, then
// relays until the channel, dev, the connection or ctx ends, and closes
// dev. It returns the error of OpenTun at once, without closing dev.
func (c *Client) ForwardTun(ctx context.Context, dev io.ReadWriteCloser, mode, remoteUnit uint32) error {
	ch, err := c.OpenTun(ctx, wire.TunOpen{Mode: mode, Unit: remoteUnit})
	if err != nil {
		return err
	}
	return tun.Relay(ctx, ch, dev, mode, c.log)
}
