package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/mux"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/wire"
)

// Connection sharing (ControlMaster, ControlPath, ControlPersist, -M,
// -S, -O) over OpenSSH's mux protocol (package client/mux), so that
// gossh and ssh are masters and mux clients of each other.

// muxBGEnv marks the background master that ControlPersist starts: it
// connects, listens on the control socket and then leaves the terminal
// (forkFDEnv), while its parent goes on as a mux client.
const muxBGEnv = "GOSSH_MUX_BACKGROUND"

// muxCommands are the -O commands of ssh(1).
var muxCommands = map[string]bool{"check": true, "forward": true, "cancel": true, "exit": true, "stop": true, "proxy": true}

// controlMaster is ControlMaster as ssh -G prints it: "true", "false",
// "ask", "auto" or "autoask".
func controlMaster(o *options) string { return strings.ToLower(o.getDefault("controlmaster", "false")) }

// controlPersist is ControlPersist: off, on forever (0), or an idle
// time.
func controlPersist(o *options) (on bool, idle time.Duration) {
	switch v := o.getDefault("controlpersist", "no"); v {
	case "no", "false":
		return false, 0
	case "yes", "true":
		return true, 0
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return false, 0
		}
		return true, time.Duration(n) * time.Second
	}
}

// strerror is the system error text of err as C's strerror spells it.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

// muxFwds are the forwards of the configuration (-L, -D, -R and the
// files') as mux requests, as mux.c's mux_client_forwards sends them.
func muxFwds(o *options) ([]mux.Fwd, error) {
	var out []mux.Fwd
	add := func(kind, spec string) error {
		fs, err := parseForwardSpec(kind, spec)
		if err != nil {
			return err
		}
		f := mux.Fwd{FwdType: mux.FwdLocal}
		switch {
		case kind == "D":
			f.FwdType = mux.FwdDynamic
		case kind == "R":
			f.FwdType = mux.FwdRemote
		}
		switch {
		case fs.lpath != "":
			f.ListenHost, f.ListenPort = fs.lpath, mux.PortStreamLocal
		default:
			p, _ := strconv.Atoi(fs.lport)
			f.ListenHost, f.ListenPort = fs.lhost, uint32(p)
		}
		switch {
		case fs.cpath != "":
			f.ConnectHost, f.ConnectPort = fs.cpath, mux.PortStreamLocal
		case fs.dynamic:
			f.ConnectHost = "socks" // port 0, as ssh sends a dynamic forward
		default:
			p, _ := strconv.Atoi(fs.cport)
			f.ConnectHost, f.ConnectPort = fs.chost, uint32(p)
		}
		out = append(out, f)
		return nil
	}
	for _, e := range o.lfwd {
		if err := add(e.kind, e.spec); err != nil {
			return nil, err
		}
	}
	for _, s := range o.all("remoteforward") {
		if err := add("R", s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fwdDesc(f mux.Fwd) string {
	switch f.FwdType {
	case mux.FwdDynamic:
		return fmt.Sprintf("dynamic forward %s:%d -> *", orLocalhost(f.ListenHost), f.ListenPort)
	case mux.FwdRemote:
		return fmt.Sprintf("remote forward %s:%d -> %s:%d", orLocalhost(f.ListenHost), f.ListenPort, f.ConnectHost, int32(f.ConnectPort))
	}
	return fmt.Sprintf("local forward %s:%d -> %s:%d", orLocalhost(f.ListenHost), f.ListenPort, f.ConnectHost, int32(f.ConnectPort))
}

func orLocalhost(h string) string {
	if h == "" {
		return "LOCALHOST"
	}
	return h
}

// muxCommand runs ssh -O cmd against the master at ControlPath.
func muxCommand(cmd string, f *flags, o *options) int {
	path := o.get("controlpath")
	if path == "" {
		fmt.Fprintf(os.Stderr, "No ControlPath specified for \"-O\" command\r\n")
		return 255
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()
	c, err := mux.Dial(ctx, path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Control socket connect(%s): %s\r\n", path, strerror(err))
		return 255
	}
	defer c.Close()
	quiet := strings.EqualFold(o.get("loglevel"), "quiet") || strings.EqualFold(o.get("loglevel"), "silent")
	switch cmd {
	case "check":
		pid, err := c.Check(ctx)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mux_client_request_alive: %v\r\n", err)
			return 255
		}
		fmt.Fprintf(os.Stderr, "Master running (pid=%d)\r\n", pid)
	case "exit":
		if err := c.Terminate(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "Master refused termination request: %v\r\n", err)
			return 255
		}
		if !quiet {
			fmt.Fprintf(os.Stderr, "Exit request sent.\r\n")
		}
	case "stop":
		if err := c.StopListening(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "Master refused stop listening request: %v\r\n", err)
			return 255
		}
		if !quiet {
			fmt.Fprintf(os.Stderr, "Stop listening request sent.\r\n")
		}
	case "forward", "cancel":
		fwds, err := muxFwds(o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%v\r\n", err)
			return 255
		}
		failed := false
		for _, f := range fwds {
			if cmd == "cancel" {
				if err := c.CancelForward(ctx, f); err != nil {
					fmt.Fprintf(os.Stderr, "mux_client_forward: forwarding request failed: %s\r\n", reason(err))
					failed = true
				}
				continue
			}
			port, err := c.Forward(ctx, f)
			if err != nil {
				fmt.Fprintf(os.Stderr, "mux_client_forward: forwarding request failed: %s\r\n", reason(err))
				failed = true
				continue
			}
			if f.FwdType == mux.FwdRemote && f.ListenPort == 0 {
				fmt.Printf("%d\n", port)
			}
		}
		if failed && cmd == "forward" {
			fmt.Fprintf(os.Stderr, "muxclient: master forward request failed\r\n")
			return 255
		}
	case "proxy":
		return muxProxySession(ctx, c, f, o)
	}
	return 0
}

// muxProxySession is ssh -O proxy: the session runs over our own
// connection layer, which the master relays (MUX_C_PROXY) instead of
// passing descriptors. It has a pty when asked, stdio, the exit status;
// no escape character and no forwards.
func muxProxySession(ctx context.Context, mc *mux.Conn, f *flags, o *options) int {
	tr, err := mc.Proxy(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mux_client_proxy: master returned error: %s\r\n", reason(err))
		return 255
	}
	conn := connection.New(tr, nil)
	var wg sync.WaitGroup
	wg.Go(func() { conn.Run(ctx) })
	defer wg.Wait()
	defer conn.Close()
	if f.noCommand || strings.EqualFold(o.get("sessiontype"), "none") {
		<-ctx.Done()
		return 0
	}
	ch, err := conn.OpenSession(ctx, nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\r\n", err)
		return 255
	}
	defer ch.Close()
	cmd := strings.Join(f.command, " ")
	if rc := o.get("remotecommand"); cmd == "" && rc != "" && rc != "none" {
		cmd = rc
	}
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	wantTTY := false
	switch strings.ToLower(o.get("requesttty")) {
	case "force":
		wantTTY = true
	case "yes", "true":
		wantTTY = stdinTTY
	case "auto":
		wantTTY = cmd == "" && stdinTTY
	}
	for _, kv := range o.all("setenv") {
		name, val, _ := strings.Cut(kv, "=")
		ch.Setenv(ctx, name, val)
	}
	if wantTTY {
		cols, rows := 80, 24
		if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			cols, rows = w, h
		}
		tname := os.Getenv("TERM")
		if tname == "" {
			tname = "dumb"
		}
		if err := ch.RequestPty(ctx, wire.PtyRequest{Term: tname, Columns: uint32(cols), Rows: uint32(rows)}, nil); err != nil {
			fmt.Fprintf(os.Stderr, "PTY allocation request failed on channel %d\r\n", ch.LocalID())
		} else if stdinTTY {
			if st, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
				defer term.Restore(int(os.Stdin.Fd()), st)
			}
		}
	}
	switch {
	case strings.EqualFold(o.get("sessiontype"), "subsystem"):
		err = ch.Subsystem(ctx, cmd)
	case cmd == "":
		err = ch.Shell(ctx)
	default:
		err = ch.Exec(ctx, cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\r\n", err)
		return 255
	}
	if !o.yes("stdinnull", false) {
		// Not joined: a Read of a terminal cannot be interrupted; it
		// ends with the process.
		go func() {
			io.Copy(ch, os.Stdin)
			ch.CloseWrite()
		}()
	} else {
		ch.CloseWrite()
	}
	var copies sync.WaitGroup
	copies.Go(func() { io.Copy(os.Stderr, ch.Stderr()) })
	io.Copy(os.Stdout, ch)
	copies.Wait()
	if err := ch.Wait(ctx); err != nil && !errors.Is(err, connection.ErrChannelClosed) {
		return 255
	}
	if st, ok := ch.ExitStatus(); ok {
		return int(st)
	}
	return 255
}

func reason(err error) string {
	var se *mux.StatusError
	if errors.As(err, &se) {
		return se.Reason
	}
	return err.Error()
}

// muxClient runs the session through an existing master at path, as
// ssh's muxclient. ok is false when there is no master to use (no
// socket, or a stale one, which ControlMaster auto removes): the caller
// then connects itself.
func muxClient(f *flags, o *options, path string, sendFwds bool) (code int, ok bool) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()
	c, err := mux.Dial(ctx, path)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED) && controlMaster(o) != "false":
			os.Remove(path) // a stale socket
		case errors.Is(err, syscall.ENOENT):
		default:
			fmt.Fprintf(os.Stderr, "Control socket connect(%s): %s\r\n", path, strerror(err))
		}
		return 0, false
	}
	defer c.Close()
	if sendFwds {
		fwds, err := muxFwds(o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%v\r\n", err)
			return 255, true
		}
		for _, fw := range fwds {
			if _, err := c.Forward(ctx, fw); err != nil {
				fmt.Fprintf(os.Stderr, "mux_client_forward: forwarding request failed: %s\r\n", reason(err))
				fmt.Fprintf(os.Stderr, "muxclient: master forward request failed\r\n")
				return 255, true
			}
		}
	}
	pid, err := c.Check(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mux_client_request_session: master alive request failed\r\n")
		return 255, true
	}
	if f.stdio != "" {
		host, ps, err := net.SplitHostPort(f.stdio)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Bad stdio forwarding specification '%s'\r\n", f.stdio)
			return 255, true
		}
		port, _ := strconv.Atoi(ps)
		if err := c.StdioForward(ctx, host, uint32(port), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "Stdio forwarding request failed: %s\r\n", reason(err))
			return 255, true
		}
		return 0, true
	}
	if f.noCommand || strings.EqualFold(o.get("sessiontype"), "none") {
		// The forwards are the master's now; there is no session.
		return 0, true
	}
	req := mux.NewSession{EscapeChar: mux.NoEscape}
	req.Command = strings.Join(f.command, " ")
	if rc := o.get("remotecommand"); rc != "" && rc != "none" {
		if req.Command != "" {
			fmt.Fprintf(os.Stderr, "Cannot execute command-line and remote command.\r\n")
			return 255, true
		}
		req.Command = rc
	}
	req.Subsystem = strings.EqualFold(o.get("sessiontype"), "subsystem")
	req.WantAgent = o.yes("forwardagent", false)
	req.WantX11 = o.yes("forwardx11", false)
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	switch strings.ToLower(o.get("requesttty")) {
	case "force":
		req.WantTTY = true
	case "yes", "true":
		req.WantTTY = stdinTTY
	case "auto":
		req.WantTTY = req.Command == "" && stdinTTY
	}
	if esc := o.get("escapechar"); esc != "none" && len(esc) == 1 {
		req.EscapeChar = uint32(esc[0])
	}
	req.Term = os.Getenv("TERM")
	for _, pat := range o.all("sendenv") {
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			if ok, _ := filepath.Match(pat, name); ok {
				req.Env = append(req.Env, kv)
			}
		}
	}
	req.Env = append(req.Env, o.all("setenv")...)
	stdin := os.Stdin
	if o.yes("stdinnull", false) {
		if dn, err := os.Open(os.DevNull); err == nil {
			defer dn.Close()
			stdin = dn
		}
	}
	var restore func()
	hooks := mux.SessionHooks{
		Opened: func() {
			// -f: the session is open, the parent may go (ssh's
			// daemon(3) at this point).
			if os.Getenv(forkFDEnv) != "" {
				if err := forked(); err != nil {
					fmt.Fprintf(os.Stderr, "gossh: %v\r\n", err)
				}
			}
			if req.WantTTY && stdinTTY {
				if st, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
					restore = func() { term.Restore(int(os.Stdin.Fd()), st) }
				}
			}
		},
		TTYAllocFailed: func() {
			if restore != nil {
				restore()
				restore = nil
			}
		},
	}
	// ssh's mux client relays its window changes to the master's pid.
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	go func() {
		for range winch {
			if pid > 1 {
				syscall.Kill(pid, syscall.SIGWINCH)
			}
		}
	}()
	code, err = c.Session(ctx, req, stdin, os.Stdout, os.Stderr, hooks)
	if restore != nil {
		restore()
	}
	var se *mux.StatusError
	switch {
	case errors.As(err, &se) && se.Denied:
		fmt.Fprintf(os.Stderr, "Master refused session request: %s\r\n", se.Reason)
		return 255, true
	case errors.As(err, &se):
		fmt.Fprintf(os.Stderr, "mux_client_request_session: session request failed: %s\r\n", se.Reason)
		return 255, true
	case err != nil:
		code = 255
	}
	if lv := strings.ToUpper(o.get("loglevel")); req.WantTTY && lv != "QUIET" && lv != "SILENT" && lv != "FATAL" && lv != "ERROR" {
		// ssh prints it at LogLevel INFO and above.
		fmt.Fprintf(os.Stderr, "Shared connection to %s closed.\r\n", o.get("hostname"))
	}
	return code, true
}

// askPermission asks through ssh-askpass whether to allow a mux request
// (ControlMaster ask/autoask), as ssh's ask_permission: allowed when the
// program succeeds with an empty answer or "yes".
func askPermission(prompt string) bool {
	prog := os.Getenv("SSH_ASKPASS")
	if prog == "" {
		prog = "/usr/bin/ssh-askpass"
	}
	cmd := exec.Command(prog, prompt)
	cmd.Env = append(os.Environ(), "SSH_ASKPASS_PROMPT=confirm")
	out, err := cmd.Output()
	if err != nil {
		return false
	}
	a := strings.TrimSpace(string(out))
	return a == "" || strings.HasPrefix(strings.ToLower(a), "yes")
}

// A muxMaster is the master side of a connection: its control socket
// and the goroutine serving it.
type muxMaster struct {
	m    *mux.Master
	l    *mux.Listener
	done chan struct{} // closed when Serve has returned
	stop context.CancelFunc
}

// startMaster listens on ControlPath and serves it with c. A socket that
// already exists disables multiplexing, as in ssh.
func startMaster(ctx context.Context, c *client.Client, o *options, lg *logger) *muxMaster {
	path := o.get("controlpath")
	l, err := mux.Listen(path)
	if err != nil {
		if errors.Is(err, mux.ErrExists) {
			lg.errorf("ControlSocket %s already exists, disabling multiplexing", path)
		} else {
			lg.errorf("gossh: %v", err)
		}
		return nil
	}
	lg.debug(1, "setting up multiplex master socket")
	m := &mux.Master{Client: c, Host: o.get("hostname"), SendEnv: o.all("sendenv"),
		GatewayPorts: o.yes("gatewayports", false), Log: lg.slog()}
	// A mux client's -A and -X take effect where ours allow them, with
	// our agent and display, as ssh's master does.
	m.ForwardAgent, _ = agentForwarding(o)
	if o.yes("forwardx11", false) {
		m.ForwardX11 = func(ctx context.Context, s *client.Session) { requestX11(ctx, s, o, lg) }
	}
	// ~ escapes on mux pty sessions, as ssh's master (no ~C there).
	host := o.get("hostname")
	m.EscapeStdin = func(stdin io.Reader, esc byte, s *client.Session, stderr io.Writer, hangUp func()) io.Reader {
		return newEscapeReader(stdin, esc, escapeActions{
			disconnect: func() {
				fmt.Fprintf(stderr, "Connection to %s closed.\r\n", host)
				hangUp()
			},
			brk: func() { go s.Channel().Break(ctx, 1000) },
			rekey: func() {
				go func() {
					if err := c.Rekey(ctx); err != nil {
						lg.debug(1, "rekey: %v", err)
					}
				}()
			},
			help:      func(msg string) { fmt.Fprint(stderr, msg) },
			echo:      func(msg string) { fmt.Fprint(stderr, msg) },
			command:   func(string) string { return "" },
			noCmdline: true,
		})
	}
	if cm := controlMaster(o); cm == "ask" || cm == "autoask" {
		m.Confirm = func(_ context.Context, prompt string) bool { return askPermission(prompt) }
	}
	sctx, stop := context.WithCancel(ctx)
	mm := &muxMaster{m: m, l: l, done: make(chan struct{}), stop: stop}
	go func() {
		defer close(mm.done)
		if err := m.Serve(sctx, l); errors.Is(err, mux.ErrTerminated) {
			lg.debug(1, "mux: terminate request")
			c.Close()
		}
	}()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for {
			select {
			case <-winch:
				m.WindowChanged(sctx)
			case <-sctx.Done():
				signal.Stop(winch)
				return
			}
		}
	}()
	return mm
}

// finish ends the master after its own session: ssh's master stays
// while mux sessions are open, then exits; it stops listening first.
func (mm *muxMaster) finish(ctx context.Context) {
	if mm == nil {
		return
	}
	mm.m.StopListening()
	mm.m.WaitIdle(ctx, 0)
	mm.stop()
	<-mm.done
}

// persist runs a master that has no session of its own (-N, or the
// background master of ControlPersist) until the connection ends, a mux
// client terminates it, or it has been idle for ControlPersist's time.
func (mm *muxMaster) persist(ctx context.Context, c *client.Client, idle time.Duration) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		c.Wait(wctx)
		cancel()
	}()
	if idle > 0 {
		go func() {
			if mm.m.WaitIdle(wctx, idle) == nil {
				cancel()
			}
		}()
	}
	select {
	case <-wctx.Done():
		mm.stop()
		<-mm.done
	case <-mm.done:
	}
}

// persistMaster is ControlPersist for a connection that has no master
// yet: gossh starts itself again as a background master (ssh forks),
// waits until its control socket is up and then runs the session
// through it as a mux client.
func persistMaster(args []string, f *flags, o *options) int {
	os.Setenv(muxBGEnv, "1")
	code := forkAfterAuth(args)
	os.Unsetenv(muxBGEnv)
	if code != 0 {
		return code
	}
	if f.noCommand || strings.EqualFold(o.get("sessiontype"), "none") {
		return 0
	}
	// The background master opened the forwards already.
	code, ok := muxClient(f, o, o.get("controlpath"), false)
	if !ok {
		fmt.Fprintf(os.Stderr, "gossh: ControlPersist: the background master is not reachable\r\n")
		return 255
	}
	return code
}
