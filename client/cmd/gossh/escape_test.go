package main

import (
	"io"
	"strings"
	"testing"
)

func TestEscapeReader(t *testing.T) {
	tests := []struct {
		in, out      string
		closed       bool
		helpSeen     bool
		brk, rekeyed int
	}{
		{"ls\n", "ls\n", false, false, 0, 0},
		{"~.", "", true, false, 0, 0},
		{"ls\n~.rest", "ls\n", true, false, 0, 0},
		{"a~.b\n", "a~.b\n", false, false, 0, 0}, // not at a line start
		{"~~x\n", "~x\n", false, false, 0, 0},
		{"~?\n", "\n", false, true, 0, 0},
		{"\r~x", "\r~x", false, false, 0, 0},
		{"~B\n~Rls\n~R", "\nls\n", false, false, 1, 2},
		{"a~B\n", "a~B\n", false, false, 0, 0},
	}
	for _, tt := range tests {
		closed, help, brk, rekeyed := false, false, 0, 0
		r := newEscapeReader(strings.NewReader(tt.in), '~', escapeActions{
			disconnect: func() { closed = true }, help: func(string) { help = true },
			brk: func() { brk++ }, rekey: func() { rekeyed++ },
		})
		var out []byte
		buf := make([]byte, 1) // byte by byte: escapes may straddle reads
		for !closed {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
		}
		if string(out) != tt.out || closed != tt.closed || help != tt.helpSeen || brk != tt.brk || rekeyed != tt.rekeyed {
			t.Errorf("%q: sent %q closed %v help %v break %d rekey %d, want %q %v %v %d %d", tt.in, out, closed, help, brk, rekeyed,
				tt.out, tt.closed, tt.helpSeen, tt.brk, tt.rekeyed)
		}
	}
}
