package conformance

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The repository cites only itself: code comments and docs point to
// requirements as docs/security.md#<id> and to other pages of docs/, and
// every such citation must land on an anchor that exists. These tests keep
// that true as files are added.

// repoRoot is the directory above this module.
const repoRoot = ".."

// sourceFiles returns the .go and .md files of the repository, relative to
// repoRoot, skipping hidden directories and testdata (recorded third-party
// material).
func sourceFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".md") {
			rel, err := filepath.Rel(repoRoot, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found only %d .go and .md files under %s; is the test running in conformance/?", len(files), repoRoot)
	}
	sort.Strings(files)
	return files
}

// Anchors of a Markdown file: explicit <a id="..."> (or name=) and the
// GitHub slugs of its headings.
var (
	explicitAnchor = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	heading        = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	slugDrop       = regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
)

// githubSlug turns a heading into the anchor GitHub gives it: lower case,
// punctuation dropped, each space a hyphen.
func githubSlug(h string) string {
	h = strings.ToLower(h)
	h = slugDrop.ReplaceAllString(h, "")
	return strings.ReplaceAll(h, " ", "-")
}

func anchorsOf(md string) map[string]bool {
	a := make(map[string]bool)
	for _, m := range explicitAnchor.FindAllStringSubmatch(md, -1) {
		a[m[1]] = true
	}
	seen := make(map[string]int)
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := githubSlug(m[1])
		if n := seen[s]; n > 0 {
			a[s+"-"+strconv.Itoa(n)] = true
		} else {
			a[s] = true
		}
		seen[s]++
	}
	return a
}

var (
	// A citation in text: docs/<page>.md#<id>, possibly followed by more
	// ids of the same page: "#w1, #w2 and #w7", "#k6 to #k8", and across
	// a comment line break ("#c1,\n// #c4").
	textCitation = regexp.MustCompile(`\bdocs/([\w./-]+\.md)#([\w-]*\w)`)
	moreIDs      = regexp.MustCompile(`^(?:,? and |, |,?\s*(?://)?\s*| to |/)#([\w-]*\w)`)
	// A Markdown link to a local page, with or without an anchor.
	mdLink = regexp.MustCompile(`\]\(([^)\s:#]+\.md)(?:#([^)\s]+))?\)`)
)

// Names of pages that live outside the repository and must not be cited.
// Built at run time so that this file does not match itself.
var outside = regexp.MustCompile(`\b(?:` + strings.Join([]string{"SECURITY", "STYLE", "DESIGN"}, "|") + `)\.md\b|\.\.` + `/shared\b`)

func TestDocsCiteOnlyTheRepository(t *testing.T) {
	for _, f := range sourceFiles(t) {
		if f == "conformance/docs_test.go" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d cites %q, which is not part of the repository; cite docs/security.md#<id> or another page of docs/", f, i+1, m)
			}
		}
	}
}

func TestDocsAnchorsExist(t *testing.T) {
	anchors := make(map[string]map[string]bool) // page (relative to repoRoot) → anchors
	pageAnchors := func(page string) (map[string]bool, bool) {
		if a, ok := anchors[page]; ok {
			return a, a != nil
		}
		b, err := os.ReadFile(filepath.Join(repoRoot, page))
		if err != nil {
			anchors[page] = nil
			return nil, false
		}
		a := anchorsOf(string(b))
		anchors[page] = a
		return a, true
	}
	checked := 0
	check := func(f string, line int, page, id string) {
		checked++
		a, ok := pageAnchors(page)
		switch {
		case !ok:
			t.Errorf("%s:%d cites %s, which does not exist", f, line, page)
		case id != "" && !a[id]:
			t.Errorf("%s:%d cites %s#%s, which has no such anchor", f, line, page, id)
		}
	}
	for _, f := range sourceFiles(t) {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		lineOf := func(off int) int { return strings.Count(text[:off], "\n") + 1 }
		for _, m := range textCitation.FindAllStringSubmatchIndex(text, -1) {
			page := "docs/" + text[m[2]:m[3]]
			check(f, lineOf(m[0]), page, text[m[4]:m[5]])
			for rest, off := text[m[1]:], m[1]; ; {
				n := moreIDs.FindStringSubmatchIndex(rest)
				if n == nil {
					break
				}
				check(f, lineOf(off+n[2]), page, rest[n[2]:n[3]])
				rest, off = rest[n[1]:], off+n[1]
			}
		}
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatchIndex(text, -1) {
			target := text[m[2]:m[3]]
			page := filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(f), target)))
			if strings.HasPrefix(page, "../") {
				continue // outside the repository: not ours to check
			}
			id := ""
			if m[4] >= 0 {
				id = text[m[4]:m[5]]
			}
			check(f, lineOf(m[0]), page, id)
		}
	}
	if checked < 200 {
		t.Errorf("checked only %d citations; the patterns no longer find them", checked)
	}
}

// TestDocsSecurityRequirementAnchors checks that docs/security.md has an
// anchor for every requirement of its battery, so that a citation by id
// always resolves.
func TestDocsSecurityRequirementAnchors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs/security.md"))
	if err != nil {
		t.Fatal(err)
	}
	a := anchorsOf(string(b))
	counts := []struct {
		prefix string
		n      int
	}{{"w", 9}, {"p", 10}, {"k", 11}, {"h", 4}, {"a", 11}, {"g", 8}, {"c", 8}, {"r", 8}, {"l", 5}}
	for _, c := range counts {
		for i := 1; i <= c.n; i++ {
			if id := c.prefix + strconv.Itoa(i); !a[id] {
				t.Errorf("docs/security.md has no anchor %q", id)
			}
		}
	}
	for _, id := range []string{"k10a", "k10b", "e0", "limits", "design-rules"} {
		if !a[id] {
			t.Errorf("docs/security.md has no anchor %q", id)
		}
	}
}
