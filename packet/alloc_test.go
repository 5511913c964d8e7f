package packet_test

import (
	"bytes"
	"testing"

	"github.com/sshstack/sshstack/packet/packettest"
)

// TestSteadyStateAllocs checks that writing and reading a packet allocate
// nothing once the buffers have grown, for every cipher x MAC.
func TestSteadyStateAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts need a build without -race")
	}
	payload := bytes.Repeat([]byte{94}, 16<<10)
	for _, s := range allSuites() {
		t.Run(s.String(), func(t *testing.T) {
			c, srv := packettest.NewPair(t, s.cipher, s.mac)
			step := func() {
				if err := c.WritePacket(payload); err != nil {
					t.Fatal(err)
				}
				if _, err := srv.ReadPacket(); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 {
				step() // grow the buffers
			}
			if n := testing.AllocsPerRun(50, func() {
				if err := c.WritePacket(payload); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("WritePacket: %v allocations, want 0", n)
			}
			if n := testing.AllocsPerRun(50, func() {
				if _, err := srv.ReadPacket(); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("ReadPacket: %v allocations, want 0", n)
			}
			// Drain the packets written by the first AllocsPerRun.
			for srv.ReadCounters().Packets < c.WriteCounters().Packets {
				if _, err := srv.ReadPacket(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
