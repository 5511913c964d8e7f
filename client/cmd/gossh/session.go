package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/x11"
)

// runSession runs the remote command or shell.
// setQoS applies IPQoS once it is known whether the session is
// interactive (a tty or X11), as ssh's ssh_packet_set_interactive.
func runSession(ctx context.Context, c *client.Client, f *flags, o *options, lg *logger, forward cmdlineForwards, setQoS func(interactive bool)) int {
	var disconnected atomic.Bool
	s, err := c.NewSession(ctx)
	if err != nil {
		lg.errorf("gossh: %v", err)
		return 255
	}
	defer s.Close()
	if o.yes("forwardx11", false) {
		requestX11(ctx, s, o, lg)
	}
	cmd := strings.Join(f.command, " ")
	if rc := o.get("remotecommand"); rc != "" && rc != "none" {
		if cmd != "" {
			lg.errorf("Cannot execute command-line and remote command.")
			return 255
		}
		cmd = rc // RemoteCommand, its tokens expanded (expandPaths)
	}
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	wantTTY := false
	switch strings.ToLower(o.get("requesttty")) {
	case "force":
		wantTTY = true
	case "yes", "true":
		wantTTY = stdinTTY
		if !stdinTTY {
			lg.errorf("Pseudo-terminal will not be allocated because stdin is not a terminal.")
		}
	case "auto":
		wantTTY = cmd == "" && stdinTTY
	}
	for _, pat := range o.all("sendenv") {
		for _, kv := range os.Environ() {
			name, val, _ := strings.Cut(kv, "=")
			if ok, _ := filepath.Match(pat, name); ok {
				if err := s.Setenv(ctx, name, val); err != nil {
					lg.debug(2, "env %s refused", name)
				}
			}
		}
	}
	for _, kv := range o.all("setenv") {
		name, val, _ := strings.Cut(kv, "=")
		if err := s.Setenv(ctx, name, val); err != nil {
			lg.debug(2, "setenv %s refused", name)
		}
	}
	setQoS(wantTTY || o.yes("forwardx11", false))
	var restore func()
	if wantTTY {
		cols, rows := 80, 24
		if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			cols, rows = w, h
		}
		tname := os.Getenv("TERM")
		if tname == "" {
			tname = "dumb"
		}
		if err := s.RequestPty(ctx, tname, rows, cols, nil); err != nil {
			lg.errorf("PTY allocation request failed on channel 0")
		} else if stdinTTY {
			if st, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
				restore = func() { term.Restore(int(os.Stdin.Fd()), st) }
				defer restore()
			}
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			defer signal.Stop(winch)
			go func() {
				for range winch {
					if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
						s.WindowChange(ctx, h, w)
					}
				}
			}()
		}
	}
	s.Stdout, s.Stderr = os.Stdout, os.Stderr
	if !o.yes("stdinnull", false) {
		s.Stdin = os.Stdin
		if esc := o.get("escapechar"); wantTTY && esc != "none" && len(esc) == 1 {
			s.Stdin = newEscapeReader(os.Stdin, esc[0], escapeActions{
				disconnect: func() {
					fmt.Fprintf(os.Stderr, "Connection to %s closed.\r\n", o.get("hostname"))
					disconnected.Store(true)
					c.Close()
				},
				brk: func() { go s.Channel().Break(ctx, 1000) }, // ssh's break length
				rekey: func() {
					go func() {
						if err := c.Rekey(ctx); err != nil {
							lg.debug(1, "rekey: %v", err)
						}
					}()
				},
				help:      func(msg string) { fmt.Fprint(os.Stderr, msg) },
				echo:      func(msg string) { fmt.Fprint(os.Stderr, msg) },
				command:   func(line string) string { return runCmdline(line, forward) },
				noCmdline: !o.yes("enableescapecommandline", false),
			})
		}
	}
	switch {
	case strings.EqualFold(o.get("sessiontype"), "subsystem"):
		if cmd == "" {
			lg.errorf("gossh: SessionType subsystem (-s) needs the subsystem's name as the command")
			return 255
		}
		err = s.Subsystem(ctx, cmd)
	case cmd == "":
		err = s.Shell(ctx)
	default:
		err = s.Start(ctx, cmd)
	}
	if err != nil {
		lg.errorf("gossh: %v", err)
		return 255
	}
	err = s.Wait(ctx)
	if restore != nil {
		restore()
	}
	if disconnected.Load() {
		return 255
	}
	var ee *client.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.Signal != "" {
			lg.errorf("Remote command killed by signal %s", ee.Signal)
		}
		return ee.ExitCode()
	case errors.Is(err, client.ErrExitMissing):
		return 255
	}
	lg.errorf("gossh: %v", err)
	return 255
}

// requestX11 asks for X11 forwarding on the session with the lines ssh
// prints for it (ssh.c's ssh_session2_setup, clientloop.c's
// client_x11_get_proto). A failure is reported and the session goes on,
// as in ssh.
func requestX11(ctx context.Context, s *client.Session, o *options, lg *logger) {
	display := os.Getenv("DISPLAY")
	if display == "" {
		lg.debug(1, "X11 forwarding requested but DISPLAY not set")
		return
	}
	x := &x11.Config{Display: display, Trusted: o.yes("forwardx11trusted", false), XAuthLocation: o.get("xauthlocation")}
	if d, err := duration(o.get("forwardx11timeout")); err == nil {
		x.Timeout = d
		if d == 0 {
			x.Timeout = -1 // ForwardX11Timeout 0: no timeout
		}
	}
	if _, err := os.Stat(x.XAuthLocation); err == nil && x.Trusted {
		name := display
		if rest, ok := strings.CutPrefix(display, "localhost:"); ok {
			name = "unix:" + rest
		}
		lg.debug(2, "x11_get_proto: %s  list %s 2>/dev/null", x.XAuthLocation, name)
	}
	a, err := x.Authorization(ctx)
	switch {
	case errors.Is(err, x11.ErrDisplay):
		lg.info("DISPLAY \"%s\" invalid; disabling X11 forwarding", display)
		return
	case errors.Is(err, x11.ErrUntrusted):
		lg.errorf("Warning: untrusted X11 forwarding setup failed: xauth key data not generated")
		return
	case err != nil:
		lg.errorf("gossh: %v", err)
		return
	}
	if a.NoXAuth {
		lg.debug(1, "No xauth program.")
	}
	if a.MadeUp {
		lg.info("Warning: No xauth data; using fake authentication data for X11 forwarding.")
	}
	lg.debug(1, "Requesting X11 forwarding with authentication spoofing.")
	id := s.Channel().LocalID()
	if err := x11.Request(ctx, s, a); err != nil {
		lg.errorf("X11 forwarding request failed on channel %d", id)
		return
	}
	lg.debug(2, "X11 forwarding request accepted on channel %d", id)
}
