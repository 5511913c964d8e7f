package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/sshstack/sshstack/wire/wiretest"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// startGosshd starts a gosshd binary in the foreground (-D -e) and
// waits for its "Server listening" line; it is stopped by PID (SIGTERM)
// when the test ends. It returns the port and the log file.
func startGosshd(t *testing.T, bin, dir, config string) (int, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := writeConfig(t, fmt.Sprintf("ListenAddress 127.0.0.1\nPort %d\nPidFile none\nLogLevel VERBOSE\n%s", port, config))
	logPath := filepath.Join(dir, "gosshd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		b, _ := os.ReadFile(logPath)
		if bytes.Contains(b, []byte("Server listening")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gosshd did not start:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port, logPath
}

// sshPassword logs in to 127.0.0.1:port as name with OpenSSH's ssh and
// password authentication only, answering the prompt through
// SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force: no terminal, no sshpass), and
// runs `echo ok:$(id -un)`. It returns ssh's exit code and stdout.
func sshPassword(t *testing.T, dir string, port int, name, password string) (int, string, string) {
	t.Helper()
	pwFile := filepath.Join(dir, "password")
	askpass := filepath.Join(dir, "askpass")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(askpass, []byte("#!/bin/sh\nexec cat '"+pwFile+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ssh", "-F", "/dev/null", "-p", fmt.Sprint(port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
		"-o", "KbdInteractiveAuthentication=no", "-o", "GSSAPIAuthentication=no",
		"-o", "NumberOfPasswordPrompts=1", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/dev/null",
		"-l", name, "127.0.0.1", "echo ok:$(id -un)")
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestGosshdShadowLogin logs in with OpenSSH's ssh and a password to a
// gosshd built with CGO_ENABLED=0 and UsePAM no, whose shadow file is a
// temporary one naming the user running the test (no account is added
// to this machine): yescrypt, sha512-crypt and sha256-crypt hashes, and
// one made here by mkpasswd when it is installed, are accepted; a wrong
// password and a locked account are refused, with sshd's log lines; an
// aged password gets only the forced password change.
func TestGosshdShadowLogin(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		wiretest.MissingPeer(t, "OpenSSH's ssh is not installed: %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	shadowPath := filepath.Join(dir, "shadow")
	bin := buildNoCgo(t, dir, shadowPath)
	key := filepath.Join(dir, "host_key")
	if err := os.WriteFile(key, genKeyFile(t), 0o600); err != nil {
		t.Fatal(err)
	}
	port, logPath := startGosshd(t, bin, dir, "HostKey "+key+"\nUsePAM no\nPasswordAuthentication yes\n"+
		"PubkeyAuthentication no\nPermitRootLogin yes\nPerSourcePenalties no\nMaxAuthTries 2\n")

	fresh := ""
	if out, err := exec.Command("mkpasswd", "-m", "yescrypt", testPassword).Output(); err == nil {
		fresh = strings.TrimSpace(string(out))
	} else {
		t.Logf("mkpasswd not available (package whois), skipping its fresh hash: %v", err)
	}
	tests := []struct {
		name, hash, password string
		ok                   bool
		logLine              string
	}{
		{"yescrypt", testYescrypt, testPassword, true, "Accepted password for " + u.Username + " from 127.0.0.1"},
		{"sha512-crypt", testSHA512, testPassword, true, "Accepted password for " + u.Username},
		{"sha256-crypt", testSHA256, testPassword, true, "Accepted password for " + u.Username},
		{"mkpasswd here", fresh, testPassword, true, "Accepted password for " + u.Username},
		{"wrong password", testYescrypt, "correct horse battery", false, "Failed password for " + u.Username + " from 127.0.0.1"},
		{"locked", "!" + testYescrypt, testPassword, false, "User " + u.Username + " not allowed because account is locked"},
	}
	// An aged password (last changed on day 1, 30 days allowed) logs in
	// only to change it; without a terminal the session says so and
	// exits 1, as sshd's do_pwchange.
	t.Run("password aged", func(t *testing.T) {
		if err := os.WriteFile(shadowPath, []byte(shadowLine(u.Username, testSHA256, "1", "30", "")), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := sshPassword(t, dir, port, u.Username, testPassword)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "WARNING: Your password has expired.") ||
			!strings.Contains(stderr, "Password change required but no TTY available.") {
			t.Errorf("ssh: exit %d, stdout %q, stderr %q; want the forced password change", code, stdout, stderr)
		}
		if b, _ := os.ReadFile(logPath); !bytes.Contains(b, []byte("User "+u.Username+" password has expired (password aged)")) {
			t.Errorf("gosshd's log lacks the expiry line:\n%s", b)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.hash == "" {
				t.Skip("no mkpasswd")
			}
			line := shadowLine(u.Username, tt.hash, fmt.Sprint(time.Now().Unix()/86400), "99999", "")
			if err := os.WriteFile(shadowPath, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(logPath)
			code, stdout, stderr := sshPassword(t, dir, port, u.Username, tt.password)
			if tt.ok && (code != 0 || strings.TrimSpace(stdout) != "ok:"+u.Username) {
				t.Errorf("ssh: exit %d, stdout %q, stderr %q; want ok:%s", code, stdout, stderr, u.Username)
			}
			if !tt.ok && (code != 255 || !strings.Contains(stderr, "Permission denied")) {
				t.Errorf("ssh: exit %d, stdout %q, stderr %q; want Permission denied", code, stdout, stderr)
			}
			var after []byte
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if after, _ = os.ReadFile(logPath); bytes.Contains(after[len(before):], []byte(tt.logLine)) {
					return
				}
			}
			t.Errorf("gosshd's log lacks %q:\n%s", tt.logLine, after[len(before):])
		})
	}
}
