package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLastlog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lastlog")
	if err := writeLastlog(p, 5, time.Now(), "pts/1", "h"); err == nil {
		t.Error("writeLastlog created a missing file (sshd does not)")
	}
	os.WriteFile(p, nil, 0o664)
	if _, _, _, ok := readLastlog(p, 5); ok {
		t.Error("record in an empty file")
	}
	when := time.Unix(1765000000, 0)
	if err := writeLastlog(p, 5, when, "pts/12", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Size() != 6*lastlogRecord {
		t.Errorf("file size %d, want %d", st.Size(), 6*lastlogRecord)
	}
	got, line, host, ok := readLastlog(p, 5)
	if !ok || !got.Equal(when) || line != "pts/12" || host != "192.0.2.1" {
		t.Errorf("readLastlog = %v %q %q %v", got, line, host, ok)
	}
	if _, _, _, ok := readLastlog(p, 4); ok {
		t.Error("uid 4 has a record (the hole before uid 5)")
	}
	if m := lastLoginMessage(when, "192.0.2.1"); m != "Last login: "+when.Local().Format("Mon Jan _2 15:04:05 2006")+" from 192.0.2.1\r\n" {
		t.Errorf("message %q", m)
	}
	if m := lastLoginMessage(when, ""); m != "Last login: "+when.Local().Format("Mon Jan _2 15:04:05 2006")+"\r\n" {
		t.Errorf("message without host %q", m)
	}
}

// TestLastlogSystemFormat reads the machine's lastlog for root if
// present: the record size must fit the file (a multiple of 292 bytes
// or a sparse file ending on a record).
func TestLastlogSystemFormat(t *testing.T) {
	st, err := os.Stat("/var/log/lastlog")
	if err != nil {
		t.Skip(err)
	}
	if st.Size()%lastlogRecord != 0 {
		t.Errorf("/var/log/lastlog is %d bytes, not a multiple of %d", st.Size(), lastlogRecord)
	}
}

func FuzzParseLastlog(f *testing.F) {
	f.Add(make([]byte, lastlogRecord))
	f.Add([]byte("\x01\x02\x03\x04pts/1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		when, line, host, ok := parseLastlog(b)
		if !ok {
			return
		}
		if len(line) >= lastlogLine+1 || len(host) > lastlogHost || when.IsZero() {
			t.Fatalf("parseLastlog(%q) = %v %q %q", b, when, line, host)
		}
		// What writeLastlog writes reads back the same (fields one byte
		// short for the NUL).
		p := filepath.Join(t.TempDir(), "lastlog")
		os.WriteFile(p, nil, 0o600)
		if len(line) < lastlogLine && len(host) < lastlogHost {
			if err := writeLastlog(p, 0, when, line, host); err != nil {
				t.Fatal(err)
			}
			w2, l2, h2, ok := readLastlog(p, 0)
			if !ok || !w2.Equal(when) || l2 != line || h2 != host {
				t.Fatalf("round trip: %v %q %q, want %v %q %q", w2, l2, h2, when, line, host)
			}
		}
	})
}
