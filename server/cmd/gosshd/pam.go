//go:build cgo && !nopam

// PAM through github.com/msteinert/pam/v2 (cgo, libpam0g-dev at build
// time): the default build wherever cgo works. Build with -tags nopam or
// CGO_ENABLED=0 for a gosshd without it (nopam.go).

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/msteinert/pam/v2"
)

// havePAM reports whether this gosshd was built with PAM.
const havePAM = true

// The main goroutine stays on the main thread: in -pam-session mode the
// PAM modules write per-task state such as /proc/self/loginuid, which
// the kernel accepts only from the thread group leader, and the command
// forked afterwards must inherit it.
func init() { runtime.LockOSThread() }

// pamAuthenticate runs PAM's auth and account phases for user with the
// given service, answering its conversation with conv.
func pamAuthenticate(service, user string, conv func(pamMessage) (string, error)) error {
	t, err := pam.StartFunc(service, user, func(style pam.Style, msg string) (string, error) {
		switch style {
		case pam.PromptEchoOff, pam.PromptEchoOn:
			return conv(pamMessage{Text: msg, Prompt: true, Echo: style == pam.PromptEchoOn})
		case pam.ErrorMsg, pam.TextInfo:
			return conv(pamMessage{Text: msg})
		}
		return "", nil
	})
	if err != nil {
		return fmt.Errorf("pam: start: %w", err)
	}
	defer t.End()
	if err := t.Authenticate(pam.DisallowNullAuthtok); err != nil {
		return fmt.Errorf("pam: %w", err)
	}
	if err := t.AcctMgmt(pam.DisallowNullAuthtok); err != nil {
		return fmt.Errorf("pam: account: %w", err)
	}
	return nil
}

// pamSession is the -pam-session mode: args are service, user, rhost,
// tty ("" for none), "--", path, argv...
func pamSession(args []string) int {
	if len(args) < 7 || args[4] != "--" {
		fmt.Fprintln(os.Stderr, "gosshd: bad -pam-session arguments")
		return 254
	}
	service, user, rhost, tty, path, argv := args[0], args[1], args[2], args[3], args[5], args[6:]
	t, err := pam.StartFunc(service, user, func(pam.Style, string) (string, error) {
		return "", errors.New("no conversation in the session phase")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosshd: pam_start:", err)
		return 254
	}
	// Undo in reverse order exactly once, on every path.
	var undo []func()
	cleanup := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		undo = nil
	}
	defer cleanup()
	undo = append(undo, func() { t.End() })
	t.SetItem(pam.Rhost, rhost)
	if tty != "" {
		t.SetItem(pam.Tty, tty)
	}
	if err := t.SetCred(pam.EstablishCred); err != nil {
		fmt.Fprintln(os.Stderr, "gosshd: pam_setcred:", err)
		return 254
	}
	undo = append(undo, func() { t.SetCred(pam.DeleteCred) })
	if err := t.OpenSession(0); err != nil {
		fmt.Fprintln(os.Stderr, "gosshd: pam_open_session:", err)
		return 254
	}
	undo = append(undo, func() { t.CloseSession(0) })
	env := os.Environ()
	var cred *syscall.Credential
	kept := env[:0]
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "GOSSHD_CRED="); ok {
			cred = parseCred(v)
			continue
		}
		kept = append(kept, e)
	}
	env = kept
	if pe, err := t.GetEnvList(); err == nil {
		for k, v := range pe {
			env = append(env, k+"="+v)
		}
	}
	cmd := exec.Command(path)
	cmd.Args = argv
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if tty != "" {
		// The command gets its own process group in the foreground of the
		// terminal, so that ^C reaches it and not this helper.
		cmd.SysProcAttr.Setpgid = true
		cmd.SysProcAttr.Foreground = true
		cmd.SysProcAttr.Ctty = 0
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2,
		syscall.SIGALRM, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gosshd:", err)
		return 127
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	cmd.Wait()
	close(done)
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	cleanup()
	if ws.Signaled() {
		// Die of the same signal, so that the daemon reports exit-signal.
		signal.Reset(ws.Signal())
		syscall.Kill(os.Getpid(), ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

func parseCred(v string) *syscall.Credential {
	var c syscall.Credential
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return nil
	}
	fmt.Sscan(parts[0], &c.Uid)
	fmt.Sscan(parts[1], &c.Gid)
	for _, g := range strings.Split(parts[2], ",") {
		var n uint32
		if _, err := fmt.Sscan(g, &n); err == nil {
			c.Groups = append(c.Groups, n)
		}
	}
	return &c
}
