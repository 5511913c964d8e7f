package server

import (
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Startups is OpenSSH's MaxStartups start:rate:full (sshd_config(5)):
// past Start unauthenticated connections, new ones are dropped with
// probability Rate percent, rising linearly to 100 at Full. The zero
// value means 10:30:100; Start < 0 means no limit.
type Startups struct {
	Start, Rate, Full int
}

// DefaultStartups is OpenSSH's MaxStartups default.
var DefaultStartups = Startups{Start: 10, Rate: 30, Full: 100}

// Penalties are OpenSSH's PerSourcePenalties (sshd_config(5), OpenSSH
// 9.8): each event adds its duration to the source's penalty, capped at
// Max; while a source's penalty is at least Min, its new connections are
// closed at once. Sources are IPv4 addresses and IPv6 /64 blocks.
type Penalties struct {
	AuthFail      time.Duration // a connection ended after failed authentication
	NoAuth        time.Duration // a connection ended without an authentication attempt
	GraceExceeded time.Duration // LoginGraceTime ran out
	Max, Min      time.Duration
	Disabled      bool
	// Exempt, if set, names sources that are never penalised (sshd's
	// PerSourcePenaltyExemptList); they still count against
	// PerSourceMaxStartups and MaxStartups.
	Exempt func(ip net.IP) bool
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// A NetBlockSize is sshd's PerSourceNetBlockSize: the prefix lengths
// that group addresses into one source for PerSourceMaxStartups and the
// penalties. Zero fields mean 32 and 64.
type NetBlockSize struct {
	IPv4, IPv6 int
}

// DefaultPenalties are OpenSSH 9.8's: authfail:5s noauth:1s
// grace-exceeded:10s max:600s min:15s.
var DefaultPenalties = Penalties{AuthFail: 5 * time.Second, NoAuth: time.Second, GraceExceeded: 10 * time.Second,
	Max: 600 * time.Second, Min: 15 * time.Second}

// MaxPenaltySources caps the sources the penalty table holds; when it is
// full, expired entries are dropped and then new penalties are ignored.
const MaxPenaltySources = 65536

type penaltyKind int

const (
	penaltyAuthFail penaltyKind = iota
	penaltyNoAuth
	penaltyGrace
)

// limiter enforces MaxStartups, PerSourceMaxStartups and the penalties.
type limiter struct {
	startups  Startups
	perSource int
	pen       Penalties
	block     NetBlockSize

	mu       sync.Mutex
	unauth   int                   // guarded by mu
	bySource map[string][]*startup // held startups per source, oldest first; guarded by mu
	penalty  map[string]time.Time  // source -> penalty expiry; guarded by mu
}

// startup is one admitted connection not yet authenticated.
type startup struct {
	src      string
	evict    func() // closes the connection
	released bool   // guarded by limiter.mu
}

func newLimiter(st Startups, perSource int, pen *Penalties, block NetBlockSize) *limiter {
	if st == (Startups{}) {
		st = DefaultStartups
	}
	if perSource == 0 {
		perSource = DefaultPerSourceMaxStartups
	}
	if block.IPv4 <= 0 || block.IPv4 > 32 {
		block.IPv4 = 32
	}
	if block.IPv6 <= 0 || block.IPv6 > 128 {
		block.IPv6 = 64
	}
	l := &limiter{startups: st, perSource: perSource, block: block, bySource: map[string][]*startup{}, penalty: map[string]time.Time{}}
	if pen == nil {
		l.pen = DefaultPenalties
	} else {
		l.pen = *pen
	}
	return l
}

func (l *limiter) now() time.Time {
	if l.pen.Clock != nil {
		return l.pen.Clock()
	}
	return time.Now()
}

// sourceKey names the penalty and per-source bucket of an address: its
// net block (PerSourceNetBlockSize).
func (l *limiter) sourceKey(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		if l.block.IPv4 == 32 {
			return ip4.String()
		}
		return ip4.Mask(net.CIDRMask(l.block.IPv4, 32)).String() + "/" + strconv.Itoa(l.block.IPv4)
	}
	return ta.IP.Mask(net.CIDRMask(l.block.IPv6, 128)).String() + "/" + strconv.Itoa(l.block.IPv6)
}

// exempt reports whether a's source is on the penalty exempt list.
func (l *limiter) exempt(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && l.pen.Exempt != nil && l.pen.Exempt(ta.IP)
}

// admit decides on a new connection from src whose evict function closes
// it. It returns the admitted startup (counted as unauthenticated until
// release), or nil and why the connection is dropped.
//
// Where MaxStartups would drop the connection, a source holding at least
// two fewer startups than the busiest source gets in by evicting that
// source's oldest startup instead (fair share; OpenSSH has no such rule).
// A flood from a few sources then cannot lock a legitimate client out
// (docs/security.md#r1), and the busiest source pays for it: the evicted
// connection ends unauthenticated and earns its penalty.
func (l *limiter) admit(src string, exempt bool, evict func()) (*startup, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.pen.Disabled && !exempt {
		if exp, ok := l.penalty[src]; ok {
			now := l.now()
			if !now.Before(exp) {
				delete(l.penalty, src)
			} else if exp.Sub(now) >= l.pen.Min || l.pen.Min == 0 {
				return nil, "penalty: connections without attempting authentication or failed authentication"
			}
		}
	}
	held := len(l.bySource[src])
	if l.perSource > 0 && held >= l.perSource {
		return nil, "past PerSourceMaxStartups"
	}
	if l.startupsFull() {
		busiest := ""
		for s, list := range l.bySource {
			if busiest == "" || len(list) > len(l.bySource[busiest]) {
				busiest = s
			}
		}
		if busiest == "" || len(l.bySource[busiest]) < held+2 {
			return nil, "past MaxStartups"
		}
		old := l.bySource[busiest][0]
		l.releaseLocked(old)
		old.evict()
	}
	st := &startup{src: src, evict: evict}
	l.unauth++
	l.bySource[src] = append(l.bySource[src], st)
	return st, ""
}

// startupsFull applies MaxStartups start:rate:full to one more
// connection: true if it is to be dropped.
func (l *limiter) startupsFull() bool {
	st := l.startups
	if st.Start < 0 {
		return false
	}
	if l.unauth >= st.Full {
		return true
	}
	if l.unauth < st.Start {
		return false
	}
	p := st.Rate
	if st.Full > st.Start {
		p += (100 - st.Rate) * (l.unauth - st.Start) / (st.Full - st.Start)
	}
	return rand.IntN(100) < p
}

// release ends the unauthenticated phase of an admitted connection. It
// may be called more than once; an evicted startup is already released.
func (l *limiter) release(st *startup) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseLocked(st)
}

func (l *limiter) releaseLocked(st *startup) {
	if st.released {
		return
	}
	st.released = true
	l.unauth--
	list := l.bySource[st.src]
	if i := slices.Index(list, st); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(l.bySource, st.src)
	} else {
		l.bySource[st.src] = list
	}
}

func (l *limiter) unauthenticated() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unauth
}

// penalize records an event against src (docs/security.md#r8).
func (l *limiter) penalize(src string, k penaltyKind) {
	if l.pen.Disabled {
		return
	}
	var d time.Duration
	switch k {
	case penaltyAuthFail:
		d = l.pen.AuthFail
	case penaltyNoAuth:
		d = l.pen.NoAuth
	case penaltyGrace:
		d = l.pen.GraceExceeded
	}
	if d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	exp, ok := l.penalty[src]
	if !ok || exp.Before(now) {
		if !ok && len(l.penalty) >= MaxPenaltySources {
			for k, e := range l.penalty {
				if e.Before(now) {
					delete(l.penalty, k)
				}
			}
			if len(l.penalty) >= MaxPenaltySources {
				return
			}
		}
		exp = now
	}
	exp = exp.Add(d)
	if l.pen.Max > 0 && exp.Sub(now) > l.pen.Max {
		exp = now.Add(l.pen.Max)
	}
	l.penalty[src] = exp
}

// Penalized reports whether new connections from addr's source are
// currently refused by a penalty.
func (s *Server) Penalized(addr net.Addr) bool {
	if s.init() != nil {
		return false
	}
	l := s.limits
	if l.exempt(addr) {
		return false
	}
	src := l.sourceKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	exp, ok := l.penalty[src]
	if !ok {
		return false
	}
	rem := exp.Sub(l.now())
	return rem > 0 && (rem >= l.pen.Min || l.pen.Min == 0)
}
