package userauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/sshstack/sshstack/wire"
)

// ClientConfig configures the client side of user authentication.
type ClientConfig struct {
	// User is the user name to authenticate as (RFC 4252, Section 5).
	User string

	// Service is the service to start after authentication; empty means
	// "ssh-connection".
	Service string

	// ServiceRequested says the SERVICE_REQUEST for "ssh-userauth" has
	// been sent already, in the key exchange's last write (kex.Config's
	// FirstPayload): Authenticate then only waits for SERVICE_ACCEPT.
	ServiceRequested bool

	// Sources are the auth sources, tried in order (paramiko's
	// AuthStrategy.get_sources). A source whose method the server has
	// said cannot continue is skipped; after partial success the next
	// sources are tried as the second factor.
	Sources []Method

	// Banner receives each SSH_MSG_USERAUTH_BANNER (RFC 4252,
	// Section 5.4). The message is peer text: pass it through
	// wire.Sanitize before showing it on a terminal. nil drops banners.
	Banner func(message, language string)

	// ServerSigAlgs are the server's server-sig-algs (RFC 8308,
	// Section 3.1). nil means: take them from an EXT_INFO the transport
	// passes up, or else, after SERVICE_ACCEPT, from the transport's
	// PeerExtensions method if it has one (kex.Transport does).
	ServerSigAlgs []string

	// HostKey is the server's host key blob from key exchange; publickey
	// signs it into publickey-hostbound-v00@openssh.com requests. nil
	// means the transport's HostKey method if it has one.
	HostKey []byte

	// Hostbound says the server offered publickey-hostbound@openssh.com
	// (OpenSSH PROTOCOL, Section 3.7); it is also set when the EXT_INFO
	// found as for ServerSigAlgs offers it.
	Hostbound bool

	// Rand is the source of randomness for signatures; nil means
	// crypto/rand.
	Rand io.Reader

	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
}

func (cfg *ClientConfig) service() string {
	if cfg.Service == "" {
		return wire.ServiceConnection
	}
	return cfg.Service
}

// Optional methods of a wire.Transport that consumes EXT_INFO and knows
// the host key itself, as kex.Transport does.
type (
	peerExtensions interface{ PeerExtensions() []wire.Extension }
	hostKeyer      interface{ HostKey() []byte }
)

// An Outcome is the result of one source in an AuthResult.
type Outcome uint8

// Outcomes of a source.
const (
	Failed  Outcome = iota // the server denied it, or it failed locally
	Skipped                // not tried: the server did not offer its method
	Partial                // partial success (RFC 4252, Section 5.1): more factors needed
	Success                // authenticated
)

var outcomeNames = [...]string{Failed: "failed", Skipped: "skipped", Partial: "partial success", Success: "success"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// A SourceResult pairs a source with what came of it (paramiko's
// SourceResult).
type SourceResult struct {
	Source  Method
	Outcome Outcome
	// Methods are the server's authentications that can continue, from
	// its USERAUTH_FAILURE (also on partial success); nil otherwise.
	Methods []string
	// Err is nil on Success and Partial. Otherwise it is a *DeniedError
	// (the server said no), an error wrapping ErrNotOffered (Skipped), a
	// local error of the source (a password getter, a key file), or the
	// transport or protocol error that ended authentication.
	Err error
}

func (r SourceResult) String() string {
	s := sourceName(r.Source) + " -> " + r.Outcome.String()
	if r.Err != nil && r.Outcome != Skipped {
		s += ": " + r.Err.Error()
	}
	return s
}

// sourceName names a source for humans without revealing secrets: its
// String method if it has one, else its method name.
func sourceName(m Method) string {
	if s, ok := m.(fmt.Stringer); ok {
		return s.String()
	}
	return m.Name()
}

// An AuthResult records every source tried, in order, with its outcome
// (paramiko's AuthResult).
type AuthResult struct {
	User    string
	Results []SourceResult

	// ExtInfo is an EXT_INFO the transport passed up during the service
	// request or right before USERAUTH_SUCCESS (RFC 8308, Section 2.4),
	// copied; nil if none.
	ExtInfo *wire.ExtInfo
}

// Authenticated reports whether the last source succeeded.
func (r *AuthResult) Authenticated() bool {
	return len(r.Results) > 0 && r.Results[len(r.Results)-1].Outcome == Success
}

// String lists every attempt, one per line, as paramiko does.
func (r *AuthResult) String() string {
	var b strings.Builder
	for i, sr := range r.Results {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(sr.String())
	}
	return b.String()
}

// An AuthFailure is the error Authenticate returns when no source
// authenticated the client (paramiko's AuthFailure). It lists every
// attempt and unwraps to the error of each, so errors.Is(err, ErrDenied)
// or errors.As(err, &disconnectErr) look through it.
type AuthFailure struct {
	Result *AuthResult
}

func (e *AuthFailure) Error() string {
	if len(e.Result.Results) == 0 {
		return "userauth: authentication failed: no sources"
	}
	return "userauth: authentication failed:\n" + e.Result.String()
}

// Unwrap returns the error of every attempt that has one.
func (e *AuthFailure) Unwrap() []error {
	var errs []error
	for _, r := range e.Result.Results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errs
}

// Authenticate runs the client side of user authentication over t: it
// requests the "ssh-userauth" service (RFC 4253, Section 10), then tries
// cfg.Sources in order (RFC 4252, Section 5) until one succeeds, honouring
// the server's "authentications that can continue" and partial success.
//
// On success it returns the AuthResult of every attempt. Otherwise it
// returns the AuthResult and an *AuthFailure: the sources ran out, the
// server left nothing that can continue, or a transport or protocol error
// (which is the last attempt's Err) ended the exchange. On a protocol
// error Authenticate sends DISCONNECT; it never closes t except when ctx
// is done during a read, to unblock it.
func Authenticate(ctx context.Context, t wire.Transport, cfg *ClientConfig) (*AuthResult, error) {
	if cfg == nil {
		cfg = &ClientConfig{} // no sources: fails after the service request
	}
	l := newLink(t, cfg.Logger)
	res := &AuthResult{User: cfg.User}
	var ext *wire.ExtInfo
	if pe, ok := t.(peerExtensions); ok && !cfg.ServiceRequested && pe.PeerExtensions() != nil {
		// The server's EXT_INFO is here already (kex took it with the
		// server's NEWKEYS), so nothing the first request depends on
		// is still to come: SERVICE_REQUEST waits for that request and
		// leaves in its network write, and its SERVICE_ACCEPT is read
		// before the answer. That saves a round trip and a write.
		l.hold(&wire.ServiceRequest{Service: wire.ServiceUserauth})
		l.accept = wire.ServiceUserauth
	} else {
		var err error
		if ext, err = requestService(ctx, l, wire.ServiceUserauth, cfg.ServiceRequested); err != nil {
			return res, &AuthFailure{Result: appendFatal(res, cfg, err)}
		}
	}
	c := &ClientConn{l: l, cfg: cfg, sigs: cfg.ServerSigAlgs, hostbound: cfg.Hostbound, hostKey: cfg.HostKey}
	if ext == nil {
		if pe, ok := t.(peerExtensions); ok {
			if e := pe.PeerExtensions(); e != nil {
				ext = &wire.ExtInfo{Extensions: e}
			}
		}
	} else {
		res.ExtInfo = ext
	}
	if c.sigs == nil {
		c.sigs = sigAlgsFrom(ext)
	}
	c.hostbound = c.hostbound || hostboundFrom(ext)
	if hk, ok := t.(hostKeyer); ok && c.hostKey == nil {
		c.hostKey = hk.HostKey()
	}
	var can []string // methods that can continue; nil until the first FAILURE
	known := false
	for _, src := range cfg.Sources {
		if known && !slices.Contains(can, src.Name()) {
			res.Results = append(res.Results, SourceResult{Source: src, Outcome: Skipped,
				Err: fmt.Errorf("userauth: %s: %w", src.Name(), ErrNotOffered)})
			continue
		}
		c.begin(src)
		err := src.Authenticate(ctx, c)
		r := SourceResult{Source: src}
		switch {
		case c.success:
			r.Outcome = Success
			res.Results = append(res.Results, r)
			if c.ext != nil {
				res.ExtInfo = c.ext
			}
			return res, nil
		case l.acceptErr != nil:
			// The held SERVICE_REQUEST failed, not the source.
			return res, &AuthFailure{Result: appendFatal(res, cfg, l.acceptErr)}
		case c.fatal != nil:
			r.Err = c.fatal
			res.Results = append(res.Results, r)
			return res, &AuthFailure{Result: res}
		case c.answered:
			r.Methods = slices.Clone(c.failure.Methods)
			can, known = r.Methods, true
			if c.failure.PartialSuccess {
				r.Outcome = Partial
			} else {
				r.Err = &DeniedError{Method: src.Name(), Methods: r.Methods}
			}
		default:
			if err == nil || errors.Is(err, ErrAnswered) {
				err = fmt.Errorf("userauth: %s: %w", src.Name(), ErrNoAnswer)
			}
			r.Err = err
		}
		res.Results = append(res.Results, r)
		if ctx.Err() != nil {
			return res, &AuthFailure{Result: res}
		}
	}
	// No source reached the server: the service request still goes
	// out, so that its failure is reported as before.
	if err := l.settle(ctx); err != nil {
		return res, &AuthFailure{Result: appendFatal(res, cfg, err)}
	}
	return res, &AuthFailure{Result: res}
}

// appendFatal records an error that ended authentication before any
// source ran, against a pseudo-source naming the service request.
func appendFatal(res *AuthResult, cfg *ClientConfig, err error) *AuthResult {
	res.Results = append(res.Results, SourceResult{Source: serviceRequest{}, Err: err})
	return res
}

// serviceRequest stands for the service request in an AuthResult when it
// fails.
type serviceRequest struct{}

func (serviceRequest) Name() string                                    { return "service-request" }
func (serviceRequest) Authenticate(context.Context, *ClientConn) error { return nil }
func (serviceRequest) String() string                                  { return "SERVICE_REQUEST ssh-userauth" }
