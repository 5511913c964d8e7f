package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/connection/tun"
	"github.com/sshstack/sshstack/wire"
)

// tunUnit reads one side of TunnelDevice: a number or "any".
func tunUnit(s string) uint32 {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil && n <= tun.MaxUnit {
		return uint32(n)
	}
	return wire.TunUnitAny
}

// startTunnel is ssh's -w (Tunnel, TunnelDevice): it opens the local tun
// device and a tun@openssh.com channel to the remote one, and relays
// between them in a goroutine of wg. mode is the normalised Tunnel value
// ("point-to-point", "ethernet", "false"). Like ssh, it configures
// neither interface: that is the administrator's (or LocalCommand's)
// job.
func startTunnel(ctx context.Context, wg *sync.WaitGroup, c *client.Client, mode, device string, lg *logger) error {
	var m uint32
	switch mode {
	case "point-to-point":
		m = wire.TunModePointToPoint
	case "ethernet":
		m = wire.TunModeEthernet
	default:
		return nil
	}
	local, remote, _ := strings.Cut(device, ":")
	dev, err := tun.Open(m, tunUnit(local))
	if err != nil {
		lg.debug(1, "%v", err)
		lg.errorf("Tunnel device open failed.") // ssh's two lines
		return errors.New("Could not request tunnel forwarding.")
	}
	lg.debug(1, "Requesting tun unit %s in mode %d", remote, m)
	lg.debug(1, "sys_tun_open: %s mode %d", dev.Name(), m)
	ch, err := c.OpenTun(ctx, wire.TunOpen{Mode: m, Unit: tunUnit(remote)})
	if err != nil {
		dev.Close()
		lg.debug(1, "%v", err)
		return fmt.Errorf("Tunnel forwarding failed")
	}
	wg.Go(func() {
		if err := tun.Relay(ctx, ch, dev, m, nil); err != nil {
			lg.debug(1, "tunnel %s: %v", dev.Name(), err)
		}
	})
	return nil
}
