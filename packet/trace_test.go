package packet_test

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// TestTrace checks that the Trace hook sees every payload in both
// directions with its sequence number and layer, and no secret.
func TestTrace(t *testing.T) {
	a, b := net.Pipe()
	var mu sync.Mutex
	var got []wire.TraceEvent
	c := packet.NewConn(a, &packet.Config{Trace: func(e wire.TraceEvent) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}})
	s := packet.NewConn(b, &packet.Config{Server: true})
	defer c.Close()
	defer s.Close()

	req := &wire.UserauthRequest{User: "u", Service: wire.ServiceConnection, Method: wire.MethodPassword, Password: "hunter2"}
	sent := [][]byte{
		(&wire.KexInit{KexAlgorithms: []string{"curve25519-sha256"}}).Append(nil),
		req.Append(nil),
	}
	done := make(chan error, 1)
	go func() {
		for range sent {
			p, err := s.ReadPacket()
			if err != nil {
				done <- err
				return
			}
			if err := s.WritePacket(p); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for _, p := range sent {
		if err := c.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []struct {
		dir   wire.Direction
		seq   uint32
		layer wire.Layer
		name  string
	}{
		{wire.DirSend, 0, wire.LayerKex, "KEXINIT"},
		{wire.DirRecv, 0, wire.LayerKex, "KEXINIT"},
		{wire.DirSend, 1, wire.LayerUserauth, "USERAUTH_REQUEST"},
		{wire.DirRecv, 1, wire.LayerUserauth, "USERAUTH_REQUEST"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.Dir != w.dir || e.Seq != w.seq || e.Layer != w.layer || e.Description.Name != w.name || e.Description.Err != nil {
			t.Errorf("event %d = %v, want %v #%d %v %s", i, e, w.dir, w.seq, w.layer, w.name)
		}
		if strings.Contains(e.String(), "hunter2") {
			t.Errorf("event %d shows the password: %v", i, e)
		}
	}
}
