package conformance_test

// Trace files: gossh's -o TraceFile= / $GOSSH_TRACE and gosshd's
// TraceDir write every message of a connection, at every layer, as JSON
// lines (wire.NewJSONTracer).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// readTrace parses a trace file, failing on any line that is not a
// TraceRecord.
func readTrace(t *testing.T, path string) []wire.TraceRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	var recs []wire.TraceRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r wire.TraceRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

type traceKey struct {
	seq  uint32
	name string
}

// TestTraceFiles: gossh -o TraceFile= and $GOSSH_TRACE against gosshd
// with TraceDir. Each file holds the connection's messages at every layer
// (KEXINIT and KEX_ECDH_*, SERVICE_REQUEST, USERAUTH_*, CHANNEL_*), with
// one connection id, time, direction and sequence number, and what gossh
// sent under a sequence number is what gosshd received under it. Channel
// data is only a length.
func TestTraceFiles(t *testing.T) {
	bin := clBuildGossh(t)
	traceDir := t.TempDir()
	s := svStart(t, []string{"ed25519"}, "TraceDir "+traceDir)
	for _, how := range []string{"TraceFile", "GOSSH_TRACE"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gossh.jsonl")
			args := []string{"-F", "none", "-p", s.port, "-i", s.userKey, "-o", "UserKnownHostsFile=" + s.knownHosts,
				"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "KexAlgorithms=curve25519-sha256"}
			var env []string
			if how == "TraceFile" {
				args = append(args, "-o", "TraceFile="+path)
			} else {
				env = []string{"GOSSH_TRACE=" + path}
			}
			args = append(args, "-l", "root", "127.0.0.1", "cat")
			if r := clGossh(t, bin, []byte("secret payload\n"), env, args...); r.code != 0 || r.stdout != "secret payload\n" {
				t.Fatalf("gossh: %+v", r)
			}
			client := readTrace(t, path)
			checkTrace(t, "gossh", client)
			if b, _ := os.ReadFile(path); strings.Contains(string(b), "secret payload") {
				t.Error("gossh's trace holds channel data")
			}

			files, _ := filepath.Glob(filepath.Join(traceDir, "trace-*.jsonl"))
			if len(files) != 1 {
				t.Fatalf("TraceDir holds %v, want one trace file", files)
			}
			// gosshd's file holds every connection so far; take the
			// connection whose first KEXINIT matches gossh's.
			all := readTrace(t, files[0])
			var cookie string
			for _, r := range client {
				if r.Name == "KEXINIT" && r.Dir == "send" {
					cookie = r.Fields[0].Value
					break
				}
			}
			var conn string
			for _, r := range all {
				if r.Name == "KEXINIT" && r.Dir == "recv" && r.Fields[0].Value == cookie {
					conn = r.Conn
				}
			}
			if conn == "" {
				t.Fatalf("gosshd's trace has no KEXINIT with gossh's cookie %s", cookie)
			}
			var server []wire.TraceRecord
			for _, r := range all {
				if r.Conn == conn {
					server = append(server, r)
				}
			}
			checkTrace(t, "gosshd", server)
			if b, _ := os.ReadFile(files[0]); strings.Contains(string(b), "secret payload") {
				t.Error("gosshd's trace holds channel data")
			}
			recv := map[traceKey]bool{}
			for _, r := range server {
				if r.Dir == "recv" {
					recv[traceKey{r.Seq, r.Name}] = true
				}
			}
			for _, r := range client {
				if r.Dir == "send" && r.Name != "DISCONNECT" && r.Name != "CHANNEL_CLOSE" && !recv[traceKey{r.Seq, r.Name}] {
					t.Errorf("gossh sent %s as #%d; gosshd's trace has no such receive", r.Name, r.Seq)
				}
			}
		})
	}
}

// checkTrace checks one side's records of one connection.
func checkTrace(t *testing.T, who string, recs []wire.TraceRecord) {
	t.Helper()
	if len(recs) == 0 {
		t.Fatalf("%s: empty trace", who)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Layer+"/"+r.Dir+"/"+r.Name] = true
		if r.Conn != recs[0].Conn || r.Time.IsZero() {
			t.Fatalf("%s: record %+v", who, r)
		}
		if r.Name == "CHANNEL_DATA" && !slices.ContainsFunc(r.Fields, func(f wire.TraceField) bool { return strings.HasSuffix(f.Value, " bytes]") }) {
			t.Errorf("%s: CHANNEL_DATA fields %v", who, r.Fields)
		}
	}
	send, recv := "send", "recv"
	if who == "gosshd" {
		send, recv = recv, send
	}
	for _, want := range []string{
		"kex/" + send + "/KEXINIT", "kex/" + recv + "/KEXINIT", "kex/" + send + "/KEX_ECDH_INIT", "kex/" + recv + "/KEX_ECDH_REPLY",
		"kex/" + send + "/NEWKEYS", "transport/" + send + "/SERVICE_REQUEST", "transport/" + recv + "/SERVICE_ACCEPT",
		"userauth/" + send + "/USERAUTH_REQUEST", "userauth/" + recv + "/USERAUTH_SUCCESS",
		"connection/" + send + "/CHANNEL_OPEN", "connection/" + recv + "/CHANNEL_OPEN_CONFIRMATION",
		"connection/" + send + "/CHANNEL_REQUEST", "connection/" + send + "/CHANNEL_DATA", "connection/" + recv + "/CHANNEL_DATA",
	} {
		if !seen[want] {
			var have []string
			for k := range seen {
				have = append(have, k)
			}
			slices.Sort(have)
			t.Errorf("%s: no %s in the trace; it has %s", who, want, fmt.Sprint(have))
		}
	}
}
