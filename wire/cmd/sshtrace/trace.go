package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// errRecord is returned, wrapped, for a trace line that is not a
// wire.TraceRecord.
var errRecord = errors.New("sshtrace: not a trace record")

// maxLine bounds one trace line; NewJSONTracer's lines are far shorter.
const maxLine = 1 << 20

// parseLine decodes one line of a trace file (a wire.TraceRecord as
// wire.NewJSONTracer writes it) and checks the fields sshtrace relies on.
func parseLine(line []byte) (wire.TraceRecord, error) {
	var r wire.TraceRecord
	d := json.NewDecoder(bytes.NewReader(line))
	if err := d.Decode(&r); err != nil {
		return wire.TraceRecord{}, fmt.Errorf("%w: %v", errRecord, err)
	}
	if d.More() {
		return wire.TraceRecord{}, fmt.Errorf("%w: data after the record", errRecord)
	}
	if r.Dir != "send" && r.Dir != "recv" {
		return wire.TraceRecord{}, fmt.Errorf("%w: dir %q", errRecord, r.Dir)
	}
	if r.Name == "" {
		return wire.TraceRecord{}, fmt.Errorf("%w: no name", errRecord)
	}
	if r.Layer == "" {
		r.Layer = wire.LayerOf(r.Num).String()
	}
	return r, nil
}

// readTrace reads every record of one trace file; name is for errors.
// Blank lines are skipped.
func readTrace(name string, rd io.Reader) ([]wire.TraceRecord, error) {
	var recs []wire.TraceRecord
	sc := bufio.NewScanner(rd)
	sc.Buffer(nil, maxLine)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		r, err := parseLine(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sshtrace: reading %s: %w", name, err)
	}
	return recs, nil
}

// A side is client or server.
type side uint8

const (
	client side = iota
	server
)

func (s side) String() string {
	if s == client {
		return "client"
	}
	return "server"
}

// sentBy names messages only one side sends (RFC 4253, Sections 7-10;
// RFC 4252, Section 5; RFC 4419; RFC 5656), which tell whose view a
// trace is.
var sentBy = map[string]side{
	"SERVICE_REQUEST": client, "USERAUTH_REQUEST": client, "KEXDH_INIT": client, "KEX_ECDH_INIT": client,
	"KEX_DH_GEX_REQUEST": client, "KEX_DH_GEX_REQUEST_OLD": client, "KEX_DH_GEX_INIT": client, "KEXGSS_INIT": client,
	"SERVICE_ACCEPT": server, "USERAUTH_SUCCESS": server, "USERAUTH_FAILURE": server, "USERAUTH_BANNER": server,
	"KEXDH_REPLY": server, "KEX_ECDH_REPLY": server, "KEX_DH_GEX_GROUP": server, "KEX_DH_GEX_REPLY": server,
	"USERAUTH_PK_OK": server, "KEXGSS_COMPLETE": server, "KEXGSS_HOSTKEY": server,
}

// A view is one connection's records in one trace file, from one side.
type view struct {
	conn string
	who  side
	recs []wire.TraceRecord
}

// roleOf says whose view recs are by the one-sided messages in them;
// ok is false when there is none.
func roleOf(recs []wire.TraceRecord) (who side, ok bool) {
	var votes [2]int
	for _, r := range recs {
		s, one := sentBy[r.Name]
		if !one {
			continue
		}
		if r.Dir == "recv" {
			s ^= 1
		}
		votes[s]++
	}
	if votes[client] == votes[server] {
		return client, false
	}
	return map[bool]side{true: client, false: server}[votes[client] > votes[server]], true
}

// splitViews groups records by connection, in order of first appearance.
func splitViews(recs []wire.TraceRecord) []*view {
	var vs []*view
	by := map[string]*view{}
	for _, r := range recs {
		v := by[r.Conn]
		if v == nil {
			v = &view{conn: r.Conn}
			by[r.Conn] = v
			vs = append(vs, v)
		}
		v.recs = append(v.recs, r)
	}
	for _, v := range vs {
		v.who, _ = roleOf(v.recs)
	}
	return vs
}

// cookie returns the cookie of the first KEXINIT v's client sent, which
// both sides' views of a connection share.
func (v *view) cookie() string {
	want := "send"
	if v.who == server {
		want = "recv"
	}
	for _, r := range v.recs {
		if r.Name == "KEXINIT" && r.Dir == want && len(r.Fields) > 0 {
			return r.Fields[0].Value
		}
	}
	return ""
}

// A session is one connection, seen from one side or both.
type session struct {
	views [2]*view // by side; either may be nil
	msgs  []msg
}

// name is the connection ids of the session's views.
func (s *session) name() string {
	var n string
	for i, v := range s.views {
		if v == nil {
			continue
		}
		if n != "" {
			n += " + "
		}
		n += side(i).String() + " " + v.conn
	}
	return n
}

// A msg is one message of a session: an arrow from one side to the other.
type msg struct {
	from   side
	seq    uint32
	layer  string
	name   string
	fields []wire.TraceField
	err    string
	at     time.Time
	seen   [2]bool // which sides' traces hold it
}

// pairViews makes sessions of views: a client view and a server view
// with the same first KEXINIT cookie are one session.
func pairViews(vs []*view) []*session {
	var out []*session
	byCookie := map[string]*session{}
	for _, v := range vs {
		c := v.cookie()
		if s := byCookie[c]; c != "" && s != nil && s.views[v.who] == nil {
			s.views[v.who] = v
			continue
		}
		s := &session{}
		s.views[v.who] = v
		out = append(out, s)
		if c != "" {
			byCookie[c] = s
		}
	}
	for _, s := range out {
		s.merge()
	}
	return out
}

type msgKey struct {
	from side
	seq  uint32
	num  wire.MsgNum
	n    int // occurrence: strict kex restarts sequence numbers
}

// merge builds s.msgs from its views: what one side sent under a
// sequence number is what the other received under it, so a message in
// both views is drawn once, as its sender described it (the receiver
// may lack the context, such as which method a USERAUTH_60 answers).
// The order is causal, not by the clocks: each side's messages stay in
// the order it sent them, and a message comes before anything its
// receiver sent after receiving it. Messages in flight both ways at once
// are ordered by send time.
func (s *session) merge() {
	idx := map[msgKey]int{}
	var events [2][]event // per view, in its order
	for who, v := range s.views {
		if v == nil {
			continue
		}
		count := map[msgKey]int{}
		for _, r := range v.recs {
			from := side(who)
			if r.Dir == "recv" {
				from ^= 1
			}
			k := msgKey{from, r.Seq, r.Num, 0}
			k.n = count[k]
			count[msgKey{from, r.Seq, r.Num, 0}]++
			m := msg{from: from, seq: r.Seq, layer: r.Layer, name: r.Name, fields: r.Fields, err: r.Err, at: r.Time}
			i, ok := idx[k]
			if ok {
				if r.Dir == "send" { // the sender's record wins
					m.seen = s.msgs[i].seen
					s.msgs[i] = m
				}
			} else {
				i = len(s.msgs)
				idx[k] = i
				s.msgs = append(s.msgs, m)
			}
			s.msgs[i].seen[who] = true
			events[who] = append(events[who], event{i, r.Dir == "send"})
		}
	}
	s.msgs = causalOrder(s.msgs, events)
}

// An event is a view's send or receive of s.msgs[msg].
type event struct {
	msg  int
	send bool
}

// causalOrder orders msgs by the two views' events.
func causalOrder(msgs []msg, events [2][]event) []msg {
	out := make([]msg, 0, len(msgs))
	done := make([]bool, len(msgs))
	var pos [2]int
	emit := func(i int) {
		if !done[i] {
			done[i] = true
			out = append(out, msgs[i])
		}
	}
	for {
		// Skip receives of messages already drawn.
		for w := range events {
			for pos[w] < len(events[w]) && !events[w][pos[w]].send && done[events[w][pos[w]].msg] {
				pos[w]++
			}
		}
		var ready []int // views whose next event can be drawn now
		for w := range events {
			if pos[w] == len(events[w]) {
				continue
			}
			e := events[w][pos[w]]
			// A receive is ready only when the sender's trace lacks the
			// message (or there is no sender's trace).
			if e.send || !msgs[e.msg].seen[msgs[e.msg].from] {
				ready = append(ready, w)
			}
		}
		if len(ready) == 0 {
			// Done, or the views disagree: draw the rest by time.
			var rest []int
			for w := range events {
				for _, e := range events[w][pos[w]:] {
					if !done[e.msg] {
						rest = append(rest, e.msg)
					}
				}
			}
			slices.SortStableFunc(rest, func(a, b int) int { return msgs[a].at.Compare(msgs[b].at) })
			for _, i := range rest {
				emit(i)
			}
			return out
		}
		w := ready[0]
		if len(ready) == 2 && msgs[events[1][pos[1]].msg].at.Before(msgs[events[0][pos[0]].msg].at) {
			w = 1
		}
		emit(events[w][pos[w]].msg)
		pos[w]++
	}
}
