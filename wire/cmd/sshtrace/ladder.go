package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// A row is one line of a ladder: a phase band or an arrow.
type row struct {
	band  string // non-empty for a band: the phase that starts here
	arrow *msg
	count int            // messages folded into this row by -collapse
	fold  map[string]int // for a fold row of both directions: "NAME from" -> count
	mark  string         // a marker for the arrow: "open", "window", ...
	at    time.Duration  // since the session's first message
}

// options are the drawing options of the command line.
type options struct {
	layers   map[string]bool // nil: every layer
	collapse bool
}

// foldable messages are folded by -collapse when they come in a run.
var foldable = map[string]bool{"CHANNEL_DATA": true, "CHANNEL_EXTENDED_DATA": true, "CHANNEL_WINDOW_ADJUST": true}

// phaseTracker assigns messages to phases: the first key exchange,
// authentication, connection, and each rekey (RFC 4253, Section 9).
type phaseTracker struct {
	phase    string
	inKex    bool
	newkeys  [2]bool
	kexCount int
	before   string // the phase a rekey interrupted
}

// next returns the phase m belongs to and whether it starts a new one.
func (p *phaseTracker) next(m *msg) (string, bool) {
	prev := p.phase
	if p.inKex {
		switch {
		case m.name == "NEWKEYS":
			p.newkeys[m.from] = true
			p.inKex = !(p.newkeys[client] && p.newkeys[server])
			return p.phase, false
		case !p.newkeys[m.from] || m.layer == wire.LayerKex.String():
			return p.phase, false
		}
		// A side past its NEWKEYS is done with the exchange; what it
		// sends now is in the new keys, though the peer's NEWKEYS may
		// not have been traced yet (one side's trace, or a busy reader).
		p.inKex = false
	}
	if p.before != "" { // the first message after a rekey
		p.phase, p.before = p.before, ""
	}
	switch {
	case m.name == "KEXINIT":
		p.inKex, p.newkeys = true, [2]bool{}
		if p.kexCount == 0 {
			p.phase = "key exchange"
		} else {
			p.before = p.phase
			p.phase = fmt.Sprintf("rekey %d", p.kexCount)
		}
		p.kexCount++
	case m.name == "SERVICE_REQUEST" || strings.HasPrefix(m.name, "USERAUTH_"):
		if p.phase != "connection" {
			p.phase = "authentication"
		}
	case m.layer == wire.LayerConnection.String():
		p.phase = "connection"
	case p.phase == "":
		p.phase = "setup"
	}
	return p.phase, p.phase != prev
}

// markOf is the marker drawn beside an arrow that starts or changes
// something a reader of a trace looks for.
func markOf(m *msg) string {
	switch m.name {
	case "KEXINIT":
		return "kex"
	case "NEWKEYS":
		return "keys"
	case "CHANNEL_OPEN":
		return "open"
	case "CHANNEL_OPEN_CONFIRMATION", "CHANNEL_OPEN_FAILURE", "CHANNEL_CLOSE", "CHANNEL_EOF":
		return "chan"
	case "CHANNEL_WINDOW_ADJUST":
		return "window"
	case "USERAUTH_SUCCESS", "USERAUTH_FAILURE":
		return "auth"
	case "DISCONNECT":
		return "end"
	}
	return ""
}

// ladder lays out s as rows under opt.
func ladder(s *session, opt options) []row {
	var rows []row
	var p phaseTracker
	var t0 time.Time
	for i, m := range s.msgs { // the earliest: the causal order need not follow the clocks
		if i == 0 || m.at.Before(t0) {
			t0 = m.at
		}
	}
	for i := range s.msgs {
		m := &s.msgs[i]
		phase, changed := p.next(m)
		if changed { // shown even when its messages are filtered out
			b := row{band: phase, at: m.at.Sub(t0)}
			if n := len(rows); n > 0 && rows[n-1].band != "" {
				rows[n-1] = b
			} else {
				rows = append(rows, b)
			}
		}
		if opt.layers != nil && !opt.layers[m.layer] {
			continue
		}
		r := row{arrow: m, count: 1, mark: markOf(m), at: m.at.Sub(t0)}
		if opt.collapse && foldable[m.name] && len(rows) > 0 {
			last := &rows[len(rows)-1]
			if last.arrow != nil && foldable[last.arrow.name] {
				last.addFold(m)
				continue
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// addFold folds m into r.
func (r *row) addFold(m *msg) {
	if r.fold == nil {
		r.fold = map[string]int{foldKey(r.arrow): r.count}
	}
	r.fold[foldKey(m)]++
	r.count++
	if m.name != r.arrow.name || m.from != r.arrow.from {
		r.mark = "fold"
	}
}

func foldKey(m *msg) string { return m.name + " " + m.from.String() }

// label is the text on an arrow.
func (r *row) label() string {
	m := r.arrow
	if r.count > 1 {
		if r.mark != "fold" {
			return fmt.Sprintf("%s ×%d", m.name, r.count)
		}
		var parts []string
		for _, name := range []string{"CHANNEL_DATA", "CHANNEL_EXTENDED_DATA", "CHANNEL_WINDOW_ADJUST"} {
			for _, from := range []side{client, server} {
				if n := r.fold[name+" "+from.String()]; n > 0 {
					arrow := "→"
					if from == server {
						arrow = "←"
					}
					parts = append(parts, fmt.Sprintf("%s%s×%d", strings.TrimPrefix(name, "CHANNEL_"), arrow, n))
				}
			}
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprintf("%s #%d", m.name, m.seq)
}

// detail is the short field summary drawn after an arrow.
func (r *row) detail() string {
	m := r.arrow
	if r.count > 1 {
		return ""
	}
	if m.err != "" {
		return "error: " + m.err
	}
	var parts []string
	for _, f := range m.fields {
		switch f.Name {
		case "cookie", "kex_algorithms", "server_host_key_algorithms", "encryption_algorithms_client_to_server",
			"encryption_algorithms_server_to_client", "mac_algorithms_client_to_server", "mac_algorithms_server_to_client",
			"compression_algorithms_client_to_server", "compression_algorithms_server_to_client", "languages_client_to_server",
			"languages_server_to_client":
			continue // too long to be useful on one line
		}
		parts = append(parts, f.Name+"="+f.Value)
	}
	s := strings.Join(parts, " ")
	const max = 60
	if n := []rune(s); len(n) > max {
		s = string(n[:max-1]) + "…"
	}
	return s
}
