package conformance

import (
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// interop test must stop the peers it started and the connections it made.
// Then it removes the directories given to RemoveAtExit.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		atExit.Lock()
		for _, d := range atExit.dirs {
			os.RemoveAll(d)
		}
		atExit.Unlock()
		os.Exit(code)
	}))
}

var atExit struct {
	sync.Mutex
	dirs []string
}

// RemoveAtExit removes dir when the test binary ends: for what tests
// share, such as commands built once.
func RemoveAtExit(dir string) {
	atExit.Lock()
	defer atExit.Unlock()
	atExit.dirs = append(atExit.dirs, dir)
}
