package main

import (
	"fmt"
	"io/fs"
	"os/user"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/term"
)

// An entry is one line of an ls listing.
type entry struct {
	name string // as printed
	fi   fs.FileInfo
}

// ls lists remote files as sftp's ls does: names in columns across the
// terminal width (80 when stdin is not a terminal), or with -l one long
// line each; sorted by name unless -f, -S (size) or -t (mtime); -r
// reverses; dot files only with -a.
func (s *session) ls(args []string) error {
	fl, args, err := cmdFlags("ls", args, "1afhlnrSt")
	if err != nil {
		return err
	}
	var strip string
	target := s.cwd
	if len(args) >= 1 { // sftp ignores any further paths
		target = s.abs(args[0])
		if !path.IsAbs(args[0]) {
			strip = s.cwd
		}
	} else {
		strip = s.cwd
	}
	m, err := s.c.Glob(target)
	if err != nil || len(m) == 0 {
		if len(args) == 0 {
			m = []string{target}
		} else {
			return msgf("Can't ls: \"%s\" not found", target)
		}
	}
	if len(m) == 1 {
		if fi, err := s.c.Stat(m[0]); err == nil && fi.IsDir() {
			return s.lsDir(m[0], strip, fl)
		}
	}
	var ents []entry
	for _, x := range m {
		fi, err := s.c.Lstat(x)
		if err != nil {
			continue
		}
		ents = append(ents, entry{stripPath(x, strip), fi})
	}
	s.printEntries(ents, fl)
	return nil
}

func (s *session) lsDir(dir, strip string, fl map[byte]bool) error {
	fis, err := s.c.ReadDir(dir)
	if err != nil {
		return msgf("Couldn't read directory: %s", errText(err))
	}
	var ents []entry
	// pkg/sftp drops "." and ".." from READDIR replies; OpenSSH's
	// server sends both, so they are added back for it (known by an
	// extension only it announces). Other servers, gosshd among them,
	// send neither.
	if _, openssh := s.c.HasExtension("limits@openssh.com"); fl['a'] && openssh {
		for _, n := range []string{".", ".."} {
			if fi, err := s.c.Stat(path.Join(dir, n)); err == nil {
				fis = append(fis, namedInfo{fi, n})
			}
		}
	}
	for _, fi := range fis {
		if strings.HasPrefix(fi.Name(), ".") && !fl['a'] {
			continue
		}
		ents = append(ents, entry{stripPath(joinPath(dir, fi.Name()), strip), fi})
	}
	s.printEntries(ents, fl)
	return nil
}

// namedInfo renames a FileInfo ("." and "..").
type namedInfo struct {
	fs.FileInfo
	name string
}

func (n namedInfo) Name() string { return n.name }

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// stripPath removes the directory strip and its slash from the front
// of p, as sftp prints paths relative to where the user gave them.
func stripPath(p, strip string) string {
	if strip == "" || !strings.HasPrefix(p, strip) {
		return p
	}
	rest := p[len(strip):]
	if !strings.HasSuffix(strip, "/") {
		if !strings.HasPrefix(rest, "/") {
			return p
		}
		rest = rest[1:]
	}
	return rest
}

func (s *session) printEntries(ents []entry, fl map[byte]bool) {
	if !fl['f'] {
		switch {
		case fl['S']:
			slices.SortStableFunc(ents, func(a, b entry) int { return -cmpInt(a.fi.Size(), b.fi.Size()) })
		case fl['t']:
			slices.SortStableFunc(ents, func(a, b entry) int { return -a.fi.ModTime().Compare(b.fi.ModTime()) })
		default:
			slices.SortStableFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })
		}
		if fl['r'] {
			slices.Reverse(ents)
		}
	}
	if fl['l'] || fl['n'] || fl['h'] {
		// sftp names owners with the server's users-groups-by-id
		// extension (even with -n), and shows numbers without it.
		_, names := s.c.HasExtension("users-groups-by-id@openssh.com")
		now := time.Now()
		for _, e := range ents {
			fmt.Fprintln(s.out, longLine(e, fl['h'], names, now))
		}
		return
	}
	if fl['1'] {
		for _, e := range ents {
			fmt.Fprintln(s.out, e.name)
		}
		return
	}
	width := 80
	if w, _, err := term.GetSize(0); err == nil && w > 0 {
		width = w
	}
	m := 0
	for _, e := range ents {
		m = max(m, len(e.name))
	}
	columns := max(width/(m+2), 1)
	colspace := min(width/columns, width)
	c := 1
	for _, e := range ents {
		fmt.Fprintf(s.out, "%-*s", colspace, e.name)
		if c >= columns {
			fmt.Fprintln(s.out)
			c = 1
		} else {
			c++
		}
	}
	if c != 1 {
		fmt.Fprintln(s.out)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// longLine is sftp's ls -l line for e: mode, link count (unknown in
// SFTP version 3, "?"), owner, group, size, mtime, name. With names,
// owner and group names come from the local user database (pkg/sftp
// cannot send users-groups-by-id, docs/gosftp.md), numbers where it
// has none.
func longLine(e entry, human, names bool, now time.Time) string {
	var mode, uid, gid uint32
	if st, ok := e.fi.Sys().(*sftp.FileStat); ok {
		mode, uid, gid = st.Mode, st.UID, st.GID
	}
	owner, group := strconv.Itoa(int(uid)), strconv.Itoa(int(gid))
	if u, err := user.LookupId(owner); err == nil && names {
		owner = u.Username
	}
	if g, err := user.LookupGroupId(group); err == nil && names {
		group = g.Name
	}
	size := strconv.FormatInt(e.fi.Size(), 10)
	if human {
		size = scaled(uint64(e.fi.Size()))
	}
	mt := e.fi.ModTime()
	var when string
	if now.Add(-time.Duration(365*24/2)*time.Hour).Before(mt) && !mt.After(now) {
		when = mt.Format("Jan _2 15:04")
	} else {
		when = mt.Format("Jan _2  2006")
	}
	return fmt.Sprintf("%s %3s %-*s %-*s %8s %s %s", strMode(mode), "?", max(len(owner), 8), owner,
		max(len(group), 8), group, size, when, e.name)
}

// strMode is BSD strmode(3): the file type letter, nine permission
// letters with setuid, setgid and sticky, and a blank.
func strMode(m uint32) string {
	b := []byte("?rwxrwxrwx ")
	switch m & 0o170000 {
	case 0o040000:
		b[0] = 'd'
	case 0o020000:
		b[0] = 'c'
	case 0o060000:
		b[0] = 'b'
	case 0o100000:
		b[0] = '-'
	case 0o120000:
		b[0] = 'l'
	case 0o140000:
		b[0] = 's'
	case 0o010000:
		b[0] = 'p'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if m&bit != 0 {
			if b[at] == '-' {
				b[at] = unset
			} else {
				b[at] = set
			}
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b)
}
