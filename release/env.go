package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Env returns the environment of a go command that resolves sshstack
// modules from the file-system proxy in proxyDir as an outside user
// resolves them from a module proxy: no workspace (GOWORK=off), go.sum
// entries added as needed (-mod=mod) and, for sshstack modules only, no
// checksum database (their versions exist nowhere else). Other modules
// come from the module cache the caller already has, then from the
// GOPROXY in force, so the command needs no network when the cache is
// warm. modCache is the module cache the command extracts into: a
// scratch directory, so that a test version never lands in the real
// cache; -modcacherw lets the caller remove it, and -trimpath lets the
// build cache serve the next run, whose scratch directory has another
// name.
func Env(ctx context.Context, proxyDir, modCache string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "-json", "GOPROXY", "GOMODCACHE", "GOFLAGS", "GONOSUMDB")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("release: go env: %w", err)
	}
	var ge struct{ GOPROXY, GOMODCACHE, GOFLAGS, GONOSUMDB string }
	if err := json.Unmarshal(out, &ge); err != nil {
		return nil, fmt.Errorf("release: go env: %w", err)
	}
	proxies := []string{fileURL(proxyDir)}
	if ge.GOMODCACHE != "" {
		proxies = append(proxies, fileURL(filepath.Join(ge.GOMODCACHE, "cache", "download")))
	}
	if ge.GOPROXY != "" && ge.GOPROXY != "off" {
		proxies = append(proxies, ge.GOPROXY)
	}
	nosum := strings.TrimSuffix(Prefix, "/")
	if ge.GONOSUMDB != "" {
		nosum += "," + ge.GONOSUMDB
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"GOWORK", "GOFLAGS", "GOPROXY", "GONOSUMDB", "GOMODCACHE", "GOTOOLCHAIN"}, k)
	})
	return append(env,
		"GOWORK=off",
		"GOFLAGS="+strings.TrimSpace(ge.GOFLAGS+" -mod=mod -modcacherw -trimpath"),
		"GOPROXY="+strings.Join(proxies, ","),
		"GONOSUMDB="+nosum,
		"GOMODCACHE="+modCache,
		"GOTOOLCHAIN=local",
	), nil
}

// fileURL returns the file:// URL of a directory.
func fileURL(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return "file://" + filepath.ToSlash(abs)
}

// Go runs the go command with args in dir under env and returns its
// standard output; a failure includes both outputs.
func Go(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("release: go %s in %s: %w\n%s%s", strings.Join(args, " "), dir, err, out.Bytes(), stderr.Bytes())
	}
	return out.Bytes(), nil
}

// Extract unpacks the zip of m at version from the proxy in proxyDir into
// dir, which must not exist: the module as a user downloads it, with no
// sibling directory for a replace to point at.
func Extract(proxyDir, dir string, m *Module, version string) error {
	esc, err := module.EscapePath(m.Path)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	zipFile := filepath.Join(proxyDir, filepath.FromSlash(esc), "@v", version+".zip")
	if err := modzip.Unzip(dir, module.Version{Path: m.Path, Version: version}, zipFile); err != nil {
		return fmt.Errorf("release: %s: %w", m.Dir, err)
	}
	// Unzip leaves the files read-only, as in the module cache; the
	// checks write go.sum and test output.
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o644)
	})
}

// SeedSum writes to dir/go.sum the union of the go.sum files of mods in
// the working tree at root, so that a module made outside the tree
// checks its third-party dependencies against the hashes the repository
// already trusts instead of asking the checksum database.
func SeedSum(root, dir string, mods []*Module) error {
	var lines []string
	for _, m := range mods {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.Dir), "go.sum"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		for l := range strings.SplitSeq(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, Prefix) {
				lines = append(lines, l)
			}
		}
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	var b []byte
	if len(lines) > 0 {
		b = []byte(strings.Join(lines, "\n") + "\n")
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), b, 0o644)
}
