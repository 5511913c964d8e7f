// Package sftpcli holds what gosftp and goscp share: the connection to
// an SFTP server through gossh (or any ssh(1)-compatible program), as
// OpenSSH's sftp and scp reach theirs through ssh, and copying files and
// trees between the local file system and SFTP servers
// (draft-ietf-secsh-filexfer-02, SFTP version 3, through
// github.com/pkg/sftp).
package sftpcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// ErrConnection is returned by Dial when the ssh program ends before the
// SFTP version exchange completes (it printed why on stderr).
var ErrConnection = errors.New("sftpcli: connection closed")

// Program is the ssh program to run: program if not empty (-S), else
// gossh next to the running executable, else gossh from $PATH.
func Program(program string) string {
	if program != "" {
		return program
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "gossh")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return "gossh"
}

// A Conn is an SFTP client on the "sftp" subsystem of an ssh process.
type Conn struct {
	*sftp.Client
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has exited
	err  error         // cmd.Wait's result, set before done closes
}

// Dial runs program with args (which end with the destination and the
// subsystem name, as "-s -- host sftp") and starts SFTP over its stdin
// and stdout; its stderr is the command's. ctx bounds the start: when it
// ends first, the process is killed.
func Dial(ctx context.Context, program string, args []string, opts ...sftp.ClientOption) (*Conn, error) {
	cmd := exec.Command(program, args...)
	cmd.Stderr = os.Stderr
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sftpcli: running %s: %w", program, err)
	}
	c := &Conn{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	sc, err := sftp.NewClientPipe(r, w, opts...)
	stopped := stop()
	if err == nil && !stopped {
		sc.Close()
		err = ctx.Err()
	}
	if err != nil {
		w.Close()
		<-c.done
		// The program ended: the version exchange read EOF, or wrote
		// to a pipe Wait had closed.
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
			return nil, ErrConnection
		}
		return nil, fmt.Errorf("sftpcli: starting sftp: %w", err)
	}
	c.Client = sc
	return c, nil
}

// closeGrace is how long Close waits for the ssh program to exit by
// itself before it kills it.
var closeGrace = 10 * time.Second

// Close ends the SFTP session, which closes the ssh program's stdin,
// and waits for the program to exit; one that has not exited
// closeGrace later is killed.
func (c *Conn) Close() error {
	// pkg/sftp's Close waits for its reader, which ends when the
	// program's stdout does.
	closed := make(chan struct{})
	go func() {
		c.Client.Close()
		close(closed)
	}()
	select {
	case <-c.done:
	case <-time.After(closeGrace):
		c.cmd.Process.Kill()
		<-c.done
	}
	<-closed
	return nil
}

// maxMessage is the largest SFTP message OpenSSH's sftp-server takes
// (SFTP_MAX_MSG_LENGTH, 256 KiB), less room for a WRITE's header.
const maxMessage = 256<<10 - 1024

// MaxPacket is the pkg/sftp option for a data size of n bytes per
// request (sftp -B, scp -X buffer=), at most what OpenSSH's server takes.
func MaxPacket(n int) sftp.ClientOption {
	return sftp.MaxPacketUnchecked(min(n, maxMessage))
}

// Args builds the ssh command line for a destination: extra (the
// options the command passes on: -o, -i, -F, -J, -v ...), the login name
// if any, then "-s -- host subsystem".
func Args(extra []string, user, host string) []string {
	args := append([]string(nil), extra...)
	if user != "" {
		args = append(args, "-l", user)
	}
	return append(args, "-s", "--", host, "sftp")
}

// SplitRemote splits an scp/sftp operand [user@]host:path (host may be
// [bracketed] for IPv6) or scp://[user@]host[:port][/path]. ok is false
// for a local path: no colon, or a slash before the first colon.
func SplitRemote(s string) (user, host, port, path string, ok bool) {
	if rest, found := strings.CutPrefix(s, "scp://"); found {
		hostPart, p, _ := strings.Cut(rest, "/")
		if p != "" || strings.HasSuffix(rest, "/") {
			path = p
		}
		if i := strings.LastIndex(hostPart, "@"); i >= 0 {
			user, hostPart = hostPart[:i], hostPart[i+1:]
		}
		if strings.HasPrefix(hostPart, "[") {
			if j := strings.Index(hostPart, "]"); j > 0 {
				host, port = hostPart[1:j], strings.TrimPrefix(hostPart[j+1:], ":")
				return user, host, port, path, host != ""
			}
		}
		host, port, _ = strings.Cut(hostPart, ":")
		return user, host, port, path, host != ""
	}
	colon := -1
	if i := strings.Index(s, "@["); i >= 0 || strings.HasPrefix(s, "[") {
		// [v6]:path
		if j := strings.Index(s, "]:"); j > 0 {
			colon = j + 1
		}
	}
	if colon < 0 {
		colon = strings.Index(s, ":")
	}
	if colon <= 0 || strings.Contains(s[:colon], "/") {
		return "", "", "", "", false
	}
	hostPart := s[:colon]
	path = s[colon+1:]
	if i := strings.LastIndex(hostPart, "@"); i >= 0 {
		user, hostPart = hostPart[:i], hostPart[i+1:]
	}
	host = strings.Trim(hostPart, "[]")
	return user, host, "", path, host != ""
}
