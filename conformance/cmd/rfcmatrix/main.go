// Command rfcmatrix writes docs/rfc-matrix.md: each requirement of
// conformance/testdata/requirements.tsv with the tests that name it (a
// "// Requirement: id" line in their doc comment) and how they ended.
//
// Usage, from the workspace root (make rfc-matrix):
//
//	go run github.com/sshstack/sshstack/conformance/cmd/rfcmatrix [-results go-test.json] [-save go-test.json] [-out docs/rfc-matrix.md]
//
// Without -results it runs the named tests, and only those, with
// `go test -json -count=1 -run` per package. It fails when a test names
// an id the requirements file lacks.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/sshstack/sshstack/conformance/rfcmatrix"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	root := flag.String("root", ".", "workspace root")
	reqsPath := flag.String("reqs", "", "requirements file (default ROOT/conformance/testdata/requirements.tsv)")
	resultsPath := flag.String("results", "", "`go test -json` output to use instead of running the tests")
	out := flag.String("out", "", "output file (default ROOT/docs/rfc-matrix.md; - for stdout)")
	save := flag.String("save", "", "also write the `go test -json` output to this file, for -results")
	flag.Parse()
	if *reqsPath == "" {
		*reqsPath = filepath.Join(*root, "conformance", "testdata", "requirements.tsv")
	}
	if *out == "" {
		*out = filepath.Join(*root, "docs", "rfc-matrix.md")
	}
	f, err := os.Open(*reqsPath)
	if err != nil {
		return fmt.Errorf("rfcmatrix: %w", err)
	}
	reqs, err := rfcmatrix.ParseRequirements(f)
	f.Close()
	if err != nil {
		return err
	}
	named, err := rfcmatrix.Scan(*root)
	if err != nil {
		return err
	}
	var results []byte
	if *resultsPath != "" {
		if results, err = os.ReadFile(*resultsPath); err != nil {
			return fmt.Errorf("rfcmatrix: %w", err)
		}
	} else if results, err = runTests(*root, named); err != nil {
		return err
	}
	if *save != "" {
		if err := os.WriteFile(*save, results, 0o644); err != nil {
			return fmt.Errorf("rfcmatrix: %w", err)
		}
	}
	res, err := rfcmatrix.ParseResults(bytes.NewReader(results))
	if err != nil {
		return err
	}
	rows, unknown := rfcmatrix.Rows(reqs, named, res)
	if len(unknown) > 0 {
		return fmt.Errorf("rfcmatrix: tests name ids not in %s: %s", *reqsPath, strings.Join(unknown, ", "))
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		of, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("rfcmatrix: %w", err)
		}
		defer of.Close()
		w = of
	}
	return rfcmatrix.Render(w, rows)
}

// runTests runs the named tests, package by package, and returns their
// `go test -json` output. A failing test is a result, not an error.
func runTests(root string, named map[rfcmatrix.Test][]string) ([]byte, error) {
	byPkg := map[string][]string{}
	for t := range named {
		byPkg[t.Package] = append(byPkg[t.Package], regexp.QuoteMeta(t.Name))
	}
	var pkgs []string
	for p := range byPkg {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	var all bytes.Buffer
	for _, p := range pkgs {
		names := byPkg[p]
		slices.Sort(names)
		cmd := exec.Command("go", "test", "-json", "-count=1", "-run", "^("+strings.Join(names, "|")+")$", p)
		cmd.Dir = root
		cmd.Stdout = &all
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		fmt.Fprintf(os.Stderr, "rfcmatrix: go test %s (%d tests)\n", p, len(names))
		if err := cmd.Run(); err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				return nil, fmt.Errorf("rfcmatrix: go test %s: %w", p, err)
			}
			os.Stderr.Write(stderr.Bytes())
		}
	}
	return all.Bytes(), nil
}
