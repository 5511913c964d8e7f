// Package client is the SSH client facade: it composes the packet
// (RFC 4253, Section 6), kex (RFC 4253, Sections 7-9), userauth (RFC 4252)
// and connection (RFC 4254) layers into a Client.
//
// Dial connects and authenticates; NewClientConn does the same over an
// existing net.Conn (a proxy command, a jump host's channel, a pipe). The
// server's host key is checked against known_hosts by default
// (Config.StrictHostKeyChecking decides what happens to unknown hosts; a
// changed or revoked key is always refused), including @cert-authority
// host certificates. Config also carries the auth sources (package
// userauth, tried in order as paramiko's AuthStrategy), algorithm
// preferences and paramiko-style disabled algorithms, compression, rekey
// limits, keepalives, GSS-API (Kerberos) key exchange and authentication,
// a banner callback, a *slog.Logger and a trace hook.
//
// A Client opens sessions (NewSession: Run, Output, CombinedOutput,
// Start/Wait with *ExitError, Shell, RequestPty, WindowChange, Setenv,
// Signal, Subsystem), forwards connections (Dial for direct-tcpip and
// direct-streamlocal, Listen for tcpip-forward and streamlocal-forward,
// agent forwarding; HandleChannelType for other server-opened
// channels), carries another Client for jump hosts (DialClient) and
// speaks SFTP through github.com/pkg/sftp (SFTP). docs/client.md maps
// paramiko's Transport methods to these. What ssh -L, -R and -D do on
// top of Dial and Listen is in package client/forward; X11 forwarding
// with authentication spoofing (ssh -X, -Y) is in package client/x11.
//
// Every call that blocks takes a context; cancelling it aborts the
// handshake, authentication, a channel open or a request. Dial and
// NewClientConn start the Client's goroutines; Close stops them and
// returns after they have exited. Config.Trace receives every message of
// the connection as a wire.TraceEvent (direction, layer, sequence number,
// the wire describer's fields) with secrets redacted.
package client
