package conformance

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// interop test must stop the peers it started and the connections it made.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
