package release_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/release"
)

// testVersion is the version the consumer test serves every module at.
const testVersion = "v0.0.0-test"

// TestConsumers builds a file-system module proxy from the working tree
// and builds and runs, outside the workspace, one module that imports
// only the layers an alternative front-end takes and one that imports
// only the client facade, as a user who `go get`s them would (issue #18).
func TestConsumers(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is needed to list the files of the modules")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := ".."
	mods, err := release.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	rel := release.Released(mods)
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	if err := release.WriteProxy(root, proxy, testVersion, rel); err != nil {
		t.Fatal(err)
	}
	env, err := release.Env(ctx, proxy, filepath.Join(tmp, "modcache"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("layers", func(t *testing.T) {
		// hostkey is there because kex's API takes its Signer and
		// PublicKey; it adds no dependency of its own.
		dir := consumer(t, root, tmp, rel, "layers", "wire", "packet", "kex", "userauth", "connection", "hostkey")
		deps := goLines(t, ctx, dir, env, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
		for _, p := range deps {
			if strings.HasPrefix(p, "github.com/jcmturner/") || strings.HasPrefix(p, "golang.org/x/crypto/ssh") ||
				p == release.Prefix+"gssapi" || strings.HasPrefix(p, release.Prefix+"gssapi/") {
				t.Errorf("the layers compile %s", p)
			}
		}
		for _, want := range []string{"wire", "packet", "kex", "userauth", "connection"} {
			if !contains(deps, release.Prefix+want) {
				t.Errorf("go list -deps does not list %s%s:\n%s", release.Prefix, want, strings.Join(deps, "\n"))
			}
		}
		graph := goLines(t, ctx, dir, env, "mod", "graph")
		sum := tidySum(t, ctx, dir, env)
		for _, l := range sum {
			if strings.Contains(l, "github.com/jcmturner/") {
				t.Errorf("go mod tidy puts %s in go.sum", l)
			}
		}
		for _, e := range graph {
			if strings.Contains(e, "github.com/jcmturner/") || strings.Contains(e, release.Prefix+"gssapi@") {
				t.Errorf("go mod graph lists %s", e)
			}
		}
		out := runConsumer(t, ctx, dir, env)
		mods, zips := downloaded(t, filepath.Join(tmp, "modcache"))
		gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d non-standard packages, %d module graph edges, %d go.sum lines after tidy, %d go.mod files and %d module zips downloaded, go.mod:\n%s",
			len(deps), len(graph), len(sum), mods, zips, gomod)
		if !strings.HasPrefix(out, `ran "uptime" over `) || !strings.HasSuffix(out, "exit status 0\n") {
			t.Errorf("output %q, want the exec's output and exit status 0", out)
		}
	})

	t.Run("client", func(t *testing.T) {
		dir := consumer(t, root, tmp, rel, "client", "client")
		deps := goLines(t, ctx, dir, env, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
		graph := goLines(t, ctx, dir, env, "mod", "graph")
		sum := tidySum(t, ctx, dir, env)
		t.Logf("%d non-standard packages, %d module graph edges, %d go.sum lines after tidy", len(deps), len(graph), len(sum))
		if out := runConsumer(t, ctx, dir, env); out != "refused SSH-1.5 peer\n" {
			t.Errorf("output %q", out)
		}
	})
}

// consumer makes the module example.com/<name> in tmp from
// testdata/<name>/main.go, requiring the sshstack modules in dirs at
// testVersion, with the repository's go.sum lines for everything else.
func consumer(t *testing.T, root, tmp string, rel []*release.Module, name string, dirs ...string) string {
	t.Helper()
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/" + name + "\n\ngo 1.26.0\n\nrequire (\n"
	for _, d := range dirs {
		gomod += "\t" + release.Prefix + d + " " + testVersion + "\n"
	}
	gomod += ")\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", name, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := release.SeedSum(root, dir, rel); err != nil {
		t.Fatal(err)
	}
	return dir
}

// goLines runs a go command in dir and returns its non-empty output lines.
func goLines(t *testing.T, ctx context.Context, dir string, env []string, args ...string) []string {
	t.Helper()
	out, err := release.Go(ctx, dir, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.SplitSeq(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// runConsumer builds the module in dir and runs it, returning its output.
func runConsumer(t *testing.T, ctx context.Context, dir string, env []string) string {
	t.Helper()
	bin := filepath.Join(dir, "consumer")
	if _, err := release.Go(ctx, dir, env, "build", "-o", bin, "."); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	return string(out)
}

// tidySum copies the consumer in dir, runs go mod tidy on it from an
// empty go.sum and returns the go.sum it wrote: what a user's go.sum
// holds. The checksum database is off for this copy only (its hashes
// are not used for anything); the build uses the repository's.
func tidySum(t *testing.T, ctx context.Context, dir string, env []string) []string {
	t.Helper()
	cp := dir + "-tidy"
	if err := os.MkdirAll(cp, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "main.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goLines(t, ctx, cp, append(env[:len(env):len(env)], "GOSUMDB=off"), "mod", "tidy")
	b, err := os.ReadFile(filepath.Join(cp, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// downloaded counts the go.mod files and zips in a module cache.
func downloaded(t *testing.T, modCache string) (mods, zips int) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(modCache, "cache", "download"), func(p string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasSuffix(p, ".mod"):
			mods++
		case strings.HasSuffix(p, ".zip"):
			zips++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mods, zips
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
