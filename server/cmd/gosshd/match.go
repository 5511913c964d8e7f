package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/sshconfig"
)

// A matchBlock is one "Match" section of sshd_config(5): criteria, then
// the keyword lines up to the next Match.
type matchBlock struct {
	where    string
	criteria []criterion
	lines    []matchLine
}

// A criterion is one "Name value" pair of a Match line.
type criterion struct {
	name string // lower case: all, user, group, host, address, localaddress, localport, rdomain
	arg  string
	port int // LocalPort's port
}

type matchLine struct {
	kw, val string
	args    []string // sshconfig.Line.Args, for the list keywords
	file    string
	line    int
}

// parseMatch reads the criteria of a Match line and checks them as
// sshd's match_cfg_line does when it reads the file: "all" alone, a
// value for every other criterion, address lists that addr_match_list
// can parse, and a port number (or service name) for LocalPort.
func parseMatch(val, where string) (*matchBlock, error) {
	f, err := sshconfig.SplitMatch(val) // sshd 9.2 splits Match lines with strdelim
	if err != nil {
		return nil, err
	}
	m := &matchBlock{where: where}
	for i := 0; i < len(f); i++ {
		if strings.HasPrefix(f[i], "#") {
			break
		}
		c := strings.ToLower(f[i])
		if c == "all" {
			if len(m.criteria) > 0 || i+1 < len(f) && !strings.HasPrefix(f[i+1], "#") {
				return nil, errors.New("'all' cannot be combined with other Match attributes")
			}
			m.criteria = append(m.criteria, criterion{name: "all"})
			break
		}
		if i+1 == len(f) || f[i+1] == "" || strings.HasPrefix(f[i+1], "#") {
			return nil, fmt.Errorf("Missing Match criteria for %s", f[i])
		}
		cr := criterion{name: c, arg: f[i+1]}
		i++
		switch c {
		case "user", "group", "host", "rdomain":
		case "address", "localaddress":
			if addrMatchList("", cr.arg) == -2 {
				return nil, fmt.Errorf("Invalid Match %s argument '%s'", c, cr.arg)
			}
		case "localport":
			p, err := a2port(cr.arg)
			if err != nil {
				return nil, fmt.Errorf("Invalid LocalPort '%s' on Match line", cr.arg)
			}
			cr.port = p
		default:
			return nil, fmt.Errorf("Unsupported Match attribute %s", f[i-1])
		}
		m.criteria = append(m.criteria, cr)
	}
	if len(m.criteria) == 0 {
		return nil, errors.New("One or more attributes required for Match")
	}
	return m, nil
}

// a2port parses a port number or a TCP service name, as OpenSSH's
// a2port.
func a2port(s string) (int, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return int(n), nil
	}
	if s == "" || strings.ContainsAny(s, "/ ") {
		return 0, fmt.Errorf("bad port %q", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return net.DefaultResolver.LookupPort(ctx, "tcp", s)
}

// patternList is OpenSSH's match_pattern_list: 1 when a pattern of the
// comma-separated list matches s and no negated ("!") one does, -1 when
// a negated one matches, 0 otherwise. With lower the patterns are
// lower-cased first (s is taken as it is).
func patternList(s, list string, lower bool) int {
	got := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if len(p) >= 1023 { // match_pattern_list's sub[1024]
			return 0
		}
		if lower {
			p = strings.ToLower(p)
		}
		if sshconfig.Wildcard(p, s) {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}

func addrMatch(pat, s string) bool { return addrMatchList(s, pat) == 1 }

// cidr parses an address or address/length as addr_pton_cidr: ok false
// when p is not one (it is then a wildcard pattern), err when it is one
// with a bad length or host bits set.
func cidr(p string) (pfx netip.Prefix, ok bool, err error) {
	a, bits, slash := strings.Cut(p, "/")
	ip, e := netip.ParseAddr(a)
	if e != nil || len(p) >= 64 {
		return pfx, false, nil
	}
	n := ip.BitLen()
	if slash {
		if bits == "" || bits[0] < '0' || bits[0] > '9' {
			return pfx, false, nil
		}
		v, e := strconv.ParseUint(bits, 10, 32)
		if e != nil || v > 128 {
			return pfx, false, nil
		}
		n = int(v)
	}
	if n > ip.BitLen() {
		return pfx, true, errors.New("bad mask length")
	}
	pfx = netip.PrefixFrom(ip.WithZone(""), n)
	if pfx.Masked().Addr() != ip.WithZone("") {
		return pfx, true, errors.New("host bits set")
	}
	return pfx, true, nil
}

// addrMatchList is OpenSSH's addr_match_list: addr against a list of
// addresses, CIDR blocks and wildcard patterns, each possibly negated.
// It returns 1 for a match, -1 for a negated match, 0 for none and -2
// for a malformed list. addr "" checks the list only.
func addrMatchList(addr, list string) int {
	var try netip.Addr
	if addr != "" {
		var err error
		if try, err = netip.ParseAddr(addr); err != nil {
			return 0
		}
		try = try.WithZone("")
	}
	ret := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if p == "" {
			return -2
		}
		pfx, isCIDR, err := cidr(p)
		if err != nil {
			return -2
		}
		hit := false
		if isCIDR {
			hit = addr != "" && try.Is4() == pfx.Addr().Is4() && pfx.Contains(try)
		} else {
			hit = addr != "" && sshconfig.Wildcard(p, addr)
		}
		if hit {
			if neg {
				return -1
			}
			ret = 1
		}
	}
	return ret
}

// Fields of connInfo that are known (sshd's connection_info members that
// are not NULL).
const (
	ciUser = 1 << iota
	ciHost
	ciAddr
	ciLaddr
	ciLport
	ciRdomain
)

// connInfo is what Match criteria test: sshd's struct connection_info.
type connInfo struct {
	user, host, addr, laddr, rdomain string
	lport                            int
	known                            int  // ci* bits of the fields set
	test                             bool // from -T -C: a missing field matches nothing
}

// errMatchTest is a Match criterion the -C specification gives no value
// for where sshd treats that as fatal (LocalPort).
var errMatchTest = errors.New("not in connection test specification")

// parseTestSpec reads sshd's -C specification: comma-separated
// user=, host=, addr=, laddr=, lport=, rdomain=.
// Several -C options add to one specification, as in sshd.
func parseTestSpec(ci *connInfo, spec string) error {
	ci.test = true
	for _, p := range strings.Split(spec, ",") {
		if p == "" {
			break // sshd's strsep loop stops at an empty entry
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			k = "" // sshd wants "name=" for every entry
		}
		switch k {
		case "user":
			ci.user, ci.known = v, ci.known|ciUser
		case "host":
			ci.host, ci.known = v, ci.known|ciHost
		case "addr":
			ci.addr, ci.known = v, ci.known|ciAddr
		case "laddr":
			ci.laddr, ci.known = v, ci.known|ciLaddr
		case "rdomain":
			ci.rdomain, ci.known = v, ci.known|ciRdomain
		case "lport":
			n, err := a2port(v)
			if err != nil {
				return fmt.Errorf("Invalid port '%s' in test mode specification %s", v, p)
			}
			ci.lport, ci.known = n, ci.known|ciLport
		default:
			return fmt.Errorf("Invalid test mode specification %s", p)
		}
	}
	return nil
}

// matches evaluates the section's criteria for ci as sshd's
// match_cfg_line: every criterion must hold. In test mode a criterion
// whose field is missing does not hold, except LocalPort, for which sshd
// stops with an error.
func (m *matchBlock) matches(ci connInfo) (bool, error) {
	result := true
	for _, c := range m.criteria {
		need := map[string]int{"user": ciUser, "group": ciUser, "host": ciHost, "address": ciAddr,
			"localaddress": ciLaddr, "localport": ciLport, "rdomain": ciRdomain}[c.name]
		if need != 0 && ci.known&need == 0 {
			if c.name == "localport" && ci.test {
				return false, fmt.Errorf("'Match LocalPort' in configuration but 'lport' %w", errMatchTest)
			}
			result = false
			continue
		}
		var ok bool
		switch c.name {
		case "all":
			ok = true
		case "user":
			ok = patternList(ci.user, c.arg, false) == 1
		case "group":
			ok = userInGroups(ci.user, c.arg)
		case "host":
			ok = patternList(strings.ToLower(ci.host), c.arg, true) == 1
		case "address":
			ok = addrMatchList(ci.addr, c.arg) == 1
		case "localaddress":
			ok = addrMatchList(ci.laddr, c.arg) == 1
		case "localport":
			ok = c.port == ci.lport
		case "rdomain":
			ok = patternList(ci.rdomain, c.arg, false) == 1
		}
		if !ok {
			result = false
		}
	}
	return result, nil
}

// userInGroups is sshd's match_cfg_line_group: the user's groups
// (primary and supplementary) against the pattern list, where one group
// matching a negated pattern refuses.
func userInGroups(name, list string) bool {
	groups, err := userGroupNames(name)
	if err != nil {
		return false
	}
	found := false
	for _, g := range groups {
		switch patternList(g, list, false) {
		case -1:
			return false
		case 1:
			found = true
		}
	}
	return found
}

// userGroupNames is sshd's ga_init: the names of the user's primary and
// supplementary groups (a group id without a name is left out). Match
// Group and AllowGroups/DenyGroups both read them here.
func userGroupNames(name string) ([]string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, id := range ids {
		if g, err := user.LookupGroupId(id); err == nil {
			names = append(names, g.Name)
		}
	}
	return names, nil
}

// forConn returns the configuration for one connection: the global
// values, overridden by the first value of each keyword in the Match
// blocks that apply (sshd_config(5)). The error is sshd's fatal one for
// a test specification that lacks lport; real connections never get it.
func (c *config) forConnErr(ci connInfo) (*config, error) {
	if len(c.matches) == 0 {
		return c, nil
	}
	e := *c
	e.set = map[string]bool{}
	e.matches = nil
	for _, m := range c.matches {
		ok, err := m.matches(ci)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		for _, l := range m.lines {
			k := lookupKeyword(l.kw) // checked when the file was read
			if e.set[k.name] && !k.multi {
				continue // the first value of the Match sections wins
			}
			if !e.set[k.name] {
				// A keyword that collects values (SetEnv, AllowUsers)
				// starts afresh: sshd replaces the global list with the
				// one its Match sections collect.
				e.resetForMatch(k.name)
			}
			// Validated when the file was read; an error here is impossible.
			e.apply(l.kw, l.val, l.args, l.file, l.line)
		}
	}
	return &e, nil
}

// forConn is forConnErr for a real connection.
func (c *config) forConn(ci connInfo) *config {
	e, err := c.forConnErr(ci)
	if err != nil {
		return c
	}
	return e
}

// matchValues returns the values the Match sections give the keyword
// (lower case, as the table names it), in the order of the file.
func (c *config) matchValues(name string) []string {
	var out []string
	for _, m := range c.matches {
		for _, l := range m.lines {
			if lookupKeyword(l.kw).name == name {
				out = append(out, l.val)
			}
		}
	}
	return out
}

// resetForMatch clears a multi-valued keyword before a Match section's
// value replaces it, so the global slice is never appended to.
func (c *config) resetForMatch(lk string) {
	switch lk {
	case "setenv":
		c.SetEnv = nil
	case "allowusers":
		c.AllowUsers = nil
	case "denyusers":
		c.DenyUsers = nil
	case "allowgroups":
		c.more3.AllowGroups = nil
	case "denygroups":
		c.more3.DenyGroups = nil
	case "acceptenv":
		c.AcceptEnv = nil
	}
}

func splitHostPort(a net.Addr) (string, string) {
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return h, p
}

// connInfoOf is the connInfo of a real connection: the address as host
// (UseDNS no), or the verified name of the address with UseDNS yes (see
// remoteHost); rdomain is "" as sshd reads it for a socket bound to no
// VRF (gosshd does not bind to one).
func (c *config) connInfoOf(user string, raddr, laddr net.Addr) connInfo {
	ci := connInfo{user: user, known: ciUser | ciHost | ciAddr | ciRdomain}
	if raddr != nil {
		ci.addr, _ = splitHostPort(raddr)
		ci.host = c.remoteHost(ci.addr)
	}
	if laddr != nil {
		lh, lp := splitHostPort(laddr)
		ci.laddr, ci.known = lh, ci.known|ciLaddr
		if n, err := strconv.Atoi(lp); err == nil {
			ci.lport, ci.known = n, ci.known|ciLport
		}
	}
	return ci
}
