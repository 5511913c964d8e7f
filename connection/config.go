package connection

import (
	"log/slog"

	"github.com/sshstack/sshstack/wire"
)

// Defaults and hard limits (docs/security.md#c1, #c4).
const (
	// DefaultWindow is the receive window granted to the peer on each
	// channel: 2 MiB, as OpenSSH and x/crypto/ssh. One channel then moves
	// at most DefaultWindow per round trip (20 MB/s at 100 ms); raise
	// Config.Window for bulk transfer over long links, at the price of
	// that much buffer per channel when the reader is slow (see
	// docs/layers/connection.md).
	DefaultWindow = 2 << 20

	// DefaultMaxPacket is the largest data packet we accept: 32 KiB, as
	// OpenSSH and x/crypto/ssh.
	DefaultMaxPacket = 32 << 10

	// MaxPacketLimit caps Config.MaxPacket so that a data packet always
	// fits the 256 KiB packet limit of the packet layer.
	MaxPacketLimit = 256<<10 - 1024

	// DefaultMaxChannels is the default cap on channels per connection,
	// both directions and pending opens together.
	DefaultMaxChannels = 1024

	// HardMaxChannels caps Config.MaxChannels, as OpenSSH's
	// CHANNELS_MAX_CHANNELS.
	HardMaxChannels = 16384

	// DefaultMaxSessions caps the "session" channels the peer may have
	// open at once, as OpenSSH's MaxSessions.
	DefaultMaxSessions = 10

	// MaxPendingOpens caps the incoming channel opens waiting for Accept;
	// more are refused with RESOURCE_SHORTAGE.
	MaxPendingOpens = 64

	// MaxEnvPerChannel caps the "env" requests accepted on one channel;
	// more are refused (docs/security.md#c5).
	MaxEnvPerChannel = 1024
)

// Config configures a Conn. The zero value is usable: it takes the
// defaults above, accepts every channel type through Accept, and answers
// every global request with REQUEST_FAILURE.
type Config struct {
	// Window is the initial receive window per channel (default
	// DefaultWindow). It bounds the bytes buffered per channel stream
	// pair when the application reads slowly.
	Window uint32

	// MaxPacket is the largest data packet we accept and send (default
	// DefaultMaxPacket, at most MaxPacketLimit).
	MaxPacket uint32

	// MaxChannels caps the channels of the connection (default
	// DefaultMaxChannels, at most HardMaxChannels). An incoming open past
	// the cap is refused with RESOURCE_SHORTAGE; Open returns
	// ErrTooManyChannels.
	MaxChannels int

	// MaxSessions caps the incoming "session" channels open at once
	// (default DefaultMaxSessions; negative means no separate cap).
	MaxSessions int

	// AllowSession, if set, is asked before an incoming "session" open
	// is queued for Accept, with the number of incoming sessions already
	// open; false refuses it with RESOURCE_SHORTAGE. It runs on the Run
	// goroutine and must not block.
	AllowSession func(open int) bool

	// HandleChannel, if set, receives the channels the peer opens
	// instead of Accept, one at a time and in order, on a goroutine the
	// Conn starts when an open is queued and that ends when none is
	// left: an idle Conn keeps no goroutine for it. It must Accept or
	// Reject nc and may block (later opens wait behind it, up to
	// MaxPendingOpens). Run waits for it before returning; opens still
	// queued when the Conn ends die with it.
	HandleChannel func(nc *NewChannel)

	// ChannelTypes, if non-nil, lists the channel types the peer may
	// open; others are refused with UNKNOWN_CHANNEL_TYPE before they
	// reach Accept.
	ChannelTypes []string

	// Global request hooks (RFC 4254, Section 4). Each runs on the Run
	// goroutine, in the order the requests arrived, and must return
	// promptly without calling a blocking method of this Conn or its
	// channels (Open, SendRequest, Read, Write, Close of the Conn): Run
	// is not reading while a hook runs. A nil hook answers
	// REQUEST_FAILURE.

	// TCPIPForward handles "tcpip-forward" (RFC 4254, Section 7.1) and
	// returns the port bound, which is sent back when the request asked
	// for port 0. The reply is queued right after the hook returns; a
	// "forwarded-tcpip" open made by another goroutine in between could
	// overtake it, so an accept loop started here should not open
	// channels before the hook has returned.
	TCPIPForward func(f wire.TCPIPForward) (port uint32, err error)
	// CancelTCPIPForward handles "cancel-tcpip-forward".
	CancelTCPIPForward func(f wire.TCPIPForward) error
	// StreamLocalForward handles "streamlocal-forward@openssh.com"
	// (OpenSSH PROTOCOL, Section 2.4).
	StreamLocalForward func(path string) error
	// CancelStreamLocalForward handles
	// "cancel-streamlocal-forward@openssh.com".
	CancelStreamLocalForward func(path string) error
	// HostKeys receives the blobs of "hostkeys-00@openssh.com" (OpenSSH
	// PROTOCOL, Section 2.5), sent by a server after authentication.
	// Checking them against known_hosts is the caller's job.
	HostKeys func(keys [][]byte)
	// ProveHostKeys answers "hostkeys-prove-00@openssh.com": it returns
	// one signature blob per key, in order, or an error to refuse.
	ProveHostKeys func(keys [][]byte) ([][]byte, error)
	// GlobalRequest handles any other global request. Data aliases the
	// packet and is valid only during the call. Returning ok=false sends
	// REQUEST_FAILURE; reply is sent with REQUEST_SUCCESS.
	GlobalRequest func(req *GlobalRequest) (ok bool, reply []byte)

	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with defaults filled in and limits
// applied.
func (c *Config) withDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if d.Window == 0 {
		d.Window = DefaultWindow
	}
	if d.MaxPacket == 0 {
		d.MaxPacket = DefaultMaxPacket
	}
	d.MaxPacket = min(d.MaxPacket, MaxPacketLimit)
	if d.MaxChannels <= 0 {
		d.MaxChannels = DefaultMaxChannels
	}
	d.MaxChannels = min(d.MaxChannels, HardMaxChannels)
	if d.MaxSessions == 0 {
		d.MaxSessions = DefaultMaxSessions
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return d
}
