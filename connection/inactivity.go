package connection

import (
	"sync"
	"sync/atomic"
	"time"
)

// An inactivity is a channel's inactivity timeout (SetInactivityTimeout).
// limit and last are read on the data paths without a lock, so a channel
// without a timeout pays one atomic load per data packet.
type inactivity struct {
	limit atomic.Int64 // nanoseconds; 0: no timeout
	last  atomic.Int64 // monoNow of the last data packet, either way

	mu      sync.Mutex  // guards t and stopped
	t       *time.Timer // pending check; nil when none
	stopped bool        // the channel is dead or the timeout fired
}

// monoEpoch anchors monoNow, so that it reads the monotonic clock.
var monoEpoch = time.Now()

func monoNow() int64 { return int64(time.Since(monoEpoch)) }

// SetInactivityTimeout closes the channel, as Close does, once no data
// (CHANNEL_DATA or CHANNEL_EXTENDED_DATA, sent or received) has passed on
// it for d: OpenSSH sshd's ChannelTimeout. Window adjustments, requests
// and EOF do not count as activity. The clock starts afresh at the call,
// so a server can set a new timeout when a session becomes a command, a
// shell or a subsystem, as sshd does. d <= 0 removes the timeout. It
// starts no goroutine until the timeout fires; the timer is stopped when
// the channel can do no more I/O. onIdle, if not nil, runs just before
// the channel is closed for inactivity (for a log line); it must not
// block.
func (ch *Channel) SetInactivityTimeout(d time.Duration, onIdle func()) {
	in := &ch.idle
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.t != nil {
		in.t.Stop()
		in.t = nil
	}
	if d <= 0 || in.stopped {
		in.limit.Store(0)
		return
	}
	in.last.Store(monoNow())
	in.limit.Store(int64(d))
	in.t = time.AfterFunc(d, func() { ch.checkInactive(onIdle) })
}

// touchActive records data on the channel for its inactivity timeout.
func (ch *Channel) touchActive() {
	if ch.idle.limit.Load() != 0 {
		ch.idle.last.Store(monoNow())
	}
}

// checkInactive runs when the inactivity timer fires: it closes the
// channel if no data passed for the limit, else sets the timer for the
// rest of the interval since the last data.
func (ch *Channel) checkInactive(onIdle func()) {
	in := &ch.idle
	in.mu.Lock()
	lim := in.limit.Load()
	if in.stopped || lim == 0 || in.t == nil {
		in.mu.Unlock()
		return
	}
	if left := in.last.Load() + lim - monoNow(); left > 0 {
		in.t.Reset(time.Duration(left))
		in.mu.Unlock()
		return
	}
	in.stopped, in.t = true, nil
	in.limit.Store(0)
	in.mu.Unlock()
	if onIdle != nil {
		onIdle()
	}
	ch.Close()
}

// stopInactivity stops the inactivity timer for good: the channel can do
// no more I/O.
func (ch *Channel) stopInactivity() {
	in := &ch.idle
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stopped = true
	in.limit.Store(0)
	if in.t != nil {
		in.t.Stop()
		in.t = nil
	}
}
