package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// A resolver looks names up for CanonicalizeHostname; tests replace
// the system's.
type resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
}

var canonResolver resolver = net.DefaultResolver

// A cnameRule is one CanonicalizePermittedCNAMEs entry: names matching
// from may be replaced by a CNAME target matching to.
type cnameRule struct{ from, to string }

// parseCNAMERules reads "source_domains:target_domains ..." or "none".
func parseCNAMERules(s string) ([]cnameRule, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var rules []cnameRule
	for _, r := range strings.Fields(s) {
		from, to, ok := strings.Cut(r, ":")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("Invalid permitted CNAME \"%s\"", r)
		}
		rules = append(rules, cnameRule{strings.ToLower(from), strings.ToLower(to)})
	}
	return rules, nil
}

// errNoCanonical is CanonicalizeFallbackLocal no when no suffix resolved.
type canonError struct{ host string }

func (e *canonError) Error() string { return fmt.Sprintf("Could not resolve host \"%s\"", e.host) }

// canonicalize is ssh's resolve_canonicalize (CanonicalizeHostname,
// ssh_config(5)): with it on, a name with at most CanonicalizeMaxDots
// dots is tried with each of CanonicalDomains appended, and the first
// that resolves is the new name; a CNAME of it replaces it again where
// CanonicalizePermittedCNAMEs allows. A name ending in "." is resolved
// as is. Address literals and, unless "always", hosts reached through
// a proxy are left alone. ok reports whether the name was
// canonicalised; err is CanonicalizeFallbackLocal no's failure.
func canonicalize(ctx context.Context, o *options, host string) (name string, ok bool, err error) {
	mode := strings.ToLower(o.getDefault("canonicalizehostname", "no"))
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return host, false, nil
	}
	direct := (o.get("proxycommand") == "" || o.get("proxycommand") == "none") &&
		(o.get("proxyjump") == "" || o.get("proxyjump") == "none")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rules, _ := parseCNAMERules(o.get("canonicalizepermittedcnames"))
	if mode == "no" || mode == "false" || (!direct && mode != "always") {
		return followCNAME(ctx, host, rules, direct, mode == "always")
	}
	try := func(full string) bool {
		addrs, err := canonResolver.LookupHost(ctx, full)
		return err == nil && len(addrs) > 0
	}
	var candidates []string
	if strings.HasSuffix(host, ".") {
		candidates = []string{host}
	} else {
		maxDots, _ := strconv.Atoi(o.getDefault("canonicalizemaxdots", "1"))
		if strings.Count(host, ".") > maxDots {
			return host, false, nil
		}
		for _, d := range strings.Fields(o.getDefault("canonicaldomains", "none")) {
			if strings.EqualFold(d, "none") {
				break
			}
			candidates = append(candidates, host+"."+d+".")
		}
	}
	for _, full := range candidates {
		if !try(full) {
			continue
		}
		name := strings.TrimSuffix(full, ".")
		if cname, err := canonResolver.LookupCNAME(ctx, full); err == nil && direct && len(rules) > 0 {
			cname = strings.ToLower(strings.TrimSuffix(cname, "."))
			if cname != "" && cname != strings.ToLower(name) {
				for _, r := range rules {
					if matchHostPatterns(name, []string{r.from}) && matchHostPatterns(cname, []string{r.to}) {
						name = cname
						break
					}
				}
			}
		}
		return name, true, nil
	}
	if !o.yes("canonicalizefallbacklocal", true) {
		return host, false, &canonError{host}
	}
	return followCNAME(ctx, host, rules, direct, mode == "always")
}

// followCNAME is ssh's last step when canonicalisation is off or found
// nothing: with CanonicalizePermittedCNAMEs set, the bare name is
// resolved (an error when it does not resolve and the connection is
// direct) and its CNAME taken where a rule allows. Through a proxy it
// happens only with CanonicalizeHostname always.
func followCNAME(ctx context.Context, host string, rules []cnameRule, direct, always bool) (string, bool, error) {
	if len(rules) == 0 || (!direct && !always) {
		return host, false, nil
	}
	addrs, err := canonResolver.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		if direct {
			return host, false, &resolveError{host}
		}
		return host, false, nil
	}
	cname, err := canonResolver.LookupCNAME(ctx, host)
	if err != nil || !direct {
		return host, false, nil
	}
	cname = strings.ToLower(strings.TrimSuffix(cname, "."))
	if cname == "" || cname == strings.ToLower(host) {
		return host, false, nil
	}
	for _, r := range rules {
		if matchHostPatterns(host, []string{r.from}) && matchHostPatterns(cname, []string{r.to}) {
			return cname, true, nil
		}
	}
	return host, false, nil
}

// A resolveError is a host that does not resolve (ssh's "Could not
// resolve hostname").
type resolveError struct{ host string }

func (e *resolveError) Error() string {
	return fmt.Sprintf("Could not resolve hostname %s: Name or service not known", e.host)
}
