package wire_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

func TestLayerOf(t *testing.T) {
	tests := []struct { // RFC 4250, Section 4.1.2
		n    wire.MsgNum
		want wire.Layer
	}{
		{0, wire.LayerOther},
		{wire.MsgDisconnect, wire.LayerTransport},
		{wire.MsgExtInfo, wire.LayerTransport},
		{wire.MsgKexInit, wire.LayerKex},
		{wire.MsgKexECDHReply, wire.LayerKex},
		{wire.MsgUserauthRequest, wire.LayerUserauth},
		{79, wire.LayerUserauth},
		{wire.MsgGlobalRequest, wire.LayerConnection},
		{127, wire.LayerConnection},
		{wire.MsgPing, wire.LayerOther},
	}
	for _, tt := range tests {
		if got := wire.LayerOf(tt.n); got != tt.want {
			t.Errorf("LayerOf(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

// TestTraceDescriberContexts follows a client's view of a handshake: the
// method-specific numbers are named by the negotiated kex method and the
// requested auth method, and the password never appears.
func TestTraceDescriberContexts(t *testing.T) {
	for _, server := range []bool{false, true} {
		td := wire.NewTraceDescriber(server)
		mine, theirs := wire.DirSend, wire.DirRecv
		if server {
			mine, theirs = theirs, mine
		}
		ci := &wire.KexInit{KexAlgorithms: []string{"mlkem768x25519-sha256", "curve25519-sha256", "diffie-hellman-group14-sha256"}}
		si := &wire.KexInit{KexAlgorithms: []string{"diffie-hellman-group14-sha256", "curve25519-sha256"}}
		td.Event(mine, 0, ci.Append(nil))
		td.Event(theirs, 0, si.Append(nil))
		reply := &wire.KexECDHReply{HostKey: []byte("k"), ServerPublic: []byte("q"), Signature: []byte("s")}
		ev := td.Event(theirs, 1, reply.Append(nil))
		if ev.Description.Name != "KEX_ECDH_REPLY" || ev.Description.Err != nil || ev.Layer != wire.LayerKex || ev.Seq != 1 || ev.Dir != theirs {
			t.Errorf("server=%v: reply event = %+v", server, ev)
		}
		req := &wire.UserauthRequest{User: "u", Service: wire.ServiceConnection, Method: wire.MethodPassword, Password: "hunter2"}
		ev = td.Event(mine, 5, req.Append(nil))
		if strings.Contains(ev.String(), "hunter2") {
			t.Errorf("server=%v: password in trace: %s", server, ev)
		}
		pkok := &wire.UserauthPKOK{Algorithm: "ssh-ed25519", PublicKey: []byte("k")}
		ev = td.Event(theirs, 6, pkok.Append(nil))
		if ev.Layer != wire.LayerUserauth || ev.Description.Name == "USERAUTH_PK_OK" {
			// In the password context, 60 is PASSWD_CHANGEREQ.
			t.Errorf("server=%v: 60 after a password request = %v", server, ev)
		}
		req = &wire.UserauthRequest{User: "u", Service: wire.ServiceConnection, Method: wire.MethodPublicKey, Algorithm: "ssh-ed25519", PublicKey: []byte("k")}
		td.Event(mine, 7, req.Append(nil))
		ev = td.Event(theirs, 8, pkok.Append(nil))
		if ev.Description.Name != "USERAUTH_PK_OK" || ev.Description.Err != nil {
			t.Errorf("server=%v: PK_OK event = %v", server, ev)
		}
	}
}

func TestTraceDescriberGarbage(t *testing.T) {
	td := wire.NewTraceDescriber(false)
	for _, p := range [][]byte{nil, {byte(wire.MsgKexInit)}, {byte(wire.MsgUserauthRequest), 0, 0}, {31, 1, 2}, {200}} {
		ev := td.Event(wire.DirRecv, 0, p)
		if ev.Description.Err == nil {
			t.Errorf("Event(%x) decoded without error: %v", p, ev)
		}
	}
}

func TestTraceDescriberConcurrent(t *testing.T) {
	td := wire.NewTraceDescriber(false)
	ki := (&wire.KexInit{KexAlgorithms: []string{"curve25519-sha256"}}).Append(nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 100 {
				td.Event(wire.Direction(i%2), 0, ki)
			}
		})
	}
	wg.Wait()
}

func TestTraceStrings(t *testing.T) {
	ev := wire.TraceEvent{Dir: wire.DirRecv, Layer: wire.LayerConnection, Seq: 7, Description: wire.Describe([]byte{byte(wire.MsgRequestSuccess)}, wire.ContextNone)}
	if got, want := ev.String(), "recv connection #7 REQUEST_SUCCESS"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if wire.Direction(9).String() == "" || wire.Layer(9).String() == "" {
		t.Error("unknown values render empty")
	}
}

func FuzzTraceDescriber(f *testing.F) {
	f.Add(true, (&wire.KexInit{KexAlgorithms: []string{"curve25519-sha256"}}).Append(nil))
	f.Add(false, (&wire.UserauthRequest{User: "u", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive}).Append(nil))
	f.Add(false, []byte{60, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, recv bool, b []byte) {
		td := wire.NewTraceDescriber(recv)
		dir := wire.DirSend
		if recv {
			dir = wire.DirRecv
		}
		td.Event(dir, 0, b)
		_ = td.Event(1-dir, 1, b).String()
	})
}
