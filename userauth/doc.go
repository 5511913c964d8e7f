// Package userauth implements SSH user authentication on both sides
// (RFC 4252; keyboard-interactive, RFC 4256; OpenSSH's
// publickey-hostbound-v00@openssh.com) over a wire.Transport, together
// with the service request that starts it (RFC 4253, Section 10).
//
// # Client
//
// Authenticate requests the "ssh-userauth" service and tries the auth
// sources of a ClientConfig in order, as paramiko's AuthStrategy does. A
// source is a Method: NoneAuth, Password (a lazy getter and an optional
// password-change callback), KeyboardInteractive (a responder that sees
// each prompt's echo flag), PrivateKey (InMemoryPrivateKey for a
// hostkey.Signer or a certificate signer, OnDiskPrivateKey for a key file
// whose passphrase is asked only after the server accepts the key;
// package agentauth makes them for the keys of an ssh-agent), Hostbased, or a
// user-written Method. PrivateKey picks rsa-sha2-512 or rsa-sha2-256 from
// the server's server-sig-algs, offers expensive keys with a query first
// (Query) and binds its signature to the server's host key when the
// server offered publickey-hostbound@openssh.com.
//
// Sources whose method the server says cannot continue are skipped;
// after partial success (RFC 4252, Section 5.1) the following sources
// serve as further factors. The AuthResult records every (source,
// outcome) pair; when nothing authenticates, the error is an
// *AuthFailure listing every attempt and unwrapping to the error of each
// (a *DeniedError, ErrNotOffered, a local error, or the transport or
// protocol error that ended the exchange). Banners go to a callback.
//
// The engine owns the protocol state: a Method talks to the server only
// through its ClientConn, which reads method-specific messages (60-79)
// only while a request is outstanding, and the client counts as
// authenticated only on a USERAUTH_SUCCESS that answers its own request
// (docs/security.md#h3).
//
// # Server
//
// Serve accepts the service request and answers requests under a
// ServerConfig: per-method callbacks (none; password with the
// password-change flow; keyboard-interactive challenges; publickey, called
// with the key that actually signed; hostbased), a CertChecker for user and
// host certificates (or, with PublicKeyCallbackCerts, user certificates
// decided by PublicKeyCallback, as sshd decides them from several sources),
// Handlers for further methods, required method chains like OpenSSH's
// AuthenticationMethods, MaxAuthTries ("none" not counted), a minimum delay
// before every failure answer, answers that are the same whether or not the
// user exists, a password length cap and a banner. Every factor's
// Permissions are merged explicitly into the Result (docs/security.md#a9).
// Serve returns only after sending USERAUTH_SUCCESS; before that no message
// of the connection protocol is ever accepted (docs/security.md#a1, #a2),
// and a SERVICE_REQUEST for anything but "ssh-userauth" is answered with
// DISCONNECT SERVICE_NOT_AVAILABLE (docs/security.md#a11).
//
// # Plug-in methods
//
// A client method implements Method; a server method implements Handler
// and is registered in ServerConfig.Handlers. Both exchange the
// method-specific messages 60-79 through a connection handle (Write,
// Next) and leave SUCCESS, FAILURE, failure counting and delays to the
// engine, so that a multi-round-trip method such as gssapi-with-mic
// (RFC 4462, Section 3) fits without touching the engine: its client
// Method sends the request with the mechanism OIDs, reads
// GSSAPI_RESPONSE and tokens with Next and answers with Write; its
// server Handler answers tokens with Write until the context completes,
// then reads the MIC, and returns the Permissions or an error.
//
// # Optional methods
//
// Methods that need more than this module's dependencies live in their
// own packages and plug in through Method and Handler: package gssauth
// (GSS-API, RFC 4462) and package agentauth (keys of an ssh-agent), so
// that a program that imports only userauth compiles neither gokrb5 nor
// golang.org/x/crypto/ssh.
//
// # Goroutines and contexts
//
// Neither side starts goroutines: Authenticate and Serve run in the
// caller's goroutine, and so do every callback and Method. Since
// wire.Transport reads do not take a context, a read that is blocked when
// ctx is done is ended by closing the transport.
package userauth
