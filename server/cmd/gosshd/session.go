package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/x11"
	"github.com/sshstack/sshstack/wire"
)

var signalsByName = map[string]syscall.Signal{
	wire.SignalABRT: syscall.SIGABRT, wire.SignalALRM: syscall.SIGALRM, wire.SignalFPE: syscall.SIGFPE,
	wire.SignalHUP: syscall.SIGHUP, wire.SignalILL: syscall.SIGILL, wire.SignalINT: syscall.SIGINT,
	wire.SignalKILL: syscall.SIGKILL, wire.SignalPIPE: syscall.SIGPIPE, wire.SignalQUIT: syscall.SIGQUIT,
	wire.SignalSEGV: syscall.SIGSEGV, wire.SignalTERM: syscall.SIGTERM, wire.SignalUSR1: syscall.SIGUSR1,
	wire.SignalUSR2: syscall.SIGUSR2,
}

func signalName(sig syscall.Signal) string {
	for n, s := range signalsByName {
		if s == sig {
			return n
		}
	}
	return fmt.Sprintf("SIG%d", int(sig))
}

// sessions runs session channels as the authenticated user.
type sessions struct {
	cfg  *config
	root bool
	self string // os.Executable, for internal-sftp
}

// acceptEnv is server.Server.AcceptEnv for an AcceptEnv list (the
// global one, or a Match section's through ForConn).
func acceptEnv(list []string) func(name, value string) bool {
	return func(name, _ string) bool {
		for _, pat := range list {
			if ok, _ := path.Match(pat, name); ok {
				return true
			}
		}
		return false
	}
}

// environ builds the session's environment as sshd does.
func (ss *sessions) environ(s *server.Session, a *account, tty string) []string {
	raddr, rport := splitAddr(s.Conn().RemoteAddr())
	laddr, lport := splitAddr(s.Conn().LocalAddr())
	pathVar := "/usr/local/bin:/usr/bin:/bin:/usr/games"
	if a.UID == 0 {
		pathVar = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	env := []string{
		"HOME=" + a.Home, "USER=" + a.Name, "LOGNAME=" + a.Name, "SHELL=" + a.Shell, "PATH=" + pathVar,
		"MAIL=/var/mail/" + a.Name,
		fmt.Sprintf("SSH_CLIENT=%s %d %d", raddr, rport, lport),
		fmt.Sprintf("SSH_CONNECTION=%s %d %s %d", raddr, rport, laddr, lport),
	}
	if tty != "" {
		env = append(env, "SSH_TTY="+tty)
	}
	if p, ok := s.Pty(); ok {
		env = append(env, "TERM="+p.Term)
	}
	if raw := s.RawCommand(); raw != "" {
		env = append(env, "SSH_ORIGINAL_COMMAND="+raw)
	}
	if sock := s.AgentSocket(); sock != "" {
		env = append(env, "SSH_AUTH_SOCK="+sock)
	}
	if d, ok := x11.DisplayOf(s); ok {
		env = append(env, "DISPLAY="+d.Display)
	}
	if cc := ss.krb5CCache(s, a); cc != "" {
		env = append(env, "KRB5CCNAME=FILE:"+cc)
	}
	env = append(env, ss.cfg.forConn(ss.cfg.connInfoOf(s.User(), s.Conn().RemoteAddr(), s.Conn().LocalAddr())).SetEnv...)
	env = append(env, s.Environ()...)
	if permit := ss.cfg.userEnvironment(); permit != nil {
		env = append(env, userEnvironmentFile(filepath.Join(a.Home, ".ssh", "environment"), a.UID, permit)...)
	}
	return env
}

// maxEnvironmentFile caps the ~/.ssh/environment gosshd reads.
const maxEnvironmentFile = 64 << 10

// userEnvironmentFile reads ~/.ssh/environment as sshd's
// read_environment_file does when PermitUserEnvironment allows it: one
// NAME=value per line, blank lines and lines starting with # (after
// leading blanks) skipped, lines without = ignored, names filtered by
// permit. sshd reads it after dropping privileges; gosshd reads it as
// root, so it takes only a regular file that is not a symlink and that
// the user owns (a link to a file the user cannot read is refused).
func userEnvironmentFile(file string, uid uint32, permit func(string) bool) []string {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != uid {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(f, maxEnvironmentFile))
	if err != nil {
		return nil
	}
	var env []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimLeft(line, " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		if !ok || name == "" || !permit(name) {
			continue
		}
		env = append(env, line)
	}
	return env
}

func splitAddr(a net.Addr) (string, int) {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String(), ta.Port
	}
	return a.String(), 0
}

// command picks what to run: a subsystem's program (internal-sftp is
// this binary in its sftp mode), the command through the user's shell,
// or the login shell.
func (ss *sessions) command(s *server.Session, a *account) (*exec.Cmd, error) {
	switch s.Kind() {
	case server.KindSubsystem:
		prog, ok := ss.cfg.Subsystems[s.Subsystem()]
		if !ok {
			return nil, fmt.Errorf("subsystem %q not configured", s.Subsystem())
		}
		if prog == "internal-sftp" || strings.HasPrefix(prog, "internal-sftp ") {
			return exec.Command(ss.self, "-internal-sftp"), nil
		}
		return exec.Command(a.Shell, "-c", prog), nil
	case server.KindExec:
		cmd := s.Command()
		if name, ok := ss.cfg.Subsystems["sftp"]; ok && cmd == "internal-sftp" && name == "internal-sftp" {
			return exec.Command(ss.self, "-internal-sftp"), nil
		}
		return exec.Command(a.Shell, "-c", cmd), nil
	}
	c := exec.Command(a.Shell)
	c.Args[0] = "-" + filepath.Base(a.Shell) // a login shell
	return c, nil
}

// pamWrap puts cmd inside a PAM session (UsePAM yes, gosshd as root).
func (ss *sessions) pamWrap(s *server.Session, tty string, cmd *exec.Cmd) *exec.Cmd {
	if !ss.cfg.UsePAM || !ss.root {
		return cmd
	}
	raddr, _ := splitAddr(s.Conn().RemoteAddr())
	return wrapPAMSession(ss.self, ss.cfg.PamServiceName, s.User(), raddr, tty, cmd)
}

// serve is the server.SessionHandler.
func (ss *sessions) serve(ctx context.Context, s *server.Session) {
	a, err := lookupAccount(s.User())
	if err != nil {
		io.WriteString(s.Stderr(), "gosshd: no such user\n")
		s.Exit(1)
		return
	}
	cmd, err := ss.command(s, a)
	if err != nil {
		io.WriteString(s.Stderr(), "gosshd: "+err.Error()+"\n")
		s.Exit(1)
		return
	}
	ec := ss.cfg.forConn(ss.cfg.connInfoOf(s.User(), s.Conn().RemoteAddr(), s.Conn().LocalAddr()))
	setSessionQoS(s, ec)
	var extraEnv []string
	if ec.ForceCommand != "" {
		// sshd_config ForceCommand wins over authorized_keys command=,
		// as in sshd.
		orig := s.Command()
		if s.Kind() == server.KindSubsystem {
			orig = s.Subsystem()
		}
		if s.RawCommand() != "" {
			orig = s.RawCommand()
		}
		if orig != "" {
			extraEnv = append(extraEnv, "SSH_ORIGINAL_COMMAND="+orig)
		}
		cmd = exec.Command(a.Shell, "-c", ec.ForceCommand)
		if ec.ForceCommand == "internal-sftp" {
			cmd = exec.Command(ss.self, "-internal-sftp")
		}
	}
	if _, ok := s.Pty(); ok && !ec.more.PermitTTY {
		// PermitTTY no of a Match LocalAddress or LocalPort section,
		// which authentication could not see (policy.restrict).
		io.WriteString(s.Stderr(), "PTY allocation disabled.\n")
		s.Exit(1)
		return
	}
	cmd.Dir = a.Home
	if _, err := os.Stat(a.Home); err != nil {
		cmd.Dir = "/"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if ss.root && a.UID != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: a.Groups}
	}
	if ec.more.ExposeAuthInfo {
		f, err := writeAuthInfo(s.Conn().AuthResult(), a, ss.root)
		if err != nil {
			io.WriteString(s.Stderr(), "gosshd: ExposeAuthInfo: "+err.Error()+"\n")
			s.Exit(1)
			return
		}
		defer os.Remove(f)
		extraEnv = append(extraEnv, "SSH_USER_AUTH="+f)
	}
	chrooted := ec.more.ChrootDirectory != ""
	if chrooted {
		var err error
		if cmd, err = ss.chroot(s, ec, a, cmd); err != nil {
			s.Conn().Logger().Error("fatal: " + err.Error())
			io.WriteString(s.Stderr(), "gosshd: "+err.Error()+"\n")
			s.Exit(1)
			return
		}
	} else {
		ss.rcFiles(ctx, s, ec, a, cmd, append(ss.environ(s, a, ""), extraEnv...))
	}
	if _, ok := s.Pty(); ok && s.Kind() != server.KindSubsystem {
		// As sshd's do_login: the last login is read before this one is
		// recorded (runPty), and shown with the motd to a login shell.
		last, _, lastHost, haveLast := readLastlog(lastlogFile, a.UID)
		if s.Kind() == server.KindShell && !fileExists(filepath.Join(a.Home, ".hushlogin")) {
			if ec.more.PrintLastLog && haveLast {
				io.WriteString(s, onlcr(lastLoginMessage(last, lastHost)))
			}
			if ec.more.PrintMotd {
				printMotd(s)
			}
		}
		ss.runPty(ctx, s, a, cmd, extraEnv)
		return
	}
	cmd.Env = append(ss.environ(s, a, ""), extraEnv...)
	ss.runPipes(ctx, s, ss.pamWrap(s, "", cmd))
}

// systemRC is sshd's _PATH_SSH_SYSTEM_RC.
const systemRC = "/etc/ssh/sshrc"

// rcFiles runs, before the session's command, the first of these that
// applies, as sshd's session child does (sshd(8), SSHRC):
//   - ~/.ssh/rc, through the user's shell as "/bin/sh ~/.ssh/rc", unless
//     the session is a subsystem, sshd_config has a ForceCommand, the key's
//     options say no-user-rc, or PermitUserRC is no;
//   - /etc/ssh/sshrc, as "/bin/sh /etc/ssh/sshrc";
//   - with an X11 display, "XAuthLocation -q -" fed "remove DISPLAY" and
//     "add DISPLAY PROTO COOKIE", storing the cookie in the user's
//     Xauthority.
//
// The rc files get "PROTO COOKIE" on stdin when there is a display and
// are then responsible for xauth themselves. They run as the user, with
// the session's environment, in the home directory; their output goes to
// the session's stdout and stderr, and a failure does not stop the
// session.
func (ss *sessions) rcFiles(ctx context.Context, s *server.Session, ec *config, a *account, cmd *exec.Cmd, env []string) {
	d, display := x11.DisplayOf(s)
	var rc *exec.Cmd
	userRC := filepath.Join(a.Home, ".ssh", "rc")
	xctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch {
	case s.Kind() != server.KindSubsystem && ec.ForceCommand == "" && !s.Conn().Permissions().NoUserRC &&
		ec.PermitUserRC && fileExists(userRC):
		rc = exec.CommandContext(xctx, a.Shell, "-c", "/bin/sh "+userRC)
		if display {
			rc.Stdin = strings.NewReader(d.AuthProtocol + " " + d.AuthCookie + "\n")
		}
	case fileExists(systemRC):
		rc = exec.CommandContext(xctx, "/bin/sh", systemRC)
		if display {
			rc.Stdin = strings.NewReader(d.AuthProtocol + " " + d.AuthCookie + "\n")
		}
	case display:
		rc = exec.CommandContext(xctx, ec.XAuthLocation, "-q", "-")
		rc.Stdin = strings.NewReader(fmt.Sprintf("remove %s\nadd %s %s %s\n", d.AuthDisplay, d.AuthDisplay, d.AuthProtocol, d.AuthCookie))
	default:
		return
	}
	rc.Env, rc.Dir = env, cmd.Dir
	rc.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cmd.SysProcAttr.Credential}
	rc.Stdout, rc.Stderr = s, s.Stderr()
	rc.WaitDelay = time.Second
	if err := rc.Start(); err != nil {
		fmt.Fprintf(s.Stderr(), "Could not run %s\n", strings.Join(rc.Args, " "))
		return
	}
	rc.Wait()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (ss *sessions) runPipes(ctx context.Context, s *server.Session, cmd *exec.Cmd) {
	// Our own pipes for stdin and stdout rather than exec's, so that they
	// can be widened (growPipe): with the default 64 KiB, bulk data
	// switches between gosshd and the child every two packets.
	stdinR, stdin, err := os.Pipe()
	if err != nil {
		s.Exit(1)
		return
	}
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdin.Close()
		s.Exit(1)
		return
	}
	growPipe(stdin)
	growPipe(stdoutW)
	cmd.Stdin = stdinR
	cmd.Stdout = stdoutW
	cmd.Stderr = s.Stderr()
	err = cmd.Start()
	stdinR.Close()
	stdoutW.Close()
	if err != nil {
		stdin.Close()
		stdout.Close()
		io.WriteString(s.Stderr(), "gosshd: "+err.Error()+"\n")
		s.Exit(127)
		return
	}
	s.NotifySignal(func(name string) {
		if sig, ok := signalsByName[name]; ok {
			cmd.Process.Signal(sig)
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		io.Copy(stdin, s)
		stdin.Close()
	})
	// Until every holder of the write end (the child, and whatever it
	// left running) has closed it, as exec's own stdout copy did.
	var out sync.WaitGroup
	out.Go(func() {
		io.Copy(s, stdout) // Session.ReadFrom
		stdout.Close()
	})
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	out.Wait() // all of stdout is sent before the exit status
	stop()
	ss.exit(s, cmd, err)
	s.Channel().Close() // ends the stdin copy
	wg.Wait()
}

// exit sends the command's exit status and, for an exit code, ends the
// channel in the same write (ExitAndClose); the caller closes it after an
// exit signal.
func (ss *sessions) exit(s *server.Session, cmd *exec.Cmd, err error) {
	st := cmd.ProcessState
	if st == nil {
		s.ExitAndClose(255)
		return
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		s.ExitSignal(signalName(ws.Signal()), ws.CoreDump(), "")
		return
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		s.ExitAndClose(255)
		return
	}
	s.ExitAndClose(uint32(st.ExitCode()))
}

func (ss *sessions) runPty(ctx context.Context, s *server.Session, a *account, cmd *exec.Cmd, extraEnv []string) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		io.WriteString(s.Stderr(), "gosshd: no pty: "+err.Error()+"\n")
		s.Exit(1)
		return
	}
	defer ptmx.Close()
	if ss.root {
		os.Chown(tty.Name(), int(a.UID), int(a.GID))
		os.Chmod(tty.Name(), 0o620)
		// sshd's record_login, lastlog part (lastlog.go).
		host, _ := splitHostPort(s.Conn().RemoteAddr())
		if err := writeLastlog(lastlogFile, a.UID, time.Now(), strings.TrimPrefix(tty.Name(), "/dev/"), ss.cfg.recordHost(host)); err != nil {
			s.Conn().Logger().Debug("debug1: lastlog: " + err.Error())
		}
	}
	pm, err := pollable(ptmx)
	if err != nil {
		tty.Close()
		io.WriteString(s.Stderr(), "gosshd: pty: "+err.Error()+"\n")
		s.Exit(1)
		return
	}
	defer pm.Close()
	p, _ := s.Pty()
	setSize := func(w wire.WindowChange) {
		setWinsize(pm, &pty.Winsize{Rows: uint16(w.Rows), Cols: uint16(w.Columns), X: uint16(w.WidthPixels), Y: uint16(w.HeightPixels)})
	}
	setSize(p.Window)
	applyModes(tty, p.Modes)
	s.NotifyWindowChange(setSize)
	s.NotifyBreak(func(ms uint32) bool {
		err := sendBreak(pm)
		msg := fmt.Sprintf("debug1: session_break_req: break of %d ms requested", ms)
		if err != nil {
			msg += ": " + err.Error()
		}
		s.Conn().Logger().Debug(msg)
		return err == nil
	})
	cmd.Env = append(ss.environ(s, a, tty.Name()), extraEnv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// The tty becomes the controlling terminal of the new session
	// (Setsid + Setctty on the child's fd 0).
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0
	cmd = ss.pamWrap(s, tty.Name(), cmd)
	if err := cmd.Start(); err != nil {
		tty.Close()
		io.WriteString(s.Stderr(), "gosshd: "+err.Error()+"\n")
		s.Exit(127)
		return
	}
	tty.Close()
	if ss.root {
		// sshd's record_login and record_logout, utmp and wtmp part
		// (utmp.go).
		line := strings.TrimPrefix(tty.Name(), "/dev/")
		host, _ := splitHostPort(s.Conn().RemoteAddr())
		ip := net.ParseIP(host)
		pid := cmd.Process.Pid
		if err := recordLoginEntry(newUtmpEntry(utUserProcess, pid, line, a.Name, ss.cfg.recordHost(host), ip, time.Now())); err != nil {
			s.Conn().Logger().Debug("debug1: utmp/wtmp: " + err.Error())
		}
		defer func() {
			if err := recordLoginEntry(newUtmpEntry(utDeadProcess, pid, line, "", "", nil, time.Now())); err != nil {
				s.Conn().Logger().Debug("debug1: utmp/wtmp: " + err.Error())
			}
		}()
	}
	s.NotifySignal(func(name string) {
		if sig, ok := signalsByName[name]; ok {
			cmd.Process.Signal(sig)
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(pm, s) })
	out := make(chan struct{})
	go func() { io.Copy(s, pm); close(out) }()
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	stop()
	// The pty reports EIO once the last holder of the tty is gone. A
	// background job that keeps it open does not keep the session alive
	// (sshd closes the pty when the shell exits): what the shell wrote is
	// drained for at most 500 ms, then the deadline ends the read.
	pm.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	<-out
	ss.exit(s, cmd, err)
	s.Channel().Close()
	wg.Wait()
}
