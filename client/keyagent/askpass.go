package keyagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/term"
)

// DefaultAskpass is the askpass program used when SSH_ASKPASS is unset,
// OpenSSH's default on Debian.
const DefaultAskpass = "/usr/bin/ssh-askpass"

// Flags of ReadPassphrase, OpenSSH's read_passphrase flags.
const (
	// UseAskpass always asks through the askpass program, never a
	// terminal (ssh-agent's confirmation).
	UseAskpass = 1 << iota
	// AllowStdin asks through askpass when standard input is not a
	// terminal (ssh-add's passphrases).
	AllowStdin
	// Echo shows the answer as it is typed.
	Echo
	// AskPermission tells the askpass program this is a yes/no question
	// (SSH_ASKPASS_PROMPT=confirm).
	AskPermission
)

// ErrNoAskpass means the askpass program may not be used: DISPLAY is
// unset and SSH_ASKPASS_REQUIRE is not "force", or it is "never".
var ErrNoAskpass = errors.New("keyagent: no askpass program allowed (DISPLAY unset)")

// ErrAskpass means the askpass program failed or exited non-zero, as it
// does when the user cancels.
var ErrAskpass = errors.New("keyagent: askpass failed")

// ReadPassphrase asks for a passphrase as OpenSSH's read_passphrase does:
// through the program named by SSH_ASKPASS (DefaultAskpass if unset),
// which may run only when DISPLAY is set or SSH_ASKPASS_REQUIRE=force,
// and which is used when flags or SSH_ASKPASS_REQUIRE ask for it or no
// terminal is there; otherwise on /dev/tty, or on standard input when
// there is no terminal. The askpass program gets the prompt as its only
// argument and answers on its standard output; the answer ends at the
// first newline.
func ReadPassphrase(ctx context.Context, prompt string, flags int) (string, error) {
	allow := os.Getenv("DISPLAY") != ""
	use := false
	switch strings.ToLower(os.Getenv("SSH_ASKPASS_REQUIRE")) {
	case "force":
		use, allow = true, true
	case "prefer":
		use = allow
	case "never":
		allow = false
	}
	var tty *os.File
	switch {
	case use:
	case flags&UseAskpass != 0:
		use = true
	case flags&AllowStdin != 0:
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			use = true
		}
	default:
		f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			use = true
		} else {
			tty = f
			defer f.Close()
		}
	}
	if flags&UseAskpass != 0 && !allow {
		return "", ErrNoAskpass
	}
	if use && allow {
		return askpass(ctx, prompt, flags&AskPermission != 0)
	}
	return readTerminal(prompt, tty, flags&Echo != 0)
}

func askpass(ctx context.Context, prompt string, confirm bool) (string, error) {
	prog := os.Getenv("SSH_ASKPASS")
	if prog == "" {
		prog = DefaultAskpass
	}
	cmd := exec.CommandContext(ctx, prog, prompt)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if confirm {
		cmd.Env = append(cmd.Env, "SSH_ASKPASS_PROMPT=confirm")
	}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrAskpass, prog, err)
	}
	if i := bytes.IndexAny(out, "\r\n"); i >= 0 {
		out = out[:i]
	}
	return string(out), nil
}

// readTerminal reads an answer from tty, else from /dev/tty, else from
// standard input with the prompt on standard error.
func readTerminal(prompt string, tty *os.File, echo bool) (string, error) {
	if tty == nil {
		if f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
			tty = f
			defer f.Close()
		}
	}
	in, out := tty, tty
	if tty == nil {
		in, out = os.Stdin, os.Stderr
	}
	fmt.Fprint(out, prompt)
	if !echo && term.IsTerminal(int(in.Fd())) {
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(out)
		return string(b), err
	}
	// One byte at a time: the next prompt reads the next line.
	var line []byte
	var b [1]byte
	for len(line) < 1024 {
		n, err := in.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err != nil {
			if len(line) == 0 {
				return "", err
			}
			break
		}
	}
	return strings.TrimRight(string(line), "\r"), nil
}

// AskpassConfirm asks the user through the askpass program whether to
// allow a use of a key, as ssh-agent's ask_permission does: an empty
// answer or "yes" (any case) allows it; any other answer, a failing or
// cancelled askpass, or no askpass allowed (see ReadPassphrase) refuses.
func AskpassConfirm(ctx context.Context, prompt string) bool {
	a, err := ReadPassphrase(ctx, prompt, UseAskpass|AskPermission)
	return err == nil && (a == "" || strings.EqualFold(a, "yes"))
}
