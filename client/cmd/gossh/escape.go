package main

import (
	"io"
)

// escapeReader implements ssh(1)'s escape sequences on the local input
// of a pty session: the escape character (EscapeChar, '~' by default) is
// recognised only right after a newline (or at the start). "~." ends the
// connection, "~B" sends a BREAK, "~R" asks for a rekey, "~~" sends one
// '~', "~?" lists the escapes; any other character after '~' is sent
// with the '~'.
type escapeReader struct {
	r           io.Reader
	esc         byte
	atLineStart bool
	pending     bool // saw esc at a line start
	act         escapeActions
	done        bool // "~." was typed: no more input
	buf         []byte
}

// escapeActions are what the escapes do; each must return at once.
type escapeActions struct {
	disconnect func()       // ~.
	brk        func()       // ~B
	rekey      func()       // ~R
	help       func(string) // ~?
}

func newEscapeReader(r io.Reader, esc byte, act escapeActions) *escapeReader {
	return &escapeReader{r: r, esc: esc, atLineStart: true, act: act}
}

// escapeHelp is ssh's list, less the escapes gossh does not have.
const escapeHelp = "Supported escape sequences:\r\n ~.   - terminate connection\r\n ~B   - send a BREAK to the remote system\r\n" +
	" ~R   - request rekey\r\n ~?   - this message\r\n ~~   - send the escape character by typing it twice\r\n" +
	"(Note that escapes are only recognized immediately after newline.)\r\n"

func (e *escapeReader) Read(p []byte) (int, error) {
	for {
		if e.done && len(e.buf) == 0 {
			return 0, io.EOF
		}
		if len(e.buf) > 0 {
			n := copy(p, e.buf)
			e.buf = e.buf[n:]
			return n, nil
		}
		in := make([]byte, len(p))
		n, err := e.r.Read(in)
		out := e.filter(in[:n])
		if len(out) > 0 {
			e.buf = out
			continue
		}
		if err != nil {
			return 0, err
		}
	}
}

// filter consumes escapes from b and returns what is sent.
func (e *escapeReader) filter(b []byte) []byte {
	var out []byte
	for _, c := range b {
		if e.pending {
			e.pending = false
			switch c {
			case '.':
				e.done = true
				e.act.disconnect()
				return out
			case 'B':
				e.act.brk()
				continue
			case 'R':
				e.act.rekey()
				continue
			case '?':
				e.act.help(escapeHelp)
				continue
			case e.esc:
				out = append(out, e.esc)
				e.atLineStart = false
				continue
			default:
				out = append(out, e.esc)
			}
		} else if c == e.esc && e.atLineStart {
			e.pending = true
			continue
		}
		out = append(out, c)
		e.atLineStart = c == '\r' || c == '\n'
	}
	return out
}
