// Command gosftp is an SFTP client with the flags and commands of
// OpenSSH's sftp(1). Like sftp it runs an ssh program for the
// connection (gossh, or -S program) with "-s host sftp", so every
// ssh_config keyword, -o option, identity, known_hosts file and
// ProxyJump works as it does in gossh. See docs/gosftp.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/term"

	"github.com/sshstack/sshstack/client/internal/sftpcli"
	"github.com/sshstack/sshstack/sshconfig/getopt"
)

const usage = `usage: gosftp [-46AaCfNpqrv] [-B buffer_size] [-b batchfile] [-c cipher]
          [-D sftp_server_command] [-F ssh_config] [-i identity_file]
          [-J destination] [-l limit] [-o ssh_option] [-P port]
          [-R num_requests] [-S program] [-s subsystem] destination`

// flags are the parsed command line of sftp(1).
type flags struct {
	sshArgs   []string // passed on to the ssh program, in order
	batch     string   // -b
	program   string   // -S
	subsystem string   // -s
	direct    string   // -D
	buffer    int      // -B
	requests  int      // -R
	limit     int64    // -l, in Kbit/s
	preserve  bool     // -p
	recursive bool     // -r
	quiet     bool     // -q, or -b without -N
	noQuiet   bool     // -N
	fsync     bool     // -f
	resume    bool     // -a
	dest      string
	file2     string
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{buffer: 32768, requests: 64}
	rest, err := getopt.Parse(args, "46AaCfNpqrv", "BbcDFiJloPRSs", func(c byte, val string) error {
		switch c {
		case '4', '6', 'A', 'C', 'v':
			f.sshArgs = append(f.sshArgs, "-"+string(c))
		case 'q':
			f.quiet = true
			f.sshArgs = append(f.sshArgs, "-q")
		case 'a':
			f.resume = true
		case 'f':
			f.fsync = true
		case 'N':
			f.noQuiet = true
		case 'p':
			f.preserve = true
		case 'r':
			f.recursive = true
		case 'B':
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return msgf("Invalid buffer size \"%s\"", val)
			}
			f.buffer = n
		case 'b':
			f.batch = val
			f.quiet = true
		case 'c':
			f.sshArgs = append(f.sshArgs, "-c", val)
		case 'D':
			f.direct = val
		case 'F', 'i', 'J', 'o':
			f.sshArgs = append(f.sshArgs, "-"+string(c), val)
		case 'l':
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				return msgf("Invalid limit \"%s\"", val)
			}
			f.limit = n
		case 'P':
			f.sshArgs = append(f.sshArgs, "-oPort="+val)
		case 'R':
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return msgf("Invalid number of requests \"%s\"", val)
			}
			f.requests = n
		case 'S':
			f.program = val
		case 's':
			f.subsystem = val
		}
		return nil
	}, func(m string) error { return msgf("%s", m) })
	if err != nil {
		return nil, err
	}
	if f.noQuiet {
		f.quiet = false
	}
	if f.direct == "" {
		if len(rest) == 0 || len(rest) > 2 {
			return nil, msgf("destination required")
		}
		f.dest = rest[0]
		if len(rest) == 2 {
			f.file2 = rest[1]
		}
	} else if len(rest) > 0 {
		return nil, msgf("no destination with -D")
	}
	return f, nil
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gosftp: %v\n%s\n", err, usage)
		return 1
	}
	var in io.Reader = os.Stdin
	interactive := f.batch == "" && term.IsTerminal(int(os.Stdin.Fd()))
	if f.batch != "" && f.batch != "-" {
		bf, err := os.Open(f.batch)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gosftp: %s (%s).\n", f.batch, errText(err))
			return 1
		}
		defer bf.Close()
		in = bf
	}

	opts := []sftp.ClientOption{sftpcli.MaxPacket(f.buffer), sftp.MaxConcurrentRequestsPerFile(f.requests),
		sftp.UseConcurrentWrites(true)}
	var program, host, file1 string
	var sshArgs []string
	if f.direct != "" {
		fields := strings.Fields(f.direct)
		if len(fields) == 0 {
			fmt.Fprintf(os.Stderr, "gosftp: -D needs a command\n")
			return 1
		}
		program, sshArgs = fields[0], fields[1:]
	} else {
		u, h, port, p, remote := sftpcli.SplitRemote(f.dest)
		if !remote {
			u, h = "", f.dest
			if i := strings.LastIndex(h, "@"); i >= 0 {
				u, h = h[:i], h[i+1:]
			}
			h = strings.Trim(h, "[]")
		}
		if rest, ok := strings.CutPrefix(f.dest, "sftp://"); ok {
			// sftp://[user@]host[:port][/path]
			u, h, port, p, _ = sftpcli.SplitRemote("scp://" + rest)
		}
		host, file1 = h, p
		extra := []string{"-oForwardX11=no", "-oPermitLocalCommand=no", "-oClearAllForwardings=yes", "-oForwardAgent=no"}
		extra = append(extra, f.sshArgs...)
		if port != "" {
			extra = append(extra, "-oPort="+port)
		}
		sub := f.subsystem
		if sub == "" {
			sub = "sftp"
		}
		sshArgs = sftpcli.Args(extra, u, host)
		sshArgs[len(sshArgs)-1] = sub
		program = sftpcli.Program(f.program)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	c, err := sftpcli.Dial(ctx, program, sshArgs, opts...)
	cancel()
	if err != nil {
		if errors.Is(err, sftpcli.ErrConnection) {
			fmt.Fprintf(os.Stderr, "Connection closed\r\n")
		} else {
			fmt.Fprintf(os.Stderr, "gosftp: %v\n", err)
		}
		return 255
	}
	defer c.Close()
	if !f.quiet && f.direct == "" {
		fmt.Fprintf(os.Stderr, "Connected to %s.\n", host)
	}
	s, err := newSession(c, f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Need cwd: %v\n", err)
		return 1
	}
	if file1 != "" {
		// sftp host:path: a directory to start in, or files to get.
		p := s.abs(file1)
		if fi, err := c.Stat(p); err == nil && fi.IsDir() && f.file2 == "" {
			s.cwd = p
		} else {
			args := []string{"get", "--", file1}
			if f.file2 != "" {
				args = append(args, f.file2)
			}
			if err := s.dispatch(args); err != nil {
				s.report(err)
				return 1
			}
			return 0
		}
	}
	return s.loop(in, interactive, f.batch != "")
}

// loop reads commands and runs them. In batch mode (-b) the first
// failing command that is not prefixed with "-" ends it with status 1;
// otherwise the status is 0.
func (s *session) loop(in io.Reader, interactive, batch bool) int {
	br := bufio.NewReader(in)
	for {
		if interactive {
			fmt.Fprint(s.out, "sftp> ")
		}
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			if interactive {
				fmt.Fprintln(s.out)
			}
			return 0
		}
		line = strings.TrimRight(line, "\r\n")
		// A prefix of '-' (ignore an error) and '@' (no echo), in any
		// order and number.
		cmd := strings.TrimLeft(line, " \t")
		echo, ignore := true, false
		for cmd != "" && (cmd[0] == '-' || cmd[0] == '@') {
			if cmd[0] == '-' {
				ignore = true
			} else {
				echo = false
			}
			cmd = cmd[1:]
		}
		if !interactive && echo {
			fmt.Fprintf(s.out, "sftp> %s\n", line)
		}
		err = s.line(cmd)
		if errors.Is(err, errQuit) {
			return 0
		}
		if err != nil {
			s.report(err)
			if batch && !ignore {
				return 1
			}
		}
	}
}

// line runs one command line; "" and "#..." are no-ops.
func (s *session) line(cmd string) error {
	cmd = strings.TrimLeft(cmd, " \t")
	if cmd == "" || strings.HasPrefix(cmd, "#") {
		return nil
	}
	if rest, ok := strings.CutPrefix(cmd, "!"); ok {
		return s.shell(rest)
	}
	args, err := splitArgs(cmd)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return nil
	}
	return s.dispatch(args)
}

// splitArgs splits a command line as sftp does: words separated by
// blanks, '…' and "…" quoting, backslash escapes.
func splitArgs(s string) ([]string, error) {
	var args []string
	var b strings.Builder
	in := false // inside a word
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else {
				b.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t':
			if in {
				args = append(args, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, msgf("Unterminated quote")
	}
	if in {
		args = append(args, b.String())
	}
	return args, nil
}

// A session is the state of an sftp session: the remote and (through
// the process's own) local working directories and the options.
type session struct {
	c         *sftpcli.Conn
	f         *flags
	cwd, home string
	out       io.Writer
	progress  bool
}

func newSession(c *sftpcli.Conn, f *flags) (*session, error) {
	home, err := c.RealPath(".")
	if err != nil {
		return nil, err
	}
	return &session{c: c, f: f, cwd: home, home: home, out: os.Stdout, progress: true}, nil
}

// abs makes p absolute against the remote working directory, as sftp
// does, without cleaning it.
func (s *session) abs(p string) string {
	if p == "" || path.IsAbs(p) {
		return p
	}
	if strings.HasSuffix(s.cwd, "/") {
		return s.cwd + p
	}
	return s.cwd + "/" + p
}

func (s *session) report(err error) {
	if errors.Is(err, errSilent) {
		return
	}
	fmt.Fprintf(os.Stderr, "%v\r\n", err) // as OpenSSH's log lines
}

func (s *session) say(format string, args ...any) {
	if !s.f.quiet {
		fmt.Fprintf(s.out, format, args...)
	}
}

// A message is an error printed as it is: OpenSSH's wording, capitals
// and full stops included.
type message string

func (m message) Error() string { return string(m) }

// msgf formats a message.
func msgf(format string, args ...any) error { return message(fmt.Sprintf(format, args...)) }
