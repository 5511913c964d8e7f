package cipher_test

import (
	"testing"
	"time"
)

// A timedOp is one contender of a round-robin benchmark.
type timedOp struct {
	name string
	f    func()
}

// roundRobin runs ops in turn, reps calls each per turn, for the
// benchmark's b.N turns, timing each by the thread's CPU clock (so the
// load of a shared machine falls on all of them alike), and reports and
// returns each one's MB/s for n bytes per call.
func roundRobin(b *testing.B, ops []timedOp, n, reps int) map[string]float64 {
	spent := make([]time.Duration, len(ops))
	defer lockThread()()
	for b.Loop() {
		for i, o := range ops {
			t0 := threadCPU()
			for range reps {
				o.f()
			}
			spent[i] += threadCPU() - t0
		}
	}
	mbs := map[string]float64{}
	for i, o := range ops {
		mbs[o.name] = float64(b.N*reps*n) / 1e6 / spent[i].Seconds()
		b.ReportMetric(mbs[o.name], o.name+"-MB/s")
	}
	return mbs
}
