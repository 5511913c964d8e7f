package userauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sshstack/sshstack/wire"
)

// ParseAuthenticationMethods parses the value of OpenSSH's
// AuthenticationMethods (sshd_config(5)): space-separated lists of
// comma-separated method names, each list one way to authenticate, its
// methods to be completed in order. "any" alone returns nil, meaning any
// single enabled method suffices. Submethod suffixes
// ("keyboard-interactive:pam") are not supported.
func ParseAuthenticationMethods(s string) ([][]string, error) {
	fields := strings.Fields(s)
	if len(fields) == 1 && fields[0] == "any" {
		return nil, nil
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("userauth: AuthenticationMethods: empty: %w", wire.ErrInvalid)
	}
	out := make([][]string, 0, len(fields))
	for _, f := range fields {
		list := strings.Split(f, ",")
		for _, m := range list {
			if !wire.ValidName(m) || m == "any" || strings.Contains(m, ":") {
				return nil, fmt.Errorf("userauth: AuthenticationMethods: bad method %q: %w", m, wire.ErrInvalid)
			}
		}
		out = append(out, list)
	}
	return out, nil
}

// chainState tracks progress through the required method chains as
// OpenSSH does: a method is allowed if it is the head of some remaining
// list; when it succeeds it is removed from the head of every list that
// starts with it, and authentication is complete once a list is empty.
// With no chains, any enabled method alone completes it.
type chainState struct {
	lists   [][]string // nil: no chains configured
	enabled []string   // enabled methods in preference order, without "none"
}

func newChainState(chains [][]string, enabled []string) *chainState {
	s := &chainState{enabled: enabled}
	if chains != nil {
		s.lists = make([][]string, len(chains))
		for i, l := range chains {
			s.lists[i] = slices.Clone(l)
		}
	}
	return s
}

// allowed reports whether method may be tried now.
func (s *chainState) allowed(method string) bool {
	if s.lists == nil {
		return method == wire.MethodNone || slices.Contains(s.enabled, method)
	}
	for _, l := range s.lists {
		if len(l) > 0 && l[0] == method {
			return true
		}
	}
	return false
}

// complete records that method succeeded and reports whether
// authentication is now complete.
func (s *chainState) complete(method string) bool {
	if s.lists == nil {
		return true
	}
	done := false
	for i, l := range s.lists {
		if len(l) > 0 && l[0] == method {
			s.lists[i] = l[1:]
			done = done || len(s.lists[i]) == 0
		}
	}
	return done
}

// next returns the methods that can continue (RFC 4252, Section 5.1):
// the enabled methods that are allowed now, in preference order.
func (s *chainState) next() []string {
	out := make([]string, 0, len(s.enabled))
	for _, m := range s.enabled {
		if s.allowed(m) {
			out = append(out, m)
		}
	}
	return out
}
