package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/client/mux"
)

// TestMuxFwds checks the forwards sent to a master, as mux.c's
// mux_client_forward encodes them.
func TestMuxFwds(t *testing.T) {
	o := newOptions()
	for _, opt := range []string{"LocalForward 8080 example.com:80", "LocalForward *:8081 /remote.sock",
		"DynamicForward localhost:1080", "RemoteForward 0 localhost:22", "RemoteForward 9000", "RemoteForward /l.sock /c.sock"} {
		if err := o.setOption(opt); err != nil {
			t.Fatal(err)
		}
	}
	got, err := muxFwds(o)
	if err != nil {
		t.Fatal(err)
	}
	want := []mux.Fwd{
		{FwdType: mux.FwdLocal, ListenPort: 8080, ConnectHost: "example.com", ConnectPort: 80},
		{FwdType: mux.FwdLocal, ListenHost: "*", ListenPort: 8081, ConnectHost: "/remote.sock", ConnectPort: mux.PortStreamLocal},
		{FwdType: mux.FwdDynamic, ListenHost: "localhost", ListenPort: 1080, ConnectHost: "socks"},
		{FwdType: mux.FwdRemote, ListenPort: 0, ConnectHost: "localhost", ConnectPort: 22},
		{FwdType: mux.FwdRemote, ListenPort: 9000, ConnectHost: "socks"},
		{FwdType: mux.FwdRemote, ListenHost: "/l.sock", ListenPort: mux.PortStreamLocal, ConnectHost: "/c.sock", ConnectPort: mux.PortStreamLocal},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("muxFwds (-want +got):\n%s", diff)
	}
}

func TestControlPersist(t *testing.T) {
	for _, tt := range []struct {
		v    string
		on   bool
		idle time.Duration
	}{{"no", false, 0}, {"yes", true, 0}, {"600", true, 10 * time.Minute}, {"", false, 0}} {
		o := newOptions()
		if tt.v != "" {
			o.vals["controlpersist"] = []string{tt.v}
		}
		if on, idle := controlPersist(o); on != tt.on || idle != tt.idle {
			t.Errorf("%q: %v %v", tt.v, on, idle)
		}
	}
}

func TestMuxFlags(t *testing.T) {
	f, err := parseFlags([]string{"-MM", "-S", "/tmp/s", "-O", "check", "host"})
	if err != nil {
		t.Fatal(err)
	}
	if f.muxCmd != "check" || f.forced["controlmaster"] != "ask" {
		t.Errorf("got %+v", f)
	}
	if _, err := parseFlags([]string{"-O", "bogus", "host"}); err == nil {
		t.Error("-O bogus accepted")
	}
}
