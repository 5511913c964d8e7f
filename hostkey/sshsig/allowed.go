package sshsig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/sshconfig"
)

// ErrNotAllowed means no allowed signers line lets the key sign as the
// principal in the namespace.
var ErrNotAllowed = errors.New("sshsig: signer not allowed")

// An AllowedSigner is one line of an allowed signers file
// (ssh-keygen(1), "ALLOWED SIGNERS"): principals [options] key.
type AllowedSigner struct {
	Line          int
	Principals    string // comma-separated patterns with *, ? and !
	CertAuthority bool   // Key is a CA whose certificates may sign
	Namespaces    string // comma-separated patterns; "" for any
	ValidAfter    time.Time
	ValidBefore   time.Time
	Key           hostkey.PublicKey
}

// ParseAllowedSigners reads an allowed signers file: blank lines and
// # comments are skipped; options are cert-authority, namespaces="...",
// valid-after="..." and valid-before="..." (YYYYMMDD[HHMM[SS]], local
// time, or UTC with a trailing Z). A malformed line is an error naming
// it.
func ParseAllowedSigners(r io.Reader) ([]*AllowedSigner, error) {
	var out []*AllowedSigner
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		a, err := parseAllowedLine(line)
		if err != nil {
			return nil, fmt.Errorf("sshsig: allowed signers line %d: %w", n, err)
		}
		a.Line = n
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sshsig: reading allowed signers: %w", err)
	}
	return out, nil
}

// field cuts the next whitespace-separated field of s; double quotes
// protect whitespace. unquote drops the quotes of a whole-field quote.
func field(s string) (f, rest string) {
	s = strings.TrimLeft(s, " \t")
	inq := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inq = !inq
		case (c == ' ' || c == '\t') && !inq:
			return s[:i], s[i:]
		}
	}
	return s, ""
}

func parseAllowedLine(line string) (*AllowedSigner, error) {
	a := &AllowedSigner{}
	p, rest := field(line)
	a.Principals = strings.Trim(p, `"`)
	f, after := field(rest)
	if _, ok := hostkey.LookupAlgorithm(f); !ok {
		if err := a.parseOptions(f); err != nil {
			return nil, err
		}
		rest = after
	}
	key, _, err := hostkey.ParsePublicKeyFile([]byte(strings.TrimSpace(rest)))
	if err != nil {
		return nil, err
	}
	a.Key = key
	return a, nil
}

func (a *AllowedSigner) parseOptions(opts string) error {
	for opts != "" {
		var opt string
		inq := false
		i := 0
		for ; i < len(opts); i++ {
			if opts[i] == '"' {
				inq = !inq
			} else if opts[i] == ',' && !inq {
				break
			}
		}
		opt, opts = opts[:i], strings.TrimPrefix(opts[i:], ",")
		name, val, hasVal := strings.Cut(opt, "=")
		val = strings.Trim(val, `"`)
		var err error
		switch strings.ToLower(name) {
		case "cert-authority":
			a.CertAuthority = true
		case "namespaces":
			a.Namespaces = val
		case "valid-after":
			a.ValidAfter, err = parseTime(val)
		case "valid-before":
			a.ValidBefore, err = parseTime(val)
		default:
			return fmt.Errorf("unknown option %q", name)
		}
		if err != nil || (name != "cert-authority" && !hasVal) {
			return fmt.Errorf("bad option %q", opt)
		}
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	loc := time.Local
	if t, ok := strings.CutSuffix(s, "Z"); ok {
		s, loc = t, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(s) == len(layout) {
			return time.ParseInLocation(layout, s, loc)
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

// MatchPatternList reports whether name matches a comma-separated list
// of patterns with * and ?; a matching pattern starting with ! makes
// the whole list fail. It runs in time linear in the list times the
// name (sshconfig.Wildcard), whatever the patterns.
func MatchPatternList(name, list string) bool {
	return sshconfig.MatchList(list, name, sshconfig.Wildcard)
}

// allows reports whether the line lets key sign as principal (any
// principal when principal is "") in namespace at t.
func (a *AllowedSigner) allows(key hostkey.PublicKey, principal, namespace string, t time.Time) bool {
	if principal != "" && !MatchPatternList(principal, a.Principals) {
		return false
	}
	if a.Namespaces != "" && !MatchPatternList(namespace, a.Namespaces) {
		return false
	}
	if !a.ValidAfter.IsZero() && t.Before(a.ValidAfter) || !a.ValidBefore.IsZero() && !t.Before(a.ValidBefore) {
		return false
	}
	cert, isCert := key.(*hostkey.Certificate)
	if !a.CertAuthority {
		return !isCert && hostkey.Equal(a.Key, key)
	}
	if !isCert || cert.SignatureKey == nil || !hostkey.Equal(cert.SignatureKey, a.Key) {
		return false
	}
	cc := &hostkey.CertChecker{
		IsUserAuthority: func(k hostkey.PublicKey) bool { return hostkey.Equal(k, a.Key) },
		Clock:           func() time.Time { return t },
	}
	if principal == "" {
		if len(cert.ValidPrincipals) == 0 {
			return false
		}
		principal = cert.ValidPrincipals[0]
	}
	return cc.CheckUserCert(principal, cert) == nil
}

// Find returns the first allowed signers line that lets s.PublicKey sign
// as principal in s.Namespace at time t, or ErrNotAllowed. It does not
// check the signature itself: call Verify too.
func Find(signers []*AllowedSigner, s *Signature, principal string, t time.Time) (*AllowedSigner, error) {
	for _, a := range signers {
		if a.allows(s.PublicKey, principal, s.Namespace, t) {
			return a, nil
		}
	}
	return nil, ErrNotAllowed
}

// Principals returns the principals of every line that lets s.PublicKey
// sign in s.Namespace at t, one pattern each, as ssh-keygen -Y
// find-principals prints them; for a certificate, its principals that
// a cert-authority line accepts.
func Principals(signers []*AllowedSigner, s *Signature, t time.Time) []string {
	var out []string
	for _, a := range signers {
		if !a.allows(s.PublicKey, "", s.Namespace, t) {
			continue
		}
		if cert, ok := s.PublicKey.(*hostkey.Certificate); ok {
			for _, p := range cert.ValidPrincipals {
				if MatchPatternList(p, a.Principals) {
					out = append(out, p)
				}
			}
			continue
		}
		out = append(out, strings.Split(a.Principals, ",")...)
	}
	return out
}
