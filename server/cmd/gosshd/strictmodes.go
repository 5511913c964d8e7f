package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// maxUserFile bounds what gosshd reads of an authorized_keys or
// authorized principals file.
const maxUserFile = 4 << 20

// readUserFile reads one of the user's authorization files as sshd's
// auth_openfile: it must be a regular file, and with StrictModes it and
// every directory above it, up to the home directory (or to / for a
// file outside it), must be owned by the user or root and writable by
// nobody else (safe_path). A refused file reads as absent, with sshd's
// log line; a missing one silently so.
func (p *policy) readUserFile(path string, a *account, fileType string) ([]byte, bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if !os.IsNotExist(err) {
			p.logf("Could not open user '%s' %s '%s': %v", a.Name, fileType, path, err)
		}
		return nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false
	}
	if !st.Mode().IsRegular() {
		p.logf("User '%s' %s '%s' is not a regular file", a.Name, fileType, path)
		return nil, false
	}
	if p.cfg.more.StrictModes {
		if err := securePath(path, st, a.Home, a.UID); err != nil {
			p.logf("Authentication refused: %v", err)
			return nil, false
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxUserFile))
	return data, err == nil
}

func (p *policy) logf(format string, args ...any) {
	if p.log != nil {
		p.log.Info(fmt.Sprintf(format, args...))
	}
}

// fileOwner is the owner's uid of a file gosshd has stat'ed.
func fileOwner(st fs.FileInfo) uint32 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Uid
	}
	return ^uint32(0)
}

// insecure reports what StrictModes refuses in a file or directory: an
// owner other than root or uid, or group or world write permission.
func insecure(st fs.FileInfo, uid uint32) bool {
	o := fileOwner(st)
	return o != 0 && o != uid || st.Mode().Perm()&0o022 != 0
}

// securePath is sshd's safe_path for a file name whose open file st
// describes: a regular file owned by uid or root and not writable by
// group or others, in directories with the same property, checked from
// the file's canonical path upwards until home (inclusive) or /.
func securePath(name string, st fs.FileInfo, home string, uid uint32) error {
	buf, err := filepath.EvalSymlinks(name)
	if err == nil {
		buf, err = filepath.Abs(buf)
	}
	if err != nil {
		return fmt.Errorf("realpath %s failed: %v", name, err)
	}
	homedir := ""
	if home != "" {
		if h, err := filepath.EvalSymlinks(home); err == nil {
			homedir, _ = filepath.Abs(h)
		}
	}
	bad := func(st fs.FileInfo) bool { return insecure(st, uid) }
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", buf)
	}
	if bad(st) {
		return fmt.Errorf("bad ownership or modes for file %s", buf)
	}
	for {
		buf = filepath.Dir(buf)
		if dst, err := os.Stat(buf); err != nil || bad(dst) {
			return fmt.Errorf("bad ownership or modes for directory %s", buf)
		}
		if homedir != "" && buf == homedir || buf == "/" || buf == "." {
			return nil
		}
	}
}
