package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs a child role when the harness starts this test binary
// as one of its peers, and the tests otherwise.
func TestMain(m *testing.M) {
	if spec := os.Getenv(roleEnv); spec != "" {
		os.Exit(runRole(spec))
	}
	goleak.VerifyTestMain(m)
}

// TestBenchCompareSmoke runs the whole harness with a tiny size, one run
// and a few idle connections, and checks only that every row has a
// figure: timing on a shared machine is not asserted.
func TestBenchCompareSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gossh and gosshd and starts sshd")
	}
	if raceEnabled {
		t.Skip("the race detector slows the children tenfold; make test runs this in its race-free pass")
	}
	o := options{size: 1 << 20, runs: 1, idle: 20, hsTime: 200 * time.Millisecond, hsConns: 4,
		reverse: true, sections: "commands,library,handshakes,memory"}
	if testing.Verbose() {
		o.progress = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.check(); err != nil {
		t.Error(err)
	}
	// 3 ciphers x 2 directions x (4 command + 5 library pairs).
	if got, want := len(rep.bulk), 3*2*9; got != want {
		t.Errorf("%d bulk rows, want %d", got, want)
	}
	if got, want := len(rep.handshakes), 4; got != want {
		t.Errorf("%d handshake rows, want %d", got, want)
	}
	if got, want := len(rep.memory), 2; got != want {
		t.Errorf("%d memory rows, want %d", got, want)
	}
	var out bytes.Buffer
	rep.markdown(&out)
	if s := out.String(); strings.Contains(s, "n/a") || !strings.Contains(s, "| ssh -> sshd |") {
		t.Errorf("table:\n%s", s)
	}
}
