package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sshstack/sshstack/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testdata/gossh.jsonl and testdata/gosshd.jsonl are one real session,
// recorded by conformance's TestSSHTraceDiagram with SSHTRACE_KEEP: gossh
// -o RekeyLimit=1M sending 3 MiB through cat on gosshd, so it has a key
// exchange, public-key authentication, a session channel, window adjusts
// and five rekeys.
var (
	clientTrace = filepath.Join("testdata", "gossh.jsonl")
	serverTrace = filepath.Join("testdata", "gosshd.jsonl")
)

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"both-collapse.txt", []string{"-collapse", clientTrace, serverTrace}},
		{"both.txt", []string{clientTrace, serverTrace}},
		{"client-auth.txt", []string{"-layers", "transport,userauth", clientTrace}},
		{"server-collapse.txt", []string{"-collapse", "-layers", "kex,connection", serverTrace}},
		{"both-collapse.svg", []string{"-collapse", "-svg", "", clientTrace, serverTrace}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			svg := ""
			for i, a := range tt.args {
				if a == "-svg" {
					svg = filepath.Join(t.TempDir(), "out.svg")
					tt.args[i+1] = svg
				}
			}
			if err := run(tt.args, &out, &errOut); err != nil {
				t.Fatalf("run %v: %v\n%s", tt.args, err, errOut.String())
			}
			got := out.Bytes()
			if svg != "" {
				var err error
				if got, err = os.ReadFile(svg); err != nil {
					t.Fatal(err)
				}
				checkXML(t, got)
			}
			golden := filepath.Join("testdata", tt.name)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// checkXML fails unless b is well-formed XML with an svg root.
func checkXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
}

func loadSession(t *testing.T, files ...string) *session {
	t.Helper()
	var views []*view
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readTrace(name, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, splitViews(recs)...)
	}
	ss := pairViews(views)
	if len(ss) != 1 {
		t.Fatalf("%d sessions, want 1", len(ss))
	}
	return ss[0]
}

// TestPhases: the recorded session's ladder has the bands and marks in
// the order the protocol runs them.
func TestPhases(t *testing.T) {
	for _, files := range [][]string{{clientTrace}, {serverTrace}, {clientTrace, serverTrace}} {
		t.Run(strings.Join(files, "+"), func(t *testing.T) {
			s := loadSession(t, files...)
			var bands []string
			marks := map[string]int{}
			for _, r := range ladder(s, options{}) {
				if r.band != "" {
					bands = append(bands, r.band)
				} else {
					marks[r.mark]++
				}
			}
			want := []string{"key exchange", "authentication", "connection", "rekey 1", "connection", "rekey 2",
				"connection", "rekey 3", "connection", "rekey 4", "connection", "rekey 5"}
			if diff := cmp.Diff(want, bands); diff != "" {
				t.Errorf("bands (-want +got):\n%s", diff)
			}
			for _, m := range []string{"kex", "keys", "open", "window", "auth", "end"} {
				if marks[m] == 0 {
					t.Errorf("no %q mark", m)
				}
			}
		})
	}
}

// TestMerge: both traces of the connection pair up; each message is
// drawn once; the order keeps each side's own order and puts every
// receive after its send.
func TestMerge(t *testing.T) {
	both := loadSession(t, clientTrace, serverTrace)
	c := loadSession(t, clientTrace)
	sv := loadSession(t, serverTrace)
	if both.views[client] == nil || both.views[server] == nil {
		t.Fatalf("views not paired: %s", both.name())
	}
	if c.views[client] == nil || sv.views[server] == nil {
		t.Fatalf("roles: %s, %s", c.name(), sv.name())
	}
	// The client's trace lacks the server's last KEXINIT, which came
	// after gossh disconnected; otherwise both hold every message.
	if len(both.msgs) != len(c.msgs)+1 || len(both.msgs) != len(sv.msgs) {
		t.Errorf("merged %d messages; client trace %d, server trace %d", len(both.msgs), len(c.msgs), len(sv.msgs))
	}
	pos := map[msgKey]int{} // by sender, sequence number, occurrence
	for i, m := range both.msgs {
		k := msgKey{m.from, m.seq, 0, 0}
		for ; ; k.n++ {
			if _, ok := pos[k]; !ok {
				break
			}
		}
		pos[k] = i
	}
	for who, single := range []*session{c, sv} {
		// Each side's sends keep their order, and what it received
		// comes before what it sent next.
		last, lastRecv := -1, -1
		seen := map[msgKey]int{}
		for _, e := range single.views[who].recs {
			from := side(who)
			if e.Dir == "recv" {
				from ^= 1
			}
			base := msgKey{from, e.Seq, 0, 0}
			k := base
			k.n = seen[base]
			seen[base]++
			i, ok := pos[k]
			if !ok {
				t.Fatalf("%v's %s #%d not drawn", side(who), e.Name, e.Seq)
			}
			if e.Dir == "recv" {
				lastRecv = max(lastRecv, i)
				continue
			}
			if i < last || i < lastRecv {
				t.Errorf("%v's %s #%d drawn at %d, after %d (sent) or %d (received)", side(who), e.Name, e.Seq, i, last, lastRecv)
			}
			last = i
		}
	}
	// The server's USERAUTH_60 (PK_OK) is neither side's to describe
	// without context, but the CHANNEL_OPEN_CONFIRMATION must follow the
	// CHANNEL_OPEN, whatever the clocks say.
	open, conf := -1, -1
	for i, m := range both.msgs {
		switch m.name {
		case "CHANNEL_OPEN":
			open = i
		case "CHANNEL_OPEN_CONFIRMATION":
			conf = i
		}
	}
	if open < 0 || conf < open {
		t.Errorf("CHANNEL_OPEN at %d, CONFIRMATION at %d", open, conf)
	}
}

func TestCollapse(t *testing.T) {
	s := loadSession(t, clientTrace, serverTrace)
	full, folded := ladder(s, options{}), ladder(s, options{collapse: true})
	count := func(rows []row) (n int) {
		for _, r := range rows {
			n += r.count
		}
		return n
	}
	if count(full) != len(s.msgs) || count(folded) != len(s.msgs) {
		t.Errorf("rows hold %d and %d messages, want %d", count(full), count(folded), len(s.msgs))
	}
	if len(folded) >= len(full)/2 {
		t.Errorf("-collapse left %d of %d rows", len(folded), len(full))
	}
	for _, r := range folded {
		if r.count > 1 && !foldable[r.arrow.name] {
			t.Errorf("folded %s", r.arrow.name)
		}
	}
}

func TestLayers(t *testing.T) {
	s := loadSession(t, clientTrace)
	for _, r := range ladder(s, options{layers: map[string]bool{"userauth": true}}) {
		if r.arrow != nil && r.arrow.layer != "userauth" {
			t.Errorf("row of layer %s", r.arrow.layer)
		}
	}
}

func TestConnFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"-list", clientTrace, serverTrace}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("-list: %q", out.String())
	}
	s := loadSession(t, serverTrace)
	out.Reset()
	if err := run([]string{"-conn", s.views[server].conn, clientTrace, serverTrace}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "rekey 5") {
		t.Errorf("-conn: %s", out.String())
	}
	if err := run([]string{"-conn", "nosuch", clientTrace}, &out, &errOut); err == nil {
		t.Error("-conn nosuch: no error")
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"conn":"a","dir":"send","name":"KEXINIT"}`+"\n"+`{"conn":"a","dir":"sideways","name":"X"}`+"\n"), 0o600)
	var out, errOut bytes.Buffer
	for _, tt := range []struct {
		name string
		args []string
		is   error
	}{
		{"no files", nil, errUsage},
		{"bad layer", []string{"-layers", "ip", clientTrace}, errUsage},
		{"bad record", []string{bad}, errRecord},
		{"missing file", []string{filepath.Join(dir, "none")}, os.ErrNotExist},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := run(tt.args, &out, &errOut); !errors.Is(err, tt.is) {
				t.Errorf("run %v: %v, want %v", tt.args, err, tt.is)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	good := wire.TraceRecord{Conn: "c", Layer: "kex", Dir: "send", Seq: 3, Num: 20, Name: "KEXINIT",
		Fields: []wire.TraceField{{Name: "cookie", Value: "00"}}}
	b, _ := json.Marshal(good)
	got, err := parseLine(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(good, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, in := range []string{"", "{}", "[]", `{"dir":"send"}`, `{"dir":"up","name":"X"}`, `{"dir":"send","name":"X"} {}`,
		`{"dir":"send","name":"X","seq":-1}`, string(b[:len(b)-1])} {
		if _, err := parseLine([]byte(in)); !errors.Is(err, errRecord) {
			t.Errorf("parseLine(%q): %v, want errRecord", in, err)
		}
	}
}

// FuzzParseLine: the trace-line decoder never panics, and what it
// accepts survives a round trip and can be drawn, as text and as
// well-formed SVG.
func FuzzParseLine(f *testing.F) {
	b, _ := os.ReadFile(clientTrace)
	for _, l := range bytes.SplitN(b, []byte("\n"), 40) {
		f.Add(l)
	}
	f.Add([]byte(`{"conn":"<&>","dir":"recv","name":"\u0000]]>","layer":"x","fields":[{"name":"a","value":"\ufffe"}]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := parseLine(line)
		if err != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := parseLine(b)
		if err != nil || !cmp.Equal(r, r2, cmpopts.EquateEmpty()) {
			t.Fatalf("round trip: %v\n%s", err, cmp.Diff(r, r2, cmpopts.EquateEmpty()))
		}
		s := pairViews(splitViews([]wire.TraceRecord{r}))[0]
		rows := ladder(s, options{collapse: true})
		if err := writeText(io.Discard, s, rows); err != nil {
			t.Fatal(err)
		}
		var svg bytes.Buffer
		if err := writeSVG(&svg, s, rows); err != nil {
			t.Fatal(err)
		}
		checkXML(t, svg.Bytes())
	})
}
