package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
)

// proxyCommandFdpass is ProxyCommand with ProxyUseFdpass: the command
// connects and hands the connected socket back over its stdout, a Unix
// socket, with SCM_RIGHTS (as "nc -F" does); gossh then talks over that
// socket directly and waits for the command to exit, as ssh's
// ssh_proxy_fdpass_connect does.
func proxyCommandFdpass(ctx context.Context, command string) (net.Conn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "fdpass"), os.NewFile(uintptr(fds[1]), "fdpass-child")
	defer ours.Close()
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = theirs, theirs, os.Stderr
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	defer stop()
	fd, rerr := receiveFD(int(ours.Fd()))
	werr := cmd.Wait()
	if rerr != nil {
		return nil, fmt.Errorf("proxy dialer did not pass back a connection: %w", rerr)
	}
	f := os.NewFile(uintptr(fd), "proxied")
	defer f.Close()
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			return nil, werr
		}
		// ssh ignores the helper's exit status once it has the socket.
	}
	return net.FileConn(f)
}

// receiveFD reads one message carrying one descriptor (SCM_RIGHTS).
func receiveFD(sock int) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, syscall.CmsgSpace(4))
	for {
		_, oobn, _, _, err := syscall.Recvmsg(sock, buf, oob, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return -1, err
		}
		msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return -1, err
		}
		for _, m := range msgs {
			fds, err := syscall.ParseUnixRights(&m)
			if err == nil && len(fds) > 0 {
				for _, extra := range fds[1:] {
					syscall.Close(extra)
				}
				return fds[0], nil
			}
		}
		return -1, errors.New("no descriptor in the message")
	}
}
