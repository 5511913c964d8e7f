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
