package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildNoCgo builds gosshd with CGO_ENABLED=0 into dir, as make demo
// does, and checks that the binary says so. A non-empty shadowPath is
// linked in as the shadow file (-X main.shadowFile), which only tests do.
func buildNoCgo(t *testing.T, dir, shadowPath string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds gosshd")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build gosshd with: %v", err)
	}
	out := filepath.Join(dir, "gosshd")
	args := []string{"build", "-o", out}
	if shadowPath != "" {
		args = append(args, "-ldflags", "-X main.shadowFile="+shadowPath)
	}
	cmd := exec.Command(gobin, append(args, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, b)
	}
	info, err := exec.Command(gobin, "version", "-m", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(info, []byte("CGO_ENABLED=0")) {
		t.Fatalf("go version -m %s does not show CGO_ENABLED=0:\n%s", out, info)
	}
	return out
}

// runGosshd runs a gosshd binary to completion and returns its exit
// code and output.
func runGosshd(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestGosshdWithoutCgo builds gosshd with CGO_ENABLED=0 and runs it: -T
// prints UsePAM no (the default), and UsePAM yes is refused with a
// message that says why (docs/decisions/0015-pam-behind-a-build-tag.md).
func TestGosshdWithoutCgo(t *testing.T) {
	dir := t.TempDir()
	bin := buildNoCgo(t, dir, "")
	key := filepath.Join(dir, "host_key")
	if err := os.WriteFile(key, genKeyFile(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "HostKey "+key+"\nPidFile none\n")

	code, stdout, stderr := runGosshd(t, bin, "-T", "-f", cfg)
	if code != 0 || !strings.Contains(stdout, "\nusepam no\n") {
		t.Fatalf("gosshd -T: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}

	pamCfg := writeConfig(t, "HostKey "+key+"\nPidFile none\nUsePAM yes\n")
	code, _, stderr = runGosshd(t, bin, "-t", "-f", pamCfg)
	if code == 0 || !strings.Contains(stderr, "UsePAM yes: this gosshd was built without PAM") {
		t.Fatalf("gosshd -t with UsePAM yes: exit %d, stderr %q", code, stderr)
	}
}
