package main

import (
	"io"
	"strings"
	"testing"
)

func TestEscapeReader(t *testing.T) {
	tests := []struct {
		in, out  string
		closed   bool
		helpSeen bool
	}{
		{"ls\n", "ls\n", false, false},
		{"~.", "", true, false},
		{"ls\n~.rest", "ls\n", true, false},
		{"a~.b\n", "a~.b\n", false, false}, // not at a line start
		{"~~x\n", "~x\n", false, false},
		{"~?\n", "\n", false, true},
		{"\r~x", "\r~x", false, false},
	}
	for _, tt := range tests {
		closed, help := false, false
		r := newEscapeReader(strings.NewReader(tt.in), '~', func() { closed = true }, func(string) { help = true })
		var out []byte
		buf := make([]byte, 1) // byte by byte: escapes may straddle reads
		for !closed {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
		}
		if string(out) != tt.out || closed != tt.closed || help != tt.helpSeen {
			t.Errorf("%q: sent %q closed %v help %v, want %q %v %v", tt.in, out, closed, help, tt.out, tt.closed, tt.helpSeen)
		}
	}
}
