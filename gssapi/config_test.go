package gssapi

import (
	"os"
	"strconv"
	"testing"
)

func TestDefaultCCacheName(t *testing.T) {
	conf := "[libdefaults]\n default_ccache_name = FILE:/x/cc_%{uid}\n[realms]\n default_ccache_name = nope\n"
	c, err := ConfigFromString(conf)
	if err != nil {
		t.Fatal(err)
	}
	want := "FILE:/x/cc_" + strconv.Itoa(os.Getuid())
	if c.DefaultCCache != want || c.defaultCCache() != want {
		t.Errorf("DefaultCCache = %q, want %q", c.DefaultCCache, want)
	}
	if got := (*Config)(nil).defaultCCache(); got != "FILE:/tmp/krb5cc_"+strconv.Itoa(os.Getuid()) {
		t.Errorf("nil config default = %q", got)
	}
}
