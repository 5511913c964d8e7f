package main

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// UseDNS (sshd_config(5)): with yes, the client's host name for Match
// Host and authorized_keys from= is the name its address resolves to,
// as sshd's remote_hostname finds it: the PTR name, lower-cased, kept
// only if it is not itself an address and one of its A/AAAA records is
// the client's address; otherwise the address.

// dnsTimeout bounds each lookup, as the resolver's own timeouts bound
// sshd's.
const dnsTimeout = 5 * time.Second

// dnsCacheTTL is how long a lookup is reused: the hooks of one
// connection ask several times, and a connection should see one name.
const dnsCacheTTL = time.Minute

type dnsEntry struct {
	name string
	at   time.Time
}

var dnsCache struct {
	mu sync.Mutex
	m  map[string]dnsEntry // guarded by mu
}

// lookupAddr and lookupHost are the resolver, replaced in tests.
var (
	lookupAddr = net.DefaultResolver.LookupAddr
	lookupHost = net.DefaultResolver.LookupHost
)

// remoteHost returns the host name Match Host and from= test for a
// client at addr.
func (c *config) remoteHost(addr string) string {
	if !c.more.UseDNS || addr == "" {
		return addr
	}
	now := time.Now()
	dnsCache.mu.Lock()
	if e, ok := dnsCache.m[addr]; ok && now.Sub(e.at) < dnsCacheTTL {
		dnsCache.mu.Unlock()
		return e.name
	}
	dnsCache.mu.Unlock()
	name := reverseName(addr)
	dnsCache.mu.Lock()
	if dnsCache.m == nil || len(dnsCache.m) > 4096 {
		dnsCache.m = map[string]dnsEntry{}
	}
	dnsCache.m[addr] = dnsEntry{name, now}
	dnsCache.mu.Unlock()
	return name
}

// recordHost is the host that utmp, wtmp and lastlog record for addr,
// as sshd's get_remote_name_or_ip(utmp_len, ...): remoteHost's name,
// or the address with -u 0 or when the name is longer than -u allows.
func (c *config) recordHost(addr string) string {
	if c.utmpLen == 0 {
		return addr
	}
	if h := c.remoteHost(addr); len(h) <= c.utmpLen {
		return h
	}
	return addr
}

// reverseName is sshd's remote_hostname for one address.
func reverseName(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	names, err := lookupAddr(ctx, addr)
	if err != nil || len(names) == 0 {
		return addr
	}
	name := strings.ToLower(strings.TrimSuffix(names[0], "."))
	if _, err := netip.ParseAddr(name); err == nil || name == "" {
		return addr // "Nasty PTR record": a name that is an address
	}
	addrs, err := lookupHost(ctx, name)
	if err != nil {
		return addr
	}
	for _, a := range addrs {
		if b, err := netip.ParseAddr(a); err == nil && b.Unmap() == ip.Unmap() {
			return name
		}
	}
	return addr // the name does not map back to the address
}
