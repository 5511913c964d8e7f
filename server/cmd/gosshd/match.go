package main

import (
	"errors"
	"fmt"
	"net"
	"os/user"
	"path"
	"strconv"
	"strings"
)

// A matchBlock is one "Match" section of sshd_config(5): criteria, then
// the keyword lines up to the next Match.
type matchBlock struct {
	where    string
	criteria [][2]string // (criterion, pattern list), lower-case criterion
	lines    []matchLine
}

type matchLine struct {
	kw, val, file string
	line          int
}

// matchKeywords are the keywords gosshd allows inside Match: those it
// applies per connection after authentication. Authentication keywords
// inside Match are refused (the auth policy is per server).
var matchKeywords = map[string]bool{
	"forcecommand": true, "allowtcpforwarding": true, "allowstreamlocalforwarding": true, "allowagentforwarding": true,
	"x11forwarding": true, "x11displayoffset": true, "x11uselocalhost": true, "permitopen": true, "permitlisten": true, "setenv": true,
	"permituserrc": true, "permittty": true, "disableforwarding": true, "chrootdirectory": true, "exposeauthinfo": true,
	"permittunnel": true,
}

// parseMatch reads the criteria of a Match line.
func parseMatch(val, where string) (*matchBlock, error) {
	f := strings.Fields(val)
	m := &matchBlock{where: where}
	for i := 0; i < len(f); i++ {
		c := strings.ToLower(f[i])
		if c == "all" {
			if len(f) != 1 {
				return nil, errors.New("'all' cannot be combined with other criteria")
			}
			m.criteria = append(m.criteria, [2]string{"all", ""})
			continue
		}
		switch c {
		case "user", "group", "address", "localaddress", "localport", "host":
		default:
			return nil, fmt.Errorf("criterion %q: %w", f[i], errUnsupported)
		}
		if i+1 == len(f) {
			return nil, fmt.Errorf("criterion %q needs a value", f[i])
		}
		m.criteria = append(m.criteria, [2]string{c, f[i+1]})
		i++
	}
	if len(m.criteria) == 0 {
		return nil, errors.New("missing criteria")
	}
	return m, nil
}

// matchList applies an sshd pattern list ("a,b,!c") to s: true when a
// positive pattern matches and no negated one does.
func matchList(list, s string, match func(pat, s string) bool) bool {
	ok := false
	for _, p := range strings.Split(list, ",") {
		if neg := strings.HasPrefix(p, "!"); neg {
			if match(p[1:], s) {
				return false
			}
			continue
		}
		if match(p, s) {
			ok = true
		}
	}
	return ok
}

func globMatch(pat, s string) bool {
	ok, _ := path.Match(pat, s)
	return ok
}

func addrMatch(pat, s string) bool {
	if _, n, err := net.ParseCIDR(pat); err == nil {
		ip := net.ParseIP(s)
		return ip != nil && n.Contains(ip)
	}
	return globMatch(pat, s)
}

// connInfo is what Match criteria test.
type connInfo struct {
	user                string
	raddr, laddr, lport string
}

func (m *matchBlock) matches(ci connInfo) bool {
	for _, c := range m.criteria {
		var ok bool
		switch c[0] {
		case "all":
			ok = true
		case "user":
			ok = matchList(c[1], ci.user, globMatch)
		case "group":
			ok = userInGroups(ci.user, c[1])
		case "address", "host":
			ok = matchList(c[1], ci.raddr, addrMatch)
		case "localaddress":
			ok = matchList(c[1], ci.laddr, addrMatch)
		case "localport":
			ok = matchList(c[1], ci.lport, globMatch)
		}
		if !ok {
			return false
		}
	}
	return true
}

func userInGroups(name, list string) bool {
	u, err := user.Lookup(name)
	if err != nil {
		return false
	}
	ids, err := u.GroupIds()
	if err != nil {
		return false
	}
	var names []string
	for _, id := range ids {
		if g, err := user.LookupGroupId(id); err == nil {
			names = append(names, g.Name)
		}
	}
	ok := false
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		for _, g := range names {
			if globMatch(strings.TrimPrefix(p, "!"), g) {
				if neg {
					return false
				}
				ok = true
			}
		}
	}
	return ok
}

// forConn returns the configuration for one authenticated connection:
// the global values, overridden by the first value of each keyword in
// the Match blocks that apply (sshd_config(5)).
func (c *config) forConn(ci connInfo) *config {
	if len(c.matches) == 0 {
		return c
	}
	e := *c
	e.set = map[string]bool{}
	e.matches = nil
	for _, m := range c.matches {
		if !m.matches(ci) {
			continue
		}
		for _, l := range m.lines {
			// Validated when the file was read; an error here is impossible.
			e.apply(l.kw, l.val, l.file, l.line)
		}
	}
	return &e
}

func splitHostPort(a net.Addr) (string, string) {
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return h, p
}

func connInfoOf(user string, raddr, laddr net.Addr) connInfo {
	rh, _ := splitHostPort(raddr)
	lh, lp := splitHostPort(laddr)
	if _, err := strconv.Atoi(lp); err != nil {
		lp = ""
	}
	return connInfo{user: user, raddr: rh, laddr: lh, lport: lp}
}
