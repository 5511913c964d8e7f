package gssapi

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
)

// A Config carries the Kerberos configuration used to map names to
// principals and to reach KDCs. The zero value (and a nil *Config) loads
// krb5.conf from KRB5_CONFIG, or /etc/krb5.conf, on first use, the way
// MIT's library does.
type Config struct {
	// Krb5 is the parsed krb5.conf. If nil, it is loaded as above.
	Krb5 *config.Config
	// DefaultCCache is [libdefaults] default_ccache_name, which gokrb5
	// does not parse; "" means FILE:/tmp/krb5cc_<uid>.
	DefaultCCache string

	once sync.Once
	err  error
}

// LoadConfig parses krb5.conf from KRB5_CONFIG (the first file of a
// colon-separated list that exists) or /etc/krb5.conf. A missing file
// yields an empty configuration, not an error.
func LoadConfig() (*Config, error) {
	c := &Config{}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// ConfigFromString parses krb5.conf text.
func ConfigFromString(s string) (*Config, error) {
	k, err := config.NewFromString(s)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "parsing krb5.conf")
	}
	return &Config{Krb5: k, DefaultCCache: defaultCCacheName(s)}, nil
}

// krb5 returns the parsed configuration. A nil *Config reads the
// environment afresh on every call, so a change of KRB5_CONFIG applies to
// the next credential or context.
func (c *Config) krb5() (*config.Config, error) {
	if c == nil {
		c = &Config{}
	}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c.Krb5, nil
}

func (c *Config) load() error {
	c.once.Do(func() {
		if c.Krb5 != nil {
			return
		}
		paths := []string{"/etc/krb5.conf"}
		if env := os.Getenv("KRB5_CONFIG"); env != "" {
			paths = strings.Split(env, ":")
		}
		for _, p := range paths {
			if _, err := os.Stat(p); err != nil {
				continue
			}
			k, err := config.Load(p)
			if err != nil {
				c.err = wrapError(StatusFailure, err, "loading %s", p)
				return
			}
			c.Krb5 = k
			if b, err := os.ReadFile(p); err == nil {
				c.DefaultCCache = defaultCCacheName(string(b))
			}
			return
		}
		c.Krb5 = config.New()
	})
	return c.err
}

// defaultCCacheName finds default_ccache_name in the [libdefaults]
// section of krb5.conf text and expands %{uid}, %{euid} and %{TEMP}.
func defaultCCacheName(conf string) string {
	section := ""
	for _, line := range strings.Split(conf, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] \t")
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || section != "libdefaults" || strings.TrimSpace(key) != "default_ccache_name" {
			continue
		}
		uid := strconv.Itoa(os.Getuid())
		return strings.NewReplacer("%{uid}", uid, "%{euid}", strconv.Itoa(os.Geteuid()), "%{TEMP}", os.TempDir()).Replace(strings.TrimSpace(val))
	}
	return ""
}

// defaultCCache returns the cache name used when neither the Store nor
// KRB5CCNAME names one.
func (c *Config) defaultCCache() string {
	if c != nil && c.DefaultCCache != "" {
		return c.DefaultCCache
	}
	return fmt.Sprintf("FILE:/tmp/krb5cc_%d", os.Getuid())
}

// canonicalHost maps a host name as MIT's krb5_sname_to_principal does:
// with dns_canonicalize_hostname, the canonical name from a forward
// lookup, and with rdns also the name of its first address; then lower
// case without a trailing dot. Lookups are bounded by a 3 s timeout;
// on failure the name is used as given.
func canonicalHost(k *config.Config, host string) string {
	host = strings.TrimSuffix(host, ".")
	if k.LibDefaults.DNSCanonicalizeHostname && net.ParseIP(host) == nil && host != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if cname, err := net.DefaultResolver.LookupCNAME(ctx, host); err == nil && cname != "" {
			host = strings.TrimSuffix(cname, ".")
		}
		if k.LibDefaults.RDNS {
			if addrs, err := net.DefaultResolver.LookupHost(ctx, host); err == nil && len(addrs) > 0 {
				if names, err := net.DefaultResolver.LookupAddr(ctx, addrs[0]); err == nil && len(names) > 0 {
					host = strings.TrimSuffix(names[0], ".")
				}
			}
		}
	}
	return strings.ToLower(host)
}

// realmForHost returns the realm of host by [domain_realm], falling back
// to the default realm (MIT krb5_get_host_realm without DNS lookups).
func realmForHost(k *config.Config, host string) string {
	if r := k.ResolveRealm(strings.ToLower(host)); r != "" {
		return r
	}
	return k.LibDefaults.DefaultRealm
}
