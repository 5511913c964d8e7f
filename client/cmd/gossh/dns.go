package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"

	"github.com/sshstack/sshstack/client/sshfp"
	"github.com/sshstack/sshstack/hostkey"
)

// newResolver gives the nameservers VerifyHostKeyDNS asks; tests point
// it at a fake server.
var newResolver = func() (*sshfp.Resolver, error) { return sshfp.ReadResolvConf("/etc/resolv.conf") }

// dnsMode is VerifyHostKeyDNS: "yes", "ask", or "" for no.
func (o *options) dnsMode() string {
	switch strings.ToLower(o.get("verifyhostkeydns")) {
	case "yes", "true":
		return "yes"
	case "ask":
		return "ask"
	}
	return ""
}

// A dnsCheck is VerifyHostKeyDNS for one connection: ssh's
// verify_host_key_dns and what verify_host_key does with its answer.
type dnsCheck struct {
	o    *options
	lg   *logger
	host string // the HostName looked up (not HostKeyAlias, as ssh)
	mode string

	mu      sync.Mutex
	key     []byte // the key last checked; its verdict is kept for rekeys
	trusted bool
	matched bool // an insecure (or "ask") match, for the prompt
}

// trust reports whether DNS alone vouches for key: VerifyHostKeyDNS
// yes and a matching SSHFP record in a validated answer. Any error,
// mismatch or insecure answer is false, and known_hosts decides
// (docs/security.md#h1); a mismatch prints ssh's warning first.
func (d *dnsCheck) trust(ctx context.Context, key hostkey.PublicKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	blob := key.Marshal()
	if d.key != nil && bytes.Equal(d.key, blob) {
		return d.trusted
	}
	d.key, d.trusted, d.matched = blob, false, false
	if net.ParseIP(strings.Trim(d.host, "[]")) != nil {
		d.lg.debug(1, "skipped DNS lookup for numerical hostname")
		return false
	}
	if sshfp.KeyAlgorithm(key) == 0 {
		d.lg.debug(1, "no SSHFP algorithm for %s keys: DNS not asked", key.Type()) // security keys
		return false
	}
	r, err := newResolver()
	if err != nil {
		d.lg.verbose("DNS lookup error: %v", err)
		return false
	}
	a, err := r.Lookup(ctx, d.host)
	if err != nil {
		d.lg.verbose("DNS lookup error: %v", err)
		return false
	}
	if a.Secure {
		d.lg.debug(1, "found %d secure fingerprints in DNS", len(a.Records))
	} else {
		d.lg.debug(1, "found %d insecure fingerprints in DNS", len(a.Records))
	}
	res := sshfp.Verify(a, key)
	switch {
	case !res.Found:
		d.lg.debug(1, "no host key fingerprint found in DNS")
	case res.Match:
		d.lg.debug(1, "matching host key fingerprint found in DNS")
		if d.mode == "yes" && res.Secure {
			d.trusted = true
			return true
		}
		d.matched = true
	default:
		d.lg.debug(1, "mismatching host key fingerprint found in DNS")
		warnChangedKey(d.lg, d.o, key)
		d.lg.errorf("Update the SSHFP RR in DNS with the new host key to get rid of this message.")
	}
	return false
}

// promptNote is the line ssh adds to the unknown-host prompt when
// VerifyHostKeyDNS is on.
func (d *dnsCheck) promptNote() string {
	if d == nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.matched {
		return "Matching host key fingerprint found in DNS.\n"
	}
	return "No matching host key fingerprint found in DNS.\n"
}

// warnChangedKey is ssh's warn_changed_key.
func warnChangedKey(lg *logger, o *options, key hostkey.PublicKey) {
	lg.errorf("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
		"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n" +
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@")
	lg.errorf("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!")
	lg.errorf("Someone could be eavesdropping on you right now (man-in-the-middle attack)!")
	lg.errorf("It is also possible that a host key has just been changed.")
	lg.errorf("The fingerprint for the %s key sent by the remote host is\n%s.", keyName(key), o.fingerprint(key))
	lg.errorf("Please contact your system administrator.")
}
