package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// The files hostbased authentication consults, as sshd names them
// (pathnames.h). Variables so that tests can point them elsewhere.
var (
	hostsEquivPath      = "/etc/hosts.equiv"
	shostsEquivPath     = "/etc/ssh/shosts.equiv"
	systemKnownHosts    = "/etc/ssh/ssh_known_hosts"
	systemKnownHosts2   = "/etc/ssh/ssh_known_hosts2"
	userKnownHostsName  = ".ssh/known_hosts"
	userKnownHosts2Name = ".ssh/known_hosts2"
)

// rhostsFiles are the per-user files of auth_rhosts2, in its order.
var rhostsFiles = []string{".shosts", ".rhosts"}

var errHostbased = errors.New("hostbased authentication refused")

// hostbased decides a hostbased request whose signature verified, as
// sshd's hostbased_key_allowed (auth2-hostbased.c): the client host and
// user must be trusted by the rhosts files (rhostsAllowed), under the
// name from the packet (HostbasedUsesNameFromPacketOnly yes) or the one
// the client's address resolves to (its address with UseDNS no), and the
// key must be recorded for that name in ssh_known_hosts or the user's
// ~/.ssh/known_hosts (IgnoreUserKnownHosts), the *2 files being read
// only when neither knows the host.
func (p *policy) hostbased(_ context.Context, m userauth.ConnMeta, chost, cuser string, key hostkey.PublicKey) (*userauth.Permissions, error) {
	a, err := p.userAllowed(m.User, m.RemoteAddr)
	if err != nil {
		return nil, err
	}
	if a.UID == 0 && p.cfg.PermitRootLogin == "forced-commands-only" {
		return nil, errors.New("root login needs a forced command")
	}
	if err := p.keyPolicy(key); err != nil {
		return nil, err
	}
	m2 := &p.cfg.more
	ip := ""
	if rip := remoteIP(m.RemoteAddr); rip != nil {
		ip = rip.String()
	}
	chost = strings.TrimSuffix(chost, ".")
	var lookup string
	if m2.HostbasedUsesNameFromPacketOnly {
		if !p.rhostsAllowed(a, cuser, chost, chost) {
			return nil, fmt.Errorf("%w: rhosts files refuse user %q host %q (from packet)", errHostbased, wire.Sanitize(cuser), wire.Sanitize(chost))
		}
		lookup = chost
	} else {
		resolved := remoteName(ip, m2.UseDNS)
		if !strings.EqualFold(resolved, chost) {
			p.logf("userauth_hostbased mismatch: client sends %s, but we resolve %s to %s", wire.Sanitize(chost), ip, resolved)
		}
		if !p.rhostsAllowed(a, cuser, resolved, ip) {
			return nil, fmt.Errorf("%w: rhosts files refuse user %q host %q addr %s", errHostbased, wire.Sanitize(cuser), resolved, ip)
		}
		lookup = resolved
	}
	if _, ok := key.(*hostkey.Certificate); ok {
		return nil, fmt.Errorf("%w: host certificates are not supported", errHostbased)
	}
	st := p.hostKeyStatus(a, key, lookup, systemKnownHosts, userKnownHostsName)
	if st == hostkey.StatusUnknown {
		st = p.hostKeyStatus(a, key, lookup, systemKnownHosts2, userKnownHosts2Name)
	}
	switch st {
	case hostkey.StatusKnown:
		return p.restrict(m)(&userauth.Permissions{}, nil)
	case hostkey.StatusRevoked:
		p.logf("WARNING: revoked key for %s attempted authentication", wire.Sanitize(lookup))
	}
	return nil, fmt.Errorf("%w: key for host %s %v", errHostbased, wire.Sanitize(lookup), st)
}

// remoteName is sshd's auth_get_canonical_hostname: with UseDNS the
// name the address resolves to, if that name resolves back to it; else
// (and by default) the address itself.
func remoteName(ip string, useDNS bool) string {
	if !useDNS || ip == "" {
		return ip
	}
	names, err := net.LookupAddr(ip)
	if err != nil || len(names) == 0 {
		return ip
	}
	name := strings.ToLower(strings.TrimSuffix(names[0], "."))
	addrs, err := net.LookupHost(name)
	if err != nil {
		return ip
	}
	for _, a := range addrs {
		if a == ip {
			return name
		}
	}
	return ip
}

// badModes reports whether StrictModes refuses fi (insecure).
func (p *policy) badModes(a *account, fi os.FileInfo) bool {
	return p.cfg.more.StrictModes && insecure(fi, a.UID)
}

// rhostsAllowed is sshd's auth_rhosts2 (auth-rhosts.c): for a user
// other than root, /etc/hosts.equiv and /etc/ssh/shosts.equiv; then the
// user's ~/.shosts and ~/.rhosts as IgnoreRhosts allows (yes: neither;
// shosts-only: ~/.shosts), each only if it and the home directory pass
// StrictModes.
func (p *policy) rhostsAllowed(a *account, cuser, host, ip string) bool {
	anyFile := false
	for _, f := range rhostsFiles {
		if _, err := os.Stat(filepath.Join(a.Home, f)); err == nil {
			anyFile = true
			break
		}
	}
	if !anyFile && !exists(hostsEquivPath) && !exists(shostsEquivPath) {
		return false
	}
	if a.UID != 0 {
		for _, f := range []string{hostsEquivPath, shostsEquivPath} {
			if checkRhostsFile(f, host, ip, cuser, a.Name) {
				return true
			}
		}
	}
	fi, err := os.Stat(a.Home)
	if err != nil {
		p.logf("Rhosts authentication refused for %s: no home directory %s", a.Name, a.Home)
		return false
	}
	if p.badModes(a, fi) {
		p.logf("Rhosts authentication refused for %s: bad ownership or modes for home directory.", a.Name)
		return false
	}
	for _, f := range rhostsFiles {
		path := filepath.Join(a.Home, f)
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if p.badModes(a, fi) {
			p.logf("Rhosts authentication refused for %s: bad modes for %s", a.Name, path)
			continue
		}
		switch p.cfg.more.IgnoreRhosts {
		case "yes":
			continue
		case "shosts-only":
			if f != ".shosts" {
				continue
			}
		}
		if checkRhostsFile(path, host, ip, cuser, a.Name) {
			return true
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkRhostsFile is sshd's check_rhosts_file: the first line whose
// host (a name, compared without case, or the address) and user (the
// server user when the line has no user) match decides, and a "-" on
// either negates it. "+" alone and netgroups ("@group") never match;
// NO_PLUS lines, comments and lines of three or more words are skipped.
func checkRhostsFile(path, host, ip, cuser, suser string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || line[0] == '#' || strings.HasPrefix(line, "NO_PLUS") {
			continue
		}
		fields := strings.Fields(line)
		var h, u string
		switch len(fields) {
		case 1:
			h, u = fields[0], suser
		case 2:
			h, u = fields[0], fields[1]
		default:
			continue // garbage, as sshd calls it
		}
		negated := false
		for _, s := range []*string{&h, &u} {
			switch {
			case strings.HasPrefix(*s, "-"):
				negated = true
				*s = (*s)[1:]
			case strings.HasPrefix(*s, "+"):
				*s = (*s)[1:]
			}
		}
		if h == "" || u == "" {
			continue // wild "+" or "-"
		}
		if strings.HasPrefix(h, "@") {
			continue // netgroups: none here
		} else if !strings.EqualFold(h, host) && h != ip {
			continue
		}
		if strings.HasPrefix(u, "@") || u != cuser {
			continue
		}
		return !negated
	}
	return false
}

// hostKeyStatus is sshd's check_key_in_hostfiles: key for host in the
// system file and, unless IgnoreUserKnownHosts (or StrictModes refuses
// it), the user's.
func (p *policy) hostKeyStatus(a *account, key hostkey.PublicKey, host, sysFile, userName string) hostkey.Status {
	files := []string{sysFile}
	if !p.cfg.more.IgnoreUserKnownHosts {
		uf := filepath.Join(a.Home, userName)
		if fi, err := os.Stat(uf); err == nil && p.badModes(a, fi) {
			p.logf("Authentication refused for %s: bad owner or modes for %s", a.Name, uf)
		} else {
			files = append(files, uf)
		}
	}
	kh, err := hostkey.LoadKnownHosts(files...)
	if err != nil && p.log != nil {
		p.log.Debug("hostbased: reading known hosts", "err", err)
	}
	return kh.Lookup(host, key).Status
}
