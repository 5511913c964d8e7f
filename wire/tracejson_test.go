package wire_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// TestJSONTracer: one JSON object per line per event, with the layer,
// direction, sequence number, name and fields of the description, and no
// secret (Describe redacts them).
func TestJSONTracer(t *testing.T) {
	var buf bytes.Buffer
	tr := wire.NewJSONTracer(&buf, "c1")
	d := wire.NewTraceDescriber(false)
	req := (&wire.UserauthRequest{User: "alice", Service: "ssh-connection", Method: "password",
		Password: "hunter2"}).Append(nil)
	before := time.Now().UTC()
	tr(d.Event(wire.DirSend, 3, (&wire.ServiceRequest{Service: "ssh-userauth"}).Append(nil)))
	tr(d.Event(wire.DirSend, 4, req))
	tr(d.Event(wire.DirRecv, 5, []byte{byte(wire.MsgUserauthSuccess)}))
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("the password is in the trace:\n%s", buf.String())
	}
	var got []wire.TraceRecord
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var r wire.TraceRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if r.Time.Before(before.Add(-time.Second)) || r.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("time %v", r.Time)
		}
		r.Time = time.Time{}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("%d records, want 3", len(got))
	}
	if diff := cmp.Diff(wire.TraceRecord{Conn: "c1", Layer: "transport", Dir: "send", Seq: 3, Num: wire.MsgServiceRequest,
		Name: "SERVICE_REQUEST", Fields: []wire.TraceField{{Name: "service_name", Value: "ssh-userauth"}}}, got[0]); diff != "" {
		t.Errorf("SERVICE_REQUEST (-want +got):\n%s", diff)
	}
	if got[1].Layer != "userauth" || got[1].Name != "USERAUTH_REQUEST" || len(got[1].Fields) == 0 {
		t.Errorf("USERAUTH_REQUEST: %+v", got[1])
	}
	if got[2].Dir != "recv" || got[2].Seq != 5 || got[2].Name != "USERAUTH_SUCCESS" {
		t.Errorf("USERAUTH_SUCCESS: %+v", got[2])
	}
}

// TestJSONTracerConcurrent: events traced from two goroutines come out
// as whole lines.
func TestJSONTracerConcurrent(t *testing.T) {
	var buf bytes.Buffer
	tr := wire.NewJSONTracer(&buf, "c")
	d := wire.NewTraceDescriber(true)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 200 {
				tr(d.Event(wire.Direction(g), uint32(i), (&wire.ChannelData{Recipient: 1, Data: make([]byte, 100)}).Append(nil)))
			}
		})
	}
	wg.Wait()
	n := 0
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var r wire.TraceRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		n++
	}
	if n != 400 {
		t.Fatalf("%d lines, want 400", n)
	}
}

// BenchmarkJSONTracer measures tracing one USERAUTH_REQUEST: "describe"
// is the TraceDescriber alone (what every tracer pays, the baseline),
// "json" adds NewJSONTracer's encoding and write (to io.Discard).
func BenchmarkJSONTracer(b *testing.B) {
	req := (&wire.UserauthRequest{User: "alice", Service: "ssh-connection", Method: "publickey",
		Algorithm: "ssh-ed25519", PublicKey: make([]byte, 51)}).Append(nil)
	d := wire.NewTraceDescriber(false)
	b.Run("describe", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = d.Event(wire.DirSend, 1, req)
		}
	})
	b.Run("json", func(b *testing.B) {
		tr := wire.NewJSONTracer(io.Discard, "c")
		b.ReportAllocs()
		for b.Loop() {
			tr(d.Event(wire.DirSend, 1, req))
		}
	})
}
