package sftpcli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// An FS is one side of a copy: the local file system when Remote is
// nil, else the files of an SFTP server.
type FS struct {
	Remote *sftp.Client
}

// Local is the local file system.
var Local = FS{}

// IsRemote reports whether f is an SFTP server.
func (f FS) IsRemote() bool { return f.Remote != nil }

// Join joins path elements with the side's separator.
func (f FS) Join(elem ...string) string {
	if f.Remote != nil {
		return path.Join(elem...)
	}
	return filepath.Join(elem...)
}

// Base is the last element of name.
func (f FS) Base(name string) string {
	if f.Remote != nil {
		return path.Base(name)
	}
	return filepath.Base(name)
}

// Stat follows symbolic links, as sftp and scp do for their operands.
func (f FS) Stat(name string) (fs.FileInfo, error) {
	if f.Remote != nil {
		return f.Remote.Stat(name)
	}
	return os.Stat(name)
}

// ReadDir lists a directory without "." and "..".
func (f FS) ReadDir(name string) ([]fs.FileInfo, error) {
	if f.Remote != nil {
		return f.Remote.ReadDir(name)
	}
	des, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	var fis []fs.FileInfo
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		fis = append(fis, fi)
	}
	return fis, nil
}

// Glob expands pattern (sftp.Match's syntax remotely, filepath.Match's
// locally).
func (f FS) Glob(pattern string) ([]string, error) {
	if f.Remote != nil {
		return f.Remote.Glob(pattern)
	}
	return filepath.Glob(pattern)
}

func (f FS) open(name string) (io.ReadSeekCloser, error) {
	if f.Remote != nil {
		return f.Remote.Open(name)
	}
	return os.Open(name)
}

// A writeFile is what create returns: *os.File or *sftp.File.
type writeFile interface {
	io.WriteCloser
	io.Seeker
	Sync() error
}

// create opens name for writing, truncated unless keep.
func (f FS) create(name string, perm fs.FileMode, keep bool) (writeFile, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if keep {
		flags = os.O_WRONLY | os.O_CREATE
	}
	if f.Remote != nil {
		w, err := f.Remote.OpenFile(name, flags)
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	return os.OpenFile(name, flags, perm|0o200)
}

// Mkdir makes a directory.
func (f FS) Mkdir(name string, perm fs.FileMode) error {
	if f.Remote != nil {
		return f.Remote.Mkdir(name)
	}
	return os.Mkdir(name, perm|0o700)
}

// Chmod sets the permission bits.
func (f FS) Chmod(name string, perm fs.FileMode) error {
	if f.Remote != nil {
		return f.Remote.Chmod(name, perm)
	}
	return os.Chmod(name, perm)
}

// Chtimes sets the access and modification times.
func (f FS) Chtimes(name string, atime, mtime time.Time) error {
	if f.Remote != nil {
		return f.Remote.Chtimes(name, atime, mtime)
	}
	return os.Chtimes(name, atime, mtime)
}

// atime is fi's access time: SFTP's ATIME or the local stat's.
func atime(fi fs.FileInfo) time.Time {
	switch s := fi.Sys().(type) {
	case *sftp.FileStat:
		return time.Unix(int64(s.Atime), 0)
	case *syscall.Stat_t:
		return time.Unix(s.Atim.Sec, s.Atim.Nsec)
	}
	return fi.ModTime()
}

// A Copier copies files and directory trees between two FS.
type Copier struct {
	Recursive bool // -r: copy directories
	Preserve  bool // -p: copy the mode, access and modification times
	// Resume continues a file the destination has part of (sftp's
	// reget and reput, -a): what it holds is taken as the start of
	// the source and not checked.
	Resume bool
	// Fsync asks for the destination file to be synced to disk
	// (fsync@openssh.com remotely) before it is closed (sftp -f).
	Fsync bool
	// Limit caps the data rate in bytes per second (scp -l); 0 is none.
	Limit int64
	// Dir is called for each directory entered (sftp's "Retrieving" and
	// "Entering" lines); nil for none.
	Dir func(src string)
	// Warn reports an error inside a tree that does not stop the copy
	// (a file that cannot be read); nil to stop at the first.
	Warn func(error)
}

// An OpError is a step of a copy that failed: Op is "open" (the
// source), "create" (the destination) or "mkdir", on the remote side
// or the local one. Message gives it in sftp's and scp's words.
type OpError struct {
	Op     string
	Path   string
	Remote bool
	Err    error
}

func (e *OpError) Error() string {
	where := "local"
	if e.Remote {
		where = "remote"
	}
	return fmt.Sprintf("sftpcli: %s %s %s: %v", e.Op, where, e.Path, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// Message is e as OpenSSH's sftp and scp print it, with text the
// description of e.Err.
func (e *OpError) Message(text string) string {
	switch {
	case e.Op == "create" && e.Remote:
		return fmt.Sprintf("dest open \"%s\": %s", e.Path, text)
	case e.Op == "mkdir" && e.Remote:
		return fmt.Sprintf("remote mkdir \"%s\": %s", e.Path, text)
	case e.Op == "mkdir":
		return fmt.Sprintf("mkdir %s: %s", e.Path, text)
	case e.Op == "notdir":
		return fmt.Sprintf("\"%s\" exists but is not a directory", e.Path)
	case e.Remote:
		return fmt.Sprintf("open remote \"%s\": %s", e.Path, text)
	}
	return fmt.Sprintf("open local \"%s\": %s", e.Path, text)
}

// ErrIsDir is returned for a directory without Recursive.
var ErrIsDir = errors.New("sftpcli: is a directory")

// ErrResumeLarger is returned by a Resume copy when the destination is
// larger than the source (for a remote destination, as large: sftp's
// reput refuses both).
var ErrResumeLarger = errors.New("sftpcli: destination file is larger than the source")

// Copy copies src on from to dst on to: a file, or with Recursive a
// tree; dst is the path to create, not the directory to create it in.
func (cp *Copier) Copy(from FS, src string, to FS, dst string) error {
	fi, err := from.Stat(src)
	if err != nil {
		return err
	}
	return cp.copy(from, src, fi, to, dst)
}

func (cp *Copier) copy(from FS, src string, fi fs.FileInfo, to FS, dst string) error {
	switch {
	case fi.IsDir():
		if !cp.Recursive {
			return fmt.Errorf("%s: %w", src, ErrIsDir)
		}
		return cp.copyDir(from, src, fi, to, dst)
	case fi.Mode().IsRegular():
		return cp.copyFile(from, src, fi, to, dst)
	}
	return fmt.Errorf("sftpcli: %s: not a regular file", src)
}

func (cp *Copier) copyDir(from FS, src string, fi fs.FileInfo, to FS, dst string) error {
	if cp.Dir != nil {
		cp.Dir(src)
	}
	if err := to.Mkdir(dst, fi.Mode().Perm()); err != nil {
		st, serr := to.Stat(dst)
		if serr == nil && !st.IsDir() {
			return &OpError{"notdir", dst, to.IsRemote(), syscall.ENOTDIR}
		}
		if serr != nil {
			return &OpError{"mkdir", dst, to.IsRemote(), err}
		}
	}
	ents, err := from.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		s, d := from.Join(src, e.Name()), to.Join(dst, e.Name())
		if e.Mode()&fs.ModeSymlink != 0 {
			// sftp and scp follow links inside a tree.
			if e, err = from.Stat(s); err != nil {
				if cp.Warn == nil {
					return err
				}
				cp.Warn(err)
				continue
			}
		}
		if !e.IsDir() && !e.Mode().IsRegular() {
			continue // sockets, devices: skipped, as sftp does
		}
		if err := cp.copy(from, s, e, to, d); err != nil {
			if cp.Warn == nil {
				return err
			}
			cp.Warn(err)
		}
	}
	// Mode and times last: writing the entries changed the mtime.
	if cp.Preserve {
		if err := to.Chmod(dst, fi.Mode().Perm()); err != nil {
			return err
		}
		return to.Chtimes(dst, atime(fi), fi.ModTime())
	}
	return nil
}

func (cp *Copier) copyFile(from FS, src string, fi fs.FileInfo, to FS, dst string) (err error) {
	r, err := from.open(src)
	if err != nil {
		return &OpError{"open", src, from.IsRemote(), err}
	}
	defer r.Close()
	var off int64
	if cp.Resume {
		if st, err := to.Stat(dst); err == nil && st.Mode().IsRegular() {
			off = st.Size()
			if off > fi.Size() || (to.IsRemote() && off == fi.Size() && off > 0) {
				return fmt.Errorf("%s: %w", dst, ErrResumeLarger)
			}
		}
	}
	w, err := to.create(dst, fi.Mode().Perm(), off > 0)
	if err != nil {
		return &OpError{"create", dst, to.IsRemote(), err}
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	if off > 0 {
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return err
		}
		if _, err := w.Seek(off, io.SeekStart); err != nil {
			return err
		}
	}
	var in io.Reader = r
	if cp.Limit > 0 {
		in = &limitReader{r: r, rate: cp.Limit, start: time.Now()}
	}
	if rf, ok := w.(*sftp.File); ok && cp.Limit == 0 {
		// Concurrent writes need the size: ReadFrom finds it through
		// the local file's Stat.
		_, err = rf.ReadFrom(in)
	} else {
		_, err = io.Copy(w, in)
	}
	if err != nil {
		return err
	}
	if cp.Fsync {
		// A server without fsync@openssh.com is not an error, as in
		// sftp.
		var se *sftp.StatusError
		if err := w.Sync(); err != nil && !(errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxOpUnsupported) {
			return err
		}
	}
	if cp.Preserve {
		if err := to.Chmod(dst, fi.Mode().Perm()); err != nil {
			return err
		}
		return to.Chtimes(dst, atime(fi), fi.ModTime())
	}
	if to.IsRemote() {
		// sftp opens the remote file with the source's mode, which the
		// server masks with its umask; pkg/sftp opens it with none, so
		// the mode is set after, masked as the usual umask 022 would.
		to.Chmod(dst, fi.Mode().Perm()&^0o022)
	}
	return nil
}

// A limitReader holds reads to rate bytes per second on average.
type limitReader struct {
	r     io.Reader
	rate  int64
	n     int64
	start time.Time
}

func (l *limitReader) Read(p []byte) (int, error) {
	if max := l.rate / 10; int64(len(p)) > max && max > 0 {
		p = p[:max] // a tenth of a second's worth at a time
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	want := time.Duration(float64(l.n) / float64(l.rate) * float64(time.Second))
	if d := want - time.Since(l.start); d > 0 {
		time.Sleep(d)
	}
	return n, err
}
