package connection

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// TestProxy: data crosses both ways; the peer's data followed at once
// by EOF and CLOSE reaches the local side in full; and the peer's CLOSE
// ends Proxy although the local side never closes its end.
// Requirement: 4254-5.3-deliver-before-close
func TestProxy(t *testing.T) {
	a, b := pair(t, nil, nil)
	ca, cb := openPair(t, a, b, wire.ChannelTypeSession, nil, nil, nil)
	local, far := net.Pipe()
	defer far.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		Proxy(context.Background(), cb, local)
	}()
	if _, err := far.Write([]byte("up")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(ca, buf); err != nil || string(buf) != "up" {
		t.Fatalf("channel got %q, %v", buf, err)
	}
	if _, err := ca.Write([]byte("down, then close")); err != nil {
		t.Fatal(err)
	}
	ca.CloseWrite()
	ca.Close()
	got, _ := io.ReadAll(far) // far stays open on our side throughout
	if string(got) != "down, then close" {
		t.Errorf("local side got %q", got)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Proxy did not return after the peer's CLOSE")
	}
}
