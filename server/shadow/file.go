package shadow

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultFile is the system's shadow password file.
const DefaultFile = "/etc/shadow"

// ErrNoEntry means the shadow file has no line for the user.
var ErrNoEntry = errors.New("shadow: no entry for user")

// An Entry is one line of a shadow file (shadow(5)). The date fields
// count days since 1970-01-01 UTC and the others days; an empty field
// is -1, as getspnam(3) reports it.
type Entry struct {
	Name       string
	Hash       string // the encrypted password field, e.g. "$y$j9T$...", "!", "*"
	LastChange int64  // 0: the password must be changed at the next login
	Min, Max   int64  // days before a change is allowed, after which it is required
	Warn       int64  // days of warning before the password expires
	Inactive   int64  // days after expiry during which the password still works
	Expire     int64  // the day the account expires
}

// maxLine bounds one line of a shadow file.
const maxLine = 64 << 10

// ParseLine parses one shadow(5) line: nine colon-separated fields.
// A malformed line gives an error wrapping ErrFormat.
func ParseLine(line string) (*Entry, error) {
	f := strings.Split(line, ":")
	if len(f) != 9 || f[0] == "" {
		return nil, fmt.Errorf("%w: shadow line has %d fields, want 9", ErrFormat, len(f))
	}
	e := &Entry{Name: f[0], Hash: f[1]}
	for i, p := range []*int64{&e.LastChange, &e.Min, &e.Max, &e.Warn, &e.Inactive, &e.Expire} {
		s := f[2+i]
		if s == "" {
			*p = -1
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || s[0] == '+' {
			return nil, fmt.Errorf("%w: shadow field %d of %q: %q", ErrFormat, 3+i, f[0], s)
		}
		*p = n
	}
	// Field 9 is reserved; shadow(5) says nothing about its content.
	return e, nil
}

// Lookup returns the entry for name in the shadow file at path (normally
// DefaultFile, which only root can read). A missing user gives
// ErrNoEntry; a malformed line for that user gives an error wrapping
// ErrFormat (other users' lines are not looked at).
func Lookup(path, name string) (*Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), maxLine)
	prefix := name + ":"
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			return ParseLine(line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("shadow: reading %s: %w", path, err)
	}
	return nil, ErrNoEntry
}

// day is the shadow-file day number of t.
func day(t time.Time) int64 { return t.Unix() / 86400 }

// Locked reports whether the hash carries the "!" of passwd -l, the
// mark sshd (LOCKED_PASSWD_PREFIX on Linux) refuses every login for
// when it does not use PAM.
func (e *Entry) Locked() bool { return strings.HasPrefix(e.Hash, "!") }

// AccountExpired reports whether the account's expiry day has passed
// at now, as sshd's auth_shadow_acctexpired decides it (an Expire of 0
// counts as expired, as there).
func (e *Entry) AccountExpired(now time.Time) bool {
	return e.Expire != -1 && e.Expire-day(now) < 0
}

// PasswordExpired reports whether the password must be changed at now,
// as sshd's auth_shadow_pwexpired decides it: a LastChange of 0 (set by
// passwd -e or chage -d 0), or LastChange+Max in the past. As there,
// Inactive is not looked at.
func (e *Entry) PasswordExpired(now time.Time) bool {
	switch {
	case e.LastChange == 0:
		return true
	case e.Max == -1:
		return false
	}
	return e.LastChange+e.Max-day(now) < 0
}
