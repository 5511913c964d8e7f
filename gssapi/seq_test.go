package gssapi

import "testing"

func TestSeqWindow(t *testing.T) {
	w := newSeqWindow(10, true, true, true)
	tests := []struct {
		seq  uint64
		want Status
	}{
		{10, 0}, {11, 0}, {13, StatusGapToken}, {12, StatusUnseqToken}, {12, StatusDuplicateToken},
		{14, 0}, {14 + 100, StatusGapToken}, {14, StatusOldToken}, {115, 0},
	}
	for i, tt := range tests {
		if got := w.check(tt.seq); got != tt.want {
			t.Errorf("%d: check(%d) = %v, want %v", i, tt.seq, got, tt.want)
		}
	}
	off := newSeqWindow(0, false, false, true)
	for _, s := range []uint64{5, 5, 1} {
		if got := off.check(s); got != 0 {
			t.Errorf("detection off: check(%d) = %v", s, got)
		}
	}
}
