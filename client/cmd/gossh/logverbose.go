package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sshstack/sshstack/sshconfig"
)

// parseLogVerbose reads LogVerbose: a comma-separated list of
// file:func:line patterns (options.set keeps only the first argument,
// as ssh does); "none" (or nothing) is none.
func parseLogVerbose(v string) []string {
	f := strings.Fields(v)
	if len(f) == 0 || strings.EqualFold(f[0], "none") {
		return nil
	}
	return f[:1]
}

// siteTag is the tag OpenSSH's sshlogv gives a log site,
// "file:func():line (pid=N)", for the Go function at pc: the source
// file's base name, the function as Go names it without the import path
// (kex.(*Transport).sendInit), its line. short is the tag without the
// " (pid=N)", which ssh's tag has since 9.0 and ssh_config(5)'s example
// patterns do not.
func siteTag(pc uintptr) (tag, short string) {
	fr, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	fn := fr.Function
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		fn = fn[i+1:]
	}
	short = fmt.Sprintf("%s:%s():%d", filepath.Base(fr.File), fn, fr.Line)
	return fmt.Sprintf("%s (pid=%d)", short, os.Getpid()), short
}

// forced reports whether the site at pc matches one of l's LogVerbose
// pattern lists, and its tag.
func (l *logger) forced(pc uintptr) (string, bool) {
	if pc == 0 {
		return "", false
	}
	tag, short := siteTag(pc)
	for _, list := range l.logVerbose {
		if sshconfig.MatchList(list, tag, nil) || sshconfig.MatchList(list, short, nil) {
			return tag, true
		}
	}
	return "", false
}

// forcedText renders a record for a LogVerbose line: the message, then
// key=value for each attribute (the handler's, then the record's).
func (h *sshHandler) forcedText(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range h.attrs {
		b.WriteString(" " + a)
	}
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + h.group + a.String())
		return true
	})
	return b.String()
}
