// Command release checks a release of the sshstack modules before any tag
// is pushed (docs/releasing.md):
//
//	release -root .. -version v0.1.0 [-test '-short'] [-write]
//
// It serves every released module of the workspace at -version from a
// file-system module proxy made from the working tree, with each go.mod
// as it will be tagged (sibling requirements at -version, no sibling
// replace). Then, module by module in dependency order, it unpacks the
// module from that proxy into a scratch directory, alone, and runs
// `go build ./...`, `go vet ./...` and `go test <-test flags> ./...` there
// with GOWORK=off: the module sees its siblings only as a user's go
// command sees them, as released versions. Last it prints the tags to
// push, in the same order.
//
// With -write it also rewrites the go.mod and go.sum files of the
// working tree as checked, for the release commit; it refuses a working
// tree with uncommitted changes, whose files the tags would not hold.
// Without -write nothing in the working tree changes.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/sshstack/sshstack/release"
)

func main() {
	root := flag.String("root", ".", "the repository's root, where go.work is")
	version := flag.String("version", "", "the release version, such as v0.1.0")
	testFlags := flag.String("test", "", "flags for go test, such as -short or -run=^$ to compile the tests only")
	write := flag.Bool("write", false, "rewrite go.mod and go.sum in the working tree as checked")
	keep := flag.Bool("keep", false, "keep the scratch directory (proxy, modules, module cache) and print its path")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *root, *version, strings.Fields(*testFlags), *write, *keep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, root, version string, testFlags []string, write, keep bool) error {
	if err := release.CheckVersion(version); err != nil {
		return err
	}
	mods, err := release.Load(root)
	if err != nil {
		return err
	}
	ordered, err := release.Order(release.Released(mods))
	if err != nil {
		return err
	}
	if write {
		if err := clean(ctx, root); err != nil {
			return err
		}
	}
	scratch, err := os.MkdirTemp("", "sshstack-release-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("scratch directory:", scratch)
	} else {
		defer os.RemoveAll(scratch)
	}
	proxy := filepath.Join(scratch, "proxy")
	if err := release.WriteProxy(root, proxy, version, ordered); err != nil {
		return err
	}
	env, err := release.Env(ctx, proxy, filepath.Join(scratch, "modcache"))
	if err != nil {
		return err
	}
	for _, m := range ordered {
		dir := filepath.Join(scratch, "src", filepath.FromSlash(m.Dir))
		if err := release.Extract(proxy, dir, m, version); err != nil {
			return err
		}
		steps := [][]string{{"build", "./..."}, {"vet", "./..."}, append(append([]string{"test"}, testFlags...), "./...")}
		for _, args := range steps {
			if _, err := release.Go(ctx, dir, env, args...); err != nil {
				return fmt.Errorf("%s at %s: %w", m.Dir, version, err)
			}
		}
		fmt.Printf("ok   %s at %s, alone, siblings from the proxy\n", m.Path, version)
		if write {
			if err := writeBack(root, dir, m, version); err != nil {
				return err
			}
		}
	}
	fmt.Println()
	if write {
		fmt.Println("go.mod and go.sum rewritten; commit them, then tag that commit:")
	} else {
		fmt.Println("To release: run again with -write, commit, then tag that commit:")
	}
	var tags []string
	for _, m := range ordered {
		tags = append(tags, m.Tag(version))
		fmt.Printf("git tag %s\n", m.Tag(version))
	}
	fmt.Printf("git push origin %s\n", strings.Join(tags, " "))
	return nil
}

// clean fails if the working tree at root has changes Git would commit.
func clean(ctx context.Context, root string) error {
	cmd := exec.CommandContext(ctx, "git", "status", "--porcelain")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("release: git status: %w", err)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		return errors.New("release: -write needs a clean working tree; commit or stash first:\n" + string(out))
	}
	return nil
}

// writeBack copies the checked go.mod, and the go.sum the check
// completed with the siblings' hashes, into the working tree.
func writeBack(root, dir string, m *release.Module, version string) error {
	gomod, err := m.GoMod(version)
	if err != nil {
		return err
	}
	dst := filepath.Join(root, filepath.FromSlash(m.Dir))
	if err := os.WriteFile(filepath.Join(dst, "go.mod"), gomod, 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "go.sum"), sum, 0o644)
}
