package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/wire"
)

// logger writes OpenSSH-style "debugN: " lines at the LogLevel.
type logger struct {
	mu    sync.Mutex // serialises trace lines from the read and write sides
	w     io.Writer
	level int // 0 quiet, 1 fatal/error, 2 info, 3 verbose, 4.. debug1..3
	// logVerbose are LogVerbose's pattern lists (logverbose.go); a log site
	// whose tag matches one is printed whatever the level. Set once.
	logVerbose []string
}

func newLogger(o *options, file string, toSyslog bool) (*logger, error) {
	lv := map[string]int{"QUIET": 0, "SILENT": 0, "FATAL": 1, "ERROR": 1, "INFO": 2, "VERBOSE": 3,
		"DEBUG": 4, "DEBUG1": 4, "DEBUG2": 5, "DEBUG3": 6}
	level, ok := lv[strings.ToUpper(o.get("loglevel"))]
	if !ok {
		return nil, fmt.Errorf("unsupported LogLevel %q", o.get("loglevel"))
	}
	l := &logger{w: os.Stderr, level: level, logVerbose: parseLogVerbose(o.get("logverbose"))}
	if toSyslog {
		// -y, as ssh: the log goes to syslog with SyslogFacility, at
		// priority INFO for every line, even with -E (whose file then
		// gets only what ssh's stderr would); without a syslog daemon to
		// talk to it stays where it was.
		if w, err := syslogDial(syslogFacilities[strings.ToUpper(o.get("syslogfacility"))]|syslog.LOG_INFO, "gossh"); err == nil {
			l.w = syslogLines{w}
			return l, nil
		}
	}
	if file != "" {
		fh, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		l.w = fh
	}
	return l, nil
}

// syslogDial connects to the local syslog daemon; tests point it at a
// socket of their own.
var syslogDial = func(p syslog.Priority, tag string) (io.Writer, error) { return syslog.New(p, tag) }

// syslogFacilities maps SyslogFacility's values (as options.get gives
// them) to syslog's.
var syslogFacilities = map[string]syslog.Priority{
	"DAEMON": syslog.LOG_DAEMON, "USER": syslog.LOG_USER, "AUTH": syslog.LOG_AUTH, "AUTHPRIV": syslog.LOG_AUTHPRIV,
	"LOCAL0": syslog.LOG_LOCAL0, "LOCAL1": syslog.LOG_LOCAL1, "LOCAL2": syslog.LOG_LOCAL2, "LOCAL3": syslog.LOG_LOCAL3,
	"LOCAL4": syslog.LOG_LOCAL4, "LOCAL5": syslog.LOG_LOCAL5, "LOCAL6": syslog.LOG_LOCAL6, "LOCAL7": syslog.LOG_LOCAL7,
}

// syslogLines sends each line written to it as one syslog message,
// without the CR LF the terminal needs.
type syslogLines struct{ w io.Writer }

func (s syslogLines) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(strings.TrimRight(string(p), "\r\n"), "\n") {
		if _, err := s.w.Write([]byte(strings.TrimRight(line, "\r"))); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (l *logger) debug(n int, format string, args ...any) {
	if l.level >= 3+n {
		fmt.Fprintf(l.w, "debug%d: "+format+"\r\n", append([]any{n}, args...)...)
		return
	}
	if l.logVerbose != nil {
		// LogVerbose: the caller's site decides.
		var pcs [1]uintptr
		runtime.Callers(2, pcs[:])
		if tag, ok := l.forced(pcs[0]); ok {
			fmt.Fprintf(l.w, "debug%d: %s: "+format+"\r\n", append([]any{n, tag}, args...)...)
		}
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
	// For LogVerbose's lines: the attributes of WithAttrs as key=value,
	// and the group prefix of WithGroup.
	attrs []string
	group string
}

func (h *sshHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || h.text != nil || h.l.logVerbose != nil
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
	if r.Level < slog.LevelInfo && h.l.logVerbose != nil {
		// LogVerbose: a debug record of a matching site, at debug3.
		if tag, ok := h.l.forced(r.PC); ok {
			h.l.mu.Lock()
			defer h.l.mu.Unlock()
			fmt.Fprintf(h.l.w, "debug3: %s: %s\r\n", tag, h.forcedText(r))
		}
	}
	return nil
}

func (h *sshHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	if h.text != nil {
		c.text = h.text.WithAttrs(as)
	}
	for _, a := range as {
		c.attrs = append(slices.Clip(c.attrs), h.group+a.String())
	}
	return &c
}

func (h *sshHandler) WithGroup(name string) slog.Handler {
	c := *h
	if h.text != nil {
		c.text = h.text.WithGroup(name)
	}
	c.group += name + "."
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
