package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/forward"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/agentauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// logger writes OpenSSH-style "debugN: " lines at the LogLevel.
type logger struct {
	mu    sync.Mutex // serialises trace lines from the read and write sides
	w     io.Writer
	level int // 0 quiet, 1 fatal/error, 2 info, 3 verbose, 4.. debug1..3
}

func newLogger(o *options, file string) (*logger, error) {
	lv := map[string]int{"QUIET": 0, "FATAL": 1, "ERROR": 1, "INFO": 2, "VERBOSE": 3,
		"DEBUG": 4, "DEBUG1": 4, "DEBUG2": 5, "DEBUG3": 6}
	level, ok := lv[strings.ToUpper(o.get("loglevel"))]
	if !ok {
		return nil, fmt.Errorf("unsupported LogLevel %q", o.get("loglevel"))
	}
	l := &logger{w: os.Stderr, level: level}
	if file != "" {
		fh, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		l.w = fh
	}
	return l, nil
}

func (l *logger) debug(n int, format string, args ...any) {
	if l.level >= 3+n {
		fmt.Fprintf(l.w, "debug%d: "+format+"\r\n", append([]any{n}, args...)...)
	}
}

func (l *logger) info(format string, args ...any) {
	if l.level >= 2 {
		fmt.Fprintf(l.w, format+"\r\n", args...)
	}
}

func (l *logger) verbose(format string, args ...any) {
	if l.level >= 3 {
		fmt.Fprintf(l.w, format+"\r\n", args...)
	}
}

func (l *logger) errorf(format string, args ...any) {
	if l.level >= 1 {
		fmt.Fprintf(l.w, format+"\r\n", args...)
	}
}

// trace writes ssh's "debug3: send packet: type N" and "debug3: receive
// packet: type N" lines (not for channel data and window adjustments,
// as ssh's ssh_packet_log_type), each followed by our description of the
// message with secrets redacted.
func (l *logger) trace(e wire.TraceEvent) {
	switch e.Description.Num {
	case wire.MsgChannelData, wire.MsgChannelExtendedData, wire.MsgChannelWindowAdjust:
		return
	}
	verb := "send"
	if e.Dir == wire.DirRecv {
		verb = "receive"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "debug3: %s packet: type %d\r\n", verb, e.Description.Num)
	fmt.Fprintf(l.w, "debug3: trace: %s\r\n", e)
}

// slog returns the layers' logger: their debug records go out as text at
// debug3; a warning or an info record (the client's X11 forwarding logs
// ssh's lines at those levels) is printed as ssh prints an error or an
// info line, its message alone.
func (l *logger) slog() *slog.Logger {
	h := &sshHandler{l: l}
	if l.level >= 6 {
		h.text = slog.NewTextHandler(l.w, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return slog.New(h)
}

// sshHandler is the slog.Handler of slog.
type sshHandler struct {
	l    *logger
	text slog.Handler // at -vvv; else nil
}

func (h *sshHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || h.text != nil
}

func (h *sshHandler) Handle(ctx context.Context, r slog.Record) error {
	switch {
	case r.Level >= slog.LevelWarn:
		h.l.errorf("%s", r.Message)
	case r.Level >= slog.LevelInfo:
		h.l.info("%s", r.Message)
	}
	if h.text != nil {
		return h.text.Handle(ctx, r)
	}
	return nil
}

func (h *sshHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	if h.text != nil {
		c.text = h.text.WithAttrs(as)
	}
	return &c
}

func (h *sshHandler) WithGroup(name string) slog.Handler {
	c := *h
	if h.text != nil {
		c.text = h.text.WithGroup(name)
	}
	return &c
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

var keyLogOnce struct {
	sync.Once
	w   io.Writer
	err error
}

// keyLog opens $SSHKEYLOGFILE once per process, for every connection
// (jump hosts included): each key exchange appends the lines Wireshark
// needs to decrypt the session (kex.KeyLogLines). Unset means none.
func keyLog(lg *logger) (io.Writer, error) {
	keyLogOnce.Do(func() {
		path := os.Getenv("SSHKEYLOGFILE")
		if path == "" {
			return
		}
		f, insecure, err := kex.OpenKeyLogFile(path)
		if err != nil {
			keyLogOnce.err = err
			return
		}
		keyLogOnce.w = f // written unbuffered; closed when gossh exits
		lg.verbose("SSHKEYLOGFILE is set: session keys are written to %s; anyone who reads it can decrypt the session", path)
		if insecure {
			lg.info("Warning: key log %s is readable by others", path)
		}
	})
	return keyLogOnce.w, keyLogOnce.err
}

var traceOnce struct {
	sync.Once
	w     io.Writer
	err   error
	mu    sync.Mutex
	conns int
}

// traceFile returns a tracer that appends every message of the
// connection to host, at every layer, to the trace file as JSON lines
// (wire.NewJSONTracer): -o TraceFile=path, else $GOSSH_TRACE; nil if
// neither is set. The file is opened once per process, created 0600 and
// appended to; each connection (jump hosts included) gets the id
// "pid.n:host". The records carry no secret.
func traceFile(o *options, host string) (wire.Tracer, error) {
	path := expandTilde(o.get("tracefile"))
	if path == "" {
		path = os.Getenv("GOSSH_TRACE")
	}
	if path == "" || path == "none" {
		return nil, nil
	}
	traceOnce.Do(func() {
		traceOnce.w, traceOnce.err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	})
	if traceOnce.err != nil {
		return nil, fmt.Errorf("trace file: %w", traceOnce.err)
	}
	traceOnce.mu.Lock()
	traceOnce.conns++
	id := fmt.Sprintf("%d.%d:%s", os.Getpid(), traceOnce.conns, host)
	traceOnce.mu.Unlock()
	return wire.NewJSONTracer(traceOnce.w, id), nil
}

// clientConfig turns options into a client.Config for user@hostname.
func clientConfig(o *options, lg *logger, p *prompter, host string) (*client.Config, io.Closer, error) {
	cfg := &client.Config{
		User:              o.get("user"),
		KexAlgorithms:     splitList(o.get("kexalgorithms")),
		Ciphers:           splitList(o.get("ciphers")),
		MACs:              splitList(o.get("macs")),
		HostKeyAlgorithms: splitList(o.get("hostkeyalgorithms")),
		HostKeyAlias:      o.get("hostkeyalias"),
		HashKnownHosts:    o.yes("hashknownhosts", false),
		Logger:            lg.slog(),
		ForwardAgent:      o.yes("forwardagent", false),
		AgentSocket:       expandTilde(o.get("identityagent")),
	}
	for _, k := range []string{"kexalgorithms", "ciphers", "macs", "hostkeyalgorithms"} {
		if strings.HasPrefix(o.get(k), "") && o.get(k) == "" {
			return nil, nil, fmt.Errorf("empty %s", k)
		}
	}
	if o.yes("compression", false) {
		cfg.Compression = client.CompressionYes
	}
	var err error
	if cfg.Timeout, err = duration(o.get("connecttimeout")); err != nil {
		return nil, nil, err
	}
	if cfg.KeepaliveInterval, err = duration(o.get("serveraliveinterval")); err != nil {
		return nil, nil, err
	}
	cfg.KeepaliveCountMax, _ = strconv.Atoi(o.get("serveralivecountmax"))
	if rl := o.get("rekeylimit"); rl != "" {
		if cfg.RekeyBytes, cfg.RekeyInterval, err = kex.ParseRekeyLimit(rl); err != nil {
			return nil, nil, err
		}
	}
	switch strings.ToLower(o.get("stricthostkeychecking")) {
	case "yes", "true":
		cfg.StrictHostKeyChecking = client.StrictYes
	case "accept-new":
		cfg.StrictHostKeyChecking = client.StrictAcceptNew
	case "no", "off", "false":
		cfg.StrictHostKeyChecking = client.StrictNo
	case "ask":
		cfg.StrictHostKeyChecking = client.StrictAsk
		cfg.AskHostKey = func(name string, key hostkey.PublicKey) bool {
			if o.yes("batchmode", false) {
				return false
			}
			return p.confirmHostKey(name, key)
		}
	default:
		return nil, nil, fmt.Errorf("unsupported StrictHostKeyChecking %q", o.get("stricthostkeychecking"))
	}
	cfg.HostKeyAdded = func(name string, key hostkey.PublicKey) {
		lg.info("Warning: Permanently added '%s' (%s) to the list of known hosts.", name, keyName(key))
	}
	switch o.get("updatehostkeys") {
	case "true":
		cfg.UpdateHostKeys = true
		cfg.HostKeyLearned = func(_ string, key hostkey.PublicKey) {
			lg.verbose("Learned new hostkey: %s %s", keyName(key), hostkey.FingerprintSHA256(key))
		}
		cfg.HostKeyDeprecated = func(_ string, key hostkey.PublicKey) {
			lg.verbose("Deprecating obsolete hostkey: %s %s", keyName(key), hostkey.FingerprintSHA256(key))
		}
	case "ask":
		lg.info("UpdateHostKeys ask is not supported by gossh; host keys are not updated")
	}
	if cfg.KeyLog, err = keyLog(lg); err != nil {
		return nil, nil, err
	}
	cfg.UserKnownHostsFiles = expandFiles(o.get("userknownhostsfile"))
	cfg.GlobalKnownHostsFiles = expandFiles(o.get("globalknownhostsfile"))
	cfg.KexDone = func(a kex.Algorithms, key hostkey.PublicKey) {
		lg.debug(1, "kex: algorithm: %s", a.Kex)
		lg.debug(1, "kex: host key algorithm: %s", a.HostKey)
		for _, d := range []struct {
			name string
			d    kex.DirectionAlgorithms
		}{{"server->client", a.ServerToClient}, {"client->server", a.ClientToServer}} {
			mac := d.d.MAC
			if mac == "" {
				mac = "<implicit>"
			}
			lg.debug(1, "kex: %s cipher: %s MAC: %s compression: %s", d.name, d.d.Cipher, mac, orNone(d.d.Compression))
		}
		if key != nil {
			lg.debug(1, "Server host key: %s %s", key.Type(), hostkey.FingerprintSHA256(key))
		}
	}
	if lg.level >= 2 {
		cfg.Banner = func(m string) { fmt.Fprint(os.Stderr, m) }
	}
	if lg.level >= 6 {
		cfg.Trace = lg.trace
	}
	if tr, err := traceFile(o, host); err != nil {
		return nil, nil, err
	} else if tr != nil {
		if prev := cfg.Trace; prev != nil {
			cfg.Trace = func(e wire.TraceEvent) { prev(e); tr(e) }
		} else {
			cfg.Trace = tr
		}
	}
	gssID := o.get("gssapiserveridentity")
	if gssID == "" && o.yes("gssapitrustdns", false) && (o.yes("gssapiauthentication", false) || o.yes("gssapikeyexchange", false)) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		gssID = gssCanonicalHost(ctx, host)
		cancel()
		lg.debug(1, "GSSAPITrustDns: target host@%s", gssID)
	}
	if o.yes("gssapiauthentication", false) || o.yes("gssapikeyexchange", false) {
		g := &client.GSSAPI{
			KeyExchange:    o.yes("gssapikeyexchange", false),
			Delegate:       o.yes("gssapidelegatecredentials", false),
			ServerIdentity: gssID,
		}
		if fams := o.get("gssapikexalgorithms"); fams != "" {
			// OpenSSH lists families as "gss-curve25519-sha256-".
			g.KexFamilies = append(g.KexFamilies, splitList(fams)...)
		}
		cfg.GSSAPI = g
	}
	auth, closer, err := authSources(o, lg, p, host, gssID)
	if err != nil {
		return nil, nil, err
	}
	cfg.Auth = auth
	return cfg, closer, nil
}

// gssCanonicalHost is GSSAPITrustDns: the name of host's address in
// reverse DNS, if it resolves back to that address, as OpenSSH takes the
// remote host's canonical name for the target host@<name>; host itself
// when any lookup fails. Without GSSAPITrustDns (the default) the name
// given is used, so DNS cannot redirect the ticket request.
func gssCanonicalHost(ctx context.Context, host string) string {
	r := net.DefaultResolver
	addrs, err := r.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		return host
	}
	names, err := r.LookupAddr(ctx, addrs[0])
	if err != nil || len(names) == 0 {
		return host
	}
	name := strings.ToLower(strings.TrimSuffix(names[0], "."))
	back, err := r.LookupHost(ctx, name)
	if err != nil || !slices.Contains(back, addrs[0]) {
		return host
	}
	return name
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func expandFiles(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if f != "none" {
			out = append(out, expandTilde(f))
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// authSources builds the auth sources in PreferredAuthentications order.
func authSources(o *options, lg *logger, p *prompter, host, gssID string) ([]userauth.Method, io.Closer, error) {
	var out []userauth.Method
	var closer io.Closer
	batch := o.yes("batchmode", false)
	user := o.get("user")
	for _, m := range strings.Split(o.get("preferredauthentications"), ",") {
		switch m {
		case "publickey":
			if !o.yes("pubkeyauthentication", true) {
				continue
			}
			accepted := splitList(o.get("pubkeyacceptedalgorithms"))
			sock := expandTilde(o.get("identityagent"))
			if sock == "" {
				sock = os.Getenv("SSH_AUTH_SOCK")
			}
			if sock != "" && sock != "none" && !o.yes("identitiesonly", false) {
				srcs, c, err := agentauth.Sources(context.Background(), sock)
				if err == nil {
					for _, s := range srcs {
						if pk, ok := s.(*userauth.PrivateKey); ok {
							pk.Algorithms = accepted
						}
					}
					out = append(out, srcs...)
					closer = c
				} else {
					lg.debug(1, "get_agent_identities: ssh_get_authentication_socket: %v", err)
				}
			}
			for _, id := range o.all("identityfile") {
				path := expandTilde(strings.ReplaceAll(id, "%d", homeDir()))
				if _, err := os.Stat(path); err != nil {
					lg.debug(1, "identity file %s type -1", path)
					continue
				}
				lg.debug(1, "identity file %s", path)
				if !keyAccepted(path, accepted) {
					lg.debug(1, "Skipping %s: its key type is not in PubkeyAcceptedAlgorithms", path)
					continue
				}
				cert := ""
				if _, err := os.Stat(path + "-cert.pub"); err == nil {
					cert = path + "-cert.pub"
				}
				var pass func(context.Context, string) ([]byte, error)
				if !batch {
					pass = func(ctx context.Context, path string) ([]byte, error) {
						s, err := p.ask(fmt.Sprintf("Enter passphrase for key '%s': ", path), false)
						return []byte(s), err
					}
				}
				src := userauth.OnDiskPrivateKey(path, cert, pass)
				src.Label = path
				src.Algorithms = accepted
				out = append(out, src)
			}
		case "keyboard-interactive":
			if batch || !o.yes("kbdinteractiveauthentication", true) {
				continue
			}
			out = append(out, &userauth.KeyboardInteractive{Respond: func(ctx context.Context, ch userauth.Challenge) ([]string, error) {
				if ch.Name != "" {
					p.show(wire.Sanitize(ch.Name))
				}
				if ch.Instruction != "" {
					p.show(wire.Sanitize(ch.Instruction))
				}
				answers := make([]string, len(ch.Prompts))
				for i, pr := range ch.Prompts {
					a, err := p.ask(fmt.Sprintf("(%s@%s) %s", user, host, wire.Sanitize(pr.Text)), pr.Echo)
					if err != nil {
						return nil, err
					}
					answers[i] = a
				}
				return answers, nil
			}})
		case "password":
			if batch || !o.yes("passwordauthentication", true) {
				continue
			}
			n, _ := strconv.Atoi(o.get("numberofpasswordprompts"))
			for range max(n, 1) {
				out = append(out, &userauth.Password{Get: func(ctx context.Context) (string, error) {
					return p.ask(fmt.Sprintf("%s@%s's password: ", user, host), false)
				}})
			}
		case "gssapi-with-mic":
			if o.yes("gssapiauthentication", false) {
				out = append(out, &gssauth.WithMIC{Host: host, ServerIdentity: gssID,
					Delegate: o.yes("gssapidelegatecredentials", false)})
			}
		case "hostbased", "gssapi-keyex":
			lg.debug(1, "authentication method %s is not supported by gossh yet; skipped", m)
		case "none":
			out = append(out, userauth.NoneAuth{})
		default:
			lg.debug(1, "unknown authentication method %s; skipped", m)
		}
	}
	// ssh always asks "none" first, which learns the methods that can
	// continue (and logs in where the server needs nothing more).
	if len(out) == 0 || out[0] != (userauth.NoneAuth{}) {
		out = append([]userauth.Method{userauth.NoneAuth{}}, out...)
	}
	return out, closer, nil
}

// dial connects to the destination: directly, through ProxyJump hosts,
// or through ProxyCommand's stdio.
func dial(ctx context.Context, f *flags, o *options, mc matchContext, lg *logger, p *prompter) (*client.Client, []*client.Client, error) {
	hostname, port := o.get("hostname"), o.get("port")
	addr := net.JoinHostPort(hostname, port)
	cfg, closer, err := clientConfig(o, lg, p, hostname)
	if err != nil {
		return nil, nil, err
	}
	if closer != nil {
		defer closer.Close()
	}
	network := map[string]string{"inet": "tcp4", "inet6": "tcp6"}[o.get("addressfamily")]
	if network == "" {
		network = "tcp"
	}
	var jumps []*client.Client
	if j := o.get("proxyjump"); j != "" && j != "none" {
		var prev *client.Client
		for _, hop := range strings.Split(j, ",") {
			u, h, pt := parseDestination(hop)
			if hh, pp, err := net.SplitHostPort(h); err == nil {
				h, pt = hh, pp
			}
			jf := &flags{configFile: f.configFile, destination: hop}
			jo, _, err := resolve(jf, u, h, pt)
			if err != nil {
				return nil, jumps, err
			}
			jo.vals["proxyjump"] = []string{"none"}
			jcfg, jcloser, err := clientConfig(jo, lg, p, jo.get("hostname"))
			if err != nil {
				return nil, jumps, err
			}
			jaddr := net.JoinHostPort(jo.get("hostname"), jo.get("port"))
			lg.debug(1, "Connecting to %s [%s] port %s.", h, jo.get("hostname"), jo.get("port"))
			var jc *client.Client
			if prev == nil {
				jc, err = client.Dial(ctx, network, jaddr, jcfg)
			} else {
				jc, err = prev.DialClient(ctx, jaddr, jcfg)
			}
			if jcloser != nil {
				jcloser.Close()
			}
			if err != nil {
				return nil, jumps, err
			}
			lg.debug(1, "Authenticated to %s ([%s]:%s) using %q.", jo.get("hostname"), remoteIP(jc), jo.get("port"), jc.AuthMethod())
			jumps = append(jumps, jc)
			prev = jc
		}
		c, err := prev.DialClient(ctx, addr, cfg)
		return c, jumps, err
	}
	if pc := o.get("proxycommand"); pc != "" && pc != "none" {
		nc, err := proxyCommand(expandTokens(pc, o, mc))
		if err != nil {
			return nil, nil, err
		}
		c, err := client.NewClientConn(ctx, nc, addr, cfg)
		return c, nil, err
	}
	lg.debug(1, "Connecting to %s [%s] port %s.", mc.originalHost, hostname, port)
	c, err := client.Dial(ctx, network, addr, cfg)
	return c, nil, err
}

func remoteIP(c *client.Client) string {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(c.Addr())
	if err != nil {
		return c.Addr()
	}
	return h
}

// cmdConn is a ProxyCommand's stdin and stdout as a net.Conn. Both ends
// are os.Pipe files, which support deadlines.
type cmdConn struct {
	cmd  *exec.Cmd
	r, w *os.File // our ends: read the command's stdout, write its stdin
	once sync.Once
}

func proxyCommand(command string) (net.Conn, error) {
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.Stderr = os.Stderr
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	return &cmdConn{cmd: cmd, r: outR, w: inW}, nil
}

func (c *cmdConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *cmdConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *cmdConn) Close() error {
	c.once.Do(func() {
		c.w.Close()
		c.r.Close()
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
	return nil
}
func (c *cmdConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (c *cmdConn) RemoteAddr() net.Addr { return pipeAddr{} }
func (c *cmdConn) SetDeadline(t time.Time) error {
	c.r.SetReadDeadline(t)
	return c.w.SetWriteDeadline(t)
}
func (c *cmdConn) SetReadDeadline(t time.Time) error  { return c.r.SetReadDeadline(t) }
func (c *cmdConn) SetWriteDeadline(t time.Time) error { return c.w.SetWriteDeadline(t) }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "proxycommand" }

// connect runs the session and returns the exit status.
func connect(f *flags, o *options, mc matchContext) int {
	lg, err := newLogger(o, f.logFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\n", err)
		return 255
	}
	for _, w := range o.warnings {
		if strings.HasPrefix(w, "command-line") {
			lg.errorf("gossh: %s", w)
		} else {
			lg.debug(1, "%s", w)
		}
	}
	p := newPrompter(o)
	defer p.close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()

	c, jumps, err := dial(ctx, f, o, mc, lg, p)
	defer func() {
		for i := len(jumps) - 1; i >= 0; i-- {
			jumps[i].Close()
		}
	}()
	if err != nil {
		reportDialError(lg, err, o, mc)
		return 255
	}
	defer c.Close()
	lg.debug(1, "Authenticated to %s ([%s]:%s) using %q.", o.get("hostname"), remoteIP(c), o.get("port"), c.AuthMethod())

	// Forwardings.
	var wg sync.WaitGroup
	defer wg.Wait()
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	exitOnFail := o.yes("exitonforwardfailure", false)
	var fs forwardSet
	for _, spec := range o.all("localforward") {
		if err := startLocalForward(fctx, &wg, c, spec, lg, &fs); err != nil {
			lg.errorf("%v", err)
			if exitOnFail {
				return 255
			}
		}
	}
	for _, spec := range o.all("remoteforward") {
		if err := startRemoteForward(fctx, &wg, c, spec, lg, &fs); err != nil {
			lg.errorf("Warning: remote port forwarding failed for listen port %s", spec)
			lg.debug(1, "%v", err)
			if exitOnFail {
				return 255
			}
		}
	}
	dynamic := func(spec string) error {
		network, addr, err := listenAddr(spec)
		if err != nil {
			return err
		}
		l, err := net.Listen(network, addr)
		if err != nil {
			return err
		}
		fs.add("D", network, addr, l)
		lg.debug(1, "Local connections to %s forwarded to remote address socks:0", l.Addr())
		wg.Go(func() { forward.SOCKS(fctx, c, l) })
		return nil
	}
	for _, spec := range o.all("dynamicforward") {
		if err := dynamic(spec); err != nil {
			lg.errorf("%v", err)
			if exitOnFail {
				return 255
			}
		}
	}
	// forward serves the "~C" command line: -L, -R and -D add a forward,
	// -KL, -KR and -KD cancel one.
	forward := cmdlineForwards{
		add: func(kind, spec string) error {
			switch kind {
			case "L":
				return startLocalForward(fctx, &wg, c, spec, lg, &fs)
			case "R":
				return startRemoteForward(fctx, &wg, c, spec, lg, &fs)
			}
			return dynamic(spec)
		},
		cancel: fs.cancel,
	}

	if f.stdio != "" {
		conn, err := c.Dial(ctx, "tcp", f.stdio)
		if err != nil {
			lg.errorf("stdio forwarding failed: %v", err)
			return 255
		}
		done := make(chan struct{})
		go func() {
			io.Copy(conn, os.Stdin)
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
		}()
		go func() { io.Copy(os.Stdout, conn); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
		conn.Close()
		return 0
	}
	if f.noCommand || strings.EqualFold(o.get("sessiontype"), "none") {
		err := c.Wait(ctx)
		if errors.Is(err, client.ErrKeepaliveTimeout) {
			lg.errorf("Timeout, server %s not responding.", o.get("hostname"))
			return 255
		}
		return 0
	}
	code := runSession(ctx, c, f, o, lg, forward)
	if errors.Is(c.Err(), client.ErrKeepaliveTimeout) {
		lg.errorf("Timeout, server %s not responding.", o.get("hostname"))
		return 255
	}
	return code
}

func reportDialError(lg *logger, err error, o *options, mc matchContext) {
	var changed *hostkey.KeyChangedError
	var af *userauth.AuthFailure
	switch {
	case errors.As(err, &changed):
		lg.errorf("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
			"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n" +
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@")
		lg.errorf("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!")
		if changed.Got != nil {
			lg.errorf("The fingerprint for the %s key sent by the remote host is\n%s.", changed.Got.Type(), hostkey.FingerprintSHA256(changed.Got))
		}
		lg.errorf("Offending key in %s:%d", changed.File, changed.Line)
		lg.errorf("Host key verification failed.")
	case errors.Is(err, client.ErrHostKeyRefused):
		if errors.Is(err, hostkey.ErrHostKeyUnknown) {
			lg.errorf("No %s host key is known for %s and you have requested strict checking.", "matching", mc.originalHost)
		}
		lg.errorf("Host key verification failed.")
	case errors.As(err, &af):
		lg.errorf("%s@%s: Permission denied (%s).", o.get("user"), o.get("hostname"), deniedMethods(af))
	default:
		var ne *net.OpError
		if errors.As(err, &ne) && ne.Op == "dial" {
			lg.errorf("ssh: connect to host %s port %s: %s", o.get("hostname"), o.get("port"), syscallText(ne))
			return
		}
		lg.errorf("gossh: %v", err)
	}
}

func syscallText(ne *net.OpError) string {
	var se *os.SyscallError
	if errors.As(ne, &se) {
		s := se.Err.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return ne.Err.Error()
}

func deniedMethods(af *userauth.AuthFailure) string {
	if af.Result != nil {
		for i := len(af.Result.Results) - 1; i >= 0; i-- {
			if m := af.Result.Results[i].Methods; len(m) > 0 {
				return strings.Join(m, ",")
			}
		}
	}
	return "none"
}

// runSession runs the remote command or shell.
func runSession(ctx context.Context, c *client.Client, f *flags, o *options, lg *logger, forward cmdlineForwards) int {
	var disconnected atomic.Bool
	s, err := c.NewSession(ctx)
	if err != nil {
		lg.errorf("gossh: %v", err)
		return 255
	}
	defer s.Close()
	if o.yes("forwardx11", false) {
		requestX11(ctx, s, o, lg)
	}
	cmd := strings.Join(f.command, " ")
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	wantTTY := false
	switch strings.ToLower(o.get("requesttty")) {
	case "force":
		wantTTY = true
	case "yes":
		wantTTY = stdinTTY
		if !stdinTTY {
			lg.errorf("Pseudo-terminal will not be allocated because stdin is not a terminal.")
		}
	case "auto":
		wantTTY = cmd == "" && stdinTTY
	}
	for _, pat := range o.all("sendenv") {
		for _, kv := range os.Environ() {
			name, val, _ := strings.Cut(kv, "=")
			if ok, _ := filepath.Match(pat, name); ok {
				if err := s.Setenv(ctx, name, val); err != nil {
					lg.debug(2, "env %s refused", name)
				}
			}
		}
	}
	for _, kv := range o.all("setenv") {
		name, val, _ := strings.Cut(kv, "=")
		if err := s.Setenv(ctx, name, val); err != nil {
			lg.debug(2, "setenv %s refused", name)
		}
	}
	var restore func()
	if wantTTY {
		cols, rows := 80, 24
		if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			cols, rows = w, h
		}
		tname := os.Getenv("TERM")
		if tname == "" {
			tname = "dumb"
		}
		if err := s.RequestPty(ctx, tname, rows, cols, nil); err != nil {
			lg.errorf("PTY allocation request failed on channel 0")
		} else if stdinTTY {
			if st, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
				restore = func() { term.Restore(int(os.Stdin.Fd()), st) }
				defer restore()
			}
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			defer signal.Stop(winch)
			go func() {
				for range winch {
					if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
						s.WindowChange(ctx, h, w)
					}
				}
			}()
		}
	}
	s.Stdout, s.Stderr = os.Stdout, os.Stderr
	if !o.yes("stdinnull", false) {
		s.Stdin = os.Stdin
		if esc := o.get("escapechar"); wantTTY && esc != "none" && len(esc) == 1 {
			s.Stdin = newEscapeReader(os.Stdin, esc[0], escapeActions{
				disconnect: func() {
					fmt.Fprintf(os.Stderr, "Connection to %s closed.\r\n", o.get("hostname"))
					disconnected.Store(true)
					c.Close()
				},
				brk: func() { go s.Channel().Break(ctx, 1000) }, // ssh's break length
				rekey: func() {
					go func() {
						if err := c.Rekey(ctx); err != nil {
							lg.debug(1, "rekey: %v", err)
						}
					}()
				},
				help:    func(msg string) { fmt.Fprint(os.Stderr, msg) },
				echo:    func(msg string) { fmt.Fprint(os.Stderr, msg) },
				command: func(line string) string { return runCmdline(line, forward) },
			})
		}
	}
	if cmd == "" {
		err = s.Shell(ctx)
	} else {
		err = s.Start(ctx, cmd)
	}
	if err != nil {
		lg.errorf("gossh: %v", err)
		return 255
	}
	err = s.Wait(ctx)
	if restore != nil {
		restore()
	}
	if disconnected.Load() {
		return 255
	}
	var ee *client.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.Signal != "" {
			lg.errorf("Remote command killed by signal %s", ee.Signal)
		}
		return ee.ExitCode()
	case errors.Is(err, client.ErrExitMissing):
		return 255
	}
	lg.errorf("gossh: %v", err)
	return 255
}

// requestX11 asks for X11 forwarding on the session with the lines ssh
// prints for it (ssh.c's ssh_session2_setup, clientloop.c's
// client_x11_get_proto). A failure is reported and the session goes on,
// as in ssh.
func requestX11(ctx context.Context, s *client.Session, o *options, lg *logger) {
	display := os.Getenv("DISPLAY")
	if display == "" {
		lg.debug(1, "X11 forwarding requested but DISPLAY not set")
		return
	}
	x := &client.X11{Display: display, Trusted: o.yes("forwardx11trusted", false), XAuthLocation: o.get("xauthlocation")}
	if d, err := duration(o.get("forwardx11timeout")); err == nil {
		x.Timeout = d
		if d == 0 {
			x.Timeout = -1 // ForwardX11Timeout 0: no timeout
		}
	}
	if _, err := os.Stat(x.XAuthLocation); err == nil && x.Trusted {
		name := display
		if rest, ok := strings.CutPrefix(display, "localhost:"); ok {
			name = "unix:" + rest
		}
		lg.debug(2, "x11_get_proto: %s  list %s 2>/dev/null", x.XAuthLocation, name)
	}
	a, err := x.Authorization(ctx)
	switch {
	case errors.Is(err, client.ErrX11Display):
		lg.info("DISPLAY \"%s\" invalid; disabling X11 forwarding", display)
		return
	case errors.Is(err, client.ErrX11Untrusted):
		lg.errorf("Warning: untrusted X11 forwarding setup failed: xauth key data not generated")
		return
	case err != nil:
		lg.errorf("gossh: %v", err)
		return
	}
	if a.NoXAuth {
		lg.debug(1, "No xauth program.")
	}
	if a.MadeUp {
		lg.info("Warning: No xauth data; using fake authentication data for X11 forwarding.")
	}
	lg.debug(1, "Requesting X11 forwarding with authentication spoofing.")
	id := s.Channel().LocalID()
	if err := s.RequestX11Forwarding(ctx, a); err != nil {
		lg.errorf("X11 forwarding request failed on channel %d", id)
		return
	}
	lg.debug(2, "X11 forwarding request accepted on channel %d", id)
}

// forward specs: [bind_address:]port:host:hostport, or socket paths.
func splitForward(spec string) (listen, target string, err error) {
	parts := splitColons(spec)
	switch len(parts) {
	case 2: // port:unixpath? or path:path
		return parts[0], parts[1], nil
	case 3:
		return parts[0], net.JoinHostPort(parts[1], parts[2]), nil
	case 4:
		return net.JoinHostPort(parts[0], parts[1]), net.JoinHostPort(parts[2], parts[3]), nil
	}
	return "", "", fmt.Errorf("bad forwarding specification '%s'", spec)
}

// splitColons splits on ':' outside [brackets]; "a b" (config form) too.
func splitColons(s string) []string {
	s = strings.Join(strings.Fields(s), ":")
	var out []string
	var cur strings.Builder
	depth := 0
	for _, ch := range s {
		switch {
		case ch == '[':
			depth++
		case ch == ']':
			depth--
		case ch == ':' && depth == 0:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		if ch != '[' && ch != ']' {
			cur.WriteRune(ch)
		}
	}
	return append(out, cur.String())
}

func isPath(s string) bool { return strings.Contains(s, "/") }

// listenAddr is where a local or dynamic forward's listen spec listens:
// a Unix socket path, a port on 127.0.0.1, or [bind:]port with "*" for
// every address.
func listenAddr(spec string) (network, addr string, err error) {
	if isPath(spec) {
		return "unix", spec, nil
	}
	if _, err := strconv.Atoi(spec); err == nil {
		return "tcp", net.JoinHostPort("127.0.0.1", spec), nil
	}
	h, p, err := net.SplitHostPort(spec)
	if err != nil {
		return "", "", err
	}
	if h == "" || h == "localhost" {
		h = "127.0.0.1"
	} else if h == "*" {
		h = ""
	}
	return "tcp", net.JoinHostPort(h, p), nil
}

// remoteListenAddr is where a remote forward's listen spec asks the
// server to listen.
func remoteListenAddr(listen string) (network, addr string) {
	if isPath(listen) {
		return "unix", listen
	}
	if _, err := strconv.Atoi(listen); err == nil {
		return "tcp", net.JoinHostPort("localhost", listen)
	}
	return "tcp", listen
}

// forwardSet remembers the forwards by kind ("L", "R", "D") and listen
// address, so that the "~C" command line can cancel them.
type forwardSet struct {
	mu sync.Mutex
	m  map[string]io.Closer
}

func (f *forwardSet) add(kind, network, addr string, c io.Closer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]io.Closer{}
	}
	f.m[kind+" "+network+" "+addr] = c
}

// cancel closes the forward of kind listening where spec says.
func (f *forwardSet) cancel(kind, spec string) error {
	network, addr := remoteListenAddr(spec)
	if kind != "R" {
		var err error
		if network, addr, err = listenAddr(spec); err != nil {
			return err
		}
	}
	f.mu.Lock()
	c, ok := f.m[kind+" "+network+" "+addr]
	delete(f.m, kind+" "+network+" "+addr)
	f.mu.Unlock()
	if !ok {
		return errUnknownForward
	}
	return c.Close()
}

var errUnknownForward = errors.New("unknown port forwarding")

func startLocalForward(ctx context.Context, wg *sync.WaitGroup, c *client.Client, spec string, lg *logger, fs *forwardSet) error {
	listen, target, err := splitForward(spec)
	if err != nil {
		return err
	}
	lnet, laddr, err := listenAddr(listen)
	if err != nil {
		return err
	}
	l, err := net.Listen(lnet, laddr)
	if err != nil {
		return fmt.Errorf("bind [%s]: %v", listen, err)
	}
	fs.add("L", lnet, laddr, l)
	network := "tcp"
	if isPath(target) {
		network = "unix"
	}
	lg.debug(1, "Local connections to %s forwarded to remote address %s", l.Addr(), target)
	wg.Go(func() { forward.Local(ctx, c, l, network, target) })
	return nil
}

func startRemoteForward(ctx context.Context, wg *sync.WaitGroup, c *client.Client, spec string, lg *logger, fs *forwardSet) error {
	listen, target, err := splitForward(spec)
	if err != nil {
		return err
	}
	network, addr := remoteListenAddr(listen)
	rl, err := c.Listen(ctx, network, addr)
	if err != nil {
		return err
	}
	fs.add("R", network, addr, rl)
	tnet := "tcp"
	if isPath(target) {
		tnet = "unix"
	}
	if ta, ok := rl.Addr().(*net.TCPAddr); ok && strings.HasSuffix(addr, ":0") {
		lg.info("Allocated port %d for remote forward to %s", ta.Port, target)
	}
	lg.debug(1, "Remote connections from %s forwarded to local address %s", rl.Addr(), target)
	wg.Go(func() { forward.Remote(ctx, c, rl, tnet, target) })
	return nil
}

// keyAccepted reports whether the key in path (judged by its .pub file)
// can sign with one of the accepted algorithms. Without a readable .pub
// file the key is tried.
func keyAccepted(path string, accepted []string) bool {
	data, err := os.ReadFile(path + ".pub")
	if err != nil || len(accepted) == 0 {
		return true
	}
	pub, _, err := hostkey.ParsePublicKeyFile(data)
	if err != nil {
		return true
	}
	for _, a := range hostkey.SignatureAlgorithms(pub) {
		if slices.Contains(accepted, a) {
			return true
		}
	}
	return false
}
