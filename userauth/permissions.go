package userauth

import (
	"fmt"
	"github.com/sshstack/sshstack/sshconfig"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Permissions are the restrictions one authentication factor imposes (as
// returned by a server callback, typically from authorized_keys options
// or a certificate's critical options and extensions) and, merged, those
// of a whole authentication (Result.Permissions).
//
// Merging is explicit and restrictive (docs/security.md#a9, CVE-2026-39828): a
// permission is off if any factor turned it off, every list restriction
// of every factor stays and must be met, the earliest expiry wins, and
// two different forced commands are a conflict that fails the factor.
// The zero value restricts nothing.
type Permissions struct {
	// ForceCommand replaces any command the client asks for; empty means
	// none (authorized_keys command=, certificate force-command).
	ForceCommand string

	NoPTY             bool // no-pty
	NoPortForwarding  bool // no-port-forwarding
	NoAgentForwarding bool // no-agent-forwarding
	NoX11Forwarding   bool // no-X11-forwarding
	NoUserRC          bool // no-user-rc

	// SourceAddress holds one pattern list per factor that had one
	// (authorized_keys from=, certificate source-address): addresses,
	// CIDR blocks and * ? wildcards, each optionally negated with "!".
	// The client's address must pass every list; the server checks this
	// when the factor succeeds.
	SourceAddress [][]string

	// PermitOpen holds one "host:port" list per factor that had one
	// (permitopen=); a direct-tcpip destination must be in every list
	// ("*" matches any host or port).
	PermitOpen [][]string

	// PermitListen holds one "[host:]port" list per factor that had one
	// (permitlisten=), with the same rule for tcpip-forward.
	PermitListen [][]string

	// Environment are NAME=value pairs to set (environment=), in order.
	Environment []string

	// ExpiryTime is when the authorization lapses (expiry-time=, a
	// certificate's valid-before); zero means never.
	ExpiryTime time.Time

	// Extensions carry application data from a callback to the
	// connection layer, for example which key authenticated.
	Extensions map[string]string
}

// Merge returns the permissions of p and q together, without changing
// either; a nil argument counts as the zero value. It fails with
// ErrConflict if both force a command and the commands differ, or both
// set an extension to different values.
func (p *Permissions) Merge(q *Permissions) (*Permissions, error) {
	var a, b Permissions
	if p != nil {
		a = *p
	}
	if q != nil {
		b = *q
	}
	m := &Permissions{
		NoPTY:             a.NoPTY || b.NoPTY,
		NoPortForwarding:  a.NoPortForwarding || b.NoPortForwarding,
		NoAgentForwarding: a.NoAgentForwarding || b.NoAgentForwarding,
		NoX11Forwarding:   a.NoX11Forwarding || b.NoX11Forwarding,
		NoUserRC:          a.NoUserRC || b.NoUserRC,
		SourceAddress:     concatLists(a.SourceAddress, b.SourceAddress),
		PermitOpen:        concatLists(a.PermitOpen, b.PermitOpen),
		PermitListen:      concatLists(a.PermitListen, b.PermitListen),
		Environment:       append(slices.Clone(a.Environment), b.Environment...),
		ExpiryTime:        a.ExpiryTime,
	}
	switch {
	case a.ForceCommand == "":
		m.ForceCommand = b.ForceCommand
	case b.ForceCommand == "" || b.ForceCommand == a.ForceCommand:
		m.ForceCommand = a.ForceCommand
	default:
		return nil, fmt.Errorf("%w: two different forced commands", ErrConflict)
	}
	if m.ExpiryTime.IsZero() || (!b.ExpiryTime.IsZero() && b.ExpiryTime.Before(m.ExpiryTime)) {
		m.ExpiryTime = b.ExpiryTime
	}
	if len(a.Extensions)+len(b.Extensions) > 0 {
		m.Extensions = maps.Clone(a.Extensions)
		if m.Extensions == nil {
			m.Extensions = make(map[string]string, len(b.Extensions))
		}
		for k, v := range b.Extensions {
			if old, ok := m.Extensions[k]; ok && old != v {
				return nil, fmt.Errorf("%w: extension %q", ErrConflict, k)
			}
			m.Extensions[k] = v
		}
	}
	return m, nil
}

func concatLists(a, b [][]string) [][]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([][]string, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, slices.Clone(l))
	}
	for _, l := range b {
		out = append(out, slices.Clone(l))
	}
	return out
}

// Expired reports whether ExpiryTime is set and now is not before it.
func (p *Permissions) Expired(now time.Time) bool {
	return p != nil && !p.ExpiryTime.IsZero() && !now.Before(p.ExpiryTime)
}

// AllowsFrom reports whether a client at addr passes every SourceAddress
// list. Within one list a negated match refuses and otherwise one
// positive match is needed; an address that is not an IP fails any list.
func (p *Permissions) AllowsFrom(addr net.Addr) bool {
	if p == nil || len(p.SourceAddress) == 0 {
		return true
	}
	ip := addrIP(addr)
	for _, list := range p.SourceAddress {
		if !matchAddressList(list, ip) {
			return false
		}
	}
	return true
}

// AllowsOpen reports whether a direct-tcpip to host:port (RFC 4254,
// Section 7.2) passes every PermitOpen list.
func (p *Permissions) AllowsOpen(host string, port int) bool {
	return p == nil || allLists(p.PermitOpen, host, port)
}

// AllowsListen reports whether a tcpip-forward on host:port (RFC 4254,
// Section 7.1) passes every PermitListen list; an entry without a host
// matches any listen address.
func (p *Permissions) AllowsListen(host string, port int) bool {
	return p == nil || allLists(p.PermitListen, host, port)
}

func allLists(lists [][]string, host string, port int) bool {
	for _, l := range lists {
		if !matchHostPort(l, host, port) {
			return false
		}
	}
	return true
}

func matchHostPort(list []string, host string, port int) bool {
	for _, e := range list {
		h, ps, err := net.SplitHostPort(e)
		if err != nil {
			h, ps = "", e
		}
		if h != "" && h != "*" && !strings.EqualFold(h, host) {
			continue
		}
		if ps == "*" || ps == strconv.Itoa(port) {
			return true
		}
	}
	return false
}

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	case *net.IPAddr:
		return a.IP
	case nil:
		return nil
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	return net.ParseIP(host)
}

func matchAddressList(list []string, ip net.IP) bool {
	if ip == nil {
		return false
	}
	ok := false
	for _, pat := range list {
		neg := strings.HasPrefix(pat, "!")
		pat = strings.TrimPrefix(pat, "!")
		var m bool
		if _, n, err := net.ParseCIDR(pat); err == nil {
			m = n.Contains(ip)
		} else if pip := net.ParseIP(pat); pip != nil {
			m = pip.Equal(ip)
		} else {
			m = sshconfig.Wildcard(pat, ip.String())
		}
		if m && neg {
			return false
		}
		ok = ok || m
	}
	return ok
}
