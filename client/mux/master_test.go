package mux

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startMaster serves a control socket with a Master that has no
// client.Client: the requests tested here never reach it.
func startMaster(t *testing.T) (path string, done <-chan error, cancel context.CancelFunc) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ctl")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &Master{Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- m.Serve(ctx, l); close(ch) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return path, ch, cancel
}

// rawConn is a hostile mux client: it writes what it likes.
func rawConn(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.UnixConn)
}

func readMsg(t *testing.T, c *net.UnixConn) (Message, error) {
	t.Helper()
	p := &packetConn{c: c}
	return p.read()
}

func hello(t *testing.T, c *net.UnixConn) {
	t.Helper()
	m, err := readMsg(t, c)
	if h, ok := m.(*Hello); err != nil || !ok || h.Version != Version {
		t.Fatalf("master hello: %#v %v", m, err)
	}
	c.Write(AppendPacket(nil, &Hello{Version: Version}))
}

// closed reports whether the master closed the connection.
func closed(t *testing.T, c *net.UnixConn) bool {
	t.Helper()
	_, err := readMsg(t, c)
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

func TestMasterHostile(t *testing.T) {
	path, _, _ := startMaster(t)
	t.Run("no hello", func(t *testing.T) {
		c := rawConn(t, path)
		readMsg(t, c)
		c.Write(AppendPacket(nil, &Request{Kind: MsgAliveCheck, ReqID: 1}))
		if !closed(t, c) {
			t.Error("a request before the hello was answered")
		}
	})
	t.Run("wrong version", func(t *testing.T) {
		c := rawConn(t, path)
		readMsg(t, c)
		c.Write(AppendPacket(nil, &Hello{Version: 3}))
		if !closed(t, c) {
			t.Error("version 3 accepted")
		}
	})
	t.Run("huge length", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write([]byte{0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 4})
		if !closed(t, c) {
			t.Error("a 4 GiB packet was not refused")
		}
	})
	t.Run("short packet", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write([]byte{0, 0, 0, 2, 0x10, 0})
		if !closed(t, c) {
			t.Error("a 2-byte packet was not refused")
		}
	})
	t.Run("malformed", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		b := (&NewSession{ReqID: 1, Command: "a\x00b"}).Append(nil)
		c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		c.Write(b)
		if !closed(t, c) {
			t.Error("a command with NUL was not refused")
		}
	})
	t.Run("second hello", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write(AppendPacket(nil, &Hello{Version: Version}))
		if !closed(t, c) {
			t.Error("a second hello was accepted")
		}
	})
	t.Run("unknown request", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write([]byte{0, 0, 0, 8, 0x10, 0, 0, 0x42, 0, 0, 0, 7})
		m, err := readMsg(t, c)
		if s, ok := m.(*Status); err != nil || !ok || s.Kind != MsgFailure || s.ReqID != 7 {
			t.Fatalf("unknown request: %#v %v", m, err)
		}
		// The connection goes on.
		c.Write(AppendPacket(nil, &Request{Kind: MsgAliveCheck, ReqID: 8}))
		m, err = readMsg(t, c)
		if a, ok := m.(*Alive); err != nil || !ok || a.ReqID != 8 || a.PID != uint32(os.Getpid()) {
			t.Errorf("alive check: %#v %v", m, err)
		}
	})
	t.Run("session without descriptors", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write(AppendPacket(nil, &NewSession{ReqID: 3, Command: "true"}))
		c.Write([]byte{0}) // the byte, but no SCM_RIGHTS
		m, err := readMsg(t, c)
		if s, ok := m.(*Status); err != nil || !ok || s.Kind != MsgFailure || s.ReqID != 3 || s.Reason != "did not receive file descriptors" {
			t.Errorf("got %#v %v", m, err)
		}
	})
	t.Run("stdio forward cut short", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write(AppendPacket(nil, &NewStdioFwd{ReqID: 4, Host: "h", Port: 1}))
		c.CloseWrite()
		m, err := readMsg(t, c)
		if s, ok := m.(*Status); err != nil || !ok || s.Kind != MsgFailure {
			t.Errorf("got %#v %v", m, err)
		}
	})
	t.Run("invalid forwards", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		for i, f := range []*Fwd{
			{FwdType: 9, ListenPort: 1, ConnectHost: "h", ConnectPort: 1},
			{FwdType: FwdLocal, ListenPort: 1, ConnectHost: "h", ConnectPort: 0},
			{FwdType: FwdRemote, ListenPort: 1, ConnectHost: "", ConnectPort: 1},
			{FwdType: FwdDynamic, ListenHost: "/p", ListenPort: PortStreamLocal},
		} {
			f.ReqID = uint32(10 + i)
			c.Write(AppendPacket(nil, f))
			m, err := readMsg(t, c)
			if s, ok := m.(*Status); err != nil || !ok || s.ReqID != f.ReqID || s.Reason != "Invalid forwarding request" {
				t.Errorf("%+v: %#v %v", f, m, err)
			}
		}
		c.Write(AppendPacket(nil, &Fwd{Close: true, ReqID: 20, FwdType: FwdLocal, ListenPort: 1, ConnectHost: "h", ConnectPort: 1}))
		m, err := readMsg(t, c)
		if s, ok := m.(*Status); err != nil || !ok || s.Reason != "port not forwarded" {
			t.Errorf("close of nothing: %#v %v", m, err)
		}
	})
	t.Run("proxy garbage", func(t *testing.T) {
		c := rawConn(t, path)
		hello(t, c)
		c.Write(AppendPacket(nil, &Request{Kind: MsgProxy, ReqID: 5}))
		m, err := readMsg(t, c)
		if r, ok := m.(*Request); err != nil || !ok || r.Kind != MsgProxyOK || r.ReqID != 5 {
			t.Fatalf("got %#v %v", m, err)
		}
		// A proxy packet past the limit ends the connection.
		c.Write([]byte{0xff, 0xff, 0xff, 0xff, 0})
		var b [64]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				break
			}
		}
	})
}

func TestMasterRequests(t *testing.T) {
	path, done, cancel := startMaster(t)
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	c, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if pid, err := c.Check(ctx); err != nil || pid != os.Getpid() {
		t.Errorf("Check: %d %v", pid, err)
	}
	if err := c.StopListening(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after stop listening: %v", err)
	}
	// Connected mux clients are still served.
	if _, err := c.Check(ctx); err != nil {
		t.Errorf("Check after stop: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned after stop listening: %v", err)
	default:
	}
	if err := c.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrTerminated) {
			t.Errorf("Serve: %v, want ErrTerminated", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after terminate")
	}
	cancel()
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctl")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket %v %v, want mode 0600", fi.Mode(), err)
	}
	if _, err := Listen(path); !errors.Is(err, ErrExists) {
		t.Errorf("second Listen: %v, want ErrExists", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	l.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close: %v", err)
	}
	// Close leaves alone a file that is not its socket any more.
	l, err = Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	os.WriteFile(path, nil, 0o600)
	l.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("Close removed another file: %v", err)
	}
}

// TestPeerUID connects as another user (root only): the master closes
// the connection without a hello, as OpenSSH's "multiplex uid mismatch".
func TestPeerUID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as another user")
	}
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	path, _, _ := startMaster(t)
	// Let the other user reach the socket, to test the check itself.
	os.Chmod(filepath.Dir(path), 0o755)
	os.Chmod(filepath.Dir(filepath.Dir(path)), 0o755)
	os.Chmod(path, 0o666)
	script := "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.settimeout(10)\ns.connect(sys.argv[1])\nprint(len(s.recv(100)))"
	run := func(uid uint32) string {
		cmd := exec.Command(py, "-c", script, path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("uid %d: %v %s", uid, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run(0); got != "12" {
		t.Errorf("root: read %s bytes, want the 12 of a hello", got)
	}
	if got := run(65534); got != "0" {
		t.Errorf("uid 65534: read %s bytes, want 0 (closed)", got)
	}
}

// TestConnHostileMaster: the mux client refuses bad replies.
func TestConnHostileMaster(t *testing.T) {
	tests := []struct {
		name  string
		reply []Message
		op    func(ctx context.Context, c *Conn) error
		want  error
	}{
		{"version", []Message{&Hello{Version: 5}}, nil, nil},
		{"out of sequence", []Message{&Hello{Version: 4}, &Alive{ReqID: 9, PID: 1}},
			func(ctx context.Context, c *Conn) error { _, err := c.Check(ctx); return err }, ErrUnexpectedReply},
		{"wrong reply", []Message{&Hello{Version: 4}, &Exit{SessionID: 0, Value: 1}},
			func(ctx context.Context, c *Conn) error { _, err := c.Check(ctx); return err }, ErrUnexpectedReply},
		{"refused", []Message{&Hello{Version: 4}, &Status{Kind: MsgPermDenied, ReqID: 0, Reason: "no"}},
			func(ctx context.Context, c *Conn) error { return c.StopListening(ctx) }, &StatusError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctl")
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				for _, m := range tt.reply {
					c.Write(AppendPacket(nil, m))
				}
				io.Copy(io.Discard, c)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, path)
			if tt.op == nil {
				if err == nil {
					c.Close()
					t.Fatal("Dial accepted version 5")
				}
				<-done
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = tt.op(ctx, c)
			c.Close()
			<-done
			var se *StatusError
			if _, ok := tt.want.(*StatusError); ok {
				if !errors.As(err, &se) || !se.Denied {
					t.Errorf("got %v, want a denial", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestWaitIdleCountsFromStart: a master that has served nothing yet is
// not idle for longer than it has existed (ControlPersist's time counts
// from the start, not from the zero time).
func TestWaitIdleCountsFromStart(t *testing.T) {
	m := &Master{Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.WaitIdle(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitIdle: %v, want the context's deadline", err)
	}
	if err := m.WaitIdle(context.Background(), 0); err != nil {
		t.Errorf("WaitIdle(0): %v", err)
	}
}
