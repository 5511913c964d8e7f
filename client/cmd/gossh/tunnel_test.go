package main

import (
	"strings"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// TestTunnelFlags: -w and -o Tunnel/TunnelDevice combine as in ssh 9.2
// (ssh -G): an -o Tunnel before -w wins, one after it does not; -w's
// devices win over -o TunnelDevice either way.
func TestTunnelFlags(t *testing.T) {
	for _, tt := range []struct {
		args           []string
		tunnel, device string
	}{
		{[]string{"-w", "1:2"}, "point-to-point", "1:2"},
		{[]string{"-o", "Tunnel=ethernet", "-w", "1:2"}, "ethernet", "1:2"},
		{[]string{"-w", "1:2", "-o", "Tunnel=ethernet"}, "point-to-point", "1:2"},
		{[]string{"-o", "TunnelDevice=5:6", "-w", "1"}, "point-to-point", "1:any"},
		{[]string{"-w", "1", "-o", "TunnelDevice=5:6"}, "point-to-point", "1:any"},
		{[]string{"-o", "Tunnel=yes"}, "point-to-point", "any:any"},
		{nil, "false", "any:any"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, err := parseFlags(append(append([]string{"-F", "none"}, tt.args...), "host"))
			if err != nil {
				t.Fatal(err)
			}
			o, _, err := resolve(f, "", "host", "")
			if err != nil {
				t.Fatal(err)
			}
			if o.get("tunnel") != tt.tunnel || o.get("tunneldevice") != tt.device || len(o.warnings) != 0 {
				t.Errorf("tunnel %q device %q warnings %q, want %q %q", o.get("tunnel"), o.get("tunneldevice"), o.warnings, tt.tunnel, tt.device)
			}
		})
	}
	for s, want := range map[string]uint32{"7": 7, "any": wire.TunUnitAny, "0": 0} {
		if got := tunUnit(s); got != want {
			t.Errorf("tunUnit(%q) = %d, want %d", s, got, want)
		}
	}
}
