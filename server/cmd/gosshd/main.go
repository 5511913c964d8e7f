// Command gosshd is an SSH server that reads an sshd_config-style file,
// built on package server. Its flags are sshd(8)'s:
//
//	gosshd [-DdeTt] [-f config_file] [-h host_key_file] [-o option] [-p port]
//
// See docs/gosshd.md for the keywords it supports and how it differs
// from sshd.
package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pkg/sftp"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/x11"
	"github.com/sshstack/sshstack/wire"
)

func main() {
	stop := startCPUProfile()
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) int {
	// The modes in which gosshd runs itself come first, alone.
	if len(args) > 0 {
		switch args[0] {
		case "-internal-sftp":
			return serveSFTP()
		case "-internal-sftp-chroot":
			return chrootSFTP(args[1:])
		case "-pam-session":
			return pamSession(args[1:])
		}
	}
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "gosshd: %v\n%s\n", err, sshdUsage)
		return 1
	}
	if f.version {
		fmt.Fprintln(stderr, versionLine())
		return 0
	}
	opts, file, toStderr, test, dump, testSpecs := f.opts, f.file, f.toStderr, f.test, f.dump, f.testSpecs
	if len(testSpecs) > 0 && !dump {
		fmt.Fprintln(stderr, "gosshd: Config test connection parameter (-C) provided without test mode (-T)")
		return 255
	}
	cfg, err := loadConfig(file, opts)
	if err != nil {
		fmt.Fprintf(stderr, "gosshd: %v\n", err)
		return 255
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "gosshd: %s\n", w)
	}
	keys, err := loadHostKeys(cfg.HostKeys, cfg.more.RequiredRSASize, cfg.more.HostKeyAgent, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gosshd: %v\n", err)
		return 1
	}
	keys = addHostCertificates(cfg.more3.HostCertificates, keys, stderr)
	if dump {
		// As sshd -T: the Match sections are evaluated for the -C
		// specification, or for an empty one (only "Match all" applies).
		ci := connInfo{test: true}
		for _, spec := range testSpecs {
			if err := parseTestSpec(&ci, spec); err != nil {
				fmt.Fprintf(stderr, "gosshd: %v\n", err)
				return 1
			}
		}
		eff, err := cfg.forConnErr(ci)
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: %v\n", err)
			return 255
		}
		eff.dump(stdout)
		return 0
	}
	cfg.utmpLen = f.utmpLen
	logTo := stderr
	if f.logFile != "" {
		// -E: appended to the file instead of syslog, as sshd's -E.
		lf, err := os.OpenFile(f.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: couldn't open logfile %s: %v\n", f.logFile, err)
			return 1
		}
		defer lf.Close()
		logTo, toStderr = lf, true
	}
	srv, err := newServer(cfg, keys, logger(cfg.LogLevel, cfg.more.SyslogFacility, toStderr, logTo))
	if err != nil {
		fmt.Fprintf(stderr, "gosshd: %v\n", err)
		return 1
	}
	if test {
		return 0
	}
	for _, k := range keys {
		if ak, ok := k.(*agentHostKey); ok {
			ak.log = srv.Logger
		}
	}
	if path := os.Getenv("SSHKEYLOGFILE"); path != "" {
		f, insecure, err := kex.OpenKeyLogFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: %v\n", err)
			return 1
		}
		defer f.Close()
		srv.KeyLog = f
		srv.Logger.Warn(fmt.Sprintf("SSHKEYLOGFILE is set: the session keys of every connection are written to %s; anyone who reads it can decrypt those sessions, passwords included.", path))
		if insecure {
			srv.Logger.Warn(fmt.Sprintf("Key log %s is readable by others.", path))
		}
	}
	if cfg.TraceDir != "" {
		f, err := openTrace(srv, cfg.TraceDir)
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: %v\n", err)
			return 1
		}
		defer f.Close()
	}
	if f.inetd {
		return serveInetd(srv, os.Stdin, os.Stdout)
	}
	return serve(srv, cfg, f.debug > 0, stderr)
}

// openTrace makes srv trace every connection, at every layer, as JSON
// lines (wire.NewJSONTracer) into one file per gosshd run in dir,
// trace-<UTC start time>-<pid>.jsonl, created 0600. Each connection's
// records carry the id "n:address:port", n counting connections from 1.
// They hold no secret (wire.Describe redacts passwords and the like).
func openTrace(srv *server.Server, dir string) (*os.File, error) {
	name := filepath.Join(dir, fmt.Sprintf("trace-%s-%d.jsonl", time.Now().UTC().Format("20060102T150405Z"), os.Getpid()))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("TraceDir: %w", err)
	}
	var n atomic.Int64
	srv.Trace = func(remote net.Addr) wire.Tracer {
		return wire.NewJSONTracer(f, fmt.Sprintf("%d:%v", n.Add(1), remote))
	}
	srv.Logger.Info(fmt.Sprintf("Tracing every connection to %s.", name))
	return f, nil
}

// loadHostKeys reads the HostKey files; like sshd it skips unreadable
// ones and fails only when none is usable. With HostKeyAgent (hka, the
// keyword's value) a HostKey whose private key cannot be read is used
// by its public half (the file, or file.pub) and signs through the
// agent, as sshd's "will rely on agent for hostkey"; an agent that
// cannot be reached at startup is reported and such keys are skipped.
func loadHostKeys(files []string, requiredRSA int, hka string, stderr io.Writer) ([]hostkey.Signer, error) {
	var keys []hostkey.Signer
	sock, haveAgent := "", false
	if hka != "" {
		sock = agentSocket(hka)
		if conn, err := net.DialTimeout("unix", sock, agentTimeout); err != nil {
			fmt.Fprintf(stderr, "gosshd: Could not connect to agent %q: %v\n", hka, err)
		} else {
			conn.Close()
			haveAgent = true
		}
	}
	for _, f := range files {
		k, err := loadHostKey(f, sock, haveAgent, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: Unable to load host key %s: %v\n", f, err)
			continue
		}
		if err := checkRSASize(k.PublicKey(), requiredRSA); err != nil {
			fmt.Fprintf(stderr, "gosshd: Unable to load host key %s: %v\n", f, err)
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no hostkeys available -- exiting")
	}
	return keys, nil
}

// loadHostKey reads one HostKey: its private key, or with an agent its
// public key (see loadHostKeys).
func loadHostKey(f, sock string, haveAgent bool, stderr io.Writer) (hostkey.Signer, error) {
	data, err := os.ReadFile(f)
	if err == nil {
		var k *hostkey.CryptoSigner
		if k, err = hostkey.ParsePrivateKey(data, nil); err == nil {
			return k, nil
		}
	}
	if !haveAgent {
		return nil, err
	}
	pub, perr := loadPublicHostKey(f)
	if perr != nil {
		return nil, err
	}
	if ok, aerr := agentHasKey(sock, pub); aerr != nil || !ok {
		// Kept, as sshd keeps it: the key may be added to the agent later.
		fmt.Fprintf(stderr, "gosshd: HostKeyAgent %s does not hold the key of %s (yet); handshakes with it fail until it does\n", sock, f)
	}
	return &agentHostKey{socket: sock, pub: pub}, nil
}

// newServer builds the server.Server for cfg.
func newServer(cfg *config, keys []hostkey.Signer, log *slog.Logger) (*server.Server, error) {
	root := os.Geteuid() == 0
	pol := &policy{cfg: cfg, root: root, log: log}
	if !root {
		if u, err := lookupAccount(currentUser()); err == nil {
			pol.self = u
		}
	}
	// Checked here so that a malformed file stops gosshd (and -t); the
	// policy reads it again for each login, as sshd does.
	if _, err := loadCAs(cfg.TrustedUserCAKeys); err != nil {
		return nil, err
	}
	if cfg.Banner != "" {
		b, err := os.ReadFile(cfg.Banner)
		if err != nil {
			return nil, err
		}
		pol.banner = string(b)
	}
	auth, err := pol.authConfig()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ss := &sessions{cfg: cfg, root: root, self: self}
	srv := &server.Server{
		HostKeys:                keys,
		Auth:                    auth,
		KexAlgorithms:           cfg.KexAlgorithms,
		Ciphers:                 cfg.Ciphers,
		MACs:                    cfg.MACs,
		HostKeyAlgorithms:       cfg.HostKeyAlgorithms,
		AllowSHA1HostKey:        slices.Contains(cfg.HostKeyAlgorithms, hostkey.RSA) || slices.Contains(cfg.HostKeyAlgorithms, hostkey.RSACert),
		RekeyBytes:              cfg.RekeyBytes,
		RekeyInterval:           cfg.RekeyInterval,
		LoginGraceTime:          cfg.LoginGraceTime,
		MaxStartups:             cfg.MaxStartups,
		PerSourceMaxStartups:    cfg.PerSourceMaxStartups,
		Penalties:               cfg.serverPenalties(),
		PerSourceNetBlockSize:   cfg.PerSourceNetBlockSize,
		MaxSessions:             cfg.MaxSessions,
		ClientAliveInterval:     cfg.ClientAliveInterval,
		ClientAliveCountMax:     cfg.ClientAliveCountMax,
		UnusedConnectionTimeout: cfg.more.UnusedConnectionTimeout,
		Handler:                 ss.serve,
		Subsystems:              map[string]server.SessionHandler{},
		GatewayPorts:            cfg.GatewayPorts == "yes",
		AcceptEnv:               acceptEnv(cfg.AcceptEnv),
		StreamLocalMode:         streamLocalMode(cfg.more.StreamLocalBindMask),
		StreamLocalBindUnlink:   cfg.more.StreamLocalBindUnlink,
		// environment= options, and ~/.ssh/environment (sessions.environ).
		PermitUserEnvironment: cfg.userEnvironment(),
		Logger:                log,
	}
	if f := newProcsFollower(); f != nil {
		srv.OnConnCount = f.conns
	}
	if cfg.more.VersionAddendum != "" {
		// As sshd: "SSH-2.0-<version> <addendum>".
		srv.Version = packet.DefaultVersion + " " + cfg.more.VersionAddendum
	}
	if cfg.more.ModuliFile != kex.DefaultModuliFile {
		// gosshd is the only user of the registry in its process.
		kex.Register(&kex.GroupExchange{MethodName: kex.DHGroupExchangeSHA256, Hash: crypto.SHA256, ModuliFile: cfg.more.ModuliFile})
		kex.Register(&kex.GroupExchange{MethodName: kex.DHGroupExchangeSHA1, Hash: crypto.SHA1, ModuliFile: cfg.more.ModuliFile})
	}
	if cfg.LoginGraceTime == 0 {
		srv.LoginGraceTime = -1 // LoginGraceTime 0: no limit, as sshd
	}
	for name := range cfg.Subsystems {
		srv.Subsystems[name] = ss.serve
	}
	// The forwarding policies are evaluated per connection: Match
	// sections may change them for a user or an address.
	eff := func(c *server.Conn) *config {
		return cfg.forConn(cfg.connInfoOf(c.User(), c.RemoteAddr(), c.LocalAddr()))
	}
	// So are the connection's settings, once the user is known.
	srv.ForConn = func(c *server.Conn, s server.ConnSettings) server.ConnSettings {
		ec := eff(c)
		if ec == cfg {
			return s // no Match section applies
		}
		return server.ConnSettings{
			MaxSessions:             ec.MaxSessions,
			ClientAliveInterval:     ec.ClientAliveInterval,
			ClientAliveCountMax:     ec.ClientAliveCountMax,
			UnusedConnectionTimeout: ec.more.UnusedConnectionTimeout,
			GatewayPorts:            ec.GatewayPorts == "yes",
			AcceptEnv:               acceptEnv(ec.AcceptEnv),
			StreamLocalMode:         streamLocalMode(ec.more.StreamLocalBindMask),
			StreamLocalBindUnlink:   ec.more.StreamLocalBindUnlink,
			RekeyBytes:              ec.RekeyBytes,
			RekeyInterval:           ec.RekeyInterval,
		}
	}
	srv.ChannelTimeout = func(c *server.Conn, typ string) time.Duration { return eff(c).channelTimeout(typ) }
	srv.PermitOpen = func(c *server.Conn, host string, port uint32) bool {
		ec := eff(c)
		return !ec.more.DisableForwarding && (ec.AllowTCPForwarding == "yes" || ec.AllowTCPForwarding == "local") && permitted(ec.PermitOpen, host, port, true)
	}
	srv.PermitListen = func(c *server.Conn, host string, port uint32) bool {
		ec := eff(c)
		if ec.more.DisableForwarding || ec.AllowTCPForwarding != "yes" && ec.AllowTCPForwarding != "remote" {
			return false
		}
		// Privileged ports only for root logins, as sshd.
		if a, err := lookupAccount(c.User()); port != 0 && port < 1024 && (!root || err != nil || a.UID != 0) {
			return false
		}
		return permitted(ec.PermitListen, host, port, false)
	}
	srv.PermitStreamLocal = func(c *server.Conn, _ string) bool {
		// As root the daemon would connect and bind as root: refused.
		return !root && eff(c).AllowStreamLocal != "no" && !eff(c).more.DisableForwarding
	}
	srv.Tunnel = func(c *server.Conn, t wire.TunOpen) (server.TunDevice, error) {
		return server.TunnelDevices(tunnelModes(eff(c).more.PermitTunnel)...)(c, t)
	}
	srv.AgentForwarding = func(c *server.Conn) bool { return eff(c).AllowAgentForwarding && !eff(c).more.DisableForwarding }
	srv.X11Request = func(s *server.Session, req wire.X11Request) bool {
		ec := eff(s.Conn())
		if !ec.X11Forwarding || ec.more.DisableForwarding {
			return false
		}
		// As sshd: no display without the xauth that would store its
		// cookie.
		if _, err := os.Stat(ec.XAuthLocation); err != nil {
			if log != nil {
				log.Debug("debug1: No xauth program; cannot forward X11.")
			}
			return false
		}
		fw := &x11.Forwarding{DisplayOffset: ec.X11DisplayOffset, AnyAddress: !ec.X11UseLocalhost}
		if fw.DisplayOffset == 0 {
			fw.DisplayOffset = -1 // X11DisplayOffset 0: display :0 first
		}
		return fw.Request(s, req)
	}
	if cfg.Compression {
		srv.Compression = []string{"zlib@openssh.com", "none"}
	}
	srv.AgentSocketOwner = func(c *server.Conn) (int, int, bool) {
		a, err := lookupAccount(c.User())
		if err != nil || !root {
			return 0, 0, false
		}
		return int(a.UID), int(a.GID), true
	}
	srv.GlobalRequest = func(*server.Conn, *connection.GlobalRequest) (bool, []byte) { return false, nil }
	// GSSAPIAuthentication yes in a Match section needs the GSS-API
	// state of package server for every connection; the policy of a user
	// for whom it is off has none of its methods (authConfig).
	gssAuth := cfg.GSSAPIAuthentication || slices.ContainsFunc(cfg.matchValues("gssapiauthentication"), func(v string) bool { b, _ := yesNo(v); return b })
	if gssAuth || cfg.GSSAPIKeyExchange {
		// The keytab comes from KRB5_KTNAME (or krb5.conf's default), read
		// per attempt, as sshd's; the host name of the strict acceptor
		// check is the system's.
		srv.GSSAPI = pol.gssServer()
		srv.GSSNoAuthentication = !gssAuth
		srv.GSSKeyExchange = cfg.GSSAPIKeyExchange
		srv.GSSKexFamilies = orList(cfg.GSSAPIKexAlgorithms, defaultGSSKexAlgorithms())
		srv.GSSKeepCredentials = !cfg.GSSAPICleanupCreds
		srv.GSSCCacheOwner = func(name string) (int, int, bool) {
			a, err := lookupAccount(name)
			if err != nil || !root {
				return 0, 0, false
			}
			return int(a.UID), int(a.GID), true
		}
	}
	return srv, nil
}

// permitted applies PermitOpen / PermitListen entries ("any", "none",
// host:port with * wildcards; for PermitListen also a bare port).
func permitted(entries []string, host string, port uint32, open bool) bool {
	if len(entries) == 0 {
		return true
	}
	for _, e := range entries {
		switch e {
		case "any":
			return true
		case "none":
			return false
		}
		h, p, err := net.SplitHostPort(e)
		if err != nil {
			if open {
				continue
			}
			h, p = "*", e
		}
		if (h == "*" || h == host || (!open && h == "localhost" && (host == "" || host == "localhost" || host == "127.0.0.1"))) &&
			(p == "*" || p == strconv.Itoa(int(port))) {
			return true
		}
	}
	return false
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		if a, err := lookupAccount(u); err == nil && int(a.UID) == os.Geteuid() {
			return u
		}
	}
	f, err := os.ReadFile("/etc/passwd")
	if err == nil {
		for _, line := range strings.Split(string(f), "\n") {
			fields := strings.Split(line, ":")
			if len(fields) > 2 && fields[2] == strconv.Itoa(os.Geteuid()) {
				return fields[0]
			}
		}
	}
	return ""
}

// serve listens on every ListenAddress × Port and runs until SIGTERM or
// SIGINT, then shuts down, giving live connections 10 s.
func serve(srv *server.Server, cfg *config, once bool, stderr io.Writer) int {
	addrs := cfg.listenAddrs()
	lc := net.ListenConfig{KeepAlive: -1} // TCPKeepAlive no
	if cfg.more.TCPKeepAlive {
		// As sshd: SO_KEEPALIVE with the system's timers, not Go's 15 s.
		lc.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
	}
	var ls []net.Listener
	for _, a := range addrs {
		l, err := lc.Listen(context.Background(), cfg.network(), a)
		if err != nil {
			fmt.Fprintf(stderr, "gosshd: Bind to %s failed: %v\n", a, err)
			continue
		}
		srv.Logger.Info(fmt.Sprintf("Server listening on %s.", l.Addr()))
		ls = append(ls, &qosListener{Listener: l, tos: cfg.more.IPQoS[1]})
	}
	if len(ls) == 0 {
		fmt.Fprintln(stderr, "gosshd: Cannot bind any address.")
		return 255
	}
	if cfg.PidFile != "" && cfg.PidFile != "none" {
		if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err == nil {
			defer os.Remove(cfg.PidFile)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var wg sync.WaitGroup
	served := make(chan struct{})
	var servedOnce sync.Once
	for _, l := range ls {
		if once {
			// sshd -d: serve one connection, then exit.
			l = &oneListener{Listener: l, done: func() { servedOnce.Do(func() { close(served) }) }}
		}
		wg.Go(func() { srv.Serve(context.Background(), l) })
	}
	if once {
		wg.Go(func() {
			<-served
			for _, l := range ls {
				l.Close()
			}
		})
	}
	select {
	case <-ctx.Done():
	case <-served:
		wg.Wait()
		return 0
	}
	srv.Logger.Info("Received signal; terminating.")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	wg.Wait()
	return 0
}

// oneListener accepts one connection, then reports net.ErrClosed, so
// that Serve waits for that connection and returns (sshd -d).
type oneListener struct {
	net.Listener
	mu   sync.Mutex
	used bool
	done func()
}

func (l *oneListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	used := l.used
	l.mu.Unlock()
	if used {
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.used = true
	l.mu.Unlock()
	l.done()
	return c, nil
}

// serveSFTP is internal-sftp: an SFTP server (pkg/sftp) on stdin and
// stdout, run by a session as the user.
func serveSFTP() int {
	rw := struct {
		io.Reader
		io.WriteCloser
	}{os.Stdin, os.Stdout}
	wd, _ := os.Getwd()
	s, err := sftp.NewServer(rw, sftp.WithServerWorkingDirectory(wd))
	if err != nil {
		return 1
	}
	if err := s.Serve(); err != nil && !errors.Is(err, io.EOF) {
		return 1
	}
	return 0
}

// sshdHandler writes records the way sshd logs: the message is the log
// line; debug records of the layers are shown at DEBUG2 and DEBUG3.
type sshdHandler struct {
	mu     *sync.Mutex
	w      io.Writer
	syslog *syslog.Writer
	level  string
}

func logger(level, facility string, toStderr bool, stderr io.Writer) *slog.Logger {
	h := &sshdHandler{mu: &sync.Mutex{}, w: stderr, level: level}
	if !toStderr {
		if w, err := syslog.New(syslogFacility(facility)|syslog.LOG_INFO, "gosshd"); err == nil {
			h.syslog = w
		}
	}
	return slog.New(h)
}

// withLevel returns a logger that writes where lg (one of logger's)
// writes, at the LogLevel level: a Match section's for one connection.
func withLevel(lg *slog.Logger, level string) *slog.Logger {
	h, ok := lg.Handler().(*sshdHandler)
	if !ok {
		return lg
	}
	c := *h
	c.level = level
	return slog.New(&c)
}

func (h *sshdHandler) Enabled(_ context.Context, l slog.Level) bool {
	switch h.level {
	case "QUIET", "FATAL":
		return false
	case "ERROR":
		return l >= slog.LevelError
	case "INFO":
		return l >= slog.LevelInfo
	case "VERBOSE":
		return l >= levelVerbose
	}
	return true
}

// levelVerbose is sshd's VERBOSE: logged at LogLevel VERBOSE and the
// DEBUG levels, and at priority INFO.
const levelVerbose = slog.LevelInfo - 1

func (h *sshdHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	if r.Level < levelVerbose {
		if !strings.HasPrefix(msg, "debug1: ") {
			if h.level != "DEBUG2" && h.level != "DEBUG3" {
				return nil
			}
			var b strings.Builder
			b.WriteString("debug2: " + msg)
			r.Attrs(func(a slog.Attr) bool {
				fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
				return true
			})
			msg = b.String()
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.syslog != nil {
		if r.Level < levelVerbose {
			return h.syslog.Debug(msg)
		}
		return h.syslog.Info(msg)
	}
	_, err := fmt.Fprintln(h.w, msg)
	return err
}

func (h *sshdHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *sshdHandler) WithGroup(string) slog.Handler      { return h }

// streamLocalMode is the mode sshd's umask(StreamLocalBindMask) gives a
// Unix socket: 0777 less the mask, with os.ModeSocket so that a mask of
// 0777 gives mode 0000 rather than server.Server's default 0600.
func streamLocalMode(mask uint32) os.FileMode {
	return os.ModeSocket | os.FileMode(0o777&^mask)
}
