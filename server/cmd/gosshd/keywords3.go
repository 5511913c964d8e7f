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
	"github.com/sshstack/sshstack/sshconfig"
)

// The keywords of this file are the last ones gosshd refused:
// AllowGroups, DenyGroups, HostCertificate, ChannelTimeout. Their
// entries in the keyword table (table.go) call the apply and print
// functions here; the work is done by the library and by the policy
// functions below.

// config3 is the part of config for these keywords.
type config3 struct {
	AllowGroups, DenyGroups []string // single patterns, as written
	HostCertificates        []string // absolute paths, in order
	ChannelTimeouts         []string // "type=interval" as written, or "none"
}

func printEach(vals []string, p func(any)) {
	for _, v := range vals {
		p(v)
	}
}

// applyAllowGroups and applyDenyGroups add a line's patterns, as sshd's
// opt_array_append: every line counts.
func applyAllowGroups(c *config, args []string, _ bool) error {
	c.more3.AllowGroups = append(c.more3.AllowGroups, args...)
	return nil
}

func applyDenyGroups(c *config, args []string, _ bool) error {
	c.more3.DenyGroups = append(c.more3.DenyGroups, args...)
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
func applyChannelTimeout(c *config, list []string, _ bool) error {
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
		if d, err = sshconfig.ParseTime(iv); err == nil && d >= 0 {
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
		if err == nil && sshconfig.Wildcard(pat, typ) {
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
				if sshconfig.Wildcard(pat, g) {
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
