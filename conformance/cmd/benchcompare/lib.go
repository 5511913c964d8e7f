package main

// The library rows: package server and x/crypto/ssh's server in a child
// process each (role "server"), and package client or x/crypto/ssh's
// client in another (role "client"), so that each side's CPU and memory
// are its own. The children are this binary run again with the role in
// the environment (roleEnv).

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
)

// roleEnv, set in the environment of a child, holds its role as JSON.
const roleEnv = "SSHSTACK_BENCHCOMPARE_ROLE"

// Implementations of the library rows.
const (
	implOurs    = "ours"
	implXCrypto = "xcrypto"
)

// The commands the servers understand, as a shell would run them, so
// that the same client code drives sshd, gosshd and the library servers.
const (
	cmdTrue  = "true"
	cmdDrain = "cat > /dev/null"
	// cmdIdle drains stdin the way a Go server written for it would:
	// io.Copy(io.Discard, session). The memory rows hold it, so they
	// measure what the library keeps per connection rather than a read
	// buffer of the benchmark's own.
	cmdIdle = "cat"
	cmdZero = "head -c %d /dev/zero"
)

// ioChunk is the read and write size of every library data path: one
// maximum-size SSH packet of payload, as io.Copy would use.
const ioChunk = 32 << 10

// A role is what a child process does.
type role struct {
	Kind string // "server" or "client"
	Impl string // implOurs or implXCrypto
	Key  string // the user's private key file (clients), or its .pub (servers)

	// Client only.
	Addr    string
	Mode    string // "true", "upload", "download", "handshakes", "idle"
	Cipher  string
	MAC     string
	Kex     string
	Size    int64
	Clients int           // handshakes: concurrent clients
	For     time.Duration // handshakes: how long
	Conns   int           // idle: connections to hold
	InProc  bool          // start our server in this process and use it
}

// A clientResult is what a client child prints: the wall time and its
// own CPU time over the measured part, and how many connections it made.
type clientResult struct {
	Wall, CPU time.Duration
	Count     int
}

// memStats is what a server child reports on "mem".
type memStats struct {
	HeapInuse, StackInuse, RSS uint64
	Goroutines                 int
}

// profileEnv names a directory where each child process writes a CPU
// profile of its whole run (docs/performance.md, "Where the time goes").
const profileEnv = "BENCHCOMPARE_CPUPROFILE_DIR"

// runRole runs the role spec describes and returns the exit code.
func runRole(spec string) int {
	var r role
	if err := json.Unmarshal([]byte(spec), &r); err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare: role:", err)
		return 2
	}
	if dir := os.Getenv(profileEnv); dir != "" {
		// One CPU profile per child: kind, implementation, mode, pid.
		name := fmt.Sprintf("%s-%s-%s-%d.pprof", r.Kind, r.Impl, r.Mode, os.Getpid())
		if f, err := os.Create(filepath.Join(dir, name)); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	var err error
	switch r.Kind {
	case "server":
		err = runServer(r)
	case "client":
		err = runClient(r)
	default:
		err = fmt.Errorf("unknown role %q", r.Kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchcompare %s %s: %v\n", r.Kind, r.Impl, err)
		return 1
	}
	return 0
}

// processCPU is this process's user and system time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serveCommand runs one of the benchmark's commands on a session's
// stdin (r) and stdout (w) and returns its exit status.
func serveCommand(cmd string, r io.Reader, w io.Writer) uint32 {
	switch {
	case cmd == cmdTrue:
		return 0
	case cmd == cmdIdle:
		io.Copy(io.Discard, r)
		return 0
	case cmd == cmdDrain:
		buf := make([]byte, ioChunk)
		for {
			if _, err := r.Read(buf); err != nil {
				return 0
			}
		}
	case strings.HasPrefix(cmd, "head -c ") && strings.HasSuffix(cmd, " /dev/zero"):
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(cmd, "head -c "), " /dev/zero"), 10, 64)
		if err != nil {
			return 2
		}
		if writeZeros(w, n) != nil {
			return 1
		}
		return 0
	}
	return 127
}

var zeros [ioChunk]byte

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// readAll reads r to EOF in ioChunk reads and returns the byte count.
func readAll(r io.Reader) (int64, error) {
	buf := make([]byte, ioChunk)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func userPublicKey(path string) (hostkey.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, _, err := hostkey.ParsePublicKeyFile(b)
	return k, err
}

// startServer starts impl's server on a loopback port with a fresh
// Ed25519 host key, accepting the public key in pubPath, and returns its
// address and a function that stops it.
func startServer(impl, pubPath string) (addr string, stop func(), err error) {
	userKey, err := userPublicKey(pubPath)
	if err != nil {
		return "", nil, err
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	switch impl {
	case implOurs:
		hk, err := hostkey.NewSigner(priv)
		if err != nil {
			l.Close()
			return "", nil, err
		}
		srv := &server.Server{
			HostKeys: []hostkey.Signer{hk},
			Auth: &userauth.ServerConfig{
				FailureDelay: -1, // x/crypto/ssh has none; "none" fails first
				PublicKeyCallback: func(_ context.Context, _ userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
					if !hostkey.Equal(k, userKey) {
						return nil, errors.New("benchcompare: unknown key")
					}
					return nil, nil
				},
			},
			Handler: func(_ context.Context, s *server.Session) {
				s.ExitAndClose(serveCommand(s.Command(), s, s))
			},
			// The handshake rows measure raw setup (docs/security.md#l1).
			MaxStartups: server.Startups{Start: -1}, PerSourceMaxStartups: -1,
			Penalties: &server.Penalties{Disabled: true},
		}
		done := make(chan struct{})
		go func() { srv.Serve(context.Background(), l); close(done) }()
		return l.Addr().String(), func() { srv.Close(); <-done }, nil
	case implXCrypto:
		hk, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			l.Close()
			return "", nil, err
		}
		want := userKey.Marshal()
		cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) != string(want) {
				return nil, errors.New("benchcompare: unknown key")
			}
			return nil, nil
		}}
		cfg.AddHostKey(hk)
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				nc, err := l.Accept()
				if err != nil {
					return
				}
				wg.Go(func() { xServeConn(nc, cfg) })
			}
		})
		return l.Addr().String(), func() { l.Close() }, nil
	}
	l.Close()
	return "", nil, fmt.Errorf("unknown implementation %q", impl)
}

// xServeConn serves one connection with x/crypto/ssh the way a typical
// x/crypto/ssh server does: a goroutine for the global requests, one per
// session for its requests and one for the command.
func xServeConn(nc net.Conn, cfg *ssh.ServerConfig) {
	defer nc.Close()
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go xSession(ch, creqs)
	}
}

func xSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	started := false
	for req := range reqs {
		if req.Type != "exec" || started {
			if req.WantReply {
				req.Reply(false, nil)
			}
			continue
		}
		var exec struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &exec); err != nil {
			req.Reply(false, nil)
			continue
		}
		started = true
		req.Reply(true, nil)
		go func() {
			status := serveCommand(exec.Command, ch, ch)
			ch.CloseWrite()
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			ch.Close()
		}()
	}
}

// runServer is the server child: it prints its address, then answers
// "cpu" (its CPU time in nanoseconds) and "mem" (memStats as JSON after
// a GC) on stdin until stdin closes.
func runServer(r role) error {
	addr, stop, err := startServer(r.Impl, r.Key)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Println(addr)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "cpu":
			fmt.Println(int64(processCPU()))
		case "mem":
			b, _ := json.Marshal(readMem())
			fmt.Println(string(b))
		default:
			fmt.Println("?")
		}
	}
	return nil
}

func readMem() memStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memStats{HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				m.RSS = kb << 10
			}
		}
	}
	return m
}

// A conn is one client connection of either implementation.
type conn interface {
	// run runs cmd with stdin (nil: empty) and stdout (nil: discarded)
	// and returns the bytes read from its stdout.
	run(ctx context.Context, cmd string, stdin func(io.Writer) error, readOut bool) (int64, error)
	// hold starts cmd and leaves the session open until close.
	hold(ctx context.Context, cmd string) error
	close()
}

type dialer func(ctx context.Context) (conn, error)

func newDialer(r role) (dialer, error) {
	b, err := os.ReadFile(r.Key)
	if err != nil {
		return nil, err
	}
	signer, err := hostkey.ParsePrivateKey(b, nil)
	if err != nil {
		return nil, err
	}
	kexs := []string{r.Kex}
	switch r.Impl {
	case implOurs:
		cfg := &client.Config{
			User: "bench", Auth: []userauth.Method{userauth.InMemoryPrivateKey(signer)},
			HostKeyCallback:   func(string, net.Addr, hostkey.PublicKey) error { return nil },
			KexAlgorithms:     kexs,
			HostKeyAlgorithms: []string{hostkey.ED25519},
			Ciphers:           []string{r.Cipher}, MACs: []string{r.MAC},
			GlobalKnownHostsFiles: []string{}, UserKnownHostsFiles: []string{},
		}
		return func(ctx context.Context) (conn, error) {
			c, err := client.Dial(ctx, "tcp", r.Addr, cfg)
			if err != nil {
				return nil, err
			}
			return &ourConn{c: c}, nil
		}, nil
	case implXCrypto:
		s, err := ssh.NewSignerFromSigner(signer.Crypto())
		if err != nil {
			return nil, err
		}
		cfg := &ssh.ClientConfig{
			User: "bench", Auth: []ssh.AuthMethod{ssh.PublicKeys(s)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
			Config:  ssh.Config{KeyExchanges: kexs, Ciphers: []string{r.Cipher}, MACs: []string{r.MAC}},
			Timeout: time.Minute,
		}
		return func(context.Context) (conn, error) {
			c, err := ssh.Dial("tcp", r.Addr, cfg)
			if err != nil {
				return nil, err
			}
			return &xConn{c: c}, nil
		}, nil
	}
	return nil, fmt.Errorf("unknown implementation %q", r.Impl)
}

type ourConn struct {
	c     *client.Client
	stdin io.WriteCloser
}

func (c *ourConn) run(ctx context.Context, cmd string, stdin func(io.Writer) error, readOut bool) (int64, error) {
	s, err := c.c.NewSession(ctx)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	in, _ := s.StdinPipe()
	var out io.Reader
	if readOut {
		out, _ = s.StdoutPipe()
	}
	if err := s.Start(ctx, cmd); err != nil {
		return 0, err
	}
	if stdin != nil {
		if err := stdin(in); err != nil {
			return 0, err
		}
	}
	in.Close()
	var n int64
	if out != nil {
		if n, err = readAll(out); err != nil {
			return n, err
		}
	}
	return n, s.Wait(ctx)
}

func (c *ourConn) hold(ctx context.Context, cmd string) error {
	s, err := c.c.NewSession(ctx)
	if err != nil {
		return err
	}
	c.stdin, _ = s.StdinPipe()
	return s.Start(ctx, cmd)
}

func (c *ourConn) close() { c.c.Close() }

type xConn struct {
	c     *ssh.Client
	stdin io.WriteCloser
}

func (c *xConn) run(_ context.Context, cmd string, stdin func(io.Writer) error, readOut bool) (int64, error) {
	s, err := c.c.NewSession()
	if err != nil {
		return 0, err
	}
	defer s.Close()
	in, _ := s.StdinPipe()
	var out io.Reader
	if readOut {
		out, _ = s.StdoutPipe()
	}
	if err := s.Start(cmd); err != nil {
		return 0, err
	}
	if stdin != nil {
		if err := stdin(in); err != nil {
			return 0, err
		}
	}
	in.Close()
	var n int64
	if out != nil {
		if n, err = readAll(out); err != nil {
			return n, err
		}
	}
	return n, s.Wait()
}

func (c *xConn) hold(_ context.Context, cmd string) error {
	s, err := c.c.NewSession()
	if err != nil {
		return err
	}
	c.stdin, _ = s.StdinPipe()
	return s.Start(cmd)
}

func (c *xConn) close() { c.c.Close() }

// oneConnection dials, runs the mode's command and closes.
func oneConnection(ctx context.Context, dial dialer, mode string, size int64) error {
	c, err := dial(ctx)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.close()
	switch mode {
	case "true", "handshakes":
		_, err = c.run(ctx, cmdTrue, nil, false)
	case "upload":
		_, err = c.run(ctx, cmdDrain, func(w io.Writer) error { return writeZeros(w, size) }, false)
	case "download":
		var n int64
		n, err = c.run(ctx, fmt.Sprintf(cmdZero, size), nil, true)
		if err == nil && n != size {
			err = fmt.Errorf("download: %d bytes, want %d", n, size)
		}
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	return err
}

// runClient is the client child: it does its mode and prints a
// clientResult as JSON. In mode "idle" it prints "ready" once its
// connections are up and holds them until stdin closes.
func runClient(r role) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if r.InProc {
		addr, stop, err := startServer(implOurs, r.Key+".pub")
		if err != nil {
			return err
		}
		defer stop()
		r.Addr = addr
	}
	dial, err := newDialer(r)
	if err != nil {
		return err
	}
	var res clientResult
	switch r.Mode {
	case "true", "upload", "download":
		cpu0, t0 := processCPU(), time.Now()
		if err := oneConnection(ctx, dial, r.Mode, r.Size); err != nil {
			return err
		}
		res = clientResult{Wall: time.Since(t0), CPU: processCPU() - cpu0, Count: 1}
	case "handshakes":
		res, err = handshakes(ctx, dial, r.Clients, r.For)
		if err != nil {
			return err
		}
	case "idle":
		return holdIdle(ctx, dial, r.Conns)
	default:
		return fmt.Errorf("unknown mode %q", r.Mode)
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return nil
}

// handshakes runs clients goroutines that each connect, exec "true" and
// close, again and again, for d.
func handshakes(ctx context.Context, dial dialer, clients int, d time.Duration) (clientResult, error) {
	var count atomic.Int64
	var firstErr error
	var once sync.Once
	cpu0, t0 := processCPU(), time.Now()
	deadline := t0.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := oneConnection(ctx, dial, "handshakes", 0); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	res := clientResult{Wall: time.Since(t0), CPU: processCPU() - cpu0, Count: int(count.Load())}
	return res, firstErr
}

// holdIdle opens n connections, each with one session running the
// draining command, says "ready" and holds them until stdin closes.
func holdIdle(ctx context.Context, dial dialer, n int) error {
	conns := make([]conn, n)
	work := make(chan int, n)
	for i := range n {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range 8 {
		wg.Go(func() {
			for i := range work {
				c, err := dial(ctx)
				if err == nil {
					if err = c.hold(ctx, cmdIdle); err != nil {
						c.close()
					}
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	if firstErr != nil {
		return firstErr
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return nil
}
