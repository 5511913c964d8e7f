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

// Keywords are the requirement levels the matrix holds: those of RFC
// 2119 (REQUIRED, SHALL and SHALL NOT are MUST-level, RECOMMENDED is
// SHOULD-level) and Format, for a wire format or procedure a document
// states without an RFC 2119 keyword.
var Keywords = []string{"MUST", "MUST NOT", "REQUIRED", "SHALL", "SHALL NOT", "SHOULD", "SHOULD NOT", "RECOMMENDED", Format}

// Format is the keyword of a requirement stated without an RFC 2119
// keyword; such rows count in neither level.
const Format = "format"

// A Requirement is one line of the requirements file.
type Requirement struct {
	ID      string // e.g. "4253-6-padding-min"
	RFC     string // "4253", or an OpenSSH file: "PROTOCOL", "PROTOCOL.certkeys"
	Section string // "6.1"; for an OpenSSH file without numbers, its heading
	Keyword string // one of Keywords
	Text    string // the sentence, in short

	// Deviation is the anchor in docs/deviations.md of a deliberate
	// deviation from this requirement, or "".
	Deviation string
}

var (
	idRE        = regexp.MustCompile(`^[a-z0-9]+(-[0-9][0-9.]*)?-[a-z0-9][a-z0-9-]*$`)
	rfcRE       = regexp.MustCompile(`^([0-9]{4}|PROTOCOL(\.[a-z0-9]+)?)$`)
	numberedRE  = regexp.MustCompile(`^[0-9][0-9.]*$`)
	deviationRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// docKey is how the ids of a document begin: the RFC number, or the
// OpenSSH file's name in lower case without "PROTOCOL.":
// "protocol", "certkeys", "chacha20poly1305".
func docKey(rfc string) string {
	if k, ok := strings.CutPrefix(rfc, "PROTOCOL."); ok {
		return k
	}
	return strings.ToLower(rfc)
}

// ParseRequirements reads a requirements file: tab-separated id, rfc,
// section, keyword, text and, optionally, the anchor of a deviation in
// docs/deviations.md; '#' lines and blank lines are comments. Ids are
// unique and begin with their document's key and, where the section is
// numbered, the section.
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
		if len(f) != 5 && len(f) != 6 {
			return nil, fmt.Errorf("%w: line %d has %d fields, want 5 or 6", ErrFormat, n, len(f))
		}
		q := Requirement{ID: f[0], RFC: f[1], Section: f[2], Keyword: f[3], Text: f[4]}
		if len(f) == 6 {
			q.Deviation = f[5]
		}
		prefix := docKey(q.RFC) + "-"
		if numberedRE.MatchString(q.Section) {
			prefix += q.Section + "-"
		}
		switch {
		case !idRE.MatchString(q.ID):
			return nil, fmt.Errorf("%w: line %d: bad id %q", ErrFormat, n, q.ID)
		case !rfcRE.MatchString(q.RFC):
			return nil, fmt.Errorf("%w: line %d: document %q is neither an RFC number nor an OpenSSH PROTOCOL file", ErrFormat, n, q.RFC)
		case q.Section == "":
			return nil, fmt.Errorf("%w: line %d: no section", ErrFormat, n)
		case !strings.HasPrefix(q.ID, prefix):
			return nil, fmt.Errorf("%w: line %d: id %q does not begin with %s", ErrFormat, n, q.ID, prefix)
		case len(f) == 6 && !deviationRE.MatchString(q.Deviation):
			return nil, fmt.Errorf("%w: line %d: deviation anchor %q", ErrFormat, n, q.Deviation)
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

// MustLevel says whether a keyword is MUST-level: MUST, MUST NOT,
// REQUIRED, SHALL or SHALL NOT.
func MustLevel(k string) bool {
	switch k {
	case "MUST", "MUST NOT", "REQUIRED", "SHALL", "SHALL NOT":
		return true
	}
	return false
}

// ShouldLevel says whether a keyword is SHOULD-level: SHOULD, SHOULD NOT
// or RECOMMENDED.
func ShouldLevel(k string) bool {
	return k == "SHOULD" || k == "SHOULD NOT" || k == "RECOMMENDED"
}

// docName is how the matrix names a document.
func docName(rfc string) string {
	if strings.HasPrefix(rfc, "PROTOCOL") {
		return "OpenSSH " + rfc
	}
	return "RFC " + rfc
}

// Anchor is the id GitHub gives the heading of a document's section in
// the matrix: lower case, the dot dropped, the space a hyphen.
func Anchor(rfc string) string {
	return strings.NewReplacer(" ", "-", ".", "").Replace(strings.ToLower(docName(rfc)))
}

// TestCell is how the matrix names a test: its package path below the
// workspace's module prefix, a dot, its name.
func TestCell(t Test) string {
	return "`" + strings.TrimPrefix(t.Package, "github.com/sshstack/sshstack/") + "." + t.Name + "`"
}

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
MUST-level is MUST, MUST NOT, REQUIRED, SHALL and SHALL NOT; RECOMMENDED
counts with SHOULD; "format" rows are wire formats and procedures a
document states without an RFC 2119 keyword, counted in neither. A row whose deviation column links to
[deviations.md](deviations.md) is one where we deliberately do otherwise.
Only requirements that apply to what sshstack implements are listed.

To add a requirement, add a line to the data file; to claim one, add
` + "`// Requirement: id`" + ` to the doc comment of a test that exercises it;
then run ` + "`make rfc-matrix`" + `. TestMatrixFileCurrent (in ` + "`make test`" + `)
fails while this file is stale
([decision 0014](decisions/0014-rfc-matrix-from-tests.md)).

`)
	var rfcs []string
	by := map[string][]Row{}
	for _, r := range rows {
		if by[r.RFC] == nil {
			rfcs = append(rfcs, r.RFC)
		}
		by[r.RFC] = append(by[r.RFC], r)
	}
	slices.Sort(rfcs) // RFC numbers have four digits: text order is number order, then PROTOCOL*
	b.WriteString("| document | rows | MUST-level | MUST ✔ | MUST ✘ | MUST skipped | MUST untested | MUST ✔ % | SHOULD-level | SHOULD ✔ | format | format ✔ | deviations |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, rfc := range append(rfcs, "all") {
		c := map[string]int{}
		rs := by[rfc]
		if rfc == "all" {
			rs = rows
		}
		for _, r := range rs {
			c["rows"]++
			if r.Deviation != "" {
				c["dev"]++
			}
			switch {
			case MustLevel(r.Keyword):
				c["must"]++
				c["must"+r.Status]++
			case ShouldLevel(r.Keyword):
				c["should"]++
				c["should"+r.Status]++
			default:
				c["format"]++
				c["format"+r.Status]++
			}
		}
		name := "[" + docName(rfc) + "](#" + Anchor(rfc) + ")"
		if rfc == "all" {
			name = "**all**"
		}
		pct := "—"
		if c["must"] > 0 {
			pct = fmt.Sprintf("%.1f", 100*float64(c["must"+Proven])/float64(c["must"]))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %s | %d | %d | %d | %d | %d |\n", name, c["rows"],
			c["must"], c["must"+Proven], c["must"+Failed], c["must"+Skipped], c["must"+Untested], pct,
			c["should"], c["should"+Proven], c["format"], c["format"+Proven], c["dev"])
	}
	for _, rfc := range rfcs {
		fmt.Fprintf(&b, "\n## %s\n\n| id | § | keyword | requirement | status | deviation | tests |\n|---|---|---|---|---|---|---|\n", docName(rfc))
		for _, r := range by[rfc] {
			var ts []string
			for _, t := range r.Tests {
				ts = append(ts, TestCell(t))
			}
			dev := ""
			if r.Deviation != "" {
				dev = "[deviation](deviations.md#" + r.Deviation + ")"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", r.ID, r.Section, r.Keyword, strings.ReplaceAll(r.Text, "|", `\|`), r.Status, dev, strings.Join(ts, ", "))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
