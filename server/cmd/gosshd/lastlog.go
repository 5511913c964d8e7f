package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"time"
)

// PrintLastLog (sshd_config(5)): like sshd on Linux,
// gosshd keeps the lastlog file, /var/log/lastlog: when a session gets
// a pty it reads the user's entry, then writes the new login (time, tty,
// client address or, with UseDNS yes, name) over it, as sshd's
// record_login; a login shell then prints the old entry as "Last login:
// TIME from HOST" before the motd, unless ~/.hushlogin exists. utmp and
// wtmp are utmp.go.

// lastlogFile is the lastlog file; tests replace it.
var lastlogFile = "/var/log/lastlog"

// A lastlog record is glibc's struct lastlog on Linux: int32 ll_time,
// char ll_line[32], char ll_host[256], native byte order, at offset
// uid * 292.
const (
	lastlogLine   = 32
	lastlogHost   = 256
	lastlogRecord = 4 + lastlogLine + lastlogHost
)

// readLastlog returns the user's last login, ok false when there is
// none (no file, no record, or time 0).
func readLastlog(path string, uid uint32) (t time.Time, line, host string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return t, "", "", false
	}
	defer f.Close()
	var rec [lastlogRecord]byte
	if _, err := f.ReadAt(rec[:], int64(uid)*lastlogRecord); err != nil {
		return t, "", "", false
	}
	return parseLastlog(rec[:])
}

// parseLastlog decodes one record; ok false for a short one or time 0.
// The strings end at the first NUL or the field's end.
func parseLastlog(rec []byte) (t time.Time, line, host string, ok bool) {
	if len(rec) < lastlogRecord {
		return t, "", "", false
	}
	sec := binary.NativeEndian.Uint32(rec[:4])
	if sec == 0 {
		return t, "", "", false
	}
	cstr := func(b []byte) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	return time.Unix(int64(sec), 0), cstr(rec[4 : 4+lastlogLine]), cstr(rec[4+lastlogLine : lastlogRecord]), true
}

// writeLastlog writes the user's record, as loginrec.c's
// lastlog_write_entry (the file must exist: it is not created).
func writeLastlog(path string, uid uint32, t time.Time, line, host string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var rec [lastlogRecord]byte
	binary.NativeEndian.PutUint32(rec[:4], uint32(t.Unix()))
	copy(rec[4:4+lastlogLine-1], line)
	copy(rec[4+lastlogLine:lastlogRecord-1], host)
	if _, err := f.WriteAt(rec[:], int64(uid)*lastlogRecord); err != nil {
		return err
	}
	return f.Close()
}

// lastLoginMessage is sshd's store_lastlog_message text ("" for none):
// the time as ctime(3) prints it in local time.
func lastLoginMessage(t time.Time, host string) string {
	ts := t.Local().Format("Mon Jan _2 15:04:05 2006")
	if host == "" {
		return fmt.Sprintf("Last login: %s\r\n", ts)
	}
	return fmt.Sprintf("Last login: %s from %s\r\n", ts, host)
}

// onlcr turns each "\n" into "\r\n", as the pty's ONLCR does to what
// sshd's session child prints before the shell: gosshd writes these
// lines to the channel directly.
func onlcr(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
