package server

import (
	"fmt"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// SetChannelTimeout arms ch's inactivity timeout for sshd's channel type
// typ (Server.ChannelTimeout), or clears it when the type has none. The
// server does so for the channels it opens and accepts itself; a
// handler that opens channels of its own (an X11 forwarder, say) calls
// it with their type. A channel closed for inactivity is logged in
// sshd's words.
func (c *Conn) SetChannelTimeout(ch *connection.Channel, typ string) {
	f := c.srv.ChannelTimeout
	if f == nil || ch == nil {
		return
	}
	d := f(c, typ)
	ch.SetInactivityTimeout(d, func() {
		c.log.Info(fmt.Sprintf("channel %d: closing after %d seconds of inactivity", ch.LocalID(), int(d.Seconds())))
	})
}

// sshdChannelType is sshd's name of a channel type for ChannelTimeout:
// the wire name, but for the agent, X11 and tunnel channels.
func sshdChannelType(wireType string) string {
	switch wireType {
	case wire.ChannelTypeAuthAgent:
		return "agent-connection"
	case wire.ChannelTypeX11:
		return "x11-connection"
	case wire.ChannelTypeTun:
		return "tun"
	}
	return wireType
}
