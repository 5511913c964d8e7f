package gssapi

// seqWindow detects replayed and out-of-order per-message tokens, like
// MIT's g_seqnum (RFC 2743, Section 1.2.3): tokens more than
// seqWindowSize behind the highest seen are "old", repeated ones are
// "duplicate", earlier ones are "unsequenced", and a jump forward is a
// "gap".
type seqWindow struct {
	next   uint64 // next expected sequence number
	seen   uint64 // bit i set: next-1-i was received
	replay bool   // report duplicates and old tokens
	seq    bool   // report gaps and unsequenced tokens
	mask   uint64 // 0xffffffff for 32-bit wrapping, all ones for 64-bit
}

const seqWindowSize = 64

func newSeqWindow(start uint64, replay, sequence bool, wide bool) *seqWindow {
	m := uint64(0xffffffff)
	if wide {
		m = ^uint64(0)
	}
	return &seqWindow{next: start & m, replay: replay, seq: sequence, mask: m}
}

// check records seq and returns the supplementary status for it.
func (w *seqWindow) check(seq uint64) Status {
	if !w.replay && !w.seq {
		return 0
	}
	seq &= w.mask
	if seq == w.next {
		w.seen = w.seen<<1 | 1
		w.next = (w.next + 1) & w.mask
		return 0
	}
	ahead := (seq - w.next) & w.mask
	if ahead < w.mask/2 { // forward jump: a gap
		shift := ahead + 1
		if shift >= 64 {
			w.seen = 1
		} else {
			w.seen = w.seen<<shift | 1
		}
		w.next = (seq + 1) & w.mask
		if w.seq {
			return StatusGapToken
		}
		return 0
	}
	behind := (w.next - 1 - seq) & w.mask
	if behind >= seqWindowSize {
		if w.replay {
			return StatusOldToken
		}
		if w.seq {
			return StatusUnseqToken
		}
		return 0
	}
	bit := uint64(1) << behind
	if w.seen&bit != 0 {
		if w.replay {
			return StatusDuplicateToken
		}
		return 0
	}
	w.seen |= bit
	if w.seq {
		return StatusUnseqToken
	}
	return 0
}
