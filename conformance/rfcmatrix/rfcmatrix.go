// Package rfcmatrix builds the RFC requirement matrix (docs/rfc-matrix.md)
// from a data file of requirements, the tests that name the requirement
// ids they prove, and those tests' results.
//
// A test names requirements in its doc comment, one or more lines of
//
//	// Requirement: 4253-6-padding-min, 4253-6-align
//
// above the func. Only Test functions count.
package rfcmatrix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ErrFormat is returned, wrapped, for a malformed requirements file.
var ErrFormat = errors.New("rfcmatrix: malformed requirements file")

// Keywords are the requirement levels of RFC 2119 the matrix holds.
var Keywords = []string{"MUST", "MUST NOT", "SHOULD", "SHOULD NOT"}

// A Requirement is one line of the requirements file.
type Requirement struct {
	ID      string // e.g. "4253-6-padding-min"
	RFC     string // "4253"
	Section string // "6.1"
	Keyword string // one of Keywords
	Text    string // the sentence, in short
}

var idRE = regexp.MustCompile(`^[0-9]{4}-[0-9][0-9.]*-[a-z0-9][a-z0-9-]*$`)

// ParseRequirements reads a requirements file: tab-separated id, rfc,
// section, keyword and text; '#' lines and blank lines are comments.
// Ids are unique and begin with their RFC and section.
func ParseRequirements(r io.Reader) ([]Requirement, error) {
	var reqs []Requirement
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("%w: line %d has %d fields, want 5", ErrFormat, n, len(f))
		}
		q := Requirement{f[0], f[1], f[2], f[3], f[4]}
		switch {
		case !idRE.MatchString(q.ID):
			return nil, fmt.Errorf("%w: line %d: bad id %q", ErrFormat, n, q.ID)
		case !strings.HasPrefix(q.ID, q.RFC+"-"+q.Section+"-"):
			return nil, fmt.Errorf("%w: line %d: id %q does not begin with %s-%s-", ErrFormat, n, q.ID, q.RFC, q.Section)
		case !slices.Contains(Keywords, q.Keyword):
			return nil, fmt.Errorf("%w: line %d: keyword %q", ErrFormat, n, q.Keyword)
		case q.Text == "":
			return nil, fmt.Errorf("%w: line %d: no text", ErrFormat, n)
		case seen[q.ID]:
			return nil, fmt.Errorf("%w: line %d: id %q twice", ErrFormat, n, q.ID)
		}
		seen[q.ID] = true
		reqs = append(reqs, q)
	}
	return reqs, sc.Err()
}

// A Test is a test function: its package's import path and its name.
type Test struct {
	Package string
	Name    string
}

var reqLine = regexp.MustCompile(`^//\s*Requirement:\s*(.+)$`)

// Scan finds, under root, every Test function of every *_test.go file
// whose doc comment names requirements, and returns the ids each names,
// by test. Import paths come from the nearest go.mod. Directories named
// testdata, and those beginning with '.' or '_', are skipped.
func Scan(root string) (map[Test][]string, error) {
	out := map[Test][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("rfcmatrix: %w", err)
		}
		pkg, err := importPath(filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Doc == nil || !strings.HasPrefix(fn.Name.Name, "Test") {
				continue
			}
			for _, c := range fn.Doc.List {
				m := reqLine.FindStringSubmatch(c.Text)
				if m == nil {
					continue
				}
				for _, id := range strings.Split(m[1], ",") {
					if id = strings.TrimSpace(id); id != "" {
						t := Test{pkg, fn.Name.Name}
						out[t] = append(out[t], id)
					}
				}
			}
		}
		return nil
	})
	return out, err
}

// importPath is the import path of the package in dir, by the module
// path of the nearest go.mod above it.
func importPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("rfcmatrix: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
					rel, _ := filepath.Rel(d, abs)
					p := strings.Trim(strings.TrimSpace(rest), `"`)
					if rel != "." {
						p += "/" + filepath.ToSlash(rel)
					}
					return p, nil
				}
			}
			return "", fmt.Errorf("rfcmatrix: %s/go.mod has no module line", d)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("rfcmatrix: no go.mod above %s", dir)
		}
	}
}

// A Result is how a test ended: "pass", "fail" or "skip".
type Result string

// ParseResults reads `go test -json` output and returns how each
// top-level test ended (subtests are part of their parent).
func ParseResults(r io.Reader) (map[Test]Result, error) {
	out := map[Test]Result{}
	dec := json.NewDecoder(r)
	for {
		var e struct {
			Action, Package, Test string
		}
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("rfcmatrix: reading test results: %w", err)
		}
		if e.Test == "" || strings.Contains(e.Test, "/") {
			continue
		}
		switch e.Action {
		case "pass", "fail", "skip":
			out[Test{e.Package, e.Test}] = Result(e.Action)
		}
	}
}

// Status marks of a row.
const (
	Proven   = "✔"
	Failed   = "✘"
	Skipped  = "skipped"
	Untested = "untested"
)

// A Row is a requirement with its tests and status.
type Row struct {
	Requirement
	Tests  []Test
	Status string
}

// Rows joins requirements, the tests naming them and their results.
// A requirement is Failed if a test naming it failed, else Proven if one
// passed, else Skipped if one was skipped, else Untested. Unknown ids
// named by tests are returned sorted, for the caller to report.
func Rows(reqs []Requirement, named map[Test][]string, results map[Test]Result) (rows []Row, unknown []string) {
	byID := map[string][]Test{}
	for t, ids := range named {
		for _, id := range ids {
			byID[id] = append(byID[id], t)
		}
	}
	known := map[string]bool{}
	for _, q := range reqs {
		known[q.ID] = true
		tests := byID[q.ID]
		slices.SortFunc(tests, func(a, b Test) int { return strings.Compare(a.Package+"."+a.Name, b.Package+"."+b.Name) })
		tests = slices.Compact(tests)
		status := Untested
		var pass, skip, fail bool
		for _, t := range tests {
			switch results[t] {
			case "pass":
				pass = true
			case "fail":
				fail = true
			case "skip":
				skip = true
			}
		}
		switch {
		case fail:
			status = Failed
		case pass:
			status = Proven
		case skip:
			status = Skipped
		}
		rows = append(rows, Row{q, tests, status})
	}
	for id := range byID {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	slices.Sort(unknown)
	return rows, unknown
}

// mustLevel says whether a keyword is MUST or MUST NOT.
func mustLevel(k string) bool { return k == "MUST" || k == "MUST NOT" }

// Render writes the matrix as Markdown. It depends only on rows, so the
// same tests and results give the same file.
func Render(w io.Writer, rows []Row) error {
	var b bytes.Buffer
	b.WriteString(`# RFC requirement matrix

Generated by ` + "`make rfc-matrix`" + ` (conformance/cmd/rfcmatrix) from
conformance/testdata/requirements.tsv and the tests that name requirement
ids in a ` + "`// Requirement: id`" + ` line of their doc comment; do not edit.
✔: a test naming it passed; ✘: a test naming it failed; skipped: its only
tests were skipped (a peer missing); untested: no test names it yet, which
says nothing about the code, only that no test claims it.
Deviations from the RFCs are in [deviations.md](deviations.md).

`)
	var rfcs []string
	by := map[string][]Row{}
	for _, r := range rows {
		if by[r.RFC] == nil {
			rfcs = append(rfcs, r.RFC)
		}
		by[r.RFC] = append(by[r.RFC], r)
	}
	slices.Sort(rfcs) // RFC numbers have four digits: text order is number order
	b.WriteString("| RFC | rows | MUST-level | MUST-level ✔ | ✔ | ✘ | skipped | untested |\n|---|---|---|---|---|---|---|---|\n")
	for _, rfc := range append(rfcs, "all") {
		c := map[string]int{}
		rs := by[rfc]
		if rfc == "all" {
			rs = rows
		}
		for _, r := range rs {
			c["rows"]++
			c[r.Status]++
			if mustLevel(r.Keyword) {
				c["must"]++
				if r.Status == Proven {
					c["mustok"]++
				}
			}
		}
		name := "RFC " + rfc
		if rfc == "all" {
			name = "all"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", name, c["rows"], c["must"], c["mustok"], c[Proven], c[Failed], c[Skipped], c[Untested])
	}
	for _, rfc := range rfcs {
		fmt.Fprintf(&b, "\n## RFC %s\n\n| id | § | keyword | requirement | status | tests |\n|---|---|---|---|---|---|\n", rfc)
		for _, r := range by[rfc] {
			var ts []string
			for _, t := range r.Tests {
				ts = append(ts, "`"+strings.TrimPrefix(t.Package, "github.com/sshstack/sshstack/")+"."+t.Name+"`")
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.ID, r.Section, r.Keyword, strings.ReplaceAll(r.Text, "|", `\|`), r.Status, strings.Join(ts, ", "))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
