package connection

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConfigDefaults checks the defaults and hard caps (docs/security.md#c1,
// #c4): OpenSSH's window and packet sizes, 1024 channels capped at 16384,
// 10 sessions.
func TestConfigDefaults(t *testing.T) {
	type limits struct {
		Window, MaxPacket        uint32
		MaxChannels, MaxSessions int
	}
	get := func(c Config) limits { return limits{c.Window, c.MaxPacket, c.MaxChannels, c.MaxSessions} }
	tests := []struct {
		name string
		in   *Config
		want limits
	}{
		{"nil", nil, limits{2 << 20, 32 << 10, 1024, 10}},
		{"zero", &Config{}, limits{2 << 20, 32 << 10, 1024, 10}},
		{"caps", &Config{Window: 1 << 30, MaxPacket: 1 << 30, MaxChannels: 1 << 20, MaxSessions: -1},
			limits{1 << 30, MaxPacketLimit, HardMaxChannels, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, get(tt.in.withDefaults())); diff != "" {
				t.Errorf("limits (-want +got):\n%s", diff)
			}
		})
	}
}
