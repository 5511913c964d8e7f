package main

import (
	"io"
	"log/syslog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSyslogFlag: with -y the log lines go to syslog, one message each
// without the CR LF, at priority INFO of SyslogFacility, tagged gossh,
// also with -E (as in ssh, where -y decides); without a daemon they go
// where they would without -y.
func TestSyslogFlag(t *testing.T) {
	f, err := parseFlags([]string{"-y", "h"})
	if err != nil || !f.syslog {
		t.Fatalf("-y: %+v %v", f, err)
	}
	sock := filepath.Join(t.TempDir(), "log")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatalf("unixgram: %v", err)
	}
	defer l.Close()
	saved := syslogDial
	defer func() { syslogDial = saved }()
	syslogDial = func(p syslog.Priority, tag string) (io.Writer, error) { return syslog.Dial("unixgram", sock, p, tag) }

	o := newOptions()
	if err := o.setOption("SyslogFacility local3"); err != nil {
		t.Fatal(err)
	}
	if err := o.fillDefaults("h"); err != nil {
		t.Fatal(err)
	}
	lg, err := newLogger(o, "", true)
	if err != nil {
		t.Fatal(err)
	}
	lg.info("Warning: %s", "one line")
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, err := l.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	// <158> is LOCAL3 (19) * 8 + INFO (6).
	if !strings.HasPrefix(msg, "<158>") || !strings.Contains(msg, "gossh[") || !strings.Contains(msg, "Warning: one line") || strings.Contains(msg, "\r") {
		t.Errorf("syslog message %q", msg)
	}

	if lg, err := newLogger(o, filepath.Join(t.TempDir(), "f"), true); err != nil {
		t.Fatal(err)
	} else if _, ok := lg.w.(syslogLines); !ok {
		t.Error("-E with -y: the log did not go to syslog")
	}
	syslogDial = func(syslog.Priority, string) (io.Writer, error) { return nil, net.ErrClosed }
	if lg, err := newLogger(o, "", true); err != nil {
		t.Fatal(err)
	} else if _, ok := lg.w.(syslogLines); ok {
		t.Error("no daemon: the log did not stay on stderr")
	}
}
