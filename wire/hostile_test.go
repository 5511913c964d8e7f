package wire_test

import (
	"encoding/binary"
	"runtime"
	"testing"
)

// TestCodecHugeLengths covers SECURITY.md W1 for every field of every
// message: at every offset of every valid encoding, four bytes are
// replaced by a length of remaining+1, 0x7fffffff and 0xffffffff. Parsing
// must not panic and must not allocate more than a small multiple of the
// payload (a decoder that trusted the length would ask for gigabytes).
func TestCodecHugeLengths(t *testing.T) {
	var before, after runtime.MemStats
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
					runtime.ReadMemStats(&before)
					_, _ = tc.parse(buf) // only panics and allocation matter
					runtime.ReadMemStats(&after)
					if n := after.TotalAlloc - before.TotalAlloc; n > limit {
						t.Errorf("length %#x at offset %d: allocated %d bytes for a %d-byte payload", v, i, n, len(enc))
					}
				}
			}
		})
	}
}
