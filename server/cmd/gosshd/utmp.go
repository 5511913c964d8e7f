package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Login records (sshd's loginrec.c, Linux): for each pty session gosshd
// as root appends a USER_PROCESS record (user, tty, client host and
// address, the shell's pid) to wtmp when the shell starts and a
// DEAD_PROCESS record when it ends, and puts both in utmp's slot for the
// tty; the files are not created when missing (a container often has no
// /run/utmp), as sshd does not create them. last(1) and who(1) then show
// gosshd logins. Lastlog is lastlog.go.

// wtmpFile and utmpFile are the record files; tests replace them.
var (
	wtmpFile = "/var/log/wtmp"
	utmpFile = "/run/utmp"
)

// glibc's struct utmp on Linux: ut_type int16 (+2 pad), ut_pid int32,
// ut_line[32], ut_id[4], ut_user[32], ut_host[256], ut_exit (2 int16),
// ut_session int32, ut_tv (2 int32), ut_addr_v6 (4 int32), 20 reserved.
const (
	utmpRecord = 384

	utUserProcess = 7 // USER_PROCESS
	utDeadProcess = 8 // DEAD_PROCESS
)

// A utmpEntry is the part of struct utmp sshd's construct_utmp fills.
type utmpEntry struct {
	Type       int16
	PID        int32
	Line, ID   string // "pts/3", and its last 4 bytes "ts/3"
	User, Host string
	Time       time.Time
	Addr       net.IP
}

// newUtmpEntry is construct_utmp: a logout keeps only the type, time,
// line, id and pid.
func newUtmpEntry(typ int16, pid int, line, user, host string, addr net.IP, now time.Time) utmpEntry {
	id := line
	if len(id) > 4 {
		id = id[len(id)-4:]
	}
	e := utmpEntry{Type: typ, PID: int32(pid), Line: line, ID: id, Time: now}
	if typ == utUserProcess {
		e.User, e.Host, e.Addr = user, host, addr
	}
	return e
}

func (e utmpEntry) marshal() []byte {
	b := make([]byte, utmpRecord)
	ne := binary.NativeEndian
	ne.PutUint16(b[0:], uint16(e.Type))
	ne.PutUint32(b[4:], uint32(e.PID))
	copy(b[8:40], e.Line)
	copy(b[40:44], e.ID)
	copy(b[44:76], e.User)
	copy(b[76:332], e.Host)
	ne.PutUint32(b[340:], uint32(e.Time.Unix()))
	ne.PutUint32(b[344:], uint32(e.Time.Nanosecond()/1000))
	if v4 := e.Addr.To4(); v4 != nil {
		copy(b[348:352], v4)
	} else if len(e.Addr) == net.IPv6len {
		copy(b[348:364], e.Addr)
	}
	return b
}

// parseUtmp decodes one record; ok false when b is short.
func parseUtmp(b []byte) (e utmpEntry, ok bool) {
	if len(b) < utmpRecord {
		return e, false
	}
	ne := binary.NativeEndian
	cstr := func(b []byte) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	e.Type = int16(ne.Uint16(b[0:]))
	e.PID = int32(ne.Uint32(b[4:]))
	e.Line, e.ID, e.User, e.Host = cstr(b[8:40]), cstr(b[40:44]), cstr(b[44:76]), cstr(b[76:332])
	e.Time = time.Unix(int64(ne.Uint32(b[340:])), int64(ne.Uint32(b[344:])%1000000)*1000)
	switch {
	case bytes.Equal(b[352:364], make([]byte, 12)) && !bytes.Equal(b[348:352], make([]byte, 4)):
		e.Addr = net.IP(bytes.Clone(b[348:352]))
	case !bytes.Equal(b[348:364], make([]byte, 16)):
		e.Addr = net.IP(bytes.Clone(b[348:364]))
	}
	return e, true
}

// lockFile takes an fcntl write lock on f, as glibc's utmp functions do.
func lockFile(f *os.File) error {
	return syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart})
}

// appendWtmp appends e to the wtmp file (updwtmp).
func appendWtmp(path string, e utmpEntry) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size()%utmpRecord != 0 {
		// A torn record before ours would misalign every later one:
		// drop it, as glibc's updwtmp does.
		if err := f.Truncate(st.Size() - st.Size()%utmpRecord); err != nil {
			return err
		}
	}
	if _, err := f.Write(e.marshal()); err != nil {
		return err
	}
	return f.Close()
}

// writeUtmp puts e in the utmp file (pututline): over the record of a
// login type with the same id, else over a free one, else at the end.
func writeUtmp(path string, e utmpEntry) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return err
	}
	at, free := int64(len(data)-len(data)%utmpRecord), int64(-1)
	for off := 0; off+utmpRecord <= len(data); off += utmpRecord {
		r, _ := parseUtmp(data[off:])
		if r.Type >= 5 && r.Type <= utDeadProcess && r.ID == e.ID {
			at, free = int64(off), -1
			break
		}
		if r.Type == 0 && free < 0 {
			free = int64(off)
		}
	}
	if free >= 0 {
		at = free
	}
	if _, err := f.WriteAt(e.marshal(), at); err != nil {
		return err
	}
	return f.Close()
}

// recordLoginEntry writes e to utmp and wtmp, whichever exist.
func recordLoginEntry(e utmpEntry) error {
	errU := writeUtmp(utmpFile, e)
	errW := appendWtmp(wtmpFile, e)
	if errors.Is(errU, os.ErrNotExist) {
		errU = nil
	}
	if errors.Is(errW, os.ErrNotExist) {
		errW = nil
	}
	return errors.Join(errU, errW)
}
