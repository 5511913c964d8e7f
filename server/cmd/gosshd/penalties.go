package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/sshconfig"
)

// penalties is sshd's PerSourcePenalties (sshd_config(5), OpenSSH 9.8).
// authfail, noauth, grace-exceeded, max and min are applied
// (server.Penalties); crash, refuseconnection, invaliduser,
// max-sources4/6 and overflow/overflow6 are accepted and shown by -T but
// have no effect (docs/gosshd.md).
type penalties struct {
	off                                    bool
	crash, authFail, noAuth, grace, refuse time.Duration
	invalidUser, max, min                  time.Duration
	maxSources4, maxSources6               int
	overflow, overflow6                    string
}

func defaultPenalties() penalties {
	d := server.DefaultPenalties
	return penalties{crash: 90 * time.Second, authFail: d.AuthFail, noAuth: d.NoAuth, grace: d.GraceExceeded,
		refuse: 10 * time.Second, invalidUser: d.AuthFail, max: d.Max, min: d.Min,
		maxSources4: server.MaxPenaltySources, maxSources6: server.MaxPenaltySources,
		overflow: "permissive", overflow6: "permissive"}
}

// parse reads "yes", "no" or a list of name:value settings, which also
// turns the penalties on; unnamed settings keep their defaults.
func (p *penalties) parse(val string) error {
	switch strings.ToLower(val) {
	case "yes":
		p.off = false
		return nil
	case "no":
		p.off = true
		return nil
	}
	p.off = false
	for f := range strings.FieldsSeq(val) {
		name, v, ok := strings.Cut(f, ":")
		if !ok {
			return fmt.Errorf("bad value %q", f)
		}
		var dur *time.Duration
		switch name {
		case "crash":
			dur = &p.crash
		case "authfail":
			dur = &p.authFail
		case "noauth":
			dur = &p.noAuth
		case "grace-exceeded":
			dur = &p.grace
		case "refuseconnection":
			dur = &p.refuse
		case "invaliduser":
			dur = &p.invalidUser
		case "max":
			dur = &p.max
		case "min":
			dur = &p.min
		case "max-sources4", "max-sources6":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("bad value %q", f)
			}
			if name == "max-sources4" {
				p.maxSources4 = n
			} else {
				p.maxSources6 = n
			}
			continue
		case "overflow", "overflow6":
			if v != "deny-all" && v != "permissive" {
				return fmt.Errorf("bad value %q", f)
			}
			if name == "overflow" {
				p.overflow = v
			} else {
				p.overflow6 = v
			}
			continue
		default:
			return fmt.Errorf("unknown penalty %q", name)
		}
		d, err := sshconfig.ParseTime(v)
		if err != nil {
			return fmt.Errorf("bad value %q: %w", f, err)
		}
		*dur = d
	}
	return nil
}

func (p penalties) String() string {
	if p.off {
		return "no"
	}
	s := func(d time.Duration) string { return strconv.Itoa(int(d/time.Second)) + "s" }
	return fmt.Sprintf("crash:%s authfail:%s noauth:%s grace-exceeded:%s max:%s min:%s max-sources4:%d max-sources6:%d overflow:%s overflow6:%s",
		s(p.crash), s(p.authFail), s(p.noAuth), s(p.grace), s(p.max), s(p.min), p.maxSources4, p.maxSources6, p.overflow, p.overflow6)
}

// serverPenalties is the server library's view, with the exempt list.
func (c *config) serverPenalties() *server.Penalties {
	p := c.PerSourcePenalties
	sp := &server.Penalties{Disabled: p.off, AuthFail: p.authFail, NoAuth: p.noAuth, GraceExceeded: p.grace, Max: p.max, Min: p.min}
	if list := c.PerSourcePenaltyExemptList; list != "" {
		sp.Exempt = func(ip net.IP) bool { return sshconfig.MatchList(list, ip.String(), addrMatch) }
	}
	return sp
}
