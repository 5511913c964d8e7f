package userauth

import (
	"context"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// RequestService asks the server to start a service with
// SSH_MSG_SERVICE_REQUEST and waits for SSH_MSG_SERVICE_ACCEPT
// (RFC 4253, Section 10). Authenticate calls it for "ssh-userauth"; it is
// exported for callers that drive the protocol themselves. One EXT_INFO
// (RFC 8308, Section 2.4) is accepted before the answer and returned,
// copied, for a transport that does not consume it itself; nil if none
// came. Any other message is a protocol error, after which RequestService
// sends DISCONNECT. If ctx is done first, t is closed.
func RequestService(ctx context.Context, t wire.Transport, service string) (*wire.ExtInfo, error) {
	return requestService(ctx, newLink(t, nil), service, false)
}

func requestService(ctx context.Context, l *link, service string, sent bool) (*wire.ExtInfo, error) {
	if !sent {
		if err := l.write(&wire.ServiceRequest{Service: service}); err != nil {
			return nil, err
		}
	}
	return awaitAccept(ctx, l, service)
}

// awaitAccept reads the SERVICE_ACCEPT for service, with at most one
// EXT_INFO before it, which it returns.
func awaitAccept(ctx context.Context, l *link, service string) (*wire.ExtInfo, error) {
	var ext *wire.ExtInfo
	for {
		p, err := l.read(ctx)
		if err != nil {
			return nil, err
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgExtInfo:
			if ext != nil {
				break
			}
			m, err := wire.ParseExtInfo(p)
			if err != nil {
				return nil, l.disconnect(wire.ProtocolError, "malformed EXT_INFO", fmt.Errorf("userauth: %w", err))
			}
			ext = copyExtInfo(&m)
			continue
		case wire.MsgServiceAccept:
			m, err := wire.ParseServiceAccept(p)
			if err != nil {
				return nil, l.disconnect(wire.ProtocolError, "malformed SERVICE_ACCEPT", fmt.Errorf("userauth: %w", err))
			}
			if m.Service != service {
				return nil, l.disconnect(wire.ProtocolError, "wrong service accepted",
					fmt.Errorf("userauth: asked for %q, server accepted %q: %w", service, wire.Sanitize(m.Service), wire.ErrUnexpectedMessage))
			}
			return ext, nil
		}
		err = protocolError(p, wire.ContextNone, "service request")
		return nil, l.disconnect(wire.ProtocolError, "unexpected message", err)
	}
}

// copyExtInfo copies m so that it outlives the payload it was parsed from.
func copyExtInfo(m *wire.ExtInfo) *wire.ExtInfo {
	c := &wire.ExtInfo{Extensions: make([]wire.Extension, len(m.Extensions))}
	for i, e := range m.Extensions {
		c.Extensions[i] = wire.Extension{Name: e.Name, Value: append([]byte(nil), e.Value...)}
	}
	return c
}

// acceptService waits for the client's SSH_MSG_SERVICE_REQUEST for
// "ssh-userauth" and answers SSH_MSG_SERVICE_ACCEPT (RFC 4253,
// Section 10). A request for any other service, "ssh-connection"
// included, is answered with DISCONNECT SERVICE_NOT_AVAILABLE
// (docs/security.md#a11); any other message with DISCONNECT PROTOCOL_ERROR.
func acceptService(ctx context.Context, l *link) error {
	p, err := l.read(ctx)
	if err != nil {
		return err
	}
	if wire.MsgNum(p[0]) != wire.MsgServiceRequest {
		return l.disconnect(wire.ProtocolError, "expected SERVICE_REQUEST", protocolError(p, wire.ContextNone, "service request"))
	}
	m, err := wire.ParseServiceRequest(p)
	if err != nil {
		return l.disconnect(wire.ProtocolError, "malformed SERVICE_REQUEST", fmt.Errorf("userauth: %w", err))
	}
	if m.Service != wire.ServiceUserauth {
		return l.disconnect(wire.ServiceNotAvailable, "service not available",
			fmt.Errorf("userauth: service %q requested before authentication: %w", wire.Sanitize(m.Service), wire.ErrUnexpectedMessage))
	}
	// Held: a client that sent its first USERAUTH_REQUEST with the
	// SERVICE_REQUEST (decision 0043) gets the SERVICE_ACCEPT with the
	// answer; anyone else gets it before the next read waits.
	l.hold(&wire.ServiceAccept{Service: wire.ServiceUserauth})
	return nil
}
