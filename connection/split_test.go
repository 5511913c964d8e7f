package connection

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// splitTransport is a transport that takes split writes (as
// kex.Transport does) and counts them.
type splitTransport struct {
	*wiretest.Transport
	splits atomic.Int32
}

func (t *splitTransport) WritePacketSplit(head, data []byte) error {
	t.splits.Add(1)
	return t.Transport.WritePacket(append(append([]byte(nil), head...), data...))
}

var _ wire.SplitWriter = (*splitTransport)(nil)

// TestChannelWriteSplit: channel data goes to a wire.SplitWriter as the
// message header and the caller's bytes, never joined by the channel;
// what arrives is the data written, data and stderr alike.
func TestChannelWriteSplit(t *testing.T) {
	ta, tb := wiretest.Pipe()
	st := &splitTransport{Transport: ta}
	a, b := start(t, New(st, nil)), start(t, New(tb, nil))
	ca, cb := openPair(t, a, b, "session", nil, nil, nil)
	want := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	go func() {
		ca.Write(want)
		ca.Stderr().Write([]byte("err"))
		ca.CloseWrite()
	}()
	got := make([]byte, len(want))
	if _, err := readFull(cb, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %v; data differs: %v", err, !bytes.Equal(got, want))
	}
	e := make([]byte, 3)
	if _, err := readFull(cb.Stderr(), e); err != nil || string(e) != "err" {
		t.Fatalf("stderr %q, %v", e, err)
	}
	if n := st.splits.Load(); n < 3 {
		t.Errorf("%d split writes for %d bytes of data and stderr", n, len(want)+3)
	}
}

func readFull(r interface{ Read([]byte) (int, error) }, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
