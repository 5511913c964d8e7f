package wire

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// A TraceRecord is one line of a trace file as NewJSONTracer writes it:
// a TraceEvent with the time it was traced and the connection it belongs
// to, in JSON. The fields are Describe's, so secrets are never in it.
type TraceRecord struct {
	Time   time.Time    `json:"time"`
	Conn   string       `json:"conn"`  // the connection id given to NewJSONTracer
	Layer  string       `json:"layer"` // Layer.String: "transport", "kex", "userauth", "connection", "other"
	Dir    string       `json:"dir"`   // Direction.String: "send" or "recv"
	Seq    uint32       `json:"seq"`   // packet sequence number (RFC 4253, Section 6.4)
	Num    MsgNum       `json:"num"`
	Name   string       `json:"name"` // message name in its context, e.g. "KEX_ECDH_REPLY"
	Fields []TraceField `json:"fields,omitempty"`
	Err    string       `json:"error,omitempty"` // why the payload did not decode
}

// A TraceField is a Field of a TraceRecord.
type TraceField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Record returns e as a TraceRecord of connection conn at time at.
func (e TraceEvent) Record(conn string, at time.Time) TraceRecord {
	r := TraceRecord{Time: at, Conn: conn, Layer: e.Layer.String(), Dir: e.Dir.String(), Seq: e.Seq,
		Num: e.Description.Num, Name: e.Description.Name}
	for _, f := range e.Description.Fields {
		r.Fields = append(r.Fields, TraceField{f.Name, f.Value})
	}
	if e.Description.Err != nil {
		r.Err = e.Description.Err.Error()
	}
	return r
}

// NewJSONTracer returns a Tracer that writes each event to w as one line
// of JSON, a TraceRecord of connection conn ("JSON lines": one object per
// line, newline-terminated). Each record is one Write, so tracers of
// several connections can share a file opened with O_APPEND. It is safe
// for concurrent use; write errors are dropped, as a trace must not break
// the connection it watches.
func NewJSONTracer(w io.Writer, conn string) Tracer {
	var mu sync.Mutex
	return func(e TraceEvent) {
		b, err := json.Marshal(e.Record(conn, time.Now().UTC()))
		if err != nil {
			return
		}
		b = append(b, '\n')
		mu.Lock()
		defer mu.Unlock()
		w.Write(b)
	}
}
