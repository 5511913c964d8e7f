package server

import (
	"math/rand/v2"
	"net"
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
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
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

	mu       sync.Mutex
	unauth   int                  // guarded by mu
	bySource map[string]int       // guarded by mu
	penalty  map[string]time.Time // source -> penalty expiry; guarded by mu
}

func newLimiter(st Startups, perSource int, pen *Penalties) *limiter {
	if st == (Startups{}) {
		st = DefaultStartups
	}
	if perSource == 0 {
		perSource = DefaultPerSourceMaxStartups
	}
	l := &limiter{startups: st, perSource: perSource, bySource: map[string]int{}, penalty: map[string]time.Time{}}
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

// sourceKey names the penalty and per-source bucket of an address.
func sourceKey(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return ta.IP.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// admit decides on a new connection; it returns "" to admit (counting it
// as unauthenticated until release) or why it is dropped.
func (l *limiter) admit(src string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.pen.Disabled {
		if exp, ok := l.penalty[src]; ok {
			now := l.now()
			if !now.Before(exp) {
				delete(l.penalty, src)
			} else if exp.Sub(now) >= l.pen.Min || l.pen.Min == 0 {
				return "penalty: connections without attempting authentication or failed authentication"
			}
		}
	}
	if l.perSource > 0 && l.bySource[src] >= l.perSource {
		return "past PerSourceMaxStartups"
	}
	if st := l.startups; st.Start >= 0 {
		if l.unauth >= st.Full {
			return "past MaxStartups"
		}
		if l.unauth >= st.Start {
			p := st.Rate
			if st.Full > st.Start {
				p += (100 - st.Rate) * (l.unauth - st.Start) / (st.Full - st.Start)
			}
			if rand.IntN(100) < p {
				return "past MaxStartups"
			}
		}
	}
	l.unauth++
	l.bySource[src]++
	return ""
}

// release ends the unauthenticated phase of an admitted connection. It
// must be called exactly once per admitted connection.
func (l *limiter) release(src string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unauth--
	if l.bySource[src]--; l.bySource[src] <= 0 {
		delete(l.bySource, src)
	}
}

func (l *limiter) unauthenticated() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unauth
}

// penalize records an event against src (SECURITY.md R8).
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
	src := sourceKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	exp, ok := l.penalty[src]
	if !ok {
		return false
	}
	rem := exp.Sub(l.now())
	return rem > 0 && (rem >= l.pen.Min || l.pen.Min == 0)
}
