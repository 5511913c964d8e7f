package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
)

// The keywords of this file are the last ones gosshd refused:
// AllowGroups, DenyGroups, HostCertificate, ChannelTimeout. config.apply
// calls applyMore3 first and config.dump calls dumpMore3; keywords3 has
// them in the shape of keyword table entries (matchKeywords in match.go
// lists ChannelTimeout). The work is done by the library and by the
// policy functions below.

// config3 is the part of config for these keywords.
type config3 struct {
	AllowGroups, DenyGroups []string // single patterns, as written
	HostCertificates        []string // absolute paths, in order
	ChannelTimeouts         []string // "type=interval" as written, or "none"
}

// keywords3 are the keywords of this file, each with its apply and -T
// print functions in the shape of a keyword table entry (apply gets a
// non-empty value; print writes the values through p, which prefixes
// the name). multi keywords take every line; the others the first.
var keywords3 = []struct {
	name  string
	multi bool
	match bool // allowed inside Match
	apply func(c *config, val string, cmdline bool) error
	print func(c *config, p func(v any))
}{
	{"allowgroups", true, false, applyAllowGroups, func(c *config, p func(any)) { printEach(c.more3.AllowGroups, p) }},
	{"denygroups", true, false, applyDenyGroups, func(c *config, p func(any)) { printEach(c.more3.DenyGroups, p) }},
	{"hostcertificate", true, false, applyHostCertificate, func(c *config, p func(any)) { printEach(c.more3.HostCertificates, p) }},
	{"channeltimeout", false, true, applyChannelTimeout, printChannelTimeout},
}

// applyMore3 sets one keyword of this file; handled is false for others.
// It does the first-value-wins bookkeeping of config.apply for them.
func (c *config) applyMore3(lk, val string) (handled bool, err error) {
	for _, k := range keywords3 {
		if k.name != lk {
			continue
		}
		if c.set[lk] && !k.multi {
			return true, nil // the first line wins, as sshd's
		}
		if val == "" {
			return true, errors.New("missing argument")
		}
		if err := k.apply(c, val, false); err != nil {
			return true, err
		}
		c.set[lk] = true
		return true, nil
	}
	return false, nil
}

// dumpMore3 prints the keywords of this file as sshd -T does.
func (c *config) dumpMore3(w io.Writer) {
	for _, k := range keywords3 {
		k.print(c, func(v any) { fmt.Fprintf(w, "%s %v\n", k.name, v) })
	}
}

func printEach(vals []string, p func(any)) {
	for _, v := range vals {
		p(v)
	}
}

// applyAllowGroups and applyDenyGroups add a line's patterns, as sshd's
// opt_array_append: every line counts.
func applyAllowGroups(c *config, val string, _ bool) error {
	c.more3.AllowGroups = append(c.more3.AllowGroups, strings.Fields(val)...)
	return nil
}

func applyDenyGroups(c *config, val string, _ bool) error {
	c.more3.DenyGroups = append(c.more3.DenyGroups, strings.Fields(val)...)
	return nil
}

// applyHostCertificate adds one file; a relative path is taken from the
// working directory, as sshd's derelativise_path.
func applyHostCertificate(c *config, val string, _ bool) error {
	if val != "none" && !filepath.IsAbs(val) {
		if abs, err := filepath.Abs(val); err == nil {
			val = abs
		}
	}
	c.more3.HostCertificates = append(c.more3.HostCertificates, val)
	return nil
}

// applyChannelTimeout takes a ChannelTimeout line (the first one wins,
// in the caller): type=interval entries, or "none" alone.
func applyChannelTimeout(c *config, val string, _ bool) error {
	list := strings.Fields(val)
	for _, e := range list {
		if strings.EqualFold(e, "none") {
			if len(list) > 1 {
				return errors.New(`"none" argument must appear alone`)
			}
			continue
		}
		if _, _, err := parseChannelTimeout(e); err != nil {
			return err
		}
	}
	c.more3.ChannelTimeouts = list
	return nil
}

// printChannelTimeout prints the line as written, nothing when unset, as
// sshd -T.
func printChannelTimeout(c *config, p func(any)) {
	if len(c.more3.ChannelTimeouts) > 0 {
		p(strings.Join(c.more3.ChannelTimeouts, " "))
	}
}

// parseChannelTimeout splits a ChannelTimeout entry, "type=interval",
// as sshd's parse_timeout: a non-empty type pattern, then a TIME FORMAT
// interval (0: no timeout).
func parseChannelTimeout(e string) (pattern string, d time.Duration, err error) {
	pattern, iv, ok := strings.Cut(e, "=")
	if ok && pattern != "" {
		if d, err = kex.ParseTime(iv); err == nil && d >= 0 {
			return pattern, d, nil
		}
	}
	return "", 0, fmt.Errorf("invalid channel timeout %s", e)
}

// channelTimeout is the ChannelTimeout of a channel of sshd's type typ
// (server.Server.ChannelTimeout): the interval of the first entry whose
// pattern matches, as sshd's lookup_timeout (one wildcard pattern per
// entry, no negation); 0 for none. sshd 9.2 takes "ChannelTimeout none"
// but then fails every connection ("internal error: bad timeout none");
// gosshd takes it as no timeouts.
func (c *config) channelTimeout(typ string) time.Duration {
	for _, e := range c.more3.ChannelTimeouts {
		pat, d, err := parseChannelTimeout(e)
		if err == nil && wildcard(pat, typ) {
			return d
		}
	}
	return 0
}

// addHostCertificates loads the HostCertificate files as sshd does at
// start-up: each must hold a certificate whose key is one of the loaded
// HostKeys (a private key, or one whose private half is in the
// HostKeyAgent), else it is reported in sshd's words and skipped, and
// gosshd starts all the same; a later certificate for the same key
// replaces an earlier one. The result is keys with each certificate (a
// hostkey.CertSigner over its key's signer) right after its key, the
// order sshd offers the algorithms in. Neither the certificate's type
// nor its validity is checked here, as by sshd: that is the client's
// business.
func addHostCertificates(files []string, keys []hostkey.Signer, stderr io.Writer) []hostkey.Signer {
	if len(files) == 0 {
		return keys
	}
	certs := make([]*hostkey.CertSigner, len(keys))
	for _, f := range files {
		data, err := os.ReadFile(f)
		var pub hostkey.PublicKey
		if err == nil {
			pub, _, err = hostkey.ParsePublicKeyFile(data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: Could not load host certificate %q: %v\n", f, err)
			continue
		}
		cert, ok := pub.(*hostkey.Certificate)
		if !ok {
			fmt.Fprintf(stderr, "gosshd: Certificate file is not a certificate: %s\n", f)
			continue
		}
		found := false
		for j, k := range keys {
			if hostkey.Equal(cert.Key, k.PublicKey()) {
				if cs, err := hostkey.NewCertSigner(cert, k); err == nil {
					certs[j], found = cs, true
				}
				break
			}
		}
		if !found {
			fmt.Fprintf(stderr, "gosshd: No matching private key for certificate: %s\n", f)
		}
	}
	var out []hostkey.Signer
	for j, k := range keys {
		out = append(out, k)
		if certs[j] != nil {
			out = append(out, certs[j])
		}
	}
	return out
}

// groupsAllowed is the group half of sshd's allowed_user (auth.c),
// after DenyUsers and AllowUsers: a user with a group that matches a
// DenyGroups pattern is refused, and so is one with no group matching an
// AllowGroups pattern. Each pattern stands alone, as in sshd's ga_match:
// a '!' or ',' in it is taken literally. The groups are the primary and
// supplementary ones (userGroupNames, which Match Group reads too). The
// refusal is logged in sshd's words.
func (p *policy) groupsAllowed(name string, from net.Addr) error {
	m := &p.cfg.more3
	if len(m.AllowGroups) == 0 && len(m.DenyGroups) == 0 {
		return nil
	}
	refuse := func(why string) error {
		host := "unknown"
		if from != nil {
			host, _ = splitHostPort(from)
		}
		if p.log != nil {
			p.log.Info(fmt.Sprintf("User %s from %s not allowed because %s", name, host, why)) // sshd's words
		}
		return fmt.Errorf("user %s not allowed because %s", name, why)
	}
	groups, err := userGroupNames(name)
	if err != nil || len(groups) == 0 {
		return refuse("not in any group")
	}
	anyMatch := func(pats []string) bool {
		for _, g := range groups {
			for _, pat := range pats {
				if wildcard(pat, g) {
					return true
				}
			}
		}
		return false
	}
	if anyMatch(m.DenyGroups) {
		return refuse("a group is listed in DenyGroups")
	}
	if len(m.AllowGroups) > 0 && !anyMatch(m.AllowGroups) {
		return refuse("none of user's groups are listed in AllowGroups")
	}
	return nil
}
