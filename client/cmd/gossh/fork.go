package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// ForkAfterAuthentication (-f). Go cannot fork a running process, so
// gossh runs itself again as a child (stdin from /dev/null, as ssh -f
// does) and waits: the child authenticates in the foreground, prompts
// and errors on the terminal, then leaves the terminal's session and
// tells the parent through a pipe (forkFDEnv names the descriptor), and
// the parent exits 0 as ssh's does after its fork. A child that fails
// before that makes the parent exit with its status.
const forkFDEnv = "GOSSH_FORK_FD"

// forkAfterAuth is the parent's side; it returns the exit status.
func forkAfterAuth(args []string) int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: fork: %v\n", err)
		return 255
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: fork: %v\n", err)
		return 255
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: fork: %v\n", err)
		return 255
	}
	defer devnull.Close()
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(os.Environ(), forkFDEnv+"=3")
	// The child keeps the terminal until it has authenticated, so that
	// it can ask for passwords and passphrases (/dev/tty); then it
	// leaves the session (forked).
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "gossh: fork: %v\n", err)
		return 255
	}
	w.Close()
	var b [1]byte
	if n, _ := r.Read(b[:]); n == 1 {
		cmd.Process.Release() // the child runs on in the background
		return 0
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 255
}

// forked is the child's side, after authentication: it releases the
// waiting parent. Without -f it does nothing.
func forked() error {
	fd, err := strconv.Atoi(os.Getenv(forkFDEnv))
	if err != nil {
		return nil
	}
	os.Unsetenv(forkFDEnv)
	f := os.NewFile(uintptr(fd), "fork")
	if f == nil {
		return nil
	}
	defer f.Close()
	// Leave the terminal's session, as ssh's daemon(3) does, so that
	// its hangup and ^C no longer reach us.
	if _, err := syscall.Setsid(); err != nil {
		return fmt.Errorf("fork: setsid: %w", err)
	}
	_, err = io.WriteString(f, "1")
	return err
}

// localCommand runs LocalCommand after the connection is up, when
// PermitLocalCommand allows it, as ssh's ssh_local_cmd: through the
// user's shell, its tokens expanded, waiting for it.
func localCommand(o *options, mc matchContext, lg *logger) error {
	lc := o.get("localcommand")
	if lc == "" || lc == "none" || !o.yes("permitlocalcommand", false) {
		return nil
	}
	cmdline, err := expandTokens(lc, o, mc)
	if err != nil {
		return fmt.Errorf("LocalCommand: %w", err)
	}
	lg.debug(3, "Executing %s", cmdline)
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	cmd := exec.Command(shell, "-c", cmdline)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("LocalCommand: %v", err)
	}
	return nil
}
