package userauth

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"

	"github.com/sshstack/sshstack/wire"
)

// A Method is the client side of one authentication attempt: an auth
// source such as a password, a key or a keyboard-interactive handler
// (paramiko's AuthSource). It is the plug-in interface for client
// methods: GSS-API methods and user-written ones implement it too.
//
// Authenticate sends one USERAUTH_REQUEST with c.Request (RFC 4252,
// Section 5), exchanges any method-specific messages (numbers 60-79) with
// c.Write and c.Next, and returns when c.Next reports ErrAnswered or on
// an error. It may send a further request after a method-specific answer
// that ends a request without a verdict (PK_OK, PASSWD_CHANGEREQ), but
// never after USERAUTH_SUCCESS or USERAUTH_FAILURE. The engine, not the
// Method, decides the outcome: only a USERAUTH_SUCCESS it read itself
// authenticates the client.
type Method interface {
	// Name returns the method name sent in the request, for example
	// wire.MethodPassword; the engine skips the Method if the server does
	// not offer it.
	Name() string
	Authenticate(ctx context.Context, c *ClientConn) error
}

// A ClientConn is what a Method sees of the connection during its
// attempt. It belongs to the goroutine running Authenticate and is valid
// only during the Method's call.
type ClientConn struct {
	l         *link
	cfg       *ClientConfig
	sigs      []string // server-sig-algs, nil if unknown
	hostbound bool     // the server offered publickey-hostbound@openssh.com
	hostKey   []byte   // the server's host key blob, nil if unknown

	method      string       // name of the current Method
	ctx         wire.Context // decoding context of 60-79 for the current method
	outstanding bool         // a request was sent and not yet answered with 51/52
	answered    bool         // the current method's request got 51 or 52
	success     bool         // that answer was USERAUTH_SUCCESS
	failure     wire.UserauthFailure
	ext         *wire.ExtInfo // EXT_INFO received during authentication
	extPending  bool          // an EXT_INFO was read; USERAUTH_SUCCESS must follow
	fatal       error         // first transport or protocol error; sticky
}

// User returns the user name being authenticated.
func (c *ClientConn) User() string { return c.cfg.User }

// Service returns the service requested, normally "ssh-connection".
func (c *ClientConn) Service() string { return c.cfg.service() }

// SessionID returns the session identifier of the transport
// (RFC 4253, Section 7.2), which signatures and MICs cover.
func (c *ClientConn) SessionID() []byte { return c.l.t.SessionID() }

// ServerSigAlgs returns the server's server-sig-algs (RFC 8308,
// Section 3.1), or nil if the server sent none.
func (c *ClientConn) ServerSigAlgs() []string { return c.sigs }

// HostKey returns the server's host key blob as verified during key
// exchange (ClientConfig.HostKey or the transport's), or nil.
func (c *ClientConn) HostKey() []byte { return c.hostKey }

// Hostbound reports whether the server offered
// publickey-hostbound@openssh.com (OpenSSH PROTOCOL, Section 3.7).
func (c *ClientConn) Hostbound() bool { return c.hostbound }

// Rand returns the source of randomness for signatures.
func (c *ClientConn) Rand() io.Reader {
	if c.cfg.Rand != nil {
		return c.cfg.Rand
	}
	return rand.Reader
}

// Request sends a USERAUTH_REQUEST for the current method. It fills in
// User and Service; Method must be the current Method's name, or
// "publickey-hostbound-v00@openssh.com" style variants the Method owns.
func (c *ClientConn) Request(req *wire.UserauthRequest) error {
	if c.fatal != nil {
		return c.fatal
	}
	if c.answered {
		return fmt.Errorf("userauth: %s: request after the server's answer: %w", c.method, ErrAnswered)
	}
	req.User = c.cfg.User
	req.Service = c.cfg.service()
	if err := c.l.write(req); err != nil {
		c.fatal = err
		return err
	}
	c.outstanding = true
	return nil
}

// Write sends a method-specific message (numbers 60-79), such as
// USERAUTH_INFO_RESPONSE.
func (c *ClientConn) Write(m wire.Message) error {
	if c.fatal != nil {
		return c.fatal
	}
	if n := m.Num(); n < 60 || n > 79 {
		return fmt.Errorf("userauth: %s: Write of %v, not a method-specific message: %w", c.method, n, wire.ErrUnexpectedMessage)
	}
	if err := c.l.write(m); err != nil {
		c.fatal = err
		return err
	}
	return nil
}

// Next returns the next method-specific message (numbers 60-79) from the
// server, valid until the next call; it fails with ErrNoAnswer if no
// request is outstanding. Banners go to the configured
// callback. When the server answers the request with USERAUTH_SUCCESS or
// USERAUTH_FAILURE, Next returns ErrAnswered. A message that is not
// allowed now (docs/security.md#h3: a SUCCESS without a request, anything of
// the connection protocol) makes Next send DISCONNECT and return an
// error that wraps wire.ErrUnexpectedMessage; every later call returns
// it too.
func (c *ClientConn) Next(ctx context.Context) ([]byte, error) {
	if c.fatal != nil {
		return nil, c.fatal
	}
	if c.answered {
		return nil, ErrAnswered
	}
	if !c.outstanding {
		return nil, fmt.Errorf("userauth: %s: Next without a request: %w", c.method, ErrNoAnswer)
	}
	for {
		p, err := c.l.read(ctx)
		if err != nil {
			c.fatal = err
			return nil, err
		}
		num := wire.MsgNum(p[0])
		if c.extPending && num != wire.MsgUserauthSuccess {
			return nil, c.protocol(p, "after EXT_INFO")
		}
		switch {
		case num == wire.MsgUserauthBanner:
			m, err := wire.ParseUserauthBanner(p)
			if err != nil {
				return nil, c.malformed(err)
			}
			if c.cfg.Banner != nil {
				c.cfg.Banner(m.Message, m.Language)
			}
		case num == wire.MsgExtInfo && c.ext == nil && c.outstanding:
			// RFC 8308, Section 2.4: once, immediately before SUCCESS.
			m, err := wire.ParseExtInfo(p)
			if err != nil {
				return nil, c.malformed(err)
			}
			c.ext, c.extPending = copyExtInfo(&m), true
		case num == wire.MsgUserauthSuccess && c.outstanding:
			if _, err := wire.ParseUserauthSuccess(p); err != nil {
				return nil, c.malformed(err)
			}
			c.outstanding, c.extPending = false, false
			c.answered, c.success = true, true
			return nil, ErrAnswered
		case num == wire.MsgUserauthFailure && c.outstanding:
			m, err := wire.ParseUserauthFailure(p)
			if err != nil {
				return nil, c.malformed(err)
			}
			c.outstanding = false
			c.answered, c.failure = true, m
			return nil, ErrAnswered
		case num >= 60 && num <= 79 && c.outstanding:
			return p, nil
		default:
			return nil, c.protocol(p, "authentication")
		}
	}
}

// Fail ends authentication with DISCONNECT PROTOCOL_ERROR, for a Method
// that received a malformed method-specific message; it returns the
// error, which every later call and the engine also return.
func (c *ClientConn) Fail(err error) error { return c.malformed(fmt.Errorf("%s: %w", c.method, err)) }

// Unexpected ends authentication with DISCONNECT PROTOCOL_ERROR, for a
// Method that received a method-specific message p it does not expect
// now; the error it returns names the message and wraps
// wire.ErrUnexpectedMessage.
func (c *ClientConn) Unexpected(p []byte) error { return c.protocol(p, c.method) }

func (c *ClientConn) protocol(p []byte, phase string) error {
	c.fatal = c.l.disconnect(wire.ProtocolError, "unexpected message", protocolError(p, c.ctx, phase))
	return c.fatal
}

func (c *ClientConn) malformed(err error) error {
	c.fatal = c.l.disconnect(wire.ProtocolError, "malformed message", fmt.Errorf("userauth: %w", err))
	return c.fatal
}

// begin resets the per-attempt state for m.
func (c *ClientConn) begin(m Method) {
	c.method = m.Name()
	c.ctx = methodContext(c.method)
	c.answered, c.success = false, false
	c.failure = wire.UserauthFailure{}
}

// methodContext returns the wire.Context that names a method's messages.
func methodContext(method string) wire.Context {
	switch method {
	case wire.MethodPublicKey, wire.MethodHostbased:
		return wire.ContextAuthPublicKey
	case wire.MethodPassword:
		return wire.ContextAuthPassword
	case wire.MethodKeyboardInteractive:
		return wire.ContextAuthKeyboardInteractive
	case wire.MethodGSSAPIWithMIC:
		return wire.ContextAuthGSSAPI
	}
	return wire.ContextNone
}

// hostboundFrom reports whether ext offers publickey-hostbound@openssh.com
// version 0.
func hostboundFrom(ext *wire.ExtInfo) bool {
	if ext == nil {
		return false
	}
	v, ok := ext.Lookup(wire.ExtPublicKeyHostbound)
	return ok && string(v) == wire.ExtVersion0
}

// sigAlgsFrom returns the server-sig-algs of ext, or nil.
func sigAlgsFrom(ext *wire.ExtInfo) []string {
	if ext == nil {
		return nil
	}
	v, ok := ext.Lookup(wire.ExtServerSigAlgs)
	if !ok {
		return nil
	}
	l, err := wire.ParseNameListValue(v)
	if err != nil {
		return nil
	}
	return slices.Clip(l)
}
