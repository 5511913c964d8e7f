package main

import (
	"strings"
	"testing"
)

// TestX11Flags checks -X, -Y and -x against ssh(1): -X and -Y turn
// ForwardX11 on and -x off, the last one winning; -Y also sets
// ForwardX11Trusted; -G prints ForwardX11Timeout in seconds.
func TestX11Flags(t *testing.T) {
	tests := []struct {
		args                  []string
		fwd, trusted, timeout string
	}{
		{nil, "no", "no", "1200"},
		{[]string{"-X"}, "yes", "no", "1200"},
		{[]string{"-Y"}, "yes", "yes", "1200"},
		{[]string{"-Y", "-x"}, "no", "yes", "1200"},
		{[]string{"-x", "-X"}, "yes", "no", "1200"},
		{[]string{"-XC"}, "yes", "no", "1200"},
		{[]string{"-o", "ForwardX11=yes", "-o", "ForwardX11Trusted=yes", "-o", "ForwardX11Timeout=1h30m"}, "yes", "yes", "5400"},
		{[]string{"-o", "ForwardX11Timeout=0"}, "no", "no", "0"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, err := parseFlags(append(append([]string{"-F", "none"}, tt.args...), "host"))
			if err != nil {
				t.Fatal(err)
			}
			o, _, err := resolve(f, "", "host", "")
			if err != nil {
				t.Fatal(err)
			}
			got := []string{o.get("forwardx11"), o.get("forwardx11trusted"), o.get("forwardx11timeout")}
			if got[0] != tt.fwd || got[1] != tt.trusted || got[2] != tt.timeout {
				t.Errorf("forwardx11, trusted, timeout = %q, want %q %q %q", got, tt.fwd, tt.trusted, tt.timeout)
			}
			if o.get("xauthlocation") != "/usr/bin/xauth" || len(o.warnings) != 0 {
				t.Errorf("xauthlocation %q, warnings %q", o.get("xauthlocation"), o.warnings)
			}
		})
	}
	f, _ := parseFlags([]string{"-F", "none", "-o", "ForwardX11Timeout=soon", "host"})
	if _, _, err := resolve(f, "", "host", ""); err == nil {
		t.Error("ForwardX11Timeout=soon accepted")
	}
}
