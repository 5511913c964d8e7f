package hostkey

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/wire"
)

// ErrBadOption means an authorized_keys option is unknown or malformed.
var ErrBadOption = errors.New("hostkey: bad authorized_keys option")

// ErrNoKey means a line holds no public key.
var ErrNoKey = errors.New("hostkey: no public key found")

// maxLineLen caps one line of authorized_keys, known_hosts or a *.pub
// file; OpenSSH uses 16 KiB for RSA keys of 16384 bits with options.
const maxLineLen = 64 << 10

// Restrictions is the typed form of the options of one authorized_keys
// line (sshd(8), AUTHORIZED_KEYS FILE FORMAT), or of a user
// certificate's critical options and extensions. The permission fields
// are true when the feature is allowed: they start true, "restrict" and
// the no-* options clear them, and the permit forms (agent-forwarding,
// port-forwarding, pty, user-rc, X11-forwarding) set them again, in the
// order the options appear.
type Restrictions struct {
	Restrict bool // "restrict" appeared (or a certificate, which starts restricted)

	AgentForwarding bool
	PortForwarding  bool
	PTY             bool
	UserRC          bool
	X11Forwarding   bool

	Command    string // command="..." or a certificate's force-command
	HasCommand bool

	Environment []string  // environment="NAME=value", in order
	ExpiryTime  time.Time // expiry-time="..."; zero when absent
	From        []string  // from="pattern-list"
	// SourceAddress is a certificate's source-address: addresses and
	// CIDR blocks, one of which the client must match.
	SourceAddress []string
	PermitOpen    []string // permitopen="host:port"
	PermitListen  []string // permitlisten="[host:]port"
	Principals    []string // principals="a,b" (with cert-authority)
	Tunnel        string   // tunnel="n"; empty when absent

	CertAuthority   bool // cert-authority: the key is a user CA
	NoTouchRequired bool // no-touch-required: sk signatures need not assert presence
	VerifyRequired  bool // verify-required: sk signatures must assert verification
}

func allowAll() *Restrictions {
	return &Restrictions{AgentForwarding: true, PortForwarding: true, PTY: true, UserRC: true, X11Forwarding: true}
}

// Policy returns the signature Policy these restrictions imply for
// security keys (no-touch-required, verify-required) on top of base.
func (r *Restrictions) Policy(base *Policy) *Policy {
	p := Policy{}
	if base != nil {
		p = *base
	}
	p.NoTouchRequired = p.NoTouchRequired || r.NoTouchRequired
	p.VerifyRequired = p.VerifyRequired || r.VerifyRequired
	return &p
}

// ErrRestrictionConflict means two sets of restrictions cannot be merged
// without dropping one: different forced commands, from= lists,
// permitopen/permitlisten lists or tunnels.
var ErrRestrictionConflict = errors.New("hostkey: conflicting restrictions")

// Merge returns restrictions that enforce both r and o, as sshd merges a
// certificate's options with those of the authorized_keys line that
// trusted its authority, and as a server must combine the restrictions
// of several authentication factors (docs/security.md#a9). Permissions are
// granted only if both grant them, verify-required if either requires
// it, no-touch-required only if both allow it, and the earlier expiry
// wins; lists and commands must agree or be set on one side only, and
// otherwise Merge fails with ErrRestrictionConflict.
func (r *Restrictions) Merge(o *Restrictions) (*Restrictions, error) {
	m := &Restrictions{
		Restrict:        r.Restrict || o.Restrict,
		AgentForwarding: r.AgentForwarding && o.AgentForwarding,
		PortForwarding:  r.PortForwarding && o.PortForwarding,
		PTY:             r.PTY && o.PTY,
		UserRC:          r.UserRC && o.UserRC,
		X11Forwarding:   r.X11Forwarding && o.X11Forwarding,
		NoTouchRequired: r.NoTouchRequired && o.NoTouchRequired,
		VerifyRequired:  r.VerifyRequired || o.VerifyRequired,
		Environment:     append(slices.Clone(r.Environment), o.Environment...),
		Principals:      slices.Clone(r.Principals),
		CertAuthority:   r.CertAuthority,
	}
	switch {
	case r.HasCommand && o.HasCommand && r.Command != o.Command:
		return nil, fmt.Errorf("%w: forced commands differ", ErrRestrictionConflict)
	case r.HasCommand:
		m.Command, m.HasCommand = r.Command, true
	case o.HasCommand:
		m.Command, m.HasCommand = o.Command, true
	}
	m.ExpiryTime = r.ExpiryTime
	if !o.ExpiryTime.IsZero() && (m.ExpiryTime.IsZero() || o.ExpiryTime.Before(m.ExpiryTime)) {
		m.ExpiryTime = o.ExpiryTime
	}
	lists := []struct {
		name string
		a, b []string
		dst  *[]string
	}{
		{"from", r.From, o.From, &m.From},
		{"source-address", r.SourceAddress, o.SourceAddress, &m.SourceAddress},
		{"permitopen", r.PermitOpen, o.PermitOpen, &m.PermitOpen},
		{"permitlisten", r.PermitListen, o.PermitListen, &m.PermitListen},
	}
	for _, l := range lists {
		switch {
		case len(l.a) > 0 && len(l.b) > 0 && !slices.Equal(l.a, l.b):
			return nil, fmt.Errorf("%w: %s lists differ", ErrRestrictionConflict, l.name)
		case len(l.a) > 0:
			*l.dst = slices.Clone(l.a)
		default:
			*l.dst = slices.Clone(l.b)
		}
	}
	switch {
	case r.Tunnel != "" && o.Tunnel != "" && r.Tunnel != o.Tunnel:
		return nil, fmt.Errorf("%w: tunnels differ", ErrRestrictionConflict)
	case r.Tunnel != "":
		m.Tunnel = r.Tunnel
	default:
		m.Tunnel = o.Tunnel
	}
	return m, nil
}

// Expired reports whether an expiry-time is set and now is past it.
func (r *Restrictions) Expired(now time.Time) bool {
	return !r.ExpiryTime.IsZero() && !now.Before(r.ExpiryTime)
}

// AllowsFrom reports whether a client at ip (with reverse name host,
// possibly empty) passes both the from= list and the SourceAddress list.
// from= holds host patterns with * and ?, addresses and CIDR blocks, each
// optionally negated with "!": a negated match refuses, otherwise one
// positive match is needed. SourceAddress needs ip inside one entry. An
// empty list allows everyone.
func (r *Restrictions) AllowsFrom(ip net.IP, host string) bool {
	if len(r.SourceAddress) > 0 {
		ok := false
		for _, a := range r.SourceAddress {
			if _, n, err := net.ParseCIDR(a); err == nil {
				ok = ok || (ip != nil && n.Contains(ip))
			} else if aip := net.ParseIP(a); aip != nil {
				ok = ok || aip.Equal(ip)
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.From) == 0 {
		return true
	}
	ok := false
	for _, p := range r.From {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		m := false
		if _, n, err := net.ParseCIDR(p); err == nil {
			m = ip != nil && n.Contains(ip)
		} else {
			m = (ip != nil && sshconfig.Wildcard(p, ip.String())) || (host != "" && sshconfig.Wildcard(strings.ToLower(p), strings.ToLower(host)))
		}
		if m && neg {
			return false
		}
		ok = ok || m
	}
	return ok
}

// AllowsOpen reports whether a direct-tcpip to host:port passes
// permitopen (RFC 4254, Section 7.2). An empty list allows any
// destination; "*" matches any host or port. PortForwarding is checked
// separately.
func (r *Restrictions) AllowsOpen(host string, port int) bool {
	return matchHostPortList(r.PermitOpen, host, port)
}

// AllowsListen reports whether a tcpip-forward on host:port passes
// permitlisten (RFC 4254, Section 7.1); an entry without a host matches
// any listen address.
func (r *Restrictions) AllowsListen(host string, port int) bool {
	return matchHostPortList(r.PermitListen, host, port)
}

func matchHostPortList(list []string, host string, port int) bool {
	if len(list) == 0 {
		return true
	}
	for _, e := range list {
		h, p, err := net.SplitHostPort(e)
		if err != nil { // "port" alone (permitlisten)
			h, p = "", e
		}
		if h != "" && h != "*" && !strings.EqualFold(h, host) {
			continue
		}
		if p == "*" || p == strconv.Itoa(port) {
			return true
		}
	}
	return false
}

// An AuthorizedKey is one line of an authorized_keys file.
type AuthorizedKey struct {
	Key          PublicKey
	Comment      string
	Options      []string // raw options as written, quotes removed
	Restrictions *Restrictions
	Line         int // 1-based line number when read from a file
}

// ParseAuthorizedKey parses one authorized_keys line:
// [options] keytype base64-key [comment] (sshd(8)). Errors wrap
// ErrNoKey, ErrBadOption or a key decoding error.
func ParseAuthorizedKey(line []byte) (*AuthorizedKey, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil, ErrNoKey
	}
	if len(line) > maxLineLen {
		return nil, fmt.Errorf("%w: line too long", ErrNoKey)
	}
	ak := &AuthorizedKey{}
	first, _, _ := strings.Cut(strings.ReplaceAll(string(line), "\t", " "), " ")
	if isKeyType(first) {
		pub, comment, err := parseKeyFields(string(line))
		if err != nil {
			return nil, err
		}
		ak.Key, ak.Comment, ak.Restrictions = pub, comment, allowAll()
		return ak, nil
	}
	opts, rest, err := splitOptions(string(line))
	if err != nil {
		return nil, err
	}
	if ak.Restrictions, err = parseRestrictions(opts); err != nil {
		return nil, err
	}
	if ak.Key, ak.Comment, err = parseKeyFields(strings.TrimLeft(rest, " \t")); err != nil {
		return nil, err
	}
	ak.Options = opts
	return ak, nil
}

// ParseAuthorizedKeys reads an authorized_keys file. Blank and comment
// lines are skipped. Lines that fail to parse are skipped too, as sshd
// does, and reported in err as *LineError values joined with
// errors.Join; keys holds every good line.
func ParseAuthorizedKeys(r io.Reader, file string) (keys []*AuthorizedKey, err error) {
	var errs []error
	n, serr := scanLines(r, func(num int, line []byte) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			return
		}
		ak, err := ParseAuthorizedKey(t)
		if err != nil {
			errs = append(errs, &LineError{File: file, Line: num, Err: err})
			return
		}
		ak.Line = num
		keys = append(keys, ak)
	})
	if serr != nil {
		errs = append(errs, &LineError{File: file, Line: n + 1, Err: serr})
	}
	return keys, errors.Join(errs...)
}

// scanLines calls fn for each line of r, with lines up to maxLineLen.
func scanLines(r io.Reader, fn func(num int, line []byte)) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineLen)
	n := 0
	for sc.Scan() {
		n++
		fn(n, sc.Bytes())
	}
	return n, sc.Err()
}

// ParsePublicKeyFile parses the first key of a public key file (*.pub:
// "keytype base64-key comment") or an authorized_keys-style line.
func ParsePublicKeyFile(data []byte) (PublicKey, string, error) {
	var pub PublicKey
	var comment string
	err := ErrNoKey
	for line := range bytes.Lines(data) {
		ak, e := ParseAuthorizedKey(line)
		if e == ErrNoKey {
			continue
		}
		if e != nil {
			return nil, "", e
		}
		pub, comment, err = ak.Key, ak.Comment, nil
		break
	}
	return pub, comment, err
}

// MarshalAuthorizedKey returns "keytype base64-key[ comment]\n", the
// format of *.pub files and authorized_keys lines.
func MarshalAuthorizedKey(pub PublicKey, comment string) []byte {
	b := []byte(pub.Type())
	b = append(b, ' ')
	b = base64.StdEncoding.AppendEncode(b, pub.Marshal())
	if comment != "" {
		b = append(b, ' ')
		b = append(b, comment...)
	}
	return append(b, '\n')
}

// isKeyType reports whether s names a registered key or certificate type.
func isKeyType(s string) bool {
	if base, ok := cutCert(s); ok {
		s = base
	}
	_, ok := LookupAlgorithm(s)
	return ok
}

// parseKeyFields parses "keytype base64 [comment]".
func parseKeyFields(s string) (PublicKey, string, error) {
	typ, rest, _ := strings.Cut(s, " ")
	if i := strings.IndexAny(typ, "\t"); i >= 0 {
		typ, rest = s[:i], s[i+1:]
	}
	if !isKeyType(typ) {
		return nil, "", fmt.Errorf("%w: key type %q", ErrUnknownAlgorithm, wire.Sanitize(typ))
	}
	rest = strings.TrimLeft(rest, " \t")
	enc, comment, _ := strings.Cut(rest, " ")
	if i := strings.IndexByte(enc, '\t'); i >= 0 {
		enc, comment = rest[:i], rest[i+1:]
	}
	blob, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, "", fmt.Errorf("%w: base64 key: %v", ErrNoKey, err)
	}
	pub, err := ParsePublicKey(blob)
	if err != nil {
		return nil, "", err
	}
	if pub.Type() != typ {
		return nil, "", fmt.Errorf("%w: line says %q, key is %q", ErrAlgorithmMismatch, wire.Sanitize(typ), pub.Type())
	}
	return pub, strings.TrimSpace(comment), nil
}

// splitOptions splits the comma-separated options at the start of s,
// which end at the first unquoted space or tab. Quotes are removed and
// \" becomes " (as sshd's opt_dequote); other backslashes stay.
func splitOptions(s string) (opts []string, rest string, err error) {
	var cur strings.Builder
	inQuote := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ',':
			if cur.Len() == 0 {
				return nil, "", fmt.Errorf("%w: empty option", ErrBadOption)
			}
			opts = append(opts, cur.String())
			cur.Reset()
		case !inQuote && (c == ' ' || c == '\t'):
			goto done
		default:
			cur.WriteByte(c)
		}
	}
done:
	if inQuote {
		return nil, "", fmt.Errorf("%w: unterminated quote", ErrBadOption)
	}
	if cur.Len() == 0 {
		return nil, "", fmt.Errorf("%w: empty option", ErrBadOption)
	}
	return append(opts, cur.String()), s[i:], nil
}

// parseRestrictions applies options in order (sshd(8)).
func parseRestrictions(opts []string) (*Restrictions, error) {
	r := allowAll()
	for _, o := range opts {
		name, val, hasVal := strings.Cut(o, "=")
		lname := strings.ToLower(name)
		flag := func() error {
			if hasVal {
				return fmt.Errorf("%w: %s takes no value", ErrBadOption, lname)
			}
			return nil
		}
		value := func() error {
			if !hasVal {
				return fmt.Errorf("%w: %s needs a value", ErrBadOption, lname)
			}
			return nil
		}
		var err error
		switch lname {
		case "restrict":
			if err = flag(); err == nil {
				r.Restrict = true
				r.AgentForwarding, r.PortForwarding, r.PTY, r.UserRC, r.X11Forwarding = false, false, false, false, false
			}
		case "no-agent-forwarding", "agent-forwarding":
			err, r.AgentForwarding = flag(), lname == "agent-forwarding"
		case "no-port-forwarding", "port-forwarding":
			err, r.PortForwarding = flag(), lname == "port-forwarding"
		case "no-pty", "pty":
			err, r.PTY = flag(), lname == "pty"
		case "no-user-rc", "user-rc":
			err, r.UserRC = flag(), lname == "user-rc"
		case "no-x11-forwarding", "x11-forwarding":
			err, r.X11Forwarding = flag(), lname == "x11-forwarding"
		case "cert-authority":
			err, r.CertAuthority = flag(), true
		case "no-touch-required":
			err, r.NoTouchRequired = flag(), true
		case "verify-required":
			err, r.VerifyRequired = flag(), true
		case "command":
			if err = value(); err == nil {
				if r.HasCommand {
					err = fmt.Errorf("%w: command given twice", ErrBadOption)
				}
				r.Command, r.HasCommand = val, true
			}
		case "environment":
			if err = value(); err == nil {
				if k, _, ok := strings.Cut(val, "="); !ok || k == "" {
					err = fmt.Errorf("%w: environment %q is not NAME=value", ErrBadOption, wire.Sanitize(val))
				}
				r.Environment = append(r.Environment, val)
			}
		case "expiry-time":
			if err = value(); err == nil {
				var t time.Time
				if t, err = parseExpiry(val); err == nil && (r.ExpiryTime.IsZero() || t.Before(r.ExpiryTime)) {
					r.ExpiryTime = t
				}
			}
		case "from":
			if err = value(); err == nil {
				r.From, err = splitList(lname, val)
			}
		case "permitopen":
			if err = value(); err == nil {
				if _, _, e := net.SplitHostPort(val); e != nil {
					err = fmt.Errorf("%w: permitopen %q", ErrBadOption, wire.Sanitize(val))
				}
				r.PermitOpen = append(r.PermitOpen, val)
			}
		case "permitlisten":
			if err = value(); err == nil {
				r.PermitListen = append(r.PermitListen, val)
			}
		case "principals":
			if err = value(); err == nil {
				r.Principals, err = splitList(lname, val)
			}
		case "tunnel":
			if err = value(); err == nil {
				if _, e := strconv.ParseUint(val, 10, 31); e != nil && val != "any" {
					err = fmt.Errorf("%w: tunnel %q", ErrBadOption, wire.Sanitize(val))
				}
				r.Tunnel = val
			}
		default:
			err = fmt.Errorf("%w: unknown option %q", ErrBadOption, wire.Sanitize(name))
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func splitList(name, val string) ([]string, error) {
	list := strings.Split(val, ",")
	for _, e := range list {
		if e == "" {
			return nil, fmt.Errorf("%w: empty entry in %s", ErrBadOption, name)
		}
	}
	return list, nil
}

// parseExpiry parses YYYYMMDD[HHMM[SS]] with an optional trailing Z for
// UTC; without it the time is local (sshd(8) expiry-time).
func parseExpiry(s string) (time.Time, error) {
	loc := time.Local
	if v, ok := strings.CutSuffix(s, "Z"); ok {
		s, loc = v, time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	l, ok := layouts[len(s)]
	if !ok {
		return time.Time{}, fmt.Errorf("%w: expiry-time %q", ErrBadOption, wire.Sanitize(s))
	}
	t, err := time.ParseInLocation(l, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: expiry-time %q", ErrBadOption, wire.Sanitize(s))
	}
	return t, nil
}
