// Package server is the thin server facade of sshstack: it composes the
// layers for the server role. A Server accepts TCP connections, runs the
// version exchange and key exchange (packages packet and kex) with its
// host keys, authenticates the user under a userauth.ServerConfig
// (package userauth), and then serves the connection protocol (package
// connection, RFC 4254): session channels go to a SessionHandler or a
// subsystem handler, and the forwarding policies decide direct-tcpip,
// tcpip-forward, stream-local and agent forwarding, which a
// forward.Forwarder (package server/forward) serves for each connection.
// X11 forwarding is a hook, Server.X11Request, which package server/x11
// implements as sshd does.
//
// # Goroutines and shutdown
//
// Serve runs one goroutine per connection and waits for all of them
// before it returns; each connection waits for its own goroutines
// (channel handlers, forwarding listeners, keepalives, and those hooks
// start with Conn.Go). Shutdown stops
// accepting and waits for the connections to end; if its context ends
// first it closes them. No goroutine outlives Serve.
//
// # Limits
//
// The defaults are OpenSSH's (docs/security.md#limits): LoginGraceTime
// 120 s as a context deadline that closes the socket (never a signal handler;
// docs/security.md#r2, #r6), MaxStartups 10:30:100 and 10 unauthenticated
// connections per source (docs/security.md#r1), per-source penalties as
// OpenSSH 9.8's PerSourcePenalties for failed, missing or timed-out
// authentication (docs/security.md#r8), MaxAuthTries 6 (userauth),
// MaxSessions 10 and 1024 channels per connection (connection), and
// optional keepalives (ClientAliveInterval, ClientAliveCountMax). The
// server never answers PING with PONG: no layer does (CVE-2025-26466,
// docs/security.md#r5).
//
// # Logging
//
// Records go to Server.Logger with the sshd log line as the message, so
// that tools that read sshd logs (fail2ban) work on them: "Accepted
// publickey for alice from 127.0.0.1 port 50000 ssh2: ED25519 SHA256:...",
// "Failed password for alice from ...", "Invalid user bob from ...", and
// at debug level "debug1: kex: algorithm: curve25519-sha256" and the
// cipher, MAC and compression of each direction. An auth callback returns
// ErrInvalidUser for unknown users to get the "invalid user" forms.
//
// # Kerberos
//
// Server.GSSAPI enables GSS-API user authentication (RFC 4462, Section 3)
// and, with GSSKeyExchange, the gss-* key exchange methods (RFC 4462,
// Section 2; RFC 8732) with "gssapi-keyex" (Section 4). A credential the
// client delegates is written to a mode 0600 ccache only after an
// authentication with a GSS-API factor has succeeded, named by KRB5CCNAME
// in Session.Environ, and removed when the connection ends, also while a
// panic unwinds the connection goroutine (docs/security.md#g7).
//
// The gosshd command in server/cmd/gosshd runs a Server from an
// sshd_config-style file.
package server
