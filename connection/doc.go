// Package connection implements the SSH connection protocol (RFC 4254):
// a channel multiplexer over a wire.Transport with per-channel flow
// control, session requests (RFC 4254, Section 6; RFC 4335), TCP/IP and
// stream-local forwarding (Section 7; OpenSSH PROTOCOL, Section 2.4) and
// global requests (Section 4; OpenSSH keepalive, no-more-sessions and
// host key rotation). It is usable on either side and knows nothing of
// how the transport was secured or authenticated.
//
// # Goroutines
//
// New makes a Conn and starts nothing. Run reads the transport and owns
// the protocol state until the connection ends; the caller starts it in a
// goroutine and waits for it. Close closes the transport and waits for
// Run to return. Every other method may be called from any goroutine.
// Incoming channels are taken with Accept(ctx); incoming global and
// channel requests go to hooks (Config) and RequestHandlers, which run on
// the Run goroutine one at a time so that replies go out in order; a
// handler that hands work to a goroutine calls Request.Reply first. Run
// also starts one writer goroutine, which sends what the Run goroutine
// queues (MaxControlQueue), so reading never waits for a full transport.
// No method hands out a Go channel that must be drained.
//
// Every call that waits for the peer takes a ctx (Accept, Open,
// SendRequest, ReadContext, WriteContext, Wait, Run). Calls that only
// send (NewChannel.Accept and Reject, CloseWrite, Channel.Close) take
// none: like every send, they can block only while the transport applies
// back-pressure, and Conn.Close ends that.
//
// # Channels
//
// A Channel is an io.ReadWriteCloser with CloseWrite (CHANNEL_EOF), a
// Stderr stream (extended data type 1), SendRequest and typed request
// helpers (Exec, Shell, RequestPty, ...). Its life is the State machine
// documented on State. Read buffers at most the window we granted;
// Write blocks on the peer's window. Blocking calls have a ctx variant.
//
// # Limits
//
// Every count and queue has a cap (docs/security.md#c1 to #c8): data past
// the window or our maximum packet, window adjustments past 2^32-1,
// messages for unknown channels or in the wrong state end the Conn with a
// DISCONNECT (PROTOCOL_ERROR); channel opens past MaxChannels, MaxSessions
// or MaxPendingOpens are refused with RESOURCE_SHORTAGE; malformed session
// requests are refused and the channel stays usable.
package connection
