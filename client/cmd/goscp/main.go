// Command goscp copies files between hosts with the flags of OpenSSH's
// scp(1), over SFTP as OpenSSH 9's scp does by default. Like scp it runs
// an ssh program (gossh, or -S program) for each host with "-s host
// sftp", so connection options behave as in gossh. Copies between two
// remote hosts always go through the local host (-3). See
// docs/gosftp.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/sftp"

	"github.com/sshstack/sshstack/client/internal/sftpcli"
	"github.com/sshstack/sshstack/sshconfig/getopt"
)

const usage = `usage: goscp [-346ABCOpqRrsTv] [-c cipher] [-D sftp_server_path] [-F ssh_config]
            [-i identity_file] [-J destination] [-l limit] [-o ssh_option]
            [-P port] [-S program] [-X sftp_option] source ... target`

type flags struct {
	sshArgs   []string
	program   string
	direct    string // -D
	limit     int64  // -l, Kbit/s
	port      string // -P
	recursive bool
	preserve  bool
	quiet     bool
	buffer    int // -X buffer=
	requests  int // -X nrequests=
	operands  []string
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{buffer: 32768, requests: 64}
	rest, err := getopt.Parse(args, "346ABCOpqRrsTv", "cDFiJloPSX", func(c byte, val string) error {
		switch c {
		case '3', 'R', 's', 'T':
			// -3 is how goscp copies between remotes anyway; -s
			// (SFTP) is its only protocol; -T has nothing to relax.
		case 'O':
			return msgf("-O (the legacy scp protocol) is not supported by goscp; it speaks SFTP only")
		case '4', '6', 'A', 'C', 'v':
			f.sshArgs = append(f.sshArgs, "-"+string(c))
		case 'B':
			f.sshArgs = append(f.sshArgs, "-oBatchMode=yes")
		case 'q':
			f.quiet = true
			f.sshArgs = append(f.sshArgs, "-q")
		case 'p':
			f.preserve = true
		case 'r':
			f.recursive = true
		case 'c':
			f.sshArgs = append(f.sshArgs, "-c", val)
		case 'D':
			f.direct = val
		case 'F', 'i', 'J', 'o':
			f.sshArgs = append(f.sshArgs, "-"+string(c), val)
		case 'l':
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				return msgf("bad limit %s", val)
			}
			f.limit = n
		case 'P':
			f.port = val
		case 'S':
			f.program = val
		case 'X':
			k, v, _ := strings.Cut(val, "=")
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || (k != "buffer" && k != "nrequests") {
				return msgf("Invalid -X option %s", val)
			}
			if k == "buffer" {
				f.buffer = n
			} else {
				f.requests = n
			}
		}
		return nil
	}, func(m string) error { return msgf("%s", m) })
	if err != nil {
		return nil, err
	}
	f.operands = rest
	if len(f.operands) < 2 {
		return nil, msgf("need a source and a target")
	}
	return f, nil
}

func main() { os.Exit(run(os.Args[1:])) }

// A side is where an operand lives: a host (its connection) or local.
type side struct {
	fs sftpcli.FS
}

// A scp is one run: its connections by destination, opened on first
// use and closed at the end.
type scp struct {
	f     *flags
	conns map[string]*sftpcli.Conn
	sides map[string]side
	errs  int
	code  int // an exit status other than 1 that an error asked for
}

func run(args []string) int {
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goscp: %v\n%s\n", err, usage)
		return 1
	}
	s := &scp{f: f, conns: map[string]*sftpcli.Conn{}, sides: map[string]side{}}
	defer func() {
		for _, c := range s.conns {
			c.Close()
		}
	}()
	target := f.operands[len(f.operands)-1]
	to, dst, err := s.resolve(target)
	if err != nil {
		return s.fatal(err)
	}
	dstGiven := target
	if _, _, _, p, remote := sftpcli.SplitRemote(target); remote {
		dstGiven = p
	}
	var srcs []string
	var froms []side
	for _, op := range f.operands[:len(f.operands)-1] {
		from, p, err := s.resolve(op)
		if err != nil {
			return s.fatal(err)
		}
		m, err := from.fs.Glob(p)
		if err != nil || len(m) == 0 {
			if _, serr := from.fs.Stat(p); serr != nil {
				if from.fs.IsRemote() {
					s.fail(msgf("%s: %s", p, errText(serr)))
				} else {
					s.fail(msgf("stat local \"%s\": %s", p, errText(serr)))
					s.code = 255 // as scp
				}
				continue
			}
			m = []string{p}
		}
		for _, x := range m {
			srcs = append(srcs, x)
			froms = append(froms, from)
		}
	}
	dstInfo, dstErr := to.fs.Stat(dst)
	dstIsDir := dstErr == nil && dstInfo.IsDir()
	if len(srcs) > 1 && !dstIsDir {
		if !to.fs.IsRemote() {
			// scp's run_err, without its prefix.
			if dstErr == nil {
				dstErr = syscall.ENOTDIR
			}
			fmt.Fprintf(os.Stderr, "%s: %s\n", dst, errText(dstErr))
			return 1
		}
		// scp makes a remote target directory for several sources.
		if err := to.fs.Mkdir(dst, 0o700); err != nil {
			s.fail(msgf("remote mkdir \"%s\": %s", dst, errText(err)))
			return 255
		}
		to.fs.Chmod(dst, 0o700) // as scp's; pkg/sftp's Mkdir sends no mode
		dstIsDir = true
	}
	cp := &sftpcli.Copier{Recursive: f.recursive, Preserve: f.preserve, Limit: f.limit * 1000 / 8,
		Warn: func(err error) { s.fail(scpMessage(message(err, ""))) }}
	for i, src := range srcs {
		from := froms[i]
		d := dst
		if dstIsDir {
			d = to.fs.Join(dst, from.fs.Base(src))
		}
		upload := !from.fs.IsRemote() && to.fs.IsRemote()
		fi, err := from.fs.Stat(src)
		if err != nil {
			s.fail(msgf("%s: %s", src, errText(err)))
			continue
		}
		kind := map[bool]string{true: "directory", false: "file"}[fi.IsDir() && f.recursive]
		switch {
		case fi.IsDir() && !f.recursive && from.fs.IsRemote():
			s.fail(msgf("download %s/: not a regular file", src))
		case fi.IsDir() && !f.recursive:
			s.fail(msgf("local \"%s\" is not a regular file", src))
			s.fail(msgf("failed to upload file %s to %s", src, dstGiven))
		default:
			if err := cp.Copy(from.fs, src, to.fs, d); err != nil {
				s.fail(scpMessage(message(err, src)))
				if upload {
					s.fail(msgf("failed to upload %s %s to %s", kind, src, dstGiven))
				}
			}
		}
	}
	if s.code != 0 {
		return s.code
	}
	if s.errs > 0 {
		return 1
	}
	return 0
}

// message is a failed copy's error as scp prints it.
func message(err error, src string) string {
	var oe *sftpcli.OpError
	if errors.As(err, &oe) {
		return oe.Message(errText(oe.Err))
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %s", pe.Path, errText(pe.Err))
	}
	if src == "" {
		return errText(err)
	}
	return fmt.Sprintf("%s: %s", src, errText(err))
}

// fatal reports a connection that could not be made; scp exits 255.
func (s *scp) fatal(err error) int {
	s.fail(err)
	return 255
}

func (s *scp) fail(err error) {
	s.errs++
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = msgf("%s: %s", pe.Path, errText(pe.Err))
	}
	fmt.Fprintf(os.Stderr, "scp: %v\r\n", err) // as OpenSSH's log lines
}

// resolve finds the side of an operand and its path there; a remote
// path stays relative (the server takes it from the login directory),
// "" meaning that directory.
func (s *scp) resolve(op string) (side, string, error) {
	user, host, port, p, remote := sftpcli.SplitRemote(op)
	if !remote {
		return side{fs: sftpcli.Local}, op, nil
	}
	if port == "" {
		port = s.f.port
	}
	key := user + "@" + host + ":" + port
	sd, ok := s.sides[key]
	if !ok {
		c, err := s.dial(user, host, port)
		if err != nil {
			return side{}, "", err
		}
		s.conns[key] = c
		sd = side{fs: sftpcli.FS{Remote: c.Client}}
		s.sides[key] = sd
	}
	if p == "" {
		p = "."
	}
	return sd, p, nil
}

func (s *scp) dial(user, host, port string) (*sftpcli.Conn, error) {
	extra := []string{"-x", "-oPermitLocalCommand=no", "-oClearAllForwardings=yes", "-oRemoteCommand=none",
		"-oRequestTTY=no", "-oControlMaster=no", "-oForwardAgent=no"}
	extra = append(extra, s.f.sshArgs...)
	if port != "" {
		extra = append(extra, "-oPort="+port)
	}
	program, args := sftpcli.Program(s.f.program), sftpcli.Args(extra, user, host)
	if s.f.direct != "" {
		program, args = s.f.direct, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := sftpcli.Dial(ctx, program, args, sftpcli.MaxPacket(s.f.buffer),
		sftp.MaxConcurrentRequestsPerFile(s.f.requests), sftp.UseConcurrentWrites(true))
	if errors.Is(err, sftpcli.ErrConnection) {
		return nil, msgf("Connection closed")
	}
	return c, err
}

// errText is an error as scp prints it.
func errText(err error) string {
	var se *sftp.StatusError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, sftpcli.ErrIsDir):
		return "not a regular file"
	case errors.As(err, &se):
		if se.Code == 4 {
			return "Failure"
		}
		if se.Code == 8 {
			return "Operation unsupported"
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		t := errno.Error()
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
}

// A scpMessage is an error printed as it is: OpenSSH's wording, capitals
// and full stops included.
type scpMessage string

func (m scpMessage) Error() string { return string(m) }

// msgf formats a scpMessage.
func msgf(format string, args ...any) error { return scpMessage(fmt.Sprintf(format, args...)) }
