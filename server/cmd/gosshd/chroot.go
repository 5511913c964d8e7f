package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/userauth"
)

// expandChroot expands a leading ~ and then %h, %u, %U and %% in
// ChrootDirectory, as sshd's session.c does; the result must be
// absolute (sshd: "ChrootDirectory must be an absolute path").
func expandChroot(s string, a *account) (string, error) {
	out, err := sshconfig.ExpandTilde(s, a.Home)
	if err == nil {
		out, err = sshconfig.Expand(out, pathTokens(a))
	}
	if err != nil {
		return "", fmt.Errorf("ChrootDirectory: %w", err)
	}
	out = filepath.Clean(out)
	if !filepath.IsAbs(out) {
		return "", fmt.Errorf("chroot path %q is not absolute", out)
	}
	return out, nil
}

// safelyChroot checks dir as sshd's safely_chroot (session.c) does
// before chroot(2): every component from / down to dir is a directory
// (not a symlink to one), owned by root and writable by nobody else.
func safelyChroot(dir string) error {
	comp := "/"
	parts := strings.Split(strings.TrimPrefix(dir, "/"), "/")
	for i := 0; i <= len(parts); i++ {
		if i > 0 {
			comp = "/" + strings.Join(parts[:i], "/")
		}
		if i > 0 && parts[i-1] == "" {
			continue
		}
		fi, err := os.Lstat(comp)
		if err != nil {
			return fmt.Errorf("chroot path %s: %w", comp, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || st.Uid != 0 || fi.Mode().Perm()&0o022 != 0 {
			return fmt.Errorf("bad ownership or modes for chroot directory component %q", comp)
		}
		if !fi.IsDir() {
			return fmt.Errorf("chroot path %s is not a directory", comp)
		}
	}
	return nil
}

// chroot makes cmd run inside ChrootDirectory, as sshd does after
// authentication: the command and the user's shell are looked up inside
// it, and the working directory is the home directory if it exists
// there, else /. internal-sftp is this binary, which must do the
// chroot itself (it lives outside): it runs as root with
// -internal-sftp-chroot and drops privileges after chroot(2).
func (ss *sessions) chroot(s *server.Session, ec *config, a *account, cmd *exec.Cmd) (*exec.Cmd, error) {
	if !ss.root {
		return nil, errors.New("ChrootDirectory needs gosshd to run as root")
	}
	if ss.cfg.UsePAM {
		return nil, errors.New("ChrootDirectory with UsePAM yes is not supported by gosshd")
	}
	dir, err := expandChroot(ec.more.ChrootDirectory, a)
	if err != nil {
		return nil, err
	}
	if err := safelyChroot(dir); err != nil {
		return nil, err
	}
	home := a.Home
	if fi, err := os.Stat(filepath.Join(dir, a.Home)); err != nil || !fi.IsDir() {
		home = "/"
	}
	if len(cmd.Args) > 0 && cmd.Path == ss.self && cmd.Args[len(cmd.Args)-1] == "-internal-sftp" {
		c := exec.Command(ss.self, "-internal-sftp-chroot", dir, strconv.Itoa(int(a.UID)), strconv.Itoa(int(a.GID)),
			joinUint32(a.Groups), home)
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		return c, nil
	}
	if cmd.Path == ss.self {
		return nil, errors.New("internal-sftp in a chroot runs only as the sftp subsystem or ForceCommand internal-sftp")
	}
	// Inside the chroot: the shell by its path there (no lookup outside).
	c := &exec.Cmd{Path: cmd.Path, Args: cmd.Args}
	c.SysProcAttr = cmd.SysProcAttr
	c.SysProcAttr.Chroot = dir
	c.Dir = home
	return c, nil
}

// chrootSFTP is -internal-sftp-chroot DIR UID GID GROUPS HOME: chroot to
// DIR, become the user and serve SFTP from HOME.
func chrootSFTP(args []string) int {
	if len(args) != 5 {
		return 2
	}
	uid, err1 := strconv.Atoi(args[1])
	gid, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil {
		return 2
	}
	var groups []int
	for _, g := range strings.Split(args[3], ",") {
		if n, err := strconv.Atoi(g); err == nil {
			groups = append(groups, n)
		}
	}
	if err := syscall.Chroot(args[0]); err != nil {
		fmt.Fprintf(os.Stderr, "chroot(%s): %v\n", args[0], err)
		return 1
	}
	if err := os.Chdir("/"); err != nil {
		return 1
	}
	if uid != 0 {
		if syscall.Setgroups(groups) != nil || syscall.Setgid(gid) != nil || syscall.Setuid(uid) != nil {
			fmt.Fprintln(os.Stderr, "cannot drop privileges")
			return 1
		}
	}
	if os.Chdir(args[4]) != nil {
		os.Chdir("/")
	}
	return serveSFTP()
}

// printMotd writes /etc/motd to a login shell's session (PrintMotd yes,
// no ~/.hushlogin), as sshd's do_motd, with the pty's "\r\n" line ends.
func printMotd(s *server.Session) {
	b, err := os.ReadFile("/etc/motd")
	if err == nil {
		io.WriteString(s, onlcr(string(b)))
	}
}

// writeAuthInfo writes ExposeAuthInfo's file: one line per successful
// method ("publickey TYPE BASE64" for keys, else the method name), as
// sshd's SSH_USER_AUTH, readable only by the user.
func writeAuthInfo(r *userauth.Result, a *account, root bool) (string, error) {
	var b bytes.Buffer
	keys := r.Keys
	for _, m := range r.Methods {
		if (m == "publickey" || m == "hostbased") && len(keys) > 0 {
			fmt.Fprintf(&b, "%s %s", m, hostkey.MarshalAuthorizedKey(keys[0], ""))
			keys = keys[1:]
			if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
				b.WriteByte('\n')
			}
			continue
		}
		fmt.Fprintln(&b, m)
	}
	f, err := os.CreateTemp("", "sshauth.")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(f, &b); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if root {
		f.Chown(int(a.UID), int(a.GID))
	}
	return f.Name(), f.Chmod(0o600)
}
