package hostkey

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
// cert-authority (and without principals=) holding the same key. A
// certificate needs a
// cert-authority entry holding its signature key; the certificate must
// then be a valid user certificate (cc checks validity, critical
// options, revocation and the authority's signature; its
// IsUserAuthority is ignored) whose principals include the user, or, if
// the entry has principals=, one of those. sshd also accepts a
// certificate without principals through an entry without principals=;
// a cc with AllowEmptyPrincipals does the same. The entry's from= and expiry
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
		if len(r.Principals) > 0 && !r.CertAuthority {
			// sshd refuses the line: principals= belongs to a CA.
			refused = append(refused, fmt.Errorf("line %d: principals= without cert-authority", e.Line))
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

// An AuthorizedPrincipal is one line of an AuthorizedPrincipalsFile
// (sshd_config(5)): a certificate principal, optionally preceded by
// authorized_keys options (sshd(8), AUTHORIZED_KEYS FILE FORMAT) that
// restrict logins with it, such as command="..." or from="...".
type AuthorizedPrincipal struct {
	Name         string
	Options      []string // raw options as written, quotes removed
	Restrictions *Restrictions
	Line         int // 1-based line number
}

// ParseAuthorizedPrincipals reads an AuthorizedPrincipalsFile as sshd
// does: "#" starts a comment anywhere on a line, blank lines are
// skipped, and a line with inner white space holds options, then the
// principal after the last space (or, with no space, the last tab).
// Lines whose options fail to parse are skipped, as sshd does, and
// reported in err as *LineError values joined with errors.Join;
// principals holds every good line.
//
// sshd refuses a line with cert-authority or principals=, or whose
// expiry-time has passed or whose from= excludes the client, when it
// matches; the caller checks those (see CheckPrincipalLine).
func ParseAuthorizedPrincipals(r io.Reader, file string) (principals []*AuthorizedPrincipal, err error) {
	var errs []error
	n, serr := scanLines(r, func(num int, line []byte) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = bytes.TrimLeft(line, " \t")
		line = bytes.TrimRight(line, " \t\r\n")
		if len(line) == 0 {
			return
		}
		ap := &AuthorizedPrincipal{Name: string(line), Restrictions: allowAll(), Line: num}
		i := bytes.LastIndexByte(line, ' ')
		if i < 0 {
			i = bytes.LastIndexByte(line, '\t')
		}
		if i >= 0 {
			ap.Name = string(bytes.TrimLeft(line[i:], " \t"))
			opts, _, err := splitOptions(string(line))
			if err == nil {
				ap.Restrictions, err = parseRestrictions(opts)
			}
			if err != nil {
				errs = append(errs, &LineError{File: file, Line: num, Err: err})
				return
			}
			ap.Options = opts
		}
		principals = append(principals, ap)
	})
	if serr != nil {
		errs = append(errs, &LineError{File: file, Line: n + 1, Err: serr})
	}
	return principals, errors.Join(errs...)
}

// CheckPrincipalLine applies the checks sshd makes of the options of a
// matching AuthorizedPrincipalsFile line before it lets the login
// through: no cert-authority or principals= (they belong to
// authorized_keys), an expiry-time not yet passed, and a from= that
// admits the client at ip (reverse name host, possibly empty). The
// result wraps ErrNotAuthorized.
func CheckPrincipalLine(ap *AuthorizedPrincipal, now time.Time, ip net.IP, host string) error {
	r := ap.Restrictions
	switch {
	case r == nil:
		return ErrNotAuthorized
	case r.CertAuthority:
		return fmt.Errorf("%w: line %d: cert-authority in a principals file", ErrNotAuthorized, ap.Line)
	case len(r.Principals) > 0:
		return fmt.Errorf("%w: line %d: principals= in a principals file", ErrNotAuthorized, ap.Line)
	case r.Expired(now):
		return fmt.Errorf("%w: line %d: expired at %v", ErrNotAuthorized, ap.Line, r.ExpiryTime)
	case !r.AllowsFrom(ip, host):
		return fmt.Errorf("%w: line %d: client address not permitted by from=", ErrNotAuthorized, ap.Line)
	}
	return nil
}
