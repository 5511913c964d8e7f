package connection

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// releasing is a transport that records what the Conn hands back with
// ReleasePacket and poisons it, so a use after release shows.
type releasing struct {
	*wiretest.Transport
	mu       sync.Mutex
	released []wire.MsgNum
}

func (r *releasing) ReleasePacket(p []byte) {
	r.mu.Lock()
	r.released = append(r.released, wire.MsgNum(p[0]))
	r.mu.Unlock()
	for i := range p {
		p[i] = 0xff
	}
}

func (r *releasing) nums() []wire.MsgNum {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wire.MsgNum(nil), r.released...)
}

// TestReleasesChannelDataOnly: a transport that can reuse payloads
// (wire.PacketReleaser, kex.Transport) gets back CHANNEL_DATA and
// CHANNEL_EXTENDED_DATA once they are copied into the channel, and
// nothing whose parts a handler may keep.
func TestReleasesChannelDataOnly(t *testing.T) {
	ta, tb := wiretest.Pipe()
	rt := &releasing{Transport: ta}
	c := start(t, New(rt, nil))
	t.Cleanup(func() { tb.Close() })
	p := &peer{t: t, tr: tb}
	var gotEnv string
	ch := openFromPeer(t, c, p, 1<<20, 32<<10, func(_ *Channel, r *Request) bool {
		gotEnv = string(r.Payload)
		return true
	})
	id := ch.LocalID()
	p.send(&wire.ChannelData{Recipient: id, Data: []byte("hello")})
	p.send(&wire.ChannelExtendedData{Recipient: id, DataType: wire.ExtendedDataStderr, Data: []byte("stderr")})
	p.send(&wire.ChannelRequest{Recipient: id, Type: "keep@sshstack.test", WantReply: true, Extra: []byte("kept")})
	p.expect(wire.MsgChannelSuccess)
	buf := make([]byte, 5)
	if _, err := io.ReadFull(ch, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("channel data %q, %v", buf, err)
	}
	ebuf := make([]byte, 6)
	if _, err := io.ReadFull(ch.Stderr(), ebuf); err != nil || string(ebuf) != "stderr" {
		t.Fatalf("extended data %q, %v", ebuf, err)
	}
	if gotEnv != "kept" {
		t.Errorf("request payload %q", gotEnv)
	}
	want := []wire.MsgNum{wire.MsgChannelData, wire.MsgChannelExtendedData}
	if got := rt.nums(); !bytes.Equal(msgBytes(got), msgBytes(want)) {
		t.Errorf("released %v, want %v", got, want)
	}
}

func msgBytes(ns []wire.MsgNum) []byte {
	b := make([]byte, len(ns))
	for i, n := range ns {
		b[i] = byte(n)
	}
	return b
}
