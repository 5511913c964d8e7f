package rfcmatrix

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const reqsFile = "../testdata/requirements.tsv"

func loadReqs(t *testing.T) []Requirement {
	t.Helper()
	f, err := os.Open(reqsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reqs, err := ParseRequirements(f)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestRequirementsFile: the data file parses (unique ids that begin
// with their RFC and section, known keywords) and covers RFC 4251-4254.
func TestRequirementsFile(t *testing.T) {
	reqs := loadReqs(t)
	by := map[string]int{}
	for _, q := range reqs {
		by[q.RFC]++
	}
	for _, rfc := range []string{"4251", "4252", "4253", "4254"} {
		if by[rfc] == 0 {
			t.Errorf("no requirements of RFC %s", rfc)
		}
	}
	t.Logf("%d requirements: %v", len(reqs), by)
}

// TestNamedIDs: every requirement id a test of the workspace names is in
// the data file; the ones no test names are reported (not an error: the
// matrix says "untested").
func TestNamedIDs(t *testing.T) {
	reqs := loadReqs(t)
	named, err := Scan(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(named) == 0 {
		t.Fatal("no test names a requirement")
	}
	rows, unknown := Rows(reqs, named, nil)
	for _, id := range unknown {
		t.Errorf("a test names %q, which is not in %s", id, reqsFile)
	}
	var untested []string
	for _, r := range rows {
		if len(r.Tests) == 0 {
			untested = append(untested, r.ID)
		}
	}
	t.Logf("%d tests name requirements; %d of %d requirements are named by none: %s",
		len(named), len(untested), len(rows), strings.Join(untested, " "))
}

func TestParseRequirementsErrors(t *testing.T) {
	for _, in := range []string{
		"x\t4253\t6\tMUST\ttext",                                 // bad id
		"4253-6-a\t4253\t6\tMUST",                                // 4 fields
		"4253-6-a\t4253\t6.1\tMUST\ttext",                        // id and section disagree
		"4253-6-a\t4253\t6\tMAY\ttext",                           // keyword
		"4253-6-a\t4253\t6\tMUST\t",                              // no text
		"4253-6-a\t4253\t6\tMUST\tt\n4253-6-a\t4253\t6\tMUST\tt", // twice
	} {
		if _, err := ParseRequirements(strings.NewReader(in)); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseRequirements(%q): %v, want ErrFormat", in, err)
		}
	}
}

// TestRowsAndRender: statuses from results, and the same input renders
// the same bytes.
func TestRowsAndRender(t *testing.T) {
	reqs := []Requirement{
		{"4253-6-a", "4253", "6", "MUST", "a"},
		{"4253-6-b", "4253", "6", "SHOULD", "b | c"},
		{"4253-7-c", "4253", "7", "MUST NOT", "c"},
		{"4254-5-d", "4254", "5", "MUST", "d"},
		{"4254-5-e", "4254", "5", "MUST", "e"},
	}
	pkg := "github.com/sshstack/sshstack/x"
	named := map[Test][]string{
		{pkg, "TestA"}: {"4253-6-a", "4253-7-c"},
		{pkg, "TestB"}: {"4253-7-c", "4254-5-d"},
		{pkg, "TestC"}: {"4254-5-e"},
		{pkg, "TestD"}: {"9999-1-nope"},
	}
	results, err := ParseResults(strings.NewReader(`{"Action":"run","Package":"` + pkg + `","Test":"TestA"}
{"Action":"pass","Package":"` + pkg + `","Test":"TestA"}
{"Action":"fail","Package":"` + pkg + `","Test":"TestB/sub"}
{"Action":"fail","Package":"` + pkg + `","Test":"TestB"}
{"Action":"skip","Package":"` + pkg + `","Test":"TestC"}
{"Action":"pass","Package":"` + pkg + `"}
`))
	if err != nil {
		t.Fatal(err)
	}
	rows, unknown := Rows(reqs, named, results)
	var got []string
	for _, r := range rows {
		got = append(got, r.ID+" "+r.Status)
	}
	want := []string{"4253-6-a ✔", "4253-6-b untested", "4253-7-c ✘", "4254-5-d ✘", "4254-5-e skipped"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"9999-1-nope"}, unknown); diff != "" {
		t.Errorf("unknown (-want +got):\n%s", diff)
	}
	var a, b bytes.Buffer
	if err := Render(&a, rows); err != nil {
		t.Fatal(err)
	}
	for range 5 { // map order must not show
		rows, _ := Rows(reqs, named, results)
		b.Reset()
		Render(&b, rows)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("Render is not deterministic:\n%s", cmp.Diff(a.String(), b.String()))
		}
	}
	for _, s := range []string{"| RFC 4253 | 3 | 2 | 1 | 1 | 1 | 0 | 1 |", "| all | 5 | 4 | 1 | 1 | 2 | 1 | 1 |", `b \| c`, "`x.TestA`, `x.TestB`"} {
		if !strings.Contains(a.String(), s) {
			t.Errorf("matrix has no %q:\n%s", s, a.String())
		}
	}
}

func FuzzParseRequirements(f *testing.F) {
	b, _ := os.ReadFile(reqsFile)
	f.Add(b)
	f.Add([]byte("4253-6-a\t4253\t6\tMUST\ttext\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		reqs, err := ParseRequirements(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Render(&buf, func() []Row { r, _ := Rows(reqs, nil, nil); return r }()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMatrixFileCurrent: docs/rfc-matrix.md has one row per requirement
// and, in each, the tests that name it now. Statuses need the tests run
// (make rfc-matrix), but a row or a "Requirement:" line added without
// regenerating fails here.
func TestMatrixFileCurrent(t *testing.T) {
	reqs := loadReqs(t)
	named, err := Scan(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := Rows(reqs, named, nil)
	want := map[string]string{}
	for _, r := range rows {
		var ts []string
		for _, tt := range r.Tests {
			ts = append(ts, "`"+strings.TrimPrefix(tt.Package, "github.com/sshstack/sshstack/")+"."+tt.Name+"`")
		}
		want[r.ID] = strings.Join(ts, ", ")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "rfc-matrix.md"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		f := strings.Split(strings.Trim(l, "|"), " | ")
		got[strings.Trim(strings.TrimSpace(f[0]), "`")] = strings.TrimSpace(f[len(f)-1])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/rfc-matrix.md is stale; run make rfc-matrix (-want +got):\n%s", diff)
	}
}
