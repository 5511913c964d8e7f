package ed25519

import (
	"crypto/ed25519"
	"math/rand/v2"
	"testing"
	"time"
)

func benchKey() (ed25519.PublicKey, ed25519.PrivateKey, []byte, []byte) {
	pub, priv := randomKey(rand.New(rand.NewPCG(33, 34)))
	msg := make([]byte, 128) // about what an SSH exchange hash signature covers
	return pub, priv, msg, ed25519.Sign(priv, msg)
}

func BenchmarkVerify(b *testing.B) {
	pub, _, msg, sig := benchKey()
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Verify(pub, msg, sig)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ed25519.Verify(pub, msg, sig)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	_, priv, msg, _ := benchKey()
	var sig [SignatureSize]byte
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Sign(&sig, priv, msg)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ed25519.Sign(priv, msg)
		}
	})
}

// A timedOp is one contender of a round-robin benchmark.
type timedOp struct {
	name string
	f    func()
}

// roundRobin runs ops in turn, reps calls each per turn, for the
// benchmark's b.N turns, timing each by the thread's CPU clock (so the
// load of a shared machine falls on all of them alike), and reports each
// one's µs per call and the first's time over the second's.
func roundRobin(b *testing.B, ops []timedOp, reps int) {
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
	for i, o := range ops {
		b.ReportMetric(spent[i].Seconds()*1e6/float64(b.N*reps), o.name+"-µs")
	}
	b.ReportMetric(spent[0].Seconds()/spent[1].Seconds(), "ratio")
}

// BenchmarkRoundRobin alternates ours and crypto/ed25519 in one run, 20
// calls each per turn, and reports the ratio of their times (below 1
// when ours is faster).
func BenchmarkRoundRobin(b *testing.B) {
	pub, priv, msg, sig := benchKey()
	var out [SignatureSize]byte
	b.Run("verify", func(b *testing.B) {
		roundRobin(b, []timedOp{
			{"ours", func() { Verify(pub, msg, sig) }},
			{"crypto-ed25519", func() { ed25519.Verify(pub, msg, sig) }},
		}, 20)
	})
	b.Run("sign", func(b *testing.B) {
		roundRobin(b, []timedOp{
			{"ours", func() { Sign(&out, priv, msg) }},
			{"crypto-ed25519", func() { ed25519.Sign(priv, msg) }},
		}, 20)
	})
}
