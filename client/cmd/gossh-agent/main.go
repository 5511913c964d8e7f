//go:build unix

// Command gossh-agent is an ssh-agent: it holds private keys and signs
// with them for ssh, gossh and ssh-add clients, speaking the agent
// protocol (draft-miller-ssh-agent, OpenSSH PROTOCOL.agent) on a Unix
// socket. It takes ssh-agent(1)'s flags:
//
//	gossh-agent [-c | -s] [-Dd] [-a bind_address] [-E fingerprint_hash]
//	            [-O option] [-P allowed_providers] [-t life]
//	gossh-agent [-a bind_address] [-E fingerprint_hash] [-t life] command [arg ...]
//	gossh-agent [-c | -s] -k
//
// Without -D or -d it goes to the background and prints the shell
// commands that point SSH_AUTH_SOCK and SSH_AGENT_PID at it; with a
// command it runs the command with those set and exits when the command
// does. Keys added with the confirm constraint (ssh-add -c) are confirmed
// through SSH_ASKPASS, as ssh-agent confirms them. docs/gossh-agent.md
// lists every flag with its status.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/sshconfig/getopt"
)

const usage = `usage: gossh-agent [-c | -s] [-Dd] [-a bind_address] [-E fingerprint_hash]
                   [-O option] [-P allowed_providers] [-t life]
       gossh-agent [-a bind_address] [-E fingerprint_hash] [-O option]
                   [-P allowed_providers] [-t life] command [arg ...]
       gossh-agent [-c | -s] -k
`

// Flag errors, reported as ssh-agent reports them: a usageError's text
// (if any) with CR LF, then the usage, exit 1; "Invalid lifetime" and the
// usage, exit 1; a fatalError's text with CR LF, exit 255 (ssh-agent's
// getopt and fatal() lines end in CR LF).
type (
	usageError string
	fatalError string
)

func (e usageError) Error() string { return string(e) }
func (e fatalError) Error() string { return string(e) }

var errLifetime = errors.New("invalid lifetime")

// childEnv marks the background agent that the first process starts in
// its place (Go cannot fork); its value is the socket directory to remove
// on exit ("" with -a), and the listening socket is file descriptor 3.
const (
	childEnv       = "GOSSH_AGENT_CHILD"
	childSockEnv   = "GOSSH_AGENT_SOCKET"
	childParent    = "GOSSH_AGENT_PARENT" // pid to watch in command mode
	childLife      = "GOSSH_AGENT_LIFETIME"
	childHash      = "GOSSH_AGENT_FPHASH"
	childProviders = "GOSSH_AGENT_PROVIDERS"
	childWebsafe   = "GOSSH_AGENT_NO_WEBSAFE"
)

type flags struct {
	c, s, d, D, k bool
	bind          string
	hash          string
	life          time.Duration
	providers     string // -P
	noWebsafe     bool   // -O no-restrict-websafe
	cmd           []string
}

func main() { os.Exit(run(os.Args[1:])) }

func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, format, args...)
	return 1
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{hash: "sha256"}
	rest, err := getopt.Parse(args, "", "EaOPt", func(c byte, val string) error {
		switch c {
		case 'c':
			if f.s {
				return usageError("")
			}
			f.c = true
		case 's':
			if f.c {
				return usageError("")
			}
			f.s = true
		case 'd', 'D':
			if f.d || f.D {
				return usageError("")
			}
			f.d, f.D = c == 'd', c == 'D'
		case 'k':
			f.k = true
		case 'a':
			f.bind = val
		case 'E':
			if _, err := keyagent.FingerprintFunc(val); err != nil {
				return fatalError(fmt.Sprintf("Invalid hash algorithm \"%s\"", val))
			}
			f.hash = val
		case 'O':
			// ssh-agent's only -O option lifts its web-safe check of
			// what FIDO keys of non-SSH applications sign.
			if val != "no-restrict-websafe" {
				return fatalError("Unknown -O option")
			}
			f.noWebsafe = true
		case 'P':
			// The PKCS#11 modules ssh-add -s may load.
			if f.providers != "" {
				return fatalError("-P option already specified")
			}
			f.providers = val
		case 't':
			d, err := sshconfig.ParseTime(val)
			if err != nil {
				return errLifetime
			}
			f.life = d
		default:
			return usageError(fmt.Sprintf("unknown option -- %c", c))
		}
		return nil
	}, func(m string) error { return usageError(m) })
	if err != nil {
		return nil, err
	}
	f.cmd = rest
	if len(f.cmd) > 0 && (f.c || f.k || f.s || f.d || f.D) {
		return nil, usageError("")
	}
	return f, nil
}

func run(args []string) int {
	if os.Getenv(childEnv) != "" {
		return child()
	}
	f, err := parseFlags(args)
	if err != nil {
		var fe fatalError
		var ue usageError
		switch {
		case errors.As(err, &fe):
			fmt.Fprintf(os.Stderr, "%s\r\n", fe)
			return 255
		case errors.As(err, &ue) && ue != "":
			fmt.Fprintf(os.Stderr, "%s\r\n", ue)
		case errors.Is(err, errLifetime):
			fmt.Fprint(os.Stderr, "Invalid lifetime\n")
		}
		fmt.Fprint(os.Stderr, usage)
		return 1
	}
	if len(f.cmd) == 0 && !f.c && !f.s && strings.HasSuffix(os.Getenv("SHELL"), "csh") {
		f.c = true
	}
	if f.k {
		return kill(f)
	}

	pid := os.Getpid()
	sock, dir := f.bind, ""
	if sock == "" {
		if dir, err = socketDir(); err != nil {
			return fail("mkdtemp: private socket dir: %v\n", err)
		}
		sock = filepath.Join(dir, "agent."+strconv.Itoa(pid))
	}
	l, err := listen(sock)
	if err != nil {
		if dir != "" {
			os.Remove(dir)
		}
		return fail("gossh-agent: %v\n", err)
	}

	if f.d || f.D {
		if f.c {
			fmt.Printf("setenv SSH_AUTH_SOCK %s;\n", sock)
		} else {
			fmt.Printf("SSH_AUTH_SOCK=%s; export SSH_AUTH_SOCK;\n", sock)
		}
		fmt.Printf("echo Agent pid %d;\n", pid)
		level := slog.LevelInfo
		if f.d {
			level = slog.LevelDebug
			log.SetOutput(os.Stderr)
		} else {
			log.SetOutput(io.Discard)
		}
		lg := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		return serve(ctx, l, sock, dir, f.life, f.hash, f.providers, f.noWebsafe, lg, 0)
	}

	// Go cannot fork: start this program again as the agent, handing it
	// the listening socket, then print its pid or run the command.
	lf, err := l.(*net.UnixListener).File()
	if err != nil {
		return fail("gossh-agent: %v\n", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	exe, err := os.Executable()
	if err != nil {
		return fail("gossh-agent: %v\n", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fail("gossh-agent: %v\n", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", "GOSSH_AGENT_DIR="+dir, childSockEnv+"="+sock,
		childLife+"="+strconv.FormatInt(int64(f.life), 10), childHash+"="+f.hash, childProviders+"="+f.providers, childWebsafe+"="+strconv.FormatBool(f.noWebsafe))
	if len(f.cmd) > 0 {
		cmd.Env = append(cmd.Env, childParent+"="+strconv.Itoa(pid))
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		os.Remove(sock)
		if dir != "" {
			os.Remove(dir)
		}
		return fail("fork: %v\n", err)
	}
	lf.Close()
	null.Close()
	apid := cmd.Process.Pid
	if len(f.cmd) == 0 {
		if f.c {
			fmt.Printf("setenv SSH_AUTH_SOCK %s;\nsetenv SSH_AGENT_PID %d;\n", sock, apid)
		} else {
			fmt.Printf("SSH_AUTH_SOCK=%s; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=%d; export SSH_AGENT_PID;\n", sock, apid)
		}
		fmt.Printf("echo Agent pid %d;\n", apid)
		return 0
	}
	path, err := exec.LookPath(f.cmd[0])
	if err != nil {
		return fail("%s: %v\n", f.cmd[0], err)
	}
	// Setenv, not append: execve keeps duplicates, and getenv would find
	// an SSH_AUTH_SOCK the user already had first.
	os.Setenv("SSH_AUTH_SOCK", sock)
	os.Setenv("SSH_AGENT_PID", strconv.Itoa(apid))
	err = syscall.Exec(path, f.cmd, os.Environ())
	return fail("%s: %v\n", f.cmd[0], err)
}

// child is the background agent.
func child() int {
	log.SetOutput(io.Discard)
	signal.Ignore(syscall.SIGINT)
	dir, sock := os.Getenv("GOSSH_AGENT_DIR"), os.Getenv(childSockEnv)
	life, _ := strconv.ParseInt(os.Getenv(childLife), 10, 64)
	parent, _ := strconv.Atoi(os.Getenv(childParent))
	hash, providers := os.Getenv(childHash), os.Getenv(childProviders)
	noWebsafe, _ := strconv.ParseBool(os.Getenv(childWebsafe))
	for _, k := range []string{childEnv, "GOSSH_AGENT_DIR", childSockEnv, childLife, childHash, childParent, childProviders, childWebsafe} {
		os.Unsetenv(k)
	}
	lf := os.NewFile(3, "agent socket")
	l, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return serve(ctx, l, sock, dir, time.Duration(life), hash, providers, noWebsafe, nil, parent)
}

// serve runs the agent until ctx is done, or, when parent is set, until
// that process has gone (command mode: ssh-agent's check_parent_exists).
func serve(ctx context.Context, l net.Listener, sock, dir string, life time.Duration, hash, providers string, noWebsafe bool, lg *slog.Logger, parent int) int {
	defer func() {
		os.Remove(sock)
		if dir != "" {
			os.Remove(dir)
		}
	}()
	fp, err := keyagent.FingerprintFunc(hash)
	if err != nil {
		fp = hostkey.FingerprintSHA256
	}
	// ssh-add -s loads PKCS#11 modules through ssh-pkcs11-helper, from
	// the -P allowlist (ssh-agent's default without -P).
	kr := keyagent.NewKeyring(&keyagent.Config{Lifetime: life, Confirm: keyagent.AskpassConfirm, Fingerprint: fp, Logger: lg,
		AllowedProviders: providers, NoRestrictWebsafe: noWebsafe})
	defer kr.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if parent != 0 {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if os.Getppid() != parent {
						cancel()
						return
					}
				}
			}
		}()
	}
	s := &keyagent.Server{Keyring: kr, Logger: lg}
	err = s.Serve(ctx, l)
	if err != nil && ctx.Err() == nil {
		if lg != nil {
			lg.Error("serving", "err", err)
		}
		return 1
	}
	return 0
}

// socketDir creates ssh-agent's private directory for the socket,
// $TMPDIR/ssh-XXXXXXXXXXXX, mode 0700.
func socketDir() (string, error) {
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = "/tmp"
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for range 100 {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = letters[int(b[i])%len(letters)]
		}
		dir := filepath.Join(tmp, "ssh-"+string(b[:]))
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	return "", errors.New("no unused name")
}

// listen binds the socket with umask 0177, so that it is created mode
// 0600 and never briefly wider.
func listen(sock string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", sock)
	syscall.Umask(old)
	return l, err
}

// kill is -k: SIGTERM to SSH_AGENT_PID, then the shell commands that
// unset the variables.
func kill(f *flags) int {
	s := os.Getenv("SSH_AGENT_PID")
	if s == "" {
		return fail("SSH_AGENT_PID not set, cannot kill agent\n")
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid < 2 {
		return fail("SSH_AGENT_PID=\"%s\", which is not a good PID\n", s)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fail("kill: %v\n", err)
	}
	unset := "unset %s;\n"
	if f.c {
		unset = "unsetenv %s;\n"
	}
	fmt.Printf(unset, "SSH_AUTH_SOCK")
	fmt.Printf(unset, "SSH_AGENT_PID")
	fmt.Printf("echo Agent pid %d killed;\n", pid)
	return 0
}
