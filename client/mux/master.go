package mux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/forward"
)

// ErrTerminated is returned by Serve after a mux client asked the master
// to terminate (MUX_C_TERMINATE, ssh -O exit).
var ErrTerminated = errors.New("mux: master terminated by a mux client")

// A Master shares one client.Client with the mux clients of a control
// socket, as ssh's ControlMaster: it answers hellos, alive checks,
// sessions and stdio forwards whose descriptors come over the socket,
// port forwarding requests, stop-listening and terminate requests and
// proxy mode (MUX_C_PROXY). Set the fields before Serve.
type Master struct {
	Client *client.Client
	// Host names the destination in Confirm's prompts.
	Host string
	// Confirm, if set, is asked before each session, stdio forward,
	// port forward, stop or terminate request (ControlMaster ask); false
	// refuses it with MUX_S_PERMISSION_DENIED.
	Confirm func(ctx context.Context, prompt string) bool
	// SendEnv are the patterns (path.Match) of the environment variable
	// names a mux client's session may pass to the server; the others
	// are dropped, as the master's SendEnv does in OpenSSH.
	SendEnv []string
	// GatewayPorts makes local and dynamic forwards without a listen
	// address listen on every address instead of loopback.
	GatewayPorts bool
	// Log receives the master's debug messages; nil uses the Client's.
	Log *slog.Logger
	// EscapeStdin, if set, wraps the standard input of a mux session
	// that has a pty and an escape character (the one its
	// MUX_C_NEW_SESSION names), as OpenSSH's master applies its ~
	// escapes there; stderr is the mux client's. hangUp ends the
	// session at once for the mux client (~.): its descriptors and
	// connection are closed, and the channel is closed. It must not keep
	// s past the session. nil passes the input through unfiltered.
	EscapeStdin func(stdin io.Reader, escape byte, s *client.Session, stderr io.Writer, hangUp func()) io.Reader
	// ForwardAgent and ForwardX11 are what the master allows its mux
	// clients: a mux client's session gets agent forwarding if it asks
	// for it (MUX_C_NEW_SESSION's want-agent flag) and ForwardAgent is
	// set, and X11 forwarding if it asks and ForwardX11 is not nil, as
	// OpenSSH's master decides from its own ForwardAgent and ForwardX11
	// (its agent and display serve the channels). ForwardX11 requests
	// it on s. Sessions of mux clients never get the forwarding the
	// Client's Config asks NewSession for.
	ForwardAgent bool
	ForwardX11   func(ctx context.Context, s *client.Session)

	mu       sync.Mutex
	l        net.Listener            // guarded by mu
	stopped  bool                    // listener closed by a mux client; guarded by mu
	fwds     map[fwdKey]*fwdEntry    // guarded by mu
	sessions map[uint32]*muxSession  // guarded by mu
	nextID   uint32                  // guarded by mu
	idle     chan struct{}           // closed and replaced when sessions change; guarded by mu
	lastBusy time.Time               // when the last session ended; guarded by mu
	cancel   context.CancelCauseFunc // Serve's; guarded by mu
	wg       sync.WaitGroup          // connections and forwards of Serve
}

type fwdKey struct {
	typ          uint32
	lhost, chost string
	lport, cport uint32
}

type fwdEntry struct {
	cancel context.CancelFunc
	port   uint32 // the allocated port of a remote forward of port 0
}

type muxSession struct {
	s   *client.Session
	tty *os.File // the mux client's stdin when it asked for a tty
}

func (m *Master) log() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return m.Client.Logger()
}

// Serve answers the mux clients that connect to l (a control socket
// from Listen) until ctx ends, a mux client sends MUX_C_TERMINATE
// (ErrTerminated) or l fails. A MUX_C_STOP_LISTENING closes l but Serve
// goes on with the mux clients already connected and the forwards
// opened, until ctx ends. On return, l is closed and every session and
// forward the master opened for its mux clients is closed. Connections
// from a process of another user (SO_PEERCRED) are refused.
func (m *Master) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	m.mu.Lock()
	m.l, m.cancel = l, cancel
	m.initLocked()
	m.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer m.wg.Wait()
	defer cancel(nil)
	for {
		c, err := l.Accept()
		if err != nil {
			m.mu.Lock()
			stopped := m.stopped
			m.mu.Unlock()
			if stopped && ctx.Err() == nil {
				<-ctx.Done()
			}
			if errors.Is(context.Cause(ctx), ErrTerminated) {
				return ErrTerminated
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		m.wg.Go(func() { m.handle(ctx, c) })
	}
}

// initLocked sets up the state on first use, by Serve or WaitIdle,
// whichever comes first: the idle time counts from then.
func (m *Master) initLocked() {
	if m.idle == nil {
		m.fwds = map[fwdKey]*fwdEntry{}
		m.sessions = map[uint32]*muxSession{}
		m.idle = make(chan struct{})
		m.lastBusy = time.Now()
	}
}

// WaitIdle returns once the master has had no session or stdio forward
// of a mux client for d (at once when d is 0 and none is open), or
// ctx's error. The idle time counts from the first call of Serve or
// WaitIdle.
func (m *Master) WaitIdle(ctx context.Context, d time.Duration) error {
	for {
		m.mu.Lock()
		m.initLocked()
		n, since, ch := len(m.sessions), time.Since(m.lastBusy), m.idle
		m.mu.Unlock()
		var wait <-chan time.Time
		var t *time.Timer
		if n == 0 {
			if since >= d {
				return nil
			}
			t = time.NewTimer(d - since)
			wait = t.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-wait:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// StopListening closes the control socket, as MUX_C_STOP_LISTENING.
func (m *Master) StopListening() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.l != nil && !m.stopped {
		m.stopped = true
		m.l.Close()
	}
}

// WindowChanged sends the current size of each mux session's terminal
// to the server. OpenSSH's mux client relays its SIGWINCH to the
// master's pid; call this on SIGWINCH.
func (m *Master) WindowChanged(ctx context.Context) {
	m.mu.Lock()
	var list []*muxSession
	for _, s := range m.sessions {
		if s.tty != nil {
			list = append(list, s)
		}
	}
	m.mu.Unlock()
	for _, s := range list {
		if w, h, err := termSize(s.tty); err == nil {
			s.s.WindowChange(ctx, h, w)
		}
	}
}

func (m *Master) addSession(s *muxSession) uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	m.sessions[m.nextID] = s
	close(m.idle)
	m.idle = make(chan struct{})
	return m.nextID
}

func (m *Master) endSession(id uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, id)
	m.lastBusy = time.Now()
	close(m.idle)
	m.idle = make(chan struct{})
}

func (m *Master) confirm(ctx context.Context, format string, args ...any) bool {
	if m.Confirm == nil {
		return true
	}
	return m.Confirm(ctx, fmt.Sprintf(format, args...))
}

// handle speaks the mux protocol with one mux client.
func (m *Master) handle(ctx context.Context, nc net.Conn) {
	defer nc.Close()
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		m.log().Debug("mux: not a Unix socket connection")
		return
	}
	if err := checkPeer(uc); err != nil {
		m.log().Info("mux: refused", "err", err)
		return
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	p := &packetConn{c: uc}
	if err := p.write(&Hello{Version: Version}); err != nil {
		return
	}
	msg, err := p.read()
	if err != nil {
		m.log().Debug("mux: reading hello", "err", err)
		return
	}
	if h, ok := msg.(*Hello); !ok || h.Version != Version {
		m.log().Debug("mux: expected MUX_MSG_HELLO version 4", "got", fmt.Sprintf("%#v", msg))
		return
	}
	for {
		msg, err := p.read()
		if errors.Is(err, ErrUnknownMessage) {
			var rid uint32
			if len(p.buf) >= 8 {
				rid = uint32(p.buf[4])<<24 | uint32(p.buf[5])<<16 | uint32(p.buf[6])<<8 | uint32(p.buf[7])
			}
			if p.write(&Status{Kind: MsgFailure, ReqID: rid, Reason: "unsupported request"}) != nil {
				return
			}
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				m.log().Debug("mux: reading request", "err", err)
			}
			return
		}
		if done := m.request(ctx, p, msg); done {
			return
		}
	}
}

// request answers one message; done means the connection ends.
func (m *Master) request(ctx context.Context, p *packetConn, msg Message) (done bool) {
	fail := func(kind, rid uint32, reason string) bool {
		return p.write(&Status{Kind: kind, ReqID: rid, Reason: reason}) != nil
	}
	switch r := msg.(type) {
	case *Request:
		switch r.Kind {
		case MsgAliveCheck:
			return p.write(&Alive{ReqID: r.ReqID, PID: uint32(os.Getpid())}) != nil
		case MsgTerminate:
			if !m.confirm(ctx, "Terminate shared connection to %s? ", m.Host) {
				return fail(MsgPermDenied, r.ReqID, "Permission denied")
			}
			p.write(&Request{Kind: MsgOK, ReqID: r.ReqID})
			m.mu.Lock()
			m.cancel(ErrTerminated)
			m.mu.Unlock()
			return true
		case MsgStopListening:
			if !m.confirm(ctx, "Disable further multiplexing on shared connection to %s? ", m.Host) {
				return fail(MsgPermDenied, r.ReqID, "Permission denied")
			}
			m.StopListening()
			return p.write(&Request{Kind: MsgOK, ReqID: r.ReqID}) != nil
		case MsgProxy:
			m.proxy(ctx, p, r.ReqID)
			return true
		}
		return fail(MsgFailure, r.ReqID, "unsupported request")
	case *NewSession:
		m.session(ctx, p, r)
		return true
	case *NewStdioFwd:
		m.stdioFwd(ctx, p, r)
		return true
	case *Fwd:
		if r.Close {
			return m.closeFwd(p, r)
		}
		return m.openFwd(ctx, p, r)
	case *Hello:
		m.log().Debug("mux: MUX_MSG_HELLO received twice")
		return true
	}
	return fail(MsgFailure, 0, "unsupported request")
}

// recvFDs receives n descriptors; stdin (the first) is made
// non-blocking so that the session can interrupt its reads.
func recvFDs(c *net.UnixConn, n int) ([]*os.File, error) {
	var files []*os.File
	for i := 0; i < n; i++ {
		fd, err := recvFD(c)
		if err != nil {
			closeFiles(files)
			return nil, err
		}
		if i == 0 {
			syscall.SetNonblock(fd, true)
		}
		files = append(files, os.NewFile(uintptr(fd), "mux-fd-"+strconv.Itoa(i)))
	}
	return files, nil
}

// termSize is the window size of the terminal f. It does not call
// f.Fd, which would make f blocking and its deadlines useless.
func termSize(f *os.File) (w, h int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	if cerr := rc.Control(func(fd uintptr) { w, h, err = term.GetSize(int(fd)) }); cerr != nil {
		return 0, 0, cerr
	}
	return w, h, err
}

// closeFiles closes our copies of a mux client's descriptors, leaving
// stdin blocking again as we found it (its file description is shared
// with the mux client's terminal or pipe).
func closeFiles(files []*os.File) {
	for i, f := range files {
		if i == 0 {
			if rc, err := f.SyscallConn(); err == nil {
				rc.Control(func(fd uintptr) { syscall.SetNonblock(int(fd), false) })
			}
		}
		f.Close()
	}
}

func (m *Master) envPermitted(kv string) bool {
	name, _, ok := strings.Cut(kv, "=")
	if !ok || name == "" {
		return false
	}
	for _, pat := range m.SendEnv {
		if ok, _ := filepath.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// watchClient closes s when the mux client goes away (it sends nothing
// more during a session: a read ends only by EOF or error).
func watchClient(p *packetConn, close func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var b [1]byte
		p.c.Read(b[:])
		select {
		case <-done:
		default:
			close()
		}
	})
	return func() {
		closeOnce(done)
		p.c.SetReadDeadline(time.Unix(1, 0))
		wg.Wait()
		p.c.SetReadDeadline(time.Time{})
	}
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (m *Master) session(ctx context.Context, p *packetConn, r *NewSession) {
	files, err := recvFDs(p.c, 3)
	if err != nil {
		p.write(&Status{Kind: MsgFailure, ReqID: r.ReqID, Reason: "did not receive file descriptors"})
		return
	}
	defer func() { closeFiles(files) }()
	if !m.confirm(ctx, "Allow shared connection to %s? ", m.Host) {
		p.write(&Status{Kind: MsgPermDenied, ReqID: r.ReqID, Reason: "Permission denied"})
		return
	}
	s, err := m.Client.NewSessionNoForwarding(ctx)
	if err != nil {
		m.log().Debug("mux: session", "err", err)
		p.write(&Status{Kind: MsgFailure, ReqID: r.ReqID, Reason: "Session open refused by peer"})
		return
	}
	defer s.Close()
	if r.WantX11 && m.ForwardX11 != nil {
		m.ForwardX11(ctx, s)
	}
	if r.WantAgent && m.ForwardAgent {
		if err := s.RequestAgentForwarding(ctx); err != nil {
			m.log().Debug("mux: agent forwarding refused", "err", err)
		}
	}
	for _, kv := range r.Env {
		if m.envPermitted(kv) {
			name, val, _ := strings.Cut(kv, "=")
			if err := s.Setenv(ctx, name, val); err != nil {
				m.log().Debug("mux: env refused", "name", name)
			}
		}
	}
	ms := &muxSession{s: s}
	ttyFailed := false
	if r.WantTTY {
		cols, rows := 80, 24
		if w, h, err := termSize(files[0]); err == nil {
			cols, rows = w, h
		}
		tname := r.Term
		if tname == "" {
			tname = "dumb"
		}
		if err := s.RequestPty(ctx, tname, rows, cols, nil); err != nil {
			ttyFailed = true
		} else {
			ms.tty = files[0]
		}
	}
	s.Stdin, s.Stdout, s.Stderr = files[0], files[1], files[2]
	if ms.tty != nil && m.EscapeStdin != nil && r.EscapeChar < 256 {
		// Keep SetReadDeadline reachable, so that Wait still ends
		// the Stdin copy.
		fs := files
		hangUp := sync.OnceFunc(func() {
			// The server may keep the channel until the command
			// ends; the mux client need not wait for that.
			p.c.Close()
			closeFiles(fs)
			go s.Close()
		})
		s.Stdin = deadlineReader{m.EscapeStdin(files[0], byte(r.EscapeChar), s, files[2], hangUp), files[0]}
	}
	switch {
	case r.Subsystem:
		err = s.Subsystem(ctx, r.Command)
	case r.Command == "":
		err = s.Shell(ctx)
	default:
		err = s.Start(ctx, r.Command)
	}
	if err != nil {
		m.log().Debug("mux: session start", "err", err)
		p.write(&Status{Kind: MsgFailure, ReqID: r.ReqID, Reason: "Session open refused by peer"})
		return
	}
	id := m.addSession(ms)
	defer m.endSession(id)
	if p.write(&SessionOpened{ReqID: r.ReqID, SessionID: id}) != nil {
		return
	}
	if ttyFailed && p.write(&TTYAllocFail{SessionID: id}) != nil {
		return
	}
	stopWatch := watchClient(p, func() { s.Close() })
	err = s.Wait(ctx)
	stopWatch()
	// Our copies of the descriptors go first, so that the mux client's
	// reader sees the end of the output when the mux client exits.
	closeFiles(files)
	files = nil
	var ee *client.ExitError
	code := uint32(0)
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Signal == "":
		code = uint32(ee.Status)
	default:
		// A signal, or no status: no exit message, as OpenSSH's
		// master, and the mux client exits 255.
		m.log().Debug("mux: session ended", "err", err)
		return
	}
	p.write(&Exit{SessionID: id, Value: code})
}

// A deadlineReader is a filter on a file whose deadline still reaches
// the file.
type deadlineReader struct {
	io.Reader
	f *os.File
}

func (d deadlineReader) SetReadDeadline(t time.Time) error { return d.f.SetReadDeadline(t) }

func (m *Master) stdioFwd(ctx context.Context, p *packetConn, r *NewStdioFwd) {
	files, err := recvFDs(p.c, 2)
	if err != nil {
		p.write(&Status{Kind: MsgFailure, ReqID: r.ReqID, Reason: "did not receive file descriptors"})
		return
	}
	defer closeFiles(files)
	network, addr := "tcp", net.JoinHostPort(r.Host, strconv.Itoa(int(r.Port)))
	if r.Port == PortStreamLocal {
		network, addr = "unix", r.Host
	}
	if !m.confirm(ctx, "Allow forward to [%s]:%d? ", r.Host, r.Port) {
		p.write(&Status{Kind: MsgPermDenied, ReqID: r.ReqID, Reason: "Permission denied"})
		return
	}
	conn, err := m.Client.Dial(ctx, network, addr)
	if err != nil {
		m.log().Debug("mux: stdio forward", "to", addr, "err", err)
		p.write(&Status{Kind: MsgFailure, ReqID: r.ReqID, Reason: "Session open refused by peer"})
		return
	}
	defer conn.Close()
	id := m.addSession(&muxSession{})
	defer m.endSession(id)
	if p.write(&SessionOpened{ReqID: r.ReqID, SessionID: id}) != nil {
		return
	}
	stopWatch := watchClient(p, func() { conn.Close() })
	defer stopWatch()
	var wg sync.WaitGroup
	wg.Go(func() {
		io.Copy(conn, files[0])
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	})
	io.Copy(files[1], conn)
	files[0].SetReadDeadline(time.Unix(1, 0))
	wg.Wait()
}

// fwdListen is where a local or dynamic forward listens.
func (m *Master) fwdListen(host string, port uint32) (network, addr string) {
	if port == PortStreamLocal {
		return "unix", host
	}
	switch host {
	case "":
		if m.GatewayPorts {
			host = ""
		} else {
			host = "localhost"
		}
	case "*":
		host = ""
	}
	return "tcp", net.JoinHostPort(host, strconv.Itoa(int(port)))
}

func connectAddr(host string, port uint32) (network, addr string) {
	if port == PortStreamLocal {
		return "unix", host
	}
	return "tcp", net.JoinHostPort(host, strconv.Itoa(int(port)))
}

func describeFwd(f *Fwd) string {
	kind := map[uint32]string{FwdLocal: "local", FwdRemote: "remote", FwdDynamic: "dynamic"}[f.FwdType]
	if f.FwdType == FwdDynamic {
		return fmt.Sprintf("%s forward %s:%d -> *", kind, f.ListenHost, f.ListenPort)
	}
	return fmt.Sprintf("%s forward %s:%d -> %s:%d", kind, f.ListenHost, f.ListenPort, f.ConnectHost, f.ConnectPort)
}

func (m *Master) openFwd(ctx context.Context, p *packetConn, f *Fwd) (done bool) {
	fail := func(kind uint32, reason string) bool {
		return p.write(&Status{Kind: kind, ReqID: f.ReqID, Reason: reason}) != nil
	}
	switch {
	case f.FwdType != FwdLocal && f.FwdType != FwdRemote && f.FwdType != FwdDynamic,
		f.FwdType == FwdDynamic && f.ListenPort == PortStreamLocal,
		f.FwdType == FwdLocal && f.ConnectPort == 0,
		f.FwdType != FwdDynamic && f.ConnectHost == "":
		return fail(MsgFailure, "Invalid forwarding request")
	}
	key := fwdKey{typ: f.FwdType, lhost: f.ListenHost, lport: f.ListenPort, chost: f.ConnectHost, cport: f.ConnectPort}
	if f.FwdType == FwdDynamic {
		key.chost, key.cport = "", 0
	}
	m.mu.Lock()
	e := m.fwds[key]
	m.mu.Unlock()
	if e != nil {
		if f.FwdType == FwdRemote && f.ListenPort == 0 {
			return p.write(&RemotePort{ReqID: f.ReqID, Port: e.port}) != nil
		}
		return p.write(&Request{Kind: MsgOK, ReqID: f.ReqID}) != nil
	}
	desc := describeFwd(f)
	if !m.confirm(ctx, "Open %s on %s?", desc, m.Host) {
		return fail(MsgPermDenied, "Permission denied")
	}
	// ctx is Serve's: the forward lives with the master, not with
	// this connection.
	fctx, cancel := context.WithCancel(ctx)
	cnet, caddr := connectAddr(f.ConnectHost, f.ConnectPort)
	var reply Message = &Request{Kind: MsgOK, ReqID: f.ReqID}
	entry := &fwdEntry{cancel: cancel}
	switch f.FwdType {
	case FwdLocal, FwdDynamic:
		lnet, laddr := m.fwdListen(f.ListenHost, f.ListenPort)
		l, err := net.Listen(lnet, laddr)
		if err != nil {
			cancel()
			m.log().Debug("mux: "+desc, "err", err)
			return fail(MsgFailure, "Port forwarding failed")
		}
		if f.FwdType == FwdLocal {
			m.wg.Go(func() { forward.Local(fctx, m.Client, l, cnet, caddr) })
		} else {
			m.wg.Go(func() { forward.SOCKS(fctx, m.Client, l) })
		}
	case FwdRemote:
		lnet, laddr := "tcp", ""
		switch f.ListenHost {
		case "":
			laddr = net.JoinHostPort("localhost", strconv.Itoa(int(f.ListenPort)))
		case "*":
			laddr = net.JoinHostPort("", strconv.Itoa(int(f.ListenPort)))
		default:
			laddr = net.JoinHostPort(f.ListenHost, strconv.Itoa(int(f.ListenPort)))
		}
		if f.ListenPort == PortStreamLocal {
			lnet, laddr = "unix", f.ListenHost
		}
		rl, err := m.Client.Listen(ctx, lnet, laddr)
		if err != nil {
			cancel()
			m.log().Debug("mux: "+desc, "err", err)
			if f.ListenPort == PortStreamLocal {
				return fail(MsgFailure, "remote port forwarding failed for listen path "+f.ListenHost)
			}
			return fail(MsgFailure, fmt.Sprintf("remote port forwarding failed for listen port %d", f.ListenPort))
		}
		if f.ListenPort == 0 {
			if ta, ok := rl.Addr().(*net.TCPAddr); ok {
				entry.port = uint32(ta.Port)
			} else if _, ps, err := net.SplitHostPort(rl.Addr().String()); err == nil {
				n, _ := strconv.Atoi(ps)
				entry.port = uint32(n)
			}
			reply = &RemotePort{ReqID: f.ReqID, Port: entry.port}
		}
		if f.ConnectPort == 0 {
			// ssh -R [bind:]port: SOCKS served on the remote listener,
			// each target dialled from here.
			var d net.Dialer
			m.wg.Go(func() { forward.SOCKSDial(fctx, rl, m.log(), d.DialContext) })
		} else {
			m.wg.Go(func() { forward.Remote(fctx, m.Client, rl, cnet, caddr) })
		}
	}
	m.mu.Lock()
	m.fwds[key] = entry
	m.mu.Unlock()
	return p.write(reply) != nil
}

func (m *Master) closeFwd(p *packetConn, f *Fwd) (done bool) {
	key := fwdKey{typ: f.FwdType, lhost: f.ListenHost, lport: f.ListenPort, chost: f.ConnectHost, cport: f.ConnectPort}
	if f.FwdType == FwdDynamic {
		key.chost, key.cport = "", 0
	}
	m.mu.Lock()
	e := m.fwds[key]
	delete(m.fwds, key)
	m.mu.Unlock()
	if e == nil {
		return p.write(&Status{Kind: MsgFailure, ReqID: f.ReqID, Reason: "port not forwarded"}) != nil
	}
	e.cancel()
	return p.write(&Request{Kind: MsgOK, ReqID: f.ReqID}) != nil
}
