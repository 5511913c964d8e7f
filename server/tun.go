package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/connection/tun"
	"github.com/sshstack/sshstack/wire"
)

// ExtTunnel is the Permissions extension that forces the tun unit of a
// user's tunnels, as authorized_keys tunnel="n" does in sshd: a request
// for another unit is refused, one for any unit gets this one.
const ExtTunnel = "tunnel@sshstack"

// A TunDevice is what Server.Tunnel hands the server to relay: one
// packet or frame per Read and Write (*tun.Device is one). Name, if the
// device has one, is reported to sessions in SSH_TUNNEL.
type TunDevice interface {
	io.ReadWriteCloser
	Name() string
}

// TunnelDevices is sshd's PermitTunnel policy for Server.Tunnel: modes
// lists the tunnel modes allowed (wire.TunModePointToPoint,
// wire.TunModeEthernet), and each allowed request opens the Linux
// device the client names (tun.Open).
func TunnelDevices(modes ...uint32) func(c *Conn, t wire.TunOpen) (TunDevice, error) {
	return func(c *Conn, t wire.TunOpen) (TunDevice, error) {
		for _, m := range modes {
			if m == t.Mode {
				return tun.Open(t.Mode, t.Unit)
			}
		}
		return nil, fmt.Errorf("server: tunnel mode %s not permitted", tun.ModeString(t.Mode))
	}
}

// errTunRefused is why a tun channel was refused before the hook ran.
var errTunRefused = errors.New("server: tunnel refused")

// handleTun serves a tun@openssh.com channel: the user's forced unit,
// then the Tunnel hook, then a relay in a goroutine of the connection.
// As sshd, a refusal is ADMINISTRATIVELY_PROHIBITED.
func (c *Conn) handleTun(ctx context.Context, nch *connection.NewChannel) {
	s := c.srv
	t, err := nch.TunOpen()
	var dev TunDevice
	if err == nil {
		t, err = c.forcedTun(t)
	}
	if err == nil && s.Tunnel == nil {
		err = errTunRefused
	}
	if err == nil {
		dev, err = s.Tunnel(c, t)
	}
	if err != nil {
		c.log.Info(fmt.Sprintf("refused tunnel forwarding (%s, unit %s) for %s: %v", tun.ModeString(t.Mode), unitString(t.Unit), c.User(), err))
		nch.Reject(wire.AdministrativelyProhibited, "tunnel forwarding refused")
		return
	}
	ch, err := nch.AcceptChannel(&connection.ChannelConfig{Window: connection.TunWindow, MaxPacket: connection.TunMaxPacket, Datagram: true})
	if err != nil {
		dev.Close()
		return
	}
	c.SetChannelTimeout(ch, sshdChannelType(ch.Type()))
	name := dev.Name()
	c.log.Debug("Tunnel forwarding using interface " + name)
	c.tunMu.Lock()
	c.tunNames = append(c.tunNames, name)
	c.tunMu.Unlock()
	if !c.Go(func() { tun.Relay(ctx, ch, dev, t.Mode, c.log) }) {
		dev.Close()
		ch.Close()
	}
}

// forcedTun applies authorized_keys tunnel="n" (Permissions extension
// ExtTunnel), as sshd's server_request_tun.
func (c *Conn) forcedTun(t wire.TunOpen) (wire.TunOpen, error) {
	v, ok := c.Permissions().Extensions[ExtTunnel]
	if !ok {
		return t, nil
	}
	u, err := strconv.ParseUint(v, 10, 32)
	if err != nil || u > tun.MaxUnit {
		return t, fmt.Errorf("%w: bad forced unit %q", errTunRefused, v)
	}
	if t.Unit != wire.TunUnitAny && t.Unit != uint32(u) {
		return t, fmt.Errorf("%w: unit %d asked, key forces %d", errTunRefused, t.Unit, u)
	}
	t.Unit = uint32(u)
	return t, nil
}

// tunnels lists the connection's tun interfaces, comma-separated, as
// sshd's SSH_TUNNEL.
func (c *Conn) tunnels() string {
	c.tunMu.Lock()
	defer c.tunMu.Unlock()
	return strings.Join(c.tunNames, ",")
}

func unitString(u uint32) string {
	if u == wire.TunUnitAny {
		return "any"
	}
	return strconv.FormatUint(uint64(u), 10)
}
