package sshconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
)

// MaxIncludeDepth is how deeply Include may nest, as OpenSSH's
// READCONF_MAX_DEPTH and SERVCONF_MAX_DEPTH.
const MaxIncludeDepth = 16

// ErrInclude means an Include line could not be followed: nested too
// deeply, an empty or (in ssh's system files) '~' path, or a file
// with bad owner or permissions.
var ErrInclude = errors.New("sshconfig: bad Include")

// Options say how Read and Parse follow Include, which differs between
// ssh's user files, ssh's system files and sshd's.
type Options struct {
	// IncludeDir is where a relative Include path is taken from:
	// ~/.ssh for a user's ssh_config (also one given with ssh -F),
	// /etc/ssh for the system's ssh_config and for sshd_config.
	IncludeDir string
	// Home, if set, expands a leading "~/" (and "~user/") in Include
	// paths, as ssh does in a user's files (glob's GLOB_TILDE).
	Home string
	// Server follows sshd's rules: a leading '~' is an ordinary byte
	// (sshd's glob has no GLOB_TILDE). Otherwise, with no Home, a
	// leading '~' is an error, as in ssh's system files.
	Server bool
	// CheckPerm refuses an included file that is writable by group or
	// others or owned by someone other than the user or root, as ssh
	// does (SSHCONF_CHECKPERM); sshd does not.
	CheckPerm bool
}

// UserOptions are ssh's rules for a user's ssh_config in home.
func UserOptions(home string) Options {
	return Options{IncludeDir: filepath.Join(home, ".ssh"), Home: home, CheckPerm: true}
}

// SystemOptions are ssh's rules for /etc/ssh/ssh_config.
func SystemOptions() Options { return Options{IncludeDir: "/etc/ssh", CheckPerm: true} }

// ServerOptions are sshd's rules for sshd_config.
func ServerOptions() Options { return Options{IncludeDir: "/etc/ssh", Server: true} }

// Read reads and splits the configuration file name (SplitLine),
// following Include lines (Parse). The error of opening name is
// returned as it is, so errors.Is(err, fs.ErrNotExist) tells a missing
// file.
func Read(name string, opt Options) (*File, error) {
	return readDepth(name, opt, 0)
}

func readDepth(name string, opt Options, depth int) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseDepth(f, name, opt, depth)
}

// Parse splits every line of r (SplitLine) and records where each
// came from under the name name. Blank and comment lines are left
// out. For an Include line it reads every file that each argument's
// glob pattern matches, in lexical order, into Line.Include; a pattern
// that matches nothing is no error, as in OpenSSH. Include nests at
// most MaxIncludeDepth deep; a file that includes itself hits that
// limit. Errors are *SyntaxError.
func Parse(r io.Reader, name string, opt Options) (*File, error) {
	return parseDepth(r, name, opt, 0)
}

func parseDepth(r io.Reader, name string, opt Options, depth int) (*File, error) {
	if depth > MaxIncludeDepth {
		return nil, fmt.Errorf("%w: too many recursive configuration includes", ErrInclude)
	}
	out := &File{Name: name}
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		s, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return nil, rerr
		}
		if s == "" && rerr == io.EOF {
			break
		}
		l, err := SplitLine(s)
		if err != nil {
			return nil, &SyntaxError{name, n, err}
		}
		if l.Keyword == "" {
			continue
		}
		l.File, l.Num = name, n
		if strings.EqualFold(l.Keyword, "include") {
			if err := include(&l, opt, depth); err != nil {
				var se *SyntaxError
				if errors.As(err, &se) {
					return nil, err
				}
				return nil, &SyntaxError{name, n, err}
			}
		}
		out.Lines = append(out.Lines, l)
		if rerr == io.EOF {
			break
		}
	}
	return out, nil
}

// include reads the files of one Include line.
func include(l *Line, opt Options, depth int) error {
	if len(l.Args) == 0 {
		return ErrMissingArgument
	}
	for _, arg := range l.Args {
		if arg == "" {
			return fmt.Errorf("%w: empty argument", ErrInclude)
		}
		pat, err := includePath(arg, opt)
		if err != nil {
			return err
		}
		names, err := Glob(pat)
		if err != nil {
			return fmt.Errorf("%w: glob failed for %s: %v", ErrInclude, pat, err)
		}
		for _, name := range names {
			if opt.CheckPerm {
				if err := checkPerm(name); err != nil {
					return err
				}
			}
			f, err := readDepth(name, opt, depth+1)
			if errors.Is(err, os.ErrNotExist) {
				continue // gone since the glob
			}
			if err != nil {
				return err
			}
			l.Include = append(l.Include, f)
		}
	}
	return nil
}

// includePath anchors one Include argument as ssh (readconf.c) or sshd
// (servconf.c) does.
func includePath(arg string, opt Options) (string, error) {
	if arg[0] == '~' && !opt.Server {
		if opt.Home == "" {
			return "", fmt.Errorf("%w: bad include path %s", ErrInclude, arg)
		}
		return ExpandTilde(arg, opt.Home)
	}
	if !filepath.IsAbs(arg) && arg[0] != '~' {
		return filepath.Join(opt.IncludeDir, arg), nil
	}
	return arg, nil
}

// ExpandTilde replaces a leading "~" or "~/" of path with home and a
// leading "~user" with that user's home directory, as OpenSSH's
// tilde_expand; any other path is returned as it is. An unknown user is
// an error.
func ExpandTilde(path, home string) (string, error) {
	if !strings.HasPrefix(path, "~") {
		return path, nil
	}
	name, rest, _ := strings.Cut(path[1:], "/")
	dir := home
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return "", fmt.Errorf("sshconfig: expanding %s: %w", path, err)
		}
		dir = u.HomeDir
	}
	if rest == "" {
		return dir, nil
	}
	return filepath.Join(dir, rest), nil
}

func checkPerm(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return nil // reported when it is opened
	}
	if uid, ok := fileOwner(fi); (ok && uid != 0 && uid != os.Getuid()) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: bad owner or permissions on %s", ErrInclude, name)
	}
	return nil
}

// Glob returns the names that pattern matches, as glob(3) does for
// OpenSSH's Include: '*', '?' and '[...]' in any path element, matches
// sorted, and a name starting with '.' matched only by a pattern
// element that starts with '.'. A pattern without meta characters
// gives itself when the file exists. No match is no error.
func Glob(pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !hasMeta(pattern) {
		if _, err := os.Lstat(pattern); err != nil {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	dir, file := filepath.Split(pattern)
	dir = cleanGlobPath(dir)
	var dirs []string
	if hasMeta(dir) {
		var err error
		if dirs, err = Glob(dir); err != nil {
			return nil, err
		}
	} else {
		dirs = []string{dir}
	}
	var out []string
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if n[0] == '.' && !strings.HasPrefix(file, ".") {
				continue
			}
			if ok, _ := filepath.Match(file, n); ok {
				out = append(out, filepath.Join(d, n))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

func cleanGlobPath(p string) string {
	switch p {
	case "":
		return "."
	case string(filepath.Separator):
		return p
	}
	return p[:len(p)-1]
}
