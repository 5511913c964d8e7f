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
// with their document and section, known keywords), covers every RFC
// and OpenSSH file the matrix is for, holds at least 150 MUST-level
// rows, and every deviation it names is an anchor of docs/deviations.md.
func TestRequirementsFile(t *testing.T) {
	reqs := loadReqs(t)
	by := map[string]int{}
	must := 0
	for _, q := range reqs {
		by[q.RFC]++
		if MustLevel(q.Keyword) {
			must++
		}
	}
	for _, rfc := range []string{"4250", "4251", "4252", "4253", "4254", "4256", "4335", "4344", "4419",
		"4462", "5656", "6668", "8268", "8308", "8332", "8709", "8731", "8732", "9142",
		"PROTOCOL", "PROTOCOL.chacha20poly1305", "PROTOCOL.certkeys"} {
		if by[rfc] == 0 {
			t.Errorf("no requirements of %s", rfc)
		}
	}
	if must < 150 {
		t.Errorf("%d MUST-level requirements, want at least 150", must)
	}
	dev, err := os.ReadFile(filepath.Join("..", "..", "docs", "deviations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range reqs {
		if q.Deviation != "" && !strings.Contains(string(dev), `<a id="`+q.Deviation+`"></a>`) {
			t.Errorf("%s: docs/deviations.md has no anchor %q", q.ID, q.Deviation)
		}
	}
	t.Logf("%d requirements, %d MUST-level: %v", len(reqs), must, by)
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
		"4253-6-a\t4253\t6\tMUST\tt\tBad Anchor",                 // deviation anchor
		"4253-6-a\t4253\t6\tMUST\tt\tx\ty",                       // 7 fields
		"protocol-1.10-a\tPROTOCOL\t1.9\tMUST\tt",                // section
		"certkeys-a\tPROTOCOL.agent\tx\tMUST\tt",                 // document and id disagree
		"x-1-a\tRFC4253\t1\tMUST\tt",                             // document
		"4253-6-a\t4253\t\tMUST\tt",                              // no section
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
		{ID: "4253-6-a", RFC: "4253", Section: "6", Keyword: "MUST", Text: "a"},
		{ID: "4253-6-b", RFC: "4253", Section: "6", Keyword: "SHOULD", Text: "b | c"},
		{ID: "4253-7-c", RFC: "4253", Section: "7", Keyword: "MUST NOT", Text: "c"},
		{ID: "4254-5-d", RFC: "4254", Section: "5", Keyword: "MUST", Text: "d", Deviation: "dev-d"},
		{ID: "4254-5-e", RFC: "4254", Section: "5", Keyword: "REQUIRED", Text: "e"},
		{ID: "certkeys-f", RFC: "PROTOCOL.certkeys", Section: "Critical options", Keyword: "format", Text: "f"},
	}
	pkg := "github.com/sshstack/sshstack/x"
	named := map[Test][]string{
		{pkg, "TestA"}: {"4253-6-a", "4253-7-c"},
		{pkg, "TestB"}: {"4253-7-c", "4254-5-d"},
		{pkg, "TestC"}: {"4254-5-e"},
		{pkg, "TestE"}: {"certkeys-f"},
		{pkg, "TestD"}: {"9999-1-nope"},
	}
	results, err := ParseResults(strings.NewReader(`{"Action":"run","Package":"` + pkg + `","Test":"TestA"}
{"Action":"pass","Package":"` + pkg + `","Test":"TestA"}
{"Action":"fail","Package":"` + pkg + `","Test":"TestB/sub"}
{"Action":"fail","Package":"` + pkg + `","Test":"TestB"}
{"Action":"skip","Package":"` + pkg + `","Test":"TestC"}
{"Action":"pass","Package":"` + pkg + `","Test":"TestE"}
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
	want := []string{"4253-6-a ✔", "4253-6-b untested", "4253-7-c ✘", "4254-5-d ✘", "4254-5-e skipped", "certkeys-f ✔"}
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
	for _, s := range []string{
		"| [RFC 4253](#rfc-4253) | 3 | 2 | 1 | 1 | 0 | 0 | 50.0 | 1 | 0 | 0 | 0 | 0 |",
		"| [RFC 4254](#rfc-4254) | 2 | 2 | 0 | 1 | 1 | 0 | 0.0 | 0 | 0 | 0 | 0 | 1 |",
		"| [OpenSSH PROTOCOL.certkeys](#openssh-protocolcertkeys) | 1 | 0 | 0 | 0 | 0 | 0 | — | 0 | 0 | 1 | 1 | 0 |",
		"| **all** | 6 | 4 | 1 | 2 | 1 | 0 | 25.0 | 1 | 0 | 1 | 1 | 1 |",
		"## OpenSSH PROTOCOL.certkeys",
		`b \| c`, "`x.TestA`, `x.TestB`",
		"| `4254-5-d` | 5 | MUST | d | ✘ | [deviation](deviations.md#dev-d) | `x.TestB` |",
	} {
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

// TestMatrixFileCurrent: docs/rfc-matrix.md is what the generator
// writes for today's requirements file and today's "Requirement:" lines,
// given the statuses the file records (statuses need the tests run, which
// is make rfc-matrix's job). A row, a text, a keyword, a deviation or a
// test named without regenerating, or a total edited by hand, fails here.
func TestMatrixFileCurrent(t *testing.T) {
	reqs := loadReqs(t)
	named, err := Scan(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	rows, unknown := Rows(reqs, named, nil)
	if len(unknown) > 0 {
		t.Fatalf("tests name ids not in %s: %v", reqsFile, unknown)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "rfc-matrix.md"))
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		f := strings.Split(strings.Trim(l, "|"), " | ")
		if len(f) < 7 {
			continue
		}
		status[strings.Trim(strings.TrimSpace(f[0]), "`")] = strings.TrimSpace(f[len(f)-3])
	}
	for i := range rows {
		s, ok := status[rows[i].ID]
		if !ok {
			s = "(not in the file)"
		}
		rows[i].Status = s
	}
	var want bytes.Buffer
	if err := Render(&want, rows); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(want.String(), "\n"), strings.Split(string(b), "\n")); diff != "" {
		t.Errorf("docs/rfc-matrix.md is stale; run make rfc-matrix (-want +got):\n%s", diff)
	}
}
