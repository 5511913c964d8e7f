package main

import (
	"bytes"
	"strings"
	"testing"
)

// Two log sites in different functions, for TestLogVerbose.
func logSiteA(lg *logger) { lg.debug(2, "line from A"); lg.slog().Debug("record from A", "k", 1) }
func logSiteB(lg *logger) { lg.debug(2, "line from B"); lg.slog().Debug("record from B", "k", 2) }

// TestLogVerbose: at LogLevel INFO a LogVerbose pattern turns on the
// debug lines of only the sites it matches, gossh's own lines and the
// layers' slog records alike, each tagged file:func():line (pid=N) as
// ssh tags them.
func TestLogVerbose(t *testing.T) {
	for _, tt := range []struct {
		name, pattern string
		want, not     []string
	}{
		{"none", "none", nil, []string{"from A", "from B"}},
		{"function", "*:gossh.logSiteA():*", []string{"debug2: logverbose_test.go:gossh.logSiteA():", "line from A", "record from A k=1"}, []string{"from B"}},
		{"file and line", "logverbose_test.go:*:11", []string{"line from B", "record from B k=2"}, []string{"from A"}},
		{"negated", "logverbose_test.go:*,!*logSiteA*", []string{"from B"}, []string{"from A"}},
		{"one list", "*logSiteA*,*logSiteB*", []string{"from A", "from B"}, nil},
		// As ssh 9.2: only the first argument counts.
		{"two arguments", "*logSiteA* *logSiteB*", []string{"from A"}, []string{"from B"}},
		{"other file", "translate.go:*", nil, []string{"from A", "from B"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := newOptions()
			if err := o.setOption("LogVerbose " + tt.pattern); err != nil {
				t.Fatal(err)
			}
			if len(o.warnings) != 0 {
				t.Errorf("warned: %v", o.warnings)
			}
			if err := o.fillDefaults("h"); err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(o.get("logverbose"))); n != 1 {
				t.Errorf("-G value %q, want one list", o.get("logverbose"))
			}
			lg, err := newLogger(o, "", false)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			lg.w = &out
			logSiteA(lg)
			logSiteB(lg)
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("has %q:\n%s", n, got)
				}
			}
			if got != "" && !strings.Contains(got, "(pid=") {
				t.Errorf("no pid in the tag:\n%s", got)
			}
		})
	}
}

// TestLogVerboseNoneAlone: "none" with other arguments is ssh's error.
func TestLogVerboseNoneAlone(t *testing.T) {
	for _, v := range []string{"none a.c:*", "a.c:* none"} {
		if err := newOptions().setOption("LogVerbose " + v); err == nil {
			t.Errorf("LogVerbose %s: no error", v)
		}
	}
}
