package wire_test

import (
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// TestRecognized pins the numbers answered with UNIMPLEMENTED (RFC 4253,
// Section 11.4) against the RFC 4250, Section 4.1 allocation.
func TestRecognized(t *testing.T) {
	want := map[wire.MsgNum]bool{}
	for _, r := range [][2]int{{1, 7}, {20, 21}, {30, 49}, {50, 53}, {60, 79}, {80, 82}, {90, 100}, {192, 193}} {
		for n := r[0]; n <= r[1]; n++ {
			want[wire.MsgNum(n)] = true
		}
	}
	for n := range 256 {
		if got := wire.MsgNum(n).Recognized(); got != want[wire.MsgNum(n)] {
			t.Errorf("MsgNum(%d).Recognized() = %v, want %v", n, got, want[wire.MsgNum(n)])
		}
	}
}

func TestIsKexMethod(t *testing.T) {
	for n := range 256 {
		if got, want := wire.MsgNum(n).IsKexMethod(), n >= 30 && n <= 49; got != want {
			t.Errorf("MsgNum(%d).IsKexMethod() = %v, want %v", n, got, want)
		}
	}
}
