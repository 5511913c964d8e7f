// Package xsshgss adapts package gssapi to golang.org/x/crypto/ssh's
// GSSAPIClient and GSSAPIServer interfaces, so x/crypto/ssh programs get
// "gssapi-with-mic" user authentication (RFC 4462, Section 3) with the
// pure-Go Kerberos mechanism and no C library:
//
//	auth := ssh.GSSAPIWithMICAuthMethod(&xsshgss.Client{}, "server.example")
//
//	cfg.GSSAPIWithMICConfig = &ssh.GSSAPIWithMICConfig{
//		Server:     &xsshgss.Server{},
//		AllowLogin: func(c ssh.ConnMetadata, principal string) (*ssh.Permissions, error) { ... },
//	}
//
// The package does not import x/crypto/ssh: the types satisfy its
// interfaces by their method sets. x/crypto/ssh's interfaces carry no
// context.Context; the Context field bounds the KDC exchange instead.
//
// x/crypto/ssh keeps one GSSAPIServer per ServerConfig. Server
// serializes its calls, so it is safe for concurrent use, but two
// connections authenticating at the same moment would share its context:
// give each connection its own ServerConfig (or accept that one of them
// fails) when that matters.
package xsshgss

import (
	"context"
	"errors"
	"sync"

	"github.com/sshstack/sshstack/gssapi"
)

// Client implements x/crypto/ssh's GSSAPIClient. The zero value uses
// the default credential (KRB5CCNAME) and krb5.conf (KRB5_CONFIG).
type Client struct {
	Cred    *gssapi.Credential // nil: the default initiator credential
	Config  *gssapi.Config     // nil: KRB5_CONFIG
	Context context.Context    // bounds KDC exchanges; nil: context.Background()
	// Delegate requests credential delegation even though x/crypto/ssh
	// always passes isGSSDelegCreds = false.
	Delegate bool

	mu  sync.Mutex // guards ctx
	ctx *gssapi.Context
}

func (c *Client) context() context.Context {
	if c.Context != nil {
		return c.Context
	}
	return context.Background()
}

// InitSecContext runs one step of the initiator (RFC 4462, Section 3.4).
// target is "service@host" as x/crypto/ssh passes it ("host@" + the
// target given to GSSAPIWithMICAuthMethod).
func (c *Client) InitSecContext(target string, token []byte, isGSSDelegCreds bool) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		name, err := gssapi.NewName(target, gssapi.NameHostbasedService)
		if err != nil {
			return nil, false, err
		}
		// Integrity is needed for the MIC; mutual authentication so the
		// client knows it reached the host it named.
		flags := gssapi.FlagMutual | gssapi.FlagInteg
		if isGSSDelegCreds || c.Delegate {
			flags |= gssapi.FlagDelegate
		}
		ctx, err := gssapi.NewInitContext(name, &gssapi.InitOptions{Cred: c.Cred, Config: c.Config, Flags: flags})
		if err != nil {
			return nil, false, err
		}
		c.ctx = ctx
		token = nil
	}
	out, err := c.ctx.Step(c.context(), token)
	if err != nil {
		return nil, false, err
	}
	return out, !c.ctx.Established(), nil
}

// GetMIC signs the RFC 4462, Section 3.5 MIC data.
func (c *Client) GetMIC(micField []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil, gssapi.ErrNoContext
	}
	return c.ctx.GetMIC(micField)
}

// DeleteSecContext deletes the context, so the Client can be used for
// another authentication.
func (c *Client) DeleteSecContext() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil
	}
	err := c.ctx.Delete()
	c.ctx = nil
	return err
}

// Server implements x/crypto/ssh's GSSAPIServer. The zero value accepts
// for any principal in the default keytab (KRB5_KTNAME).
type Server struct {
	Cred    *gssapi.Credential // nil: the default keytab, any principal
	Config  *gssapi.Config
	Context context.Context // nil: context.Background()
	// Delegated, if set, is called with the initiator's delegated
	// credential once the context is established.
	Delegated func(principal string, cred *gssapi.Credential)

	mu  sync.Mutex // guards ctx
	ctx *gssapi.Context
}

// AcceptSecContext runs one step of the acceptor and returns the
// initiator's principal ("alice@REALM") as srcName.
func (s *Server) AcceptSecContext(token []byte) (out []byte, srcName string, needContinue bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, err = gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: s.Cred, Config: s.Config})
		if err != nil {
			return nil, "", false, err
		}
	}
	ctx := s.Context
	if ctx == nil {
		ctx = context.Background()
	}
	out, err = s.ctx.Step(ctx, token)
	if err != nil {
		s.ctx = nil
		return nil, "", false, err
	}
	if !s.ctx.Established() {
		return out, "", true, nil
	}
	peer := s.ctx.PeerName().String()
	if d := s.ctx.DelegatedCredential(); d != nil && s.Delegated != nil {
		s.Delegated(peer, d)
	}
	return out, peer, false, nil
}

// VerifyMIC checks the client's MIC over the RFC 4462, Section 3.5 data.
func (s *Server) VerifyMIC(micField, micToken []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return errors.New("xsshgss: VerifyMIC without an established context")
	}
	return s.ctx.VerifyMIC(micField, micToken)
}

// DeleteSecContext deletes the context.
func (s *Server) DeleteSecContext() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil
	}
	err := s.ctx.Delete()
	s.ctx = nil
	return err
}
