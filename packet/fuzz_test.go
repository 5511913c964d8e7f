package packet_test

import (
	"errors"
	"testing"
)

// FuzzReadPacket feeds random bytes to a reader under each protection mode
// (docs/security.md#w8, #p1 to #p6): no panic, errors stick, and every payload
// delivered is non-empty. Under "none" the fuzzer reaches the framing and
// padding checks; under the protected modes, the length and MAC checks.
func FuzzReadPacket(f *testing.F) {
	modes := oneSuitePerMode()
	for i, s := range modes {
		k := mustKeys(f, s, "fuzz")
		seal := newRawSealer(f, k)
		var stream []byte
		for _, p := range [][]byte{{2}, {94, 0, 0, 0, 1, 0, 0, 0, 3, 'a', 'b', 'c'}, make([]byte, 100)} {
			p[0] = 94
			stream = append(stream, seal.seal(validBody(k, p), -1)...)
		}
		f.Add(uint8(i), stream)
		f.Add(uint8(i), stream[:len(stream)/2])
		// Three of one length: with EtM, the reader checks the MACs of
		// buffered same-length packets two at a time (decision 0037).
		var same []byte
		for j := range 3 {
			p := make([]byte, 200)
			p[0], p[1] = 94, byte(j)
			same = append(same, seal.seal(validBody(k, p), -1)...)
		}
		f.Add(uint8(i), same)
	}
	f.Fuzz(func(t *testing.T, mode uint8, in []byte) {
		s := modes[int(mode)%len(modes)]
		c := readerFor(t, mustKeys(t, s, "fuzz"), in)
		for {
			p, err := c.ReadPacket()
			if err != nil {
				if _, err2 := c.ReadPacket(); !errors.Is(err2, err) && err2.Error() != err.Error() {
					t.Fatalf("error did not stick: %v then %v", err, err2)
				}
				return
			}
			if len(p) == 0 {
				t.Fatal("empty payload delivered")
			}
		}
	})
}
