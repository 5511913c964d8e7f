package release

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// Prefix is the module path prefix of every sshstack module; a module's
// path is Prefix followed by its directory.
const Prefix = "github.com/sshstack/sshstack/"

// Unreleased are the directories of workspace modules that are never
// tagged: the interop tests and this tool.
var Unreleased = []string{"conformance", "release"}

// ErrVersion means a release version is not a canonical semantic version
// that the module paths (which have no /vN suffix) allow.
var ErrVersion = errors.New("release: version must be canonical semver below v2, like v0.3.0")

// A Module is one module of the workspace.
type Module struct {
	Path string        // module path
	Dir  string        // directory relative to the root, slash-separated ("kex/gsskex")
	File *modfile.File // its go.mod as in the working tree
}

// Tag returns the Git tag of the module at version: its directory, a
// slash and the version ("kex/gsskex/v0.3.0"), as the go command expects
// for a module in a subdirectory of its repository.
func (m *Module) Tag(version string) string { return m.Dir + "/" + version }

// CheckVersion reports whether version can be released.
func CheckVersion(version string) error {
	if !semver.IsValid(version) || semver.Canonical(version) != version || semver.Build(version) != "" {
		return fmt.Errorf("%q: %w", version, ErrVersion)
	}
	if m := semver.Major(version); m != "v0" && m != "v1" {
		return fmt.Errorf("%q: %w", version, ErrVersion)
	}
	return nil
}

// Load reads go.work at root and the go.mod of every module it uses, in
// the order of their directories.
func Load(root string) ([]*Module, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	var mods []*Module
	for _, u := range wf.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		gomod := filepath.Join(root, filepath.FromSlash(dir), "go.mod")
		data, err := os.ReadFile(gomod)
		if err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
		f, err := modfile.Parse(gomod, data, nil)
		if err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
		if f.Module == nil || f.Module.Mod.Path != Prefix+dir {
			return nil, fmt.Errorf("release: %s: module path is not %s%s", gomod, Prefix, dir)
		}
		mods = append(mods, &Module{Path: f.Module.Mod.Path, Dir: dir, File: f})
	}
	slices.SortFunc(mods, func(a, b *Module) int { return cmp.Compare(a.Dir, b.Dir) })
	return mods, nil
}

// Released returns the modules that are tagged: all but Unreleased.
func Released(mods []*Module) []*Module {
	return slices.DeleteFunc(slices.Clone(mods), func(m *Module) bool { return slices.Contains(Unreleased, m.Dir) })
}

// Order returns mods in dependency order: every module after the
// siblings it requires, ties broken by directory. A sibling requirement
// on a module not in mods, or a cycle, is an error.
func Order(mods []*Module) ([]*Module, error) {
	byPath := make(map[string]*Module, len(mods))
	for _, m := range mods {
		byPath[m.Path] = m
	}
	var out []*Module
	state := make(map[*Module]int) // 1 visiting, 2 done
	var visit func(m *Module, chain []string) error
	visit = func(m *Module, chain []string) error {
		switch state[m] {
		case 1:
			return fmt.Errorf("release: requirement cycle %s", strings.Join(append(chain, m.Dir), " -> "))
		case 2:
			return nil
		}
		state[m] = 1
		for _, r := range siblingRequires(m.File) {
			dep, ok := byPath[r]
			if !ok {
				return fmt.Errorf("release: %s requires %s, which is not released", m.Dir, r)
			}
			if err := visit(dep, append(chain, m.Dir)); err != nil {
				return err
			}
		}
		state[m] = 2
		out = append(out, m)
		return nil
	}
	for _, m := range mods {
		if err := visit(m, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// siblingRequires returns the sshstack modules f requires, sorted.
func siblingRequires(f *modfile.File) []string {
	var out []string
	for _, r := range f.Require {
		if strings.HasPrefix(r.Mod.Path, Prefix) {
			out = append(out, r.Mod.Path)
		}
	}
	slices.Sort(out)
	return out
}

// GoMod returns m's go.mod as released at version: every sibling
// requirement at version and no replace directive for a sibling (the go
// command ignores replace directives of dependencies, and refuses
// `go install pkg@version` of a module that has any).
func (m *Module) GoMod(version string) ([]byte, error) {
	data, err := m.File.Format()
	if err != nil {
		return nil, fmt.Errorf("release: %s: %w", m.Dir, err)
	}
	f, err := modfile.Parse(m.Dir+"/go.mod", data, nil)
	if err != nil {
		return nil, fmt.Errorf("release: %s: %w", m.Dir, err)
	}
	for _, r := range f.Require {
		if strings.HasPrefix(r.Mod.Path, Prefix) {
			if err := f.AddRequire(r.Mod.Path, version); err != nil {
				return nil, fmt.Errorf("release: %s: %w", m.Dir, err)
			}
		}
	}
	for _, r := range slices.Clone(f.Replace) {
		if strings.HasPrefix(r.Old.Path, Prefix) {
			if err := f.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return nil, fmt.Errorf("release: %s: %w", m.Dir, err)
			}
		}
	}
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return nil, fmt.Errorf("release: %s: %w", m.Dir, err)
	}
	return out, nil
}

// WriteProxy writes a file-system module proxy (GOPROXY=file://dir, the
// layout of `go help goproxy`) into dir that serves every module of mods
// at version, made from the working tree at root: the files Git tracks
// or would track (ignored files such as built binaries stay out), with
// go.mod as GoMod returns it. Nested modules are left out of the module
// that contains them, as the go command leaves them out.
func WriteProxy(root, dir, version string, mods []*Module) error {
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	for _, m := range mods {
		gomod, err := m.GoMod(version)
		if err != nil {
			return err
		}
		files, err := moduleFiles(root, m.Dir, gomod)
		if err != nil {
			return err
		}
		esc, err := module.EscapePath(m.Path)
		if err != nil {
			return fmt.Errorf("release: %w", err)
		}
		vdir := filepath.Join(dir, filepath.FromSlash(esc), "@v")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return err
		}
		var zbuf bytes.Buffer
		if err := modzip.Create(&zbuf, module.Version{Path: m.Path, Version: version}, files); err != nil {
			return fmt.Errorf("release: %s: %w", m.Dir, err)
		}
		for name, data := range map[string][]byte{
			version + ".zip":  zbuf.Bytes(),
			version + ".mod":  gomod,
			version + ".info": info,
			"list":            []byte(version + "\n"),
		} {
			if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// moduleFiles lists the files of the module in root/dir for its zip.
func moduleFiles(root, dir string, gomod []byte) ([]modzip.File, error) {
	mdir := filepath.Join(root, filepath.FromSlash(dir))
	names, err := gitFiles(mdir)
	if err != nil {
		return nil, err
	}
	var out []modzip.File
	for _, n := range names {
		if n == "go.mod" {
			out = append(out, memFile{name: n, data: gomod})
			continue
		}
		p := filepath.Join(mdir, filepath.FromSlash(n))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, diskFile{name: n, path: p})
	}
	return out, nil
}

// gitFiles returns the files below dir, relative to it, that Git tracks
// or would track.
func gitFiles(dir string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("release: listing the files of %s: %v: %s", dir, err, stderr.Bytes())
	}
	var names []string
	for n := range strings.SplitSeq(string(out), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// diskFile is a file of the working tree in a module zip.
type diskFile struct{ name, path string }

func (f diskFile) Path() string                 { return f.name }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.path) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.path) }

// memFile is a file whose content is not the working tree's (go.mod).
type memFile struct {
	name string
	data []byte
}

func (f memFile) Path() string                 { return f.name }
func (f memFile) Lstat() (os.FileInfo, error)  { return memInfo(f), nil }
func (f memFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type memInfo memFile

func (i memInfo) Name() string       { return path.Base(i.name) }
func (i memInfo) Size() int64        { return int64(len(i.data)) }
func (i memInfo) Mode() fs.FileMode  { return 0o644 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
