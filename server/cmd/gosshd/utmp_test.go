package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUtmpRecords(t *testing.T) {
	dir := t.TempDir()
	wtmp, utmp := filepath.Join(dir, "wtmp"), filepath.Join(dir, "utmp")
	when := time.Unix(1765000000, 123000)
	in := newUtmpEntry(utUserProcess, 4242, "pts/12", "alice", "client.example", net.ParseIP("192.0.2.7"), when)
	if want := "s/12"; in.ID != want {
		t.Errorf("id %q, want %q (line_abbrevname)", in.ID, want)
	}
	if err := appendWtmp(wtmp, in); err == nil {
		t.Error("appendWtmp created a missing file (sshd does not)")
	}
	os.WriteFile(wtmp, []byte("torn"), 0o664) // a partial record is dropped first
	os.WriteFile(utmp, nil, 0o664)
	out := newUtmpEntry(utDeadProcess, 4242, "pts/12", "alice", "h", nil, when.Add(time.Minute))
	for _, e := range []utmpEntry{in, out} {
		if err := appendWtmp(wtmp, e); err != nil {
			t.Fatal(err)
		}
		if err := writeUtmp(utmp, e); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(wtmp)
	if len(b) != 2*utmpRecord {
		t.Fatalf("wtmp is %d bytes, want %d", len(b), 2*utmpRecord)
	}
	got, _ := parseUtmp(b)
	if diff := cmp.Diff(in, got, cmp.Comparer(func(a, b net.IP) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("login record (-want +got):\n%s", diff)
	}
	if got, _ := parseUtmp(b[utmpRecord:]); got.Type != utDeadProcess || got.User != "" || got.Host != "" || got.Line != "pts/12" {
		t.Errorf("logout record %+v", got)
	}
	// utmp keeps one slot per id: the logout replaced the login.
	if u, _ := os.ReadFile(utmp); len(u) != utmpRecord {
		t.Errorf("utmp is %d bytes, want one record", len(u))
	}
	// util-linux's utmpdump reads the records as glibc's struct utmp.
	if _, err := exec.LookPath("utmpdump"); err == nil {
		dump, err := exec.Command("utmpdump", wtmp).Output()
		if err != nil {
			t.Fatal(err)
		}
		first := strings.SplitN(string(dump), "\n", 2)[0]
		for _, want := range []string{"[7] [04242] [s/12] [alice", "[pts/12", "[client.example", "[192.0.2.7"} {
			if !strings.Contains(first, want) {
				t.Errorf("utmpdump line %q lacks %q", first, want)
			}
		}
	}
}

func FuzzParseUtmp(f *testing.F) {
	f.Add(newUtmpEntry(utUserProcess, 1, "pts/1", "u", "h", net.ParseIP("::1"), time.Unix(1, 0)).marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, ok := parseUtmp(b)
		if !ok {
			return
		}
		e2, ok := parseUtmp(e.marshal())
		if !ok || e2.Type != e.Type || e2.Line != e.Line || e2.User != e.User || e2.Host != e.Host || !e2.Addr.Equal(e.Addr) {
			t.Fatalf("round trip: %+v, want %+v", e2, e)
		}
	})
}
