package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repo makes a committed Git repository with the modules wire and packet
// (packet requires wire through a replace), as the real tree has them.
func repo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root := t.TempDir()
	files := map[string]string{
		"go.work":           "go 1.26.0\n\nuse (\n\t./packet\n\t./wire\n)\n",
		"wire/go.mod":       "module github.com/sshstack/sshstack/wire\n\ngo 1.26.0\n",
		"wire/wire.go":      "package wire\n\nconst Name = \"wire\"\n",
		"wire/wire_test.go": "package wire\n\nimport \"testing\"\n\nfunc TestName(t *testing.T) {\n\tif Name != \"wire\" {\n\t\tt.Fatal(Name)\n\t}\n}\n",
		"packet/go.mod":     "module github.com/sshstack/sshstack/packet\n\ngo 1.26.0\n\nrequire github.com/sshstack/sshstack/wire v0.0.0\n\nreplace github.com/sshstack/sshstack/wire => ../wire\n",
		"packet/packet.go":  "package packet\n\nimport \"github.com/sshstack/sshstack/wire\"\n\nvar Below = wire.Name\n",
	}
	for name, s := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, root, "init", "-q")
	git(t, root, "add", "-A")
	git(t, root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "x")
	return root
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestRunWrite: a release of a two-module tree checks both modules alone
// and, with -write, leaves go.mod requiring the sibling at the version
// with no replace, and go.sum holding the sibling's hashes.
func TestRunWrite(t *testing.T) {
	root := repo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, root, "v0.2.0", nil, true, false); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "packet", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gomod), "github.com/sshstack/sshstack/wire v0.2.0") || strings.Contains(string(gomod), "replace") {
		t.Errorf("packet/go.mod after -write:\n%s", gomod)
	}
	sum, err := os.ReadFile(filepath.Join(root, "packet", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sum), "github.com/sshstack/sshstack/wire v0.2.0 h1:") {
		t.Errorf("packet/go.sum after -write:\n%s", sum)
	}
	// The tree is now dirty: a second -write refuses it.
	if err := run(ctx, root, "v0.2.0", nil, true, false); err == nil || !strings.Contains(err.Error(), "clean") {
		t.Errorf("-write on a dirty tree: %v", err)
	}
}

// TestRunFailsOnBrokenModule: a module that does not build alone fails
// the release, naming it.
func TestRunFailsOnBrokenModule(t *testing.T) {
	root := repo(t)
	// packet uses a name wire lacks: fine nowhere.
	if err := os.WriteFile(filepath.Join(root, "packet", "packet.go"), []byte("package packet\n\nimport \"github.com/sshstack/sshstack/wire\"\n\nvar Below = wire.Missing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := run(ctx, root, "v0.2.0", nil, false, false)
	if err == nil || !strings.Contains(err.Error(), "packet at v0.2.0") {
		t.Errorf("run with a broken packet: %v", err)
	}
}

func TestRunRejectsVersion(t *testing.T) {
	if err := run(context.Background(), t.TempDir(), "v2.0.0", nil, false, false); err == nil {
		t.Error("v2.0.0 accepted")
	}
}
