package main

import (
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
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

// TestEscapeCommandLine: "~C" opens ssh's command line: what is typed is
// echoed, backspace erases, the line runs at Enter and is not sent; ^C
// gives up.
func TestEscapeCommandLine(t *testing.T) {
	var echoed strings.Builder
	var lines []string
	r := newEscapeReader(strings.NewReader("ls\n~C-L 80x\b:h:22\rpwd\n~Cjunk\x03\n"), '~', escapeActions{
		disconnect: func() {}, help: func(string) {}, brk: func() {}, rekey: func() {},
		echo:    func(s string) { echoed.WriteString(s) },
		command: func(line string) string { lines = append(lines, line); return "Forwarding port.\r\n" },
	})
	out, _ := io.ReadAll(r)
	if string(out) != "ls\npwd\n\n" {
		t.Errorf("sent %q, want the command lines left out", out)
	}
	if len(lines) != 1 || lines[0] != "-L 80:h:22" {
		t.Errorf("command lines %q, want [\"-L 80:h:22\"]", lines)
	}
	if want := "\r\nssh> -L 80x\b \b:h:22\r\nForwarding port.\r\n\r\nssh> junk\r\n"; echoed.String() != want {
		t.Errorf("echoed %q, want %q", echoed.String(), want)
	}
}

func TestRunCmdline(t *testing.T) {
	var got []string
	add := func(kind, spec string) error {
		if spec == "bad" {
			return io.ErrUnexpectedEOF
		}
		got = append(got, kind+" "+spec)
		return nil
	}
	cancel := func(kind, spec string) error {
		if spec != "8080" {
			return errUnknownForward
		}
		got = append(got, "K"+kind+" "+spec)
		return nil
	}
	f := cmdlineForwards{add: add, cancel: cancel}
	for line, want := range map[string]string{
		"-L 8080:localhost:80": "Forwarding port.\r\n", "-R8022:localhost:22": "Forwarding port.\r\n", "-D 1080": "Forwarding port.\r\n",
		"?": cmdlineHelp, "": "", "-X": "Invalid command.\r\n", "!ls": "Invalid command.\r\n", "-L bad": "Bad forwarding specification.\r\n",
		"-KL 8080": "Canceled forwarding.\r\n", "-KR 9999": "Unknown port forwarding.\r\n", "-KX 1": "Invalid command.\r\n",
	} {
		if out := runCmdline(line, f); out != want {
			t.Errorf("runCmdline(%q) = %q, want %q", line, out, want)
		}
	}
	slices.Sort(got)
	if want := []string{"D 1080", "KL 8080", "L 8080:localhost:80", "R 8022:localhost:22"}; !slices.Equal(got, want) {
		t.Errorf("forwards %q, want %q", got, want)
	}
}

// TestForwardSetCancel: a forward is cancelled by the listen spec it was
// made with, in any of its spellings, once.
func TestForwardSetCancel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	var fs forwardSet
	network, addr, _ := listenAddr(port)
	fs.add("L", network, addr, l)
	if err := fs.cancel("R", port); !errors.Is(err, errUnknownForward) {
		t.Errorf("cancel R: %v, want errUnknownForward", err)
	}
	if err := fs.cancel("L", "localhost:"+port); err != nil {
		t.Fatalf("cancel L localhost:%s: %v", port, err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("the listener still accepts")
	}
	if err := fs.cancel("L", port); !errors.Is(err, errUnknownForward) {
		t.Errorf("second cancel: %v, want errUnknownForward", err)
	}
}
