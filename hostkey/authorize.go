package hostkey

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// ErrNotAuthorized means no authorized_keys entry lets the key log in.
// When an entry matched the key but refused it (from=, expiry, a
// certificate check), the error also wraps that reason.
var ErrNotAuthorized = errors.New("hostkey: key not authorized")

// An AuthorizeRequest is what a server knows when deciding about a
// publickey login (RFC 4252, Section 7).
type AuthorizeRequest struct {
	User       string    // the user name being logged in as
	Key        PublicKey // the offered key or certificate
	RemoteIP   net.IP    // the client address, for from= and source-address
	RemoteHost string    // the client's verified reverse name, or ""
}

// Authorize decides, as sshd does for an AuthorizedKeysFile, whether
// req.Key may log in as req.User, and returns the deciding entry and the
// restrictions to enforce. A plain key needs an entry without
// cert-authority holding the same key. A certificate needs a
// cert-authority entry holding its signature key; the certificate must
// then be a valid user certificate (cc checks validity, critical
// options, revocation and the authority's signature; its
// IsUserAuthority is ignored) whose principals include the user, or, if
// the entry has principals=, one of those. The entry's from= and expiry
// and the certificate's source-address must admit the client; the
// entry's and certificate's restrictions are merged (Restrictions.Merge).
// An entry that matches the key but refuses it is skipped and the next
// one tried, as sshd does. cc may be nil.
//
// Authorize does not verify the login signature: verify it with
// Restrictions.Policy (no-touch-required, verify-required) before
// granting the login.
func Authorize(entries []*AuthorizedKey, req AuthorizeRequest, cc *CertChecker) (*AuthorizedKey, *Restrictions, error) {
	if req.Key == nil {
		return nil, nil, ErrNotAuthorized
	}
	if cc == nil {
		cc = &CertChecker{}
	}
	now := time.Now()
	if cc.Clock != nil {
		now = cc.Clock()
	}
	cert, _ := req.Key.(*Certificate)
	var refused []error
	for _, e := range entries {
		if e == nil || e.Key == nil || e.Restrictions == nil {
			continue
		}
		r := e.Restrictions
		if cert == nil {
			if r.CertAuthority || !Equal(e.Key, req.Key) {
				continue
			}
		} else if !r.CertAuthority || cert.SignatureKey == nil || !Equal(e.Key, cert.SignatureKey) {
			continue
		}
		if r.Expired(now) {
			refused = append(refused, fmt.Errorf("line %d: key expired at %v", e.Line, r.ExpiryTime))
			continue
		}
		if !r.AllowsFrom(req.RemoteIP, req.RemoteHost) {
			refused = append(refused, fmt.Errorf("line %d: client address not permitted by from=", e.Line))
			continue
		}
		if cert == nil {
			// Merging with the identity copies, so callers cannot
			// change the entry through the result.
			id := allowAll()
			id.NoTouchRequired = true
			out, err := r.Merge(id)
			if err != nil {
				return nil, nil, err // unreachable: the identity never conflicts
			}
			return e, out, nil
		}
		merged, err := authorizeCert(e, req, cert, cc)
		if err != nil {
			refused = append(refused, fmt.Errorf("line %d: %w", e.Line, err))
			continue
		}
		return e, merged, nil
	}
	if len(refused) > 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotAuthorized, errors.Join(refused...))
	}
	return nil, nil, ErrNotAuthorized
}

func authorizeCert(e *AuthorizedKey, req AuthorizeRequest, cert *Certificate, cc *CertChecker) (*Restrictions, error) {
	if cert.CertType != UserCert {
		return nil, fmt.Errorf("%w: want a user certificate", ErrCertType)
	}
	principal := req.User
	if ps := e.Restrictions.Principals; len(ps) > 0 {
		// principals= replaces the user name: one of the listed names
		// must be in the certificate.
		principal = ""
		for _, p := range ps {
			if slices.Contains(cert.ValidPrincipals, p) {
				principal = p
				break
			}
		}
		if principal == "" {
			return nil, fmt.Errorf("%w: none of principals=%v", ErrCertPrincipal, ps)
		}
	}
	if err := cc.CheckCert(principal, cert); err != nil {
		return nil, err
	}
	cr, err := cert.Restrictions()
	if err != nil {
		return nil, err
	}
	if !cr.AllowsFrom(req.RemoteIP, "") {
		return nil, fmt.Errorf("%w: client address not in source-address", ErrCertCriticalOption)
	}
	return e.Restrictions.Merge(cr)
}
