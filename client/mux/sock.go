package mux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrPeerUID is returned for a connection from a process of another
// user (not root, not ours), which the master refuses as OpenSSH's
// does ("multiplex uid mismatch").
var ErrPeerUID = errors.New("mux: control socket peer is another user")

// ErrExists is returned by Listen when something is at the path already
// (OpenSSH: "ControlSocket ... already exists, disabling multiplexing").
var ErrExists = errors.New("mux: control socket already exists")

// Listen creates the control socket at path, mode 0600, without a
// window in which it is reachable with other permissions or half made:
// it binds in a fresh private (0700) directory beside path, sets the
// mode, then links the socket into place, which fails with ErrExists
// rather than replace anything (the same dance as mux.c's
// muxserver_listen, without changing the process's umask). Closing the
// listener removes path if it is still this socket.
func Listen(path string) (*Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".mux-")
	if err != nil {
		return nil, fmt.Errorf("mux: control socket: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("mux: control socket: %w", err)
	}
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("mux: control socket: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		l.Close()
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: %s", ErrExists, path)
		}
		return nil, fmt.Errorf("mux: control socket: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("mux: control socket: %w", err)
	}
	return &Listener{UnixListener: l, path: path, fi: fi}, nil
}

// A Listener is a control socket made by Listen.
type Listener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo
}

// Path returns the control socket's path.
func (l *Listener) Path() string { return l.path }

// Close stops listening and removes the socket file if it is still the
// one Listen made.
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.fi) {
		os.Remove(l.path)
	}
	return err
}

// DialPath connects to a control socket.
func dialPath(ctx context.Context, path string) (*net.UnixConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// checkPeer refuses a peer that is neither root nor our user, by its
// SO_PEERCRED credentials (getpeereid in OpenSSH).
func checkPeer(c *net.UnixConn) error {
	uid, err := peerUID(c)
	if err != nil {
		return fmt.Errorf("mux: peer credentials: %w", err)
	}
	if uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("%w: uid %d, ours %d", ErrPeerUID, uid, os.Geteuid())
	}
	return nil
}

// A packetConn reads and writes whole mux packets. It never reads past
// the end of a packet, so that the bytes carrying descriptors that
// follow one stay for recvFD.
type packetConn struct {
	c   *net.UnixConn
	buf []byte
}

// read returns the next message. Its length is checked before anything
// is allocated (MaxPacket).
func (p *packetConn) read() (Message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.c, hdr[:]); err != nil {
		return nil, err
	}
	n, err := packetLen(hdr)
	if err != nil {
		return nil, err
	}
	if cap(p.buf) < n {
		p.buf = make([]byte, n)
	}
	b := p.buf[:n]
	if _, err := io.ReadFull(p.c, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return Parse(b)
}

func (p *packetConn) write(m Message) error {
	_, err := p.c.Write(AppendPacket(nil, m))
	return err
}

// withCtx makes ctx's end interrupt the blocking calls of f on c.
func withCtx[T any](ctx context.Context, c *net.UnixConn, f func() (T, error)) (T, error) {
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	v, err := f()
	if !stop() {
		c.SetDeadline(time.Time{})
		if ctx.Err() != nil {
			var zero T
			return zero, ctx.Err()
		}
	}
	return v, err
}

// sendFD sends one descriptor with one byte of data, as OpenSSH's
// mm_send_fd: each descriptor of a session request is its own message.
func sendFD(c *net.UnixConn, fd int) error {
	_, _, err := c.WriteMsgUnix([]byte{0}, syscall.UnixRights(fd), nil)
	return err
}

// recvFD receives one descriptor sent by sendFD (or mm_send_fd). Any
// extra descriptors in the message are closed.
func recvFD(c *net.UnixConn) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return -1, err
	}
	var fds []int
	if msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn]); perr == nil {
		for _, m := range msgs {
			if got, err := syscall.ParseUnixRights(&m); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	if len(fds) == 0 || n != 1 || flags&syscall.MSG_CTRUNC != 0 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return -1, errors.New("mux: did not receive file descriptors")
	}
	for _, fd := range fds[1:] {
		syscall.Close(fd)
	}
	return fds[0], nil
}
