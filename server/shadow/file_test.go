package shadow

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want *Entry
	}{
		{"debian user", "alice:$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9:19700:0:99999:7:::",
			&Entry{Name: "alice", Hash: "$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9", LastChange: 19700, Min: 0, Max: 99999, Warn: 7, Inactive: -1, Expire: -1}},
		{"system account", "daemon:*:19700:0:99999:7:::", &Entry{Name: "daemon", Hash: "*", LastChange: 19700, Max: 99999, Warn: 7, Inactive: -1, Expire: -1}},
		{"all empty", "bob::::::::", &Entry{Name: "bob", LastChange: -1, Min: -1, Max: -1, Warn: -1, Inactive: -1, Expire: -1}},
		{"expiry set", "carol:!:0:1:2:3:4:5:", &Entry{Name: "carol", Hash: "!", LastChange: 0, Min: 1, Max: 2, Warn: 3, Inactive: 4, Expire: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if *got != *tt.want { // Entry is flat: == compares every field
				t.Errorf("ParseLine = %+v\nwant %+v", *got, *tt.want)
			}
		})
	}
	for _, bad := range []string{"", "alice", "alice:x:1:2:3:4:5:6", "alice:x:1:2:3:4:5:6:7:8", ":x:::::::",
		"alice:x:abc::::::", "alice:x:+1::::::", "alice:x:99999999999999999999::::::", "alice:x:1.5::::::"} {
		if _, err := ParseLine(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseLine(%q) = %v, want ErrFormat", bad, err)
		}
	}
}

func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shadow")
	data := "root:*:19700:0:99999:7:::\nalicex:!:1::::::\nalice:$6$x$y:19700:0:99999:7:::\nbroken:x\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Lookup(path, "alice")
	if err != nil || e.Hash != "$6$x$y" {
		t.Fatalf("Lookup(alice) = %+v, %v", e, err)
	}
	if _, err := Lookup(path, "nobody"); !errors.Is(err, ErrNoEntry) {
		t.Errorf("Lookup(nobody) = %v, want ErrNoEntry", err)
	}
	if _, err := Lookup(path, "broken"); !errors.Is(err, ErrFormat) {
		t.Errorf("Lookup(broken) = %v, want ErrFormat", err)
	}
	if _, err := Lookup(filepath.Join(t.TempDir(), "none"), "alice"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lookup on a missing file = %v", err)
	}
	long := filepath.Join(t.TempDir(), "long")
	os.WriteFile(long, []byte(strings.Repeat("x", maxLine+1)+"\nalice::::::::\n"), 0o600)
	if _, err := Lookup(long, "alice"); err == nil || errors.Is(err, ErrNoEntry) {
		t.Errorf("Lookup past an overlong line = %v, want a read error", err)
	}
}

// TestExpiry follows sshd's auth_shadow_acctexpired and
// auth_shadow_pwexpired (auth-shadow.c in OpenSSH 9.2).
func TestExpiry(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	today := day(now)
	tests := []struct {
		name              string
		e                 Entry
		account, password bool
	}{
		{"no aging", Entry{LastChange: -1, Max: -1, Expire: -1}, false, false},
		{"debian default", Entry{LastChange: today - 100, Max: 99999, Expire: -1}, false, false},
		{"expires today", Entry{LastChange: today, Max: -1, Expire: today}, false, false},
		{"expired yesterday", Entry{LastChange: today, Max: -1, Expire: today - 1}, true, false},
		{"expire 0", Entry{LastChange: today, Max: -1, Expire: 0}, true, false},
		{"forced change", Entry{LastChange: 0, Max: -1, Expire: -1}, false, true},
		{"aged", Entry{LastChange: today - 31, Max: 30, Expire: -1}, false, true},
		{"last day", Entry{LastChange: today - 30, Max: 30, Expire: -1}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.AccountExpired(now); got != tt.account {
				t.Errorf("AccountExpired = %v, want %v", got, tt.account)
			}
			if got := tt.e.PasswordExpired(now); got != tt.password {
				t.Errorf("PasswordExpired = %v, want %v", got, tt.password)
			}
		})
	}
}

// FuzzParseLine: hostile shadow lines give errors, never panics, and a
// parsed line keeps its name and hash.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"alice:$y$j9T$a$b:19700:0:99999:7:::", "bob::::::::", "x:!:0:1:2:3:4:5:", ":::::::::", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParseLine(line)
		if err != nil {
			return
		}
		if !strings.HasPrefix(line, e.Name+":"+e.Hash+":") {
			t.Fatalf("ParseLine(%q) = %+v", line, e)
		}
		e.Locked()
		e.AccountExpired(time.Now())
		e.PasswordExpired(time.Now())
	})
}
