package main

import (
	"io"
	"strings"
)

// escapeReader implements ssh(1)'s escape sequences on the local input
// of a pty session: the escape character (EscapeChar, '~' by default) is
// recognised only right after a newline (or at the start). "~." ends the
// connection, "~B" sends a BREAK, "~R" asks for a rekey, "~C" opens
// ssh's command line ("ssh> "), "~~" sends one '~', "~?" lists the
// escapes; any other character after '~' is sent with the '~'.
type escapeReader struct {
	r           io.Reader
	esc         byte
	atLineStart bool
	pending     bool // saw esc at a line start
	act         escapeActions
	done        bool // "~." was typed: no more input
	buf         []byte
	cmdline     []byte // the command line being typed after "~C", or nil
	inCmdline   bool
}

// escapeActions are what the escapes do; each must return at once.
type escapeActions struct {
	disconnect func()       // ~.
	brk        func()       // ~B
	rekey      func()       // ~R
	help       func(string) // ~?
	// command runs a "~C" command line and returns what to print; echo
	// shows what the user types on the command line.
	command func(line string) string
	echo    func(string)
	// noCmdline is EnableEscapeCommandline no: "~C" is refused.
	noCmdline bool
}

func newEscapeReader(r io.Reader, esc byte, act escapeActions) *escapeReader {
	return &escapeReader{r: r, esc: esc, atLineStart: true, act: act}
}

// escapeHelp is ssh's list, less the escapes gossh does not have.
const escapeHelp = "Supported escape sequences:\r\n ~.   - terminate connection\r\n ~B   - send a BREAK to the remote system\r\n" +
	" ~C   - open a command line\r\n ~R   - request rekey\r\n ~?   - this message\r\n" +
	" ~~   - send the escape character by typing it twice\r\n" +
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
		if e.inCmdline {
			e.cmdlineByte(c)
			continue
		}
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
			case 'C':
				if e.act.noCmdline {
					e.act.echo("commandline disabled\r\n")
					continue
				}
				e.inCmdline, e.cmdline = true, e.cmdline[:0]
				e.act.echo("\r\nssh> ")
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

// cmdlineByte edits the "~C" command line in the raw terminal: it echoes
// what is typed, erases with backspace or DEL, gives up on ^C or ^U and
// runs the line at the end of it, as ssh's prompt does.
func (e *escapeReader) cmdlineByte(c byte) {
	switch c {
	case '\r', '\n':
		e.inCmdline = false
		e.act.echo("\r\n")
		if msg := e.act.command(string(e.cmdline)); msg != "" {
			e.act.echo(msg)
		}
		e.atLineStart = true
	case 0x7f, '\b':
		if n := len(e.cmdline); n > 0 {
			e.cmdline = e.cmdline[:n-1]
			e.act.echo("\b \b")
		}
	case 0x03, 0x15: // ^C, ^U
		e.inCmdline = false
		e.act.echo("\r\n")
		e.atLineStart = true
	default:
		if c >= ' ' && len(e.cmdline) < 1024 {
			e.cmdline = append(e.cmdline, c)
			e.act.echo(string(c))
		}
	}
}

// cmdlineHelp is ssh's "~C" help, less the commands gossh does not have.
const cmdlineHelp = "Commands:\r\n" +
	"      -L[bind_address:]port:host:hostport    Request local forward\r\n" +
	"      -R[bind_address:]port:host:hostport    Request remote forward\r\n" +
	"      -D[bind_address:]port                  Request dynamic forward\r\n" +
	"      -KL[bind_address:]port                 Cancel local forward\r\n" +
	"      -KR[bind_address:]port                 Cancel remote forward\r\n" +
	"      -KD[bind_address:]port                 Cancel dynamic forward\r\n"

// cmdlineForwards are what the "~C" command line does: add a forward of
// kind "L", "R" or "D" from its spec, or cancel the one listening where
// a spec says.
type cmdlineForwards struct {
	add, cancel func(kind, spec string) error
}

// runCmdline runs a "~C" command line as ssh's process_cmdline: "-L",
// "-R" or "-D" and a forwarding spec add a forward, "-KL", "-KR" or
// "-KD" and a listen spec cancel one; "?" or "help" lists the commands.
// It returns what to print.
func runCmdline(line string, f cmdlineForwards) string {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return ""
	case line == "?" || line == "-h" || line == "help":
		return cmdlineHelp
	case len(line) >= 3 && line[:2] == "-K" && strings.ContainsRune("LRD", rune(line[2])):
		if err := f.cancel(line[2:3], strings.TrimSpace(line[3:])); err != nil {
			return "Unknown port forwarding.\r\n"
		}
		return "Canceled forwarding.\r\n"
	case len(line) < 2 || line[0] != '-' || !strings.ContainsRune("LRD", rune(line[1])):
		return "Invalid command.\r\n"
	}
	if err := f.add(line[1:2], strings.TrimSpace(line[2:])); err != nil {
		return "Bad forwarding specification.\r\n"
	}
	return "Forwarding port.\r\n"
}
