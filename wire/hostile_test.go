package wire_test

import (
	"encoding/binary"
	"runtime"
	"testing"
)

// TestCodecHugeLengths covers docs/security.md#w1 for every field of every
// message: at every offset of every valid encoding, four bytes are
// replaced by a length of remaining+1, 0x7fffffff and 0xffffffff. Parsing
// must not panic and must not allocate more than a small multiple of the
// payload (a decoder that trusted the length would ask for gigabytes).
func TestCodecHugeLengths(t *testing.T) {
	// Like testing.AllocsPerRun: one P, so the test's own goroutine is
	// the one allocating while it measures.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.msg.Append(nil)
			buf := make([]byte, len(enc))
			limit := uint64(32*len(enc) + 4096)
			for i := 1; i+4 <= len(enc); i++ {
				remaining := uint32(len(enc) - i - 4)
				for _, v := range []uint32{remaining + 1, 0x7fffffff, 0xffffffff} {
					copy(buf, enc)
					binary.BigEndian.PutUint32(buf[i:], v)
					// only panics and allocation matter
					if n := allocated(func() { _, _ = tc.parse(buf) }, limit); n > limit {
						t.Errorf("length %#x at offset %d: allocated %d bytes for a %d-byte payload", v, i, n, len(enc))
					}
				}
			}
		})
	}
}

// allocated returns the bytes f allocates. TotalAlloc counts the whole
// process, so a figure over limit may include the runtime's or the race
// detector's own allocations: it is measured again, up to five times, and
// the smallest figure counts. An allocation that f really makes shows up
// every time.
func allocated(f func(), limit uint64) uint64 {
	var before, after runtime.MemStats
	best := ^uint64(0)
	for range 5 {
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		best = min(best, after.TotalAlloc-before.TotalAlloc)
		if best <= limit {
			break
		}
	}
	return best
}
