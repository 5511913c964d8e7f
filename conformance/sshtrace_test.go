package conformance_test

// sshtrace (wire/cmd/sshtrace) draws a real session: gossh -> gosshd
// with a rekey and enough channel data for window adjusts, both sides
// traced, both files given to sshtrace.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSSHTraceDiagram runs gossh -o TraceFile= -o RekeyLimit=1M against
// gosshd with TraceDir, sends 3 MiB through cat (more than a channel's
// 2 MiB window), then draws both trace
// files with sshtrace as text and as SVG. The text must mark every phase
// (key exchange, authentication, a channel open, window adjusts, a
// rekey) and the SVG must be well-formed XML. With SSHTRACE_KEEP=dir the
// two trace files are copied to dir (that is how docs/sshtrace.md's
// example was recorded).
func TestSSHTraceDiagram(t *testing.T) {
	bin := clBuildGossh(t)
	tool := filepath.Join(t.TempDir(), "sshtrace")
	if out, err := exec.Command("go", "build", "-o", tool, "github.com/sshstack/sshstack/wire/cmd/sshtrace").CombinedOutput(); err != nil {
		t.Fatalf("go build sshtrace: %v\n%s", err, out)
	}
	traceDir := t.TempDir()
	s := svStart(t, []string{"ed25519"}, "TraceDir "+traceDir)
	clientTrace := filepath.Join(t.TempDir(), "gossh.jsonl")
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	r := clGossh(t, bin, data, nil, "-F", "none", "-p", s.port, "-i", s.userKey, "-o", "UserKnownHostsFile="+s.knownHosts,
		"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "KexAlgorithms=curve25519-sha256",
		"-o", "RekeyLimit=1M", "-o", "TraceFile="+clientTrace, "-l", "root", "127.0.0.1", "cat")
	if r.code != 0 || r.stdout != string(data) {
		t.Fatalf("gossh: exit %d, %d bytes out, stderr %s", r.code, len(r.stdout), r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(traceDir, "trace-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("TraceDir holds %v, want one trace file", files)
	}
	serverTrace := files[0]
	// gosshd writes its last records as the connection closes; wait
	// until the file stops growing.
	stWaitStable(t, serverTrace)
	if dir := os.Getenv("SSHTRACE_KEEP"); dir != "" {
		for src, name := range map[string]string{clientTrace: "gossh.jsonl", serverTrace: "gosshd.jsonl"} {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}

	text := stRun(t, tool, clientTrace, serverTrace)
	for _, want := range []string{"key exchange", "authentication", "CHANNEL_OPEN", "CHANNEL_WINDOW_ADJUST", "rekey 1",
		"USERAUTH_SUCCESS", "client", "server"} {
		if !strings.Contains(text, want) {
			t.Errorf("sshtrace text has no %q:\n%s", want, text)
		}
	}
	collapsed := stRun(t, tool, "-collapse", clientTrace, serverTrace)
	if !strings.Contains(collapsed, "×") || strings.Count(collapsed, "\n") >= strings.Count(text, "\n") {
		t.Errorf("-collapse folded nothing:\n%s", collapsed)
	}
	svg := filepath.Join(t.TempDir(), "out.svg")
	stRun(t, tool, "-collapse", "-svg", svg, clientTrace, serverTrace)
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	for _, want := range []string{"key exchange", "rekey 1", "authentication"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("SVG has no %q", want)
		}
	}
}

func stRun(t *testing.T, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("sshtrace %v: %v\n%s", args, err, e.String())
	}
	return o.String()
}

func stWaitStable(t *testing.T, path string) {
	t.Helper()
	var last int64 = -1
	for range 50 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() == last {
			return
		}
		last = fi.Size()
		time.Sleep(100 * time.Millisecond)
	}
}
