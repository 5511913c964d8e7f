package release_test

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/release"
)

func TestCheckVersion(t *testing.T) {
	for _, tt := range []struct {
		v  string
		ok bool
	}{
		{"v0.1.0", true},
		{"v1.2.3", true},
		{"v0.2.0-rc.1", true},
		{"v0.1", false},        // not canonical
		{"0.1.0", false},       // no v
		{"v2.0.0", false},      // the module paths have no /v2
		{"v1.0.0+meta", false}, // build metadata is not a tag
		{"", false},
	} {
		err := release.CheckVersion(tt.v)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, release.ErrVersion)) {
			t.Errorf("CheckVersion(%q) = %v, want ok=%v", tt.v, err, tt.ok)
		}
	}
}

// fakeRepo makes a Git working tree at a temporary root with a go.work
// using the given modules (directory -> go.mod text) and returns root.
func fakeRepo(t *testing.T, mods map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root := t.TempDir()
	work := "go 1.26.0\n\nuse (\n"
	for dir, gomod := range mods {
		work += "\t./" + dir + "\n"
		write(t, filepath.Join(root, dir, "go.mod"), gomod)
		write(t, filepath.Join(root, dir, "x.go"), "package x\n")
	}
	write(t, filepath.Join(root, "go.work"), work+")\n")
	cmd := exec.Command("git", "init", "-q")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	return root
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	wireMod = "module github.com/sshstack/sshstack/wire\n\ngo 1.26.0\n\nrequire golang.org/x/crypto v0.58.0\n"
	kexMod  = `module github.com/sshstack/sshstack/kex

go 1.26.0

require (
	github.com/sshstack/sshstack/packet v0.0.0
	github.com/sshstack/sshstack/wire v0.0.0
	golang.org/x/crypto v0.58.0
)

replace (
	github.com/sshstack/sshstack/packet => ../packet
	github.com/sshstack/sshstack/wire => ../wire
)

replace example.com/other => ../other
`
	packetMod = "module github.com/sshstack/sshstack/packet\n\ngo 1.26.0\n\nrequire github.com/sshstack/sshstack/wire v0.0.0\n\nreplace github.com/sshstack/sshstack/wire => ../wire\n"
	gssMod    = "module github.com/sshstack/sshstack/kex/gsskex\n\ngo 1.26.0\n\nrequire github.com/sshstack/sshstack/kex v0.0.0\n\nreplace github.com/sshstack/sshstack/kex => ..\n"
	confMod   = "module github.com/sshstack/sshstack/conformance\n\ngo 1.26.0\n\nrequire github.com/sshstack/sshstack/kex v0.0.0\n"
)

func TestOrderAndTags(t *testing.T) {
	root := fakeRepo(t, map[string]string{"wire": wireMod, "kex": kexMod, "packet": packetMod, "kex/gsskex": gssMod, "conformance": confMod})
	mods, err := release.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	ordered, err := release.Order(release.Released(mods))
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, m := range ordered {
		tags = append(tags, m.Tag("v0.1.0"))
	}
	want := []string{"wire/v0.1.0", "packet/v0.1.0", "kex/v0.1.0", "kex/gsskex/v0.1.0"}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestOrderErrors(t *testing.T) {
	t.Run("unreleased requirement", func(t *testing.T) {
		root := fakeRepo(t, map[string]string{"kex": kexMod, "wire": wireMod})
		mods, err := release.Load(root)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := release.Order(mods); err == nil || !strings.Contains(err.Error(), "packet") {
			t.Errorf("Order without packet: %v", err)
		}
	})
	t.Run("cycle", func(t *testing.T) {
		a := "module github.com/sshstack/sshstack/a\n\ngo 1.26.0\n\nrequire github.com/sshstack/sshstack/b v0.0.0\n"
		b := "module github.com/sshstack/sshstack/b\n\ngo 1.26.0\n\nrequire github.com/sshstack/sshstack/a v0.0.0\n"
		mods, err := release.Load(fakeRepo(t, map[string]string{"a": a, "b": b}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := release.Order(mods); err == nil || !strings.Contains(err.Error(), "cycle") {
			t.Errorf("Order of a cycle: %v", err)
		}
	})
	t.Run("wrong module path", func(t *testing.T) {
		if _, err := release.Load(fakeRepo(t, map[string]string{"wire": kexMod})); err == nil {
			t.Error("Load accepted kex's go.mod in wire/")
		}
	})
}

func TestGoMod(t *testing.T) {
	mods, err := release.Load(fakeRepo(t, map[string]string{"wire": wireMod, "kex": kexMod, "packet": packetMod}))
	if err != nil {
		t.Fatal(err)
	}
	kex := mods[slices.IndexFunc(mods, func(m *release.Module) bool { return m.Dir == "kex" })]
	got, err := kex.GoMod("v0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	want := `module github.com/sshstack/sshstack/kex

go 1.26.0

require (
	github.com/sshstack/sshstack/packet v0.3.0
	github.com/sshstack/sshstack/wire v0.3.0
	golang.org/x/crypto v0.58.0
)

replace example.com/other => ../other
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("GoMod (-want +got):\n%s", diff)
	}
}

// TestWriteProxy: the zip of a module holds its files with the released
// go.mod, and neither a nested module nor a file Git ignores.
func TestWriteProxy(t *testing.T) {
	root := fakeRepo(t, map[string]string{"wire": wireMod, "kex": kexMod, "packet": packetMod, "kex/gsskex": gssMod})
	write(t, filepath.Join(root, "kex", "testdata", "v.txt"), "vector\n")
	write(t, filepath.Join(root, "kex", "kex.test"), "a built test binary\n")
	write(t, filepath.Join(root, ".gitignore"), "*.test\n")
	mods, err := release.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	if err := release.WriteProxy(root, proxy, "v0.3.0", mods); err != nil {
		t.Fatal(err)
	}
	vdir := filepath.Join(proxy, "github.com", "sshstack", "sshstack", "kex", "@v")
	zr, err := zip.OpenReader(filepath.Join(vdir, "v0.3.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.HasSuffix(f.Name, "/go.mod") {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "=> ../wire") || !strings.Contains(string(b), "wire v0.3.0") {
				t.Errorf("zipped go.mod:\n%s", b)
			}
		}
	}
	slices.Sort(names)
	p := "github.com/sshstack/sshstack/kex@v0.3.0/"
	if diff := cmp.Diff([]string{p + "go.mod", p + "testdata/v.txt", p + "x.go"}, names); diff != "" {
		t.Errorf("zip files (-want +got):\n%s", diff)
	}
	mod, err := os.ReadFile(filepath.Join(vdir, "v0.3.0.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "github.com/sshstack/sshstack/wire v0.3.0") {
		t.Errorf(".mod:\n%s", mod)
	}
	for _, f := range []string{"v0.3.0.info", "list"} {
		if _, err := os.Stat(filepath.Join(vdir, f)); err != nil {
			t.Error(err)
		}
	}
}
