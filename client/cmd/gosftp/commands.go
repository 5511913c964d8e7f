package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pkg/sftp"

	"github.com/sshstack/sshstack/client/internal/sftpcli"
)

// errQuit ends the command loop (bye, exit, quit).
var errQuit = errors.New("quit")

// errSilent is a failed command that sftp reports with nothing but its
// status.
var errSilent = errors.New("failed")

// errText is an error as sftp prints it: the SFTP status message of
// draft-ietf-secsh-filexfer-02, Section 7, or the system's.
func errText(err error) string {
	var se *sftp.StatusError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.As(err, &se):
		switch se.Code {
		case 1:
			return "End of file"
		case 4:
			return "Failure"
		case 5:
			return "Bad message"
		case 6:
			return "No connection"
		case 7:
			return "Connection lost"
		case 8:
			return "Operation unsupported"
		}
		return "Unknown status"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sftp.ErrSSHFxConnectionLost):
		return "Connection closed"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		t := errno.Error()
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
}

// cmdFlags splits leading single-letter flags (as "-rp") that are in
// allowed off args.
func cmdFlags(name string, args []string, allowed string) (map[byte]bool, []string, error) {
	fl := map[byte]bool{}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			if !strings.ContainsRune(allowed, rune(a[j])) {
				return nil, nil, msgf("%s: Invalid flag -%c", name, a[j])
			}
			fl[a[j]] = true
		}
	}
	return fl, args[i:], nil
}

// nargs checks that a command has its paths, with sftp's messages;
// like sftp it ignores any beyond max.
func nargs(name string, args []string, min, max int) error {
	if len(args) >= min {
		return nil
	}
	switch {
	case min == 2:
		return msgf("You must specify two paths after a %s command.", name)
	case max > 1:
		return msgf("You must specify at least one path after a %s command.", name)
	}
	return msgf("You must specify a path after a %s command.", name)
}

func (s *session) dispatch(args []string) error {
	name := strings.ToLower(args[0])
	args = args[1:]
	switch name {
	case "bye", "exit", "quit":
		return errQuit
	case "help", "?":
		fmt.Fprint(s.out, helpText)
		return nil
	case "version":
		fmt.Fprintf(s.out, "SFTP protocol version 3\n")
		return nil
	case "progress":
		s.progress = !s.progress
		fmt.Fprintf(s.out, "Progress meter %s\n", map[bool]string{true: "enabled", false: "disabled"}[s.progress])
		return nil
	case "pwd":
		fmt.Fprintf(s.out, "Remote working directory: %s\n", s.cwd)
		return nil
	case "lpwd":
		wd, err := os.Getwd()
		if err != nil {
			return msgf("Couldn't get local cwd: %s", errText(err))
		}
		fmt.Fprintf(s.out, "Local working directory: %s\n", wd)
		return nil
	case "cd":
		return s.cd(args)
	case "lcd":
		dir := ""
		if len(args) > 0 {
			dir = args[0]
		} else if dir, _ = os.UserHomeDir(); dir == "" {
			return msgf("lcd: no home directory")
		}
		if err := os.Chdir(dir); err != nil {
			return msgf("Couldn't change local directory to \"%s\": %s", dir, errText(err))
		}
		return nil
	case "ls", "dir":
		return s.ls(args)
	case "lls", "ldir":
		return localShell("ls " + strings.Join(args, " "))
	case "lmkdir":
		if err := nargs(name, args, 1, 1); err != nil {
			return err
		}
		if err := os.Mkdir(args[0], 0o777); err != nil {
			return msgf("Couldn't create local directory \"%s\": %s", args[0], errText(err))
		}
		return nil
	case "lumask":
		if len(args) < 1 {
			return msgf("You must supply a numeric argument to the lumask command.")
		}
		m, err := strconv.ParseUint(args[0], 8, 32)
		if err != nil || m > 0o777 {
			return msgf("You must supply a numeric argument to the lumask command.")
		}
		syscall.Umask(int(m))
		fmt.Fprintf(s.out, "Local umask: %03o\n", m)
		return nil
	case "get", "reget":
		return s.get(name, args)
	case "put", "reput":
		return s.put(name, args)
	case "mkdir":
		if err := nargs(name, args, 1, 1); err != nil {
			return err
		}
		p := s.abs(args[0])
		if err := s.c.Mkdir(p); err != nil {
			return msgf("remote mkdir \"%s\": %s", p, errText(err))
		}
		return nil
	case "rmdir":
		if err := nargs(name, args, 1, 1); err != nil {
			return err
		}
		p := s.abs(args[0])
		if err := s.c.RemoveDirectory(p); err != nil {
			return msgf("remote rmdir \"%s\": %s", p, errText(err))
		}
		return nil
	case "rm":
		if err := nargs(name, args, 1, 1); err != nil {
			return err
		}
		return s.globbed(args[0], func(p string) error {
			s.say("Removing %s\n", p)
			if err := s.removeFile(p); err != nil {
				return msgf("remote delete %s: %s", p, errText(err))
			}
			return nil
		})
	case "rename":
		fl, args, err := cmdFlags(name, args, "l")
		if err != nil {
			return err
		}
		if err := nargs(name, args, 2, 2); err != nil {
			return err
		}
		from, to := s.abs(args[0]), s.abs(args[1])
		if _, ok := s.c.HasExtension("posix-rename@openssh.com"); ok && !fl['l'] {
			err = s.c.PosixRename(from, to)
		} else {
			err = s.c.Rename(from, to)
		}
		if err != nil {
			return msgf("remote rename \"%s\" to \"%s\": %s", from, to, errText(err))
		}
		return nil
	case "copy", "cp":
		if err := nargs(name, args, 2, 2); err != nil {
			return err
		}
		// sftp asks the server to copy (copy-data@openssh.com) and
		// refuses without it; pkg/sftp cannot send that request, so
		// for a server that has it the data goes through gosftp.
		if _, ok := s.c.HasExtension("copy-data"); !ok {
			return msgf("Server does not support copy-data extension")
		}
		from, to := s.abs(args[0]), s.abs(args[1])
		r := sftpcli.FS{Remote: s.c.Client}
		fi, err := s.c.Stat(from)
		if err != nil {
			return msgf("stat remote: %s", errText(err))
		}
		if !fi.Mode().IsRegular() {
			return msgf("Cannot copy non-regular file: %s", from)
		}
		if err := (&sftpcli.Copier{}).Copy(r, from, r, to); err != nil {
			return msgf("Couldn't copy file \"%s\" to \"%s\": %s", from, to, errText(err))
		}
		return nil
	case "ln", "symlink":
		fl, args, err := cmdFlags(name, args, "s")
		if err != nil {
			return err
		}
		if err := nargs(name, args, 2, 2); err != nil {
			return err
		}
		to := s.abs(args[1])
		if name == "symlink" || fl['s'] {
			// The target is stored as given, relative or not.
			if err := s.c.Symlink(args[0], to); err != nil {
				return msgf("remote symlink file \"%s\" to \"%s\": %s", args[0], to, errText(err))
			}
			return nil
		}
		from := s.abs(args[0])
		if err := s.c.Link(from, to); err != nil {
			return msgf("remote link \"%s\" to \"%s\": %s", from, to, errText(err))
		}
		return nil
	case "chmod", "chown", "chgrp":
		return s.chattr(name, args)
	case "df":
		return s.df(args)
	}
	return msgf("Invalid command.")
}

// removeFile is SSH_FXP_REMOVE alone: sftp.Client.Remove falls back
// to removing a directory, which sftp's rm never does. A directory is
// refused with the Failure status sshd answers REMOVE with.
func (s *session) removeFile(p string) error {
	if fi, err := s.c.Lstat(p); err == nil && fi.IsDir() {
		return &sftp.StatusError{Code: 4} // SSH_FX_FAILURE
	}
	return s.c.Remove(p)
}

func (s *session) cd(args []string) error {
	dir := s.home
	if len(args) > 0 {
		dir = s.abs(args[0])
	}
	real, err := s.c.RealPath(dir)
	if err != nil {
		return msgf("Couldn't canonicalize: %s", errText(err))
	}
	fi, err := s.c.Stat(real)
	if err != nil {
		return msgf("stat remote: %s", errText(err))
	}
	if !fi.IsDir() {
		return msgf("Can't change directory: \"%s\" is not a directory", real)
	}
	s.cwd = real
	return nil
}

// globbed runs fn on each remote match of pattern, or on the pattern
// itself when nothing matches (glob's GLOB_NOCHECK, as sftp's rm,
// chmod, chown and chgrp): fn reports the error.
func (s *session) globbed(pattern string, fn func(string) error) error {
	p := s.abs(pattern)
	m, err := s.c.Glob(p)
	if err != nil || len(m) == 0 {
		m = []string{p}
	}
	var first error
	for _, x := range m {
		if err := fn(x); err != nil {
			if first != nil {
				s.report(first)
			}
			first = err
		}
	}
	return first
}

func (s *session) chattr(name string, args []string) error {
	_, args, err := cmdFlags(name, args, "h")
	if err != nil {
		return err
	}
	if len(args) < 1 {
		return msgf("You must supply a numeric argument to the %s command.", name)
	}
	n, err := strconv.ParseUint(args[0], map[bool]int{true: 8, false: 10}[name == "chmod"], 32)
	if err != nil || (name == "chmod" && n > 0o7777) {
		return msgf("You must supply a numeric argument to the %s command.", name)
	}
	if len(args) < 2 {
		return msgf("You must specify a path after a %s command.", name)
	}
	return s.globbed(args[1], func(p string) error {
		if name == "chmod" {
			s.say("Changing mode on %s\n", p)
			if err := s.c.Chmod(p, toMode(uint32(n))); err != nil {
				return msgf("remote setstat \"%s\": %s", p, errText(err))
			}
			return nil
		}
		fi, err := s.c.Stat(p)
		if err != nil {
			return msgf("stat remote: %s", errText(err))
		}
		st := fi.Sys().(*sftp.FileStat)
		uid, gid := int(st.UID), int(st.GID)
		if name == "chown" {
			s.say("Changing owner on %s\n", p)
			uid = int(n)
		} else {
			s.say("Changing group on %s\n", p)
			gid = int(n)
		}
		if err := s.c.Chown(p, uid, gid); err != nil {
			return msgf("remote setstat \"%s\": %s", p, errText(err))
		}
		return nil
	})
}

// toMode turns POSIX permission bits into an fs.FileMode that
// pkg/sftp turns back into the same bits.
func toMode(m uint32) fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}

func (s *session) copier(fl map[byte]bool, dirLine string) *sftpcli.Copier {
	cp := &sftpcli.Copier{
		Recursive: fl['r'] || fl['R'] || s.f.recursive,
		Preserve:  fl['p'] || fl['P'] || s.f.preserve,
		Resume:    fl['a'] || s.f.resume,
		Fsync:     fl['f'] || s.f.fsync,
		Limit:     s.f.limit * 1000 / 8,
	}
	// sftp prints these even when quiet (-q, -b).
	cp.Dir = func(d string) { fmt.Fprintf(s.out, dirLine, d) }
	return cp
}

func (s *session) get(name string, args []string) error {
	fl, args, err := cmdFlags(name, args, "afpPrR")
	if err != nil {
		return err
	}
	if name == "reget" {
		fl['a'] = true
	}
	if err := nargs(name, args, 1, 2); err != nil {
		return err
	}
	src := s.abs(args[0])
	m, err := s.c.Glob(src)
	if err != nil || len(m) == 0 {
		return msgf("File \"%s\" not found.", src)
	}
	dst := ""
	if len(args) == 2 {
		dst = args[1]
	}
	dstIsDir := false
	if dst != "" {
		if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
			dstIsDir = true
		}
	}
	if len(m) > 1 && dst != "" && !dstIsDir {
		return msgf("Multiple source paths, but destination \"%s\" is not a directory", dst)
	}
	cp := s.copier(fl, "Retrieving %s\n")
	var first error
	for _, r := range m {
		local := path.Base(r)
		if dstIsDir {
			local = filepath.Join(dst, local)
		} else if dst != "" {
			local = dst
		}
		fi, err := s.c.Stat(r)
		if err != nil {
			first = msgf("stat remote: %s", errText(err))
			continue
		}
		if fi.IsDir() && !cp.Recursive {
			first = msgf("download %s/: not a regular file", r)
			continue
		}
		shown := r
		if fi.IsDir() {
			shown += "/" // as glob(3)'s GLOB_MARK in sftp
		}
		if cp.Resume {
			s.say("Resuming %s to %s\n", shown, local)
			if st, err := os.Stat(local); err == nil && !fi.IsDir() && st.Size() >= fi.Size() {
				if st.Size() > fi.Size() {
					first = msgf("Unable to resume download of \"%s\": local file is larger than remote", local)
				} else {
					fmt.Fprintf(os.Stderr, "File \"%s\" was not modified\r\n", local)
				}
				continue
			}
		} else {
			s.say("Fetching %s to %s\n", shown, local)
		}
		if err := cp.Copy(sftpcli.FS{Remote: s.c.Client}, r, sftpcli.Local, local); err != nil {
			if first != nil {
				s.report(first)
			}
			first = copyError(err, r)
		}
	}
	return first
}

// copyError is a failed get or put as sftp reports it.
func copyError(err error, src string) error {
	var oe *sftpcli.OpError
	if errors.As(err, &oe) {
		return message(oe.Message(errText(oe.Err)))
	}
	return msgf("%s: %s", src, errText(err))
}

func (s *session) put(name string, args []string) error {
	fl, args, err := cmdFlags(name, args, "afpPrR")
	if err != nil {
		return err
	}
	if name == "reput" {
		fl['a'] = true
	}
	if err := nargs(name, args, 1, 2); err != nil {
		return err
	}
	m, err := filepath.Glob(args[0])
	if err != nil || len(m) == 0 {
		_, serr := os.Stat(args[0])
		if serr == nil {
			serr = fs.ErrNotExist
		}
		return msgf("stat %s: %s", args[0], errText(serr))
	}
	dst := s.cwd
	if len(args) == 2 {
		dst = s.abs(args[1])
	}
	dstIsDir := len(args) == 1
	if fi, err := s.c.Stat(dst); err == nil && fi.IsDir() {
		dstIsDir = true
	}
	if len(m) > 1 && !dstIsDir {
		return msgf("Multiple paths match, but destination \"%s\" is not a directory", dst)
	}
	cp := s.copier(fl, "Entering %s\n")
	var first error
	for _, l := range m {
		remote := dst
		if dstIsDir {
			remote = path.Join(dst, filepath.Base(l))
		}
		fi, err := os.Stat(l)
		if err != nil {
			first = msgf("stat %s: %s", l, errText(err))
			continue
		}
		if fi.IsDir() && !cp.Recursive {
			first = msgf("local \"%s/\" is not a regular file", strings.TrimSuffix(l, "/"))
			continue
		}
		if fi.IsDir() {
			l += "/" // as glob(3)'s GLOB_MARK in sftp
		}
		if cp.Resume {
			s.say("Resuming upload of %s to %s\n", l, remote)
			if !fi.IsDir() {
				st, err := s.c.Stat(remote)
				if err != nil {
					first = msgf("stat remote: %s", errText(err))
					continue
				}
				if st.Size() >= fi.Size() {
					first = msgf("resume \"%s\": destination file same size or larger", l)
					continue
				}
			}
		} else {
			s.say("Uploading %s to %s\n", l, remote)
		}
		if err := cp.Copy(sftpcli.Local, l, sftpcli.FS{Remote: s.c.Client}, remote); err != nil {
			if first != nil {
				s.report(first)
			}
			first = copyError(err, l)
		}
	}
	return first
}

func (s *session) df(args []string) error {
	fl, args, err := cmdFlags("df", args, "hi")
	if err != nil {
		return err
	}
	p := s.cwd
	if len(args) > 0 {
		p = s.abs(args[0])
	}
	if _, ok := s.c.HasExtension("statvfs@openssh.com"); !ok {
		return msgf("Server does not support statvfs@openssh.com extension")
	}
	st, err := s.c.StatVFS(p)
	if err != nil {
		return errSilent // sftp logs it at debug level only
	}
	kib := func(blocks uint64) uint64 { return blocks * st.Frsize / 1024 }
	capacity := uint64(0)
	if st.Blocks > 0 {
		capacity = 100 * (st.Blocks - st.Bfree) / st.Blocks
	}
	switch {
	case fl['i']:
		fmt.Fprintf(s.out, "%12s %12s %12s %12s %12s\n", "Inodes", "Used", "Avail", "(root)", "%Capacity")
		icap := uint64(0)
		if st.Files > 0 {
			icap = 100 * (st.Files - st.Ffree) / st.Files
		}
		fmt.Fprintf(s.out, "%12d %12d %12d %12d %11d%%\n", st.Files, st.Files-st.Ffree, st.Favail, st.Ffree, icap)
	case fl['h']:
		b := func(blocks uint64) string { return scaled(blocks*st.Frsize) + "B" }
		fmt.Fprintf(s.out, "%8s %8s %8s %8s %12s\n", "Size", "Used", "Avail", "(root)", "%Capacity")
		fmt.Fprintf(s.out, "%8s %8s %8s %8s %11d%%\n", b(st.Blocks), b(st.Blocks-st.Bfree), b(st.Bavail), b(st.Bfree), capacity)
	default:
		fmt.Fprintf(s.out, "%12s %12s %12s %12s %12s\n", "Size", "Used", "Avail", "(root)", "%Capacity")
		fmt.Fprintf(s.out, "%12d %12d %12d %12d %11d%%\n", kib(st.Blocks), kib(st.Blocks-st.Bfree), kib(st.Bavail), kib(st.Bfree), capacity)
	}
	return nil
}

// scaled is n bytes with a unit suffix, as BSD's fmt_scaled: one
// decimal below 100 of the unit, none above.
func scaled(n uint64) string {
	units := "BKMGTPE"
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d%c", n, units[0])
	}
	if f >= 100 {
		return fmt.Sprintf("%.0f%c", f, units[u])
	}
	return fmt.Sprintf("%.1f%c", f, units[u])
}

func (s *session) shell(cmd string) error {
	if strings.TrimSpace(cmd) == "" {
		sh := os.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		c := exec.Command(sh)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
		return c.Run()
	}
	return localShell(cmd)
}

func localShell(cmd string) error {
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := c.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return msgf("Shell exited with status %d", ee.ExitCode())
		}
		return msgf("Couldn't execute \"%s\": %s", cmd, errText(err))
	}
	return nil
}

const helpText = `Available commands:
bye                                Quit gosftp
cd [path]                          Change remote directory to 'path'
chgrp [-h] grp path                Change group of file 'path' to 'grp'
chmod [-h] mode path               Change permissions of file 'path' to 'mode'
chown [-h] own path                Change owner of file 'path' to 'own'
copy oldpath newpath               Copy remote file
cp oldpath newpath                 Copy remote file
df [-hi] [path]                    Display statistics for current directory or
                                   filesystem containing 'path'
exit                               Quit gosftp
get [-afPpRr] remote [local]       Download file
help                               Display this help text
lcd [path]                         Change local directory to 'path'
lls [ls-options [path]]            Display local directory listing
lmkdir path                        Create local directory
ln [-s] oldpath newpath            Link remote file (-s for symlink)
lpwd                               Print local working directory
ls [-1afhlnrSt] [path]             Display remote directory listing
lumask umask                       Set local umask to 'umask'
mkdir path                         Create remote directory
progress                           Toggle display of progress meter
put [-afPpRr] local [remote]       Upload file
pwd                                Display remote working directory
quit                               Quit gosftp
reget [-fPpRr] remote [local]      Resume download of file
rename oldpath newpath             Rename remote file
reput [-fPpRr] local [remote]      Resume upload of file
rm path                            Delete remote file
rmdir path                         Remove remote directory
symlink oldpath newpath            Symlink remote file
version                            Show SFTP version
!command                           Execute 'command' in local shell
!                                  Escape to local shell
?                                  Synonym for help
`
